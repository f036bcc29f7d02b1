"""Records this folder may no longer hold: a category's grant was withdrawn (or
the category is gone), or the device itself was revoked.

The records leave the store, so no stale copy of data the editor lost the
right to stays on their disk. Anything they typed that the server does not
have yet — a queued, rejected or conflicting change, or one waiting for
review — is first written to a set-aside file (store/set_aside.py), one per
record, and the editor is told where: nothing is lost silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import Q

from ..store import set_aside
from ..store.discard import dropped_values
from ..store.models import Account, Category, Conflict, PendingChange, Record
from ..store.schema import Schema, UnknownModel


@dataclass
class Purged:
    """What one purge removed, for the editor to read."""

    what: str  # "Culture", or "reference data"
    removed: int = 0  # records that left the store
    set_aside: list[Path] = field(default_factory=list)  # a file per record with unsynced work

    def sentence(self, why: str) -> str:
        """'Culture: you no longer have access (…); 24 records removed from this folder;
        your unsynced edits of 2 records are in /…/set-aside.'"""
        text = f"{self.what}: {why}; {self.removed} record(s) removed from this folder"
        if self.set_aside:
            text += (
                f"; your unsynced edits of {len(self.set_aside)} record(s) are in "
                f"{self.set_aside[0].parent}"
            )
        else:
            text += "; none of them held unsynced edits"
        return text


def purge_category(schema: Schema, category: Category, reason: str) -> Purged:
    """Set aside the category's unsynced edits, then remove its records; the category
    is no longer checked out here."""
    purged = _purge(schema, Record.objects.filter(category_key=category.key), category.name, reason)
    Category.objects.filter(key=category.key).update(checked_out=False, cursor=0)
    return purged


def purge_device(schema: Schema, reason: str) -> list[Purged]:
    """Everything this folder holds of the server (a revoked device): every category's
    records and the reference data, unsynced edits set aside. The account stays, so a
    new login in this folder starts again from it."""
    names = dict(Category.objects.values_list("key", "name"))
    held = Record.objects.exclude(category_key__isnull=True).values_list("category_key", flat=True)
    done = []
    for key in sorted(set(held.distinct())):
        records = Record.objects.filter(category_key=key)
        done.append(_purge(schema, records, names.get(key, "a category no longer listed"), reason))
    reference = Record.objects.filter(category_key__isnull=True)
    if reference.exists():
        done.append(_purge(schema, reference, "reference data", reason))
    Category.objects.update(checked_out=False, cursor=0)
    Account.objects.update(reference_cursor=0)
    return done


def _purge(schema: Schema, records, what: str, reason: str) -> Purged:
    purged = Purged(what)
    unsynced = records.filter(Q(pending=True) | Q(conflicted=True)).order_by("id")
    for record in unsynced:
        purged.set_aside.append(_set_aside(schema, record, reason))
    with transaction.atomic():  # the files are on disk: the records may go
        purged.removed = records.count()
        records.delete()  # their queue entries and conflicts go with them
    return purged


def _set_aside(schema: Schema, record: Record, reason: str) -> Path:
    conflict = Conflict.objects.filter(record=record, resolved_at__isnull=True).first()
    entries = list(record.changes.order_by("id"))
    try:
        types = schema.get(record.model).field_types()
    except UnknownModel:
        types = {}
    values = dropped_values(record, conflict, types)
    op = PendingChange.CREATE if record.base_version is None else None
    op = op or (PendingChange.DELETE if record.deleted else None)
    op = op or (conflict.op if conflict else (entries[-1].op if entries else "update"))
    return set_aside.set_aside(
        record,
        values,
        reason,
        change=op,
        states=sorted({entry.state for entry in entries} | ({"conflict"} if conflict else set())),
        base_version=record.base_version,
        base_values={name: record.base_values.get(name) for name in values},
    )
