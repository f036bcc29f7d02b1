"""Discarding a change: the way out for any queued, rejected or conflicting edit.

The record goes back to the server's values as this store last knew them
(its base version, or the newer version a conflict brought); a record that
never reached the server, or that the server deleted, leaves the store; a
queued deletion is undone. What the editor had typed is first written to a
set-aside file (set_aside.py), so discarding never loses it silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from server_plugin.protocol import merge

from .edits import EditError, category_of, refuse_if_pointed_at
from .models import Conflict, PendingChange, Record
from .queries import reasons
from .schema import Schema
from .set_aside import set_aside

_OP_WORDS = {
    PendingChange.CREATE: "new record",
    PendingChange.UPDATE: "edit",
    PendingChange.DELETE: "deletion",
}


@dataclass(frozen=True)
class Discarded:
    """What a discard did, for the editor to read."""

    model: str
    pk: str
    title: str
    op: str  # the change dropped: create / update / delete
    state: str  # what it was: queued / rejected / conflict
    set_aside: Path
    removed: bool  # the record left this store (never synced, or deleted on the server)
    version: int | None  # the server's version the record is back at
    was_sent: bool  # it had been sent without an answer: the server may have it

    def summary(self) -> str:
        name = self.model.split(".")[-1]
        what = f"the {self.state} {_OP_WORDS.get(self.op, self.op)} of {name} “{self.title}”"
        if self.removed:
            after = "it is gone from this store"
        else:
            after = f"it is back at the server's version {self.version}"
        text = f"Discarded {what}; {after}. Your values are in {self.set_aside}"
        if self.was_sent:
            text += (
                " (it had been sent without an answer: if the server received it, "
                "the next sync brings it back)"
            )
        return text


def change_record(change_id: int) -> Record:
    """The record of a sync-queue entry, by the id `rejected` and the queue view show."""
    entry = PendingChange.objects.select_related("record").filter(pk=change_id).first()
    if entry is None:
        raise EditError(f"no change with id {change_id} waits here (see fieldsync status)")
    return entry.record


def dropped_values(record: Record, conflict: Conflict | None, types: dict) -> dict:
    """The editor's values a discard drops: all of a new record, else those they changed
    (compared by value, as `types` — the model's field types — say)."""
    mine = conflict.mine if conflict is not None else record.values
    if record.base_version is None:
        return dict(mine)
    return merge.changed_fields(record.base_values, mine, types)


def server_state(record: Record, conflict: Conflict | None) -> tuple[dict, int] | None:
    """The server's values and version as this store last knew them; None if it has none."""
    if record.base_version is None:
        return None  # created here and never accepted there
    if conflict is not None:
        return None if conflict.theirs is None else (conflict.theirs, conflict.theirs_version)
    return record.base_values, record.base_version


def discard_changes(schema: Schema, record_id: int) -> Discarded:
    """Drop every unsent change of a record and put the server's values back."""
    with transaction.atomic():
        record = Record.objects.filter(pk=record_id).first()
        if record is None:
            raise EditError("that record is no longer in this store")
        entries = list(record.changes.order_by("id"))
        conflict = record.conflicts.filter(resolved_at__isnull=True).first()
        if any(entry.state == PendingChange.REVIEW for entry in entries):
            raise EditError(
                f"{_name(record)} waits for a chief editor's review on the server; "
                "it cannot be taken back from here (fieldsync sync tells their decision)"
            )
        if not entries and conflict is None:
            raise EditError(f"nothing to discard: {_name(record)} has no change waiting")
        if record.base_version is None:
            refuse_if_pointed_at(schema, record, "discard")
        model = schema.get(record.model)
        server = server_state(record, conflict)
        op, state = _op(record, entries, conflict), _state(entries, conflict)
        values = dropped_values(record, conflict, model.field_types())
        path = set_aside(
            record,
            values,
            _reason(op, state, entries, conflict),
            change=op,
            state=state,
            base_version=record.base_version,
            base_values={name: record.base_values.get(name) for name in values},
        )
        result = Discarded(
            model=record.model,
            pk=record.object_pk,
            title=record.title or record.object_pk,
            op=op,
            state=state,
            set_aside=path,
            removed=server is None,
            version=server[1] if server else None,
            was_sent=any(
                e.payload is not None and e.state == PendingChange.QUEUED for e in entries
            ),
        )
        if server is None:
            record.delete()  # its queue entries and conflicts go with it
            return result
        if conflict is not None:
            conflict.resolved_at = timezone.now()
            conflict.save(update_fields=["resolved_at"])
        theirs, version = server
        record.changes.all().delete()
        record.values, record.base_values, record.base_version = dict(theirs), theirs, version
        record.category_key = category_of(schema, model, theirs) or record.category_key
        record.title = model.title_of(theirs)
        record.deleted = record.pending = record.conflicted = False
        record.updated_at = timezone.now()
        record.save()
    return result


def _name(record: Record) -> str:
    return f"{record.model.split('.')[-1]} “{record.title or record.object_pk}”"


def _op(record: Record, entries: list[PendingChange], conflict: Conflict | None) -> str:
    if record.base_version is None:
        return PendingChange.CREATE
    if record.deleted:
        return PendingChange.DELETE
    if conflict is not None:
        return conflict.op
    return entries[-1].op


def _state(entries: list[PendingChange], conflict: Conflict | None) -> str:
    if conflict is not None:
        return "conflict"
    if any(entry.state == PendingChange.REJECTED for entry in entries):
        return "rejected"
    return "queued"


def _reason(op: str, state: str, entries: list[PendingChange], conflict) -> str:
    """Why the values were set aside, in words, with the server's side of it."""
    reason = f"the editor discarded a {state} {_OP_WORDS.get(op, op)}"
    if conflict is not None and conflict.theirs is None:
        return f"{reason} (the server deleted the record)"
    if conflict is not None:
        return f"{reason} (the server changed {', '.join(conflict.fields) or 'it'} meanwhile)"
    refused = [e for e in entries if e.state == PendingChange.REJECTED]
    if refused:
        return (
            f"{reason} (rejected: {'; '.join(reasons(refused[-1].errors, refused[-1].last_error))})"
        )
    return reason
