"""What a batch knows of the records its changes touch, read once and locked.

For each model the batch writes, its records are read up front in a few
queries: the rows themselves (locked for the transaction, feed locks first,
the order every writer takes), their side-table entries (version, stamp,
kind), their values as the wire carries them, and the policy flags of single
records. A record an earlier change of the batch wrote, or that its signals
or cascades wrote, is read again before a later change uses it (`reread`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import models

from ..models import RecordFlag, TrackedRow
from ..registry import SyncedModel
from ..tracking import lock_feeds, own_rows
from .decide import Server
from .parse import PushedChange


@dataclass
class _Known:
    """One model's records, keyed by str(pk)."""

    instances: dict = field(default_factory=dict)  # the rows, locked for this transaction
    rows: dict = field(default_factory=dict)  # their side-table entries
    theirs: dict = field(default_factory=dict)  # their current values, as the wire carries them
    flags: dict = field(default_factory=dict)  # a policy flag of the single record


class BatchRows:
    def __init__(self, changes: list[PushedChange]):
        self.changes = changes
        self.known: dict[str, _Known] = {}
        self.touched: set = set()  # (label, str pk) written since it was read

    def of(self, synced: SyncedModel) -> _Known:
        """Read (and lock) the batch's records of one model at once, feeds first."""
        if synced.label in self.known:
            return self.known[synced.label]
        pks = sorted(
            {str(p.pk) for p in self.changes if p.synced.label == synced.label and p.pk is not None}
        )
        known = _Known()
        content_type = ContentType.objects.get_for_model(synced.model)
        # Feed locks first, then the rows: the same order as every other writer. The
        # side-table is read once to know which feeds, and again under their locks:
        # a version read before them may be stale by the time this batch decides
        # (a push of the same record in another process committed meanwhile), and
        # deciding on it would fast-forward over that write instead of merging.
        locked: set = set()
        while True:
            known.rows = _side_rows(content_type, pks, lock=bool(locked))
            feeds = {row.category_key for rows in known.rows.values() for row in rows
                     if not row.deleted}  # fmt: skip
            if feeds <= locked:
                break
            lock_feeds(feeds - locked)
            locked |= feeds
        for chunk in _chunks(pks):
            # A row a registered multi-table child owns is the child's record, not this one's.
            locked = own_rows(synced).select_for_update().filter(pk__in=chunk)
            known.instances.update({str(obj.pk): obj for obj in locked})
        for item in synced.serialize(list(known.instances.values())):
            known.theirs[str(item["pk"])] = item["fields"]
        for chunk in _chunks(pks):
            flags = RecordFlag.objects.filter(content_type=content_type, object_pk__in=chunk)
            known.flags.update(dict(flags.values_list("object_pk", "policy")))
        self.known[synced.label] = known
        return known

    def instance(self, synced: SyncedModel, pk) -> models.Model | None:
        return self.of(synced).instances.get(str(pk))

    def theirs(self, synced: SyncedModel, pk) -> dict | None:
        return self.of(synced).theirs.get(str(pk))

    def version(self, synced: SyncedModel, pk) -> int:
        rows = self.of(synced).rows.get(str(pk), [])
        return max((row.version for row in rows), default=0)

    def latest_row(self, synced: SyncedModel, pk) -> TrackedRow | None:
        rows = self.of(synced).rows.get(str(pk), [])
        return max(rows, key=lambda r: r.version, default=None)

    def server(self, synced: SyncedModel, pk) -> Server:
        """The record as the decision sees it (decide.py)."""
        live = next((r for r in self.of(synced).rows.get(str(pk), []) if not r.deleted), None)
        return Server(
            values=self.theirs(synced, pk),
            version=self.version(synced, pk),
            hlc=live.hlc if live is not None else "",
            edit_kind=live.edit_kind if live is not None else "",
        )

    def policy(self, synced: SyncedModel, pk) -> str:
        if pk is None:
            return synced.policy
        return self.of(synced).flags.get(str(pk)) or synced.policy

    def wrote(self, synced: SyncedModel, pk) -> None:
        self.touched.add((synced.label, str(pk)))

    def stale(self, synced: SyncedModel, pk) -> bool:
        """Written since it was read (by this batch, its signals or cascades), or
        never read (a key found through a temporary id)."""
        known = self.of(synced)
        unread = str(pk) not in known.rows and str(pk) not in known.instances
        return unread or (synced.label, str(pk)) in self.touched

    def reread(self, synced: SyncedModel, pk) -> None:
        """Read a record again once the batch's writes so far are tracked."""
        known = self.of(synced)
        instance = own_rows(synced).select_for_update().filter(pk=pk).first()
        content_type = ContentType.objects.get_for_model(synced.model)
        known.rows[str(pk)] = list(
            TrackedRow.objects.filter(content_type=content_type, object_pk=str(pk))
        )
        known.instances.pop(str(pk), None)
        known.theirs.pop(str(pk), None)
        if instance is not None:
            known.instances[str(pk)] = instance
            known.theirs[str(pk)] = synced.values_of(instance)
        self.touched.discard((synced.label, str(pk)))


def _chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _side_rows(content_type, pks: list[str], lock: bool) -> dict[str, list[TrackedRow]]:
    """The side-table entries of these records (locked once their feeds are)."""
    found: dict[str, list[TrackedRow]] = {}
    for chunk in _chunks(pks):
        rows = TrackedRow.objects.filter(content_type=content_type, object_pk__in=chunk)
        if lock:
            rows = rows.select_for_update(of=("self",))
        for row in rows.select_related("changed_by", "changed_by_device"):
            found.setdefault(row.object_pk, []).append(row)
    return found
