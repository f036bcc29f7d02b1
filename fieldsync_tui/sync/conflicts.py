"""Resolving a conflict: take mine, take theirs, take the suggested merge, or edit.

Whatever the editor chooses becomes the record's value on top of the
server's version (the conflict's "theirs"): the record is re-based on that
version and, if the result differs from the server's, a change is queued
against it — so the next push is a plain fast-forward, not a new conflict.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from server_plugin.protocol import merge, wire

from ..store.models import Conflict, PendingChange, Record
from ..store.references import rewrite_references
from ..store.schema import ModelSchema, Schema

MINE, THEIRS, MERGE = "mine", "theirs", "merge"
CHOICES = (MINE, THEIRS, MERGE)


class ResolveError(ValueError):
    pass


def open_conflicts():
    return Conflict.objects.filter(resolved_at__isnull=True).select_related("record")


def proposed_values(schema: Schema, conflict: Conflict, take: str, edited: dict | None = None):
    """The record's values after resolving `conflict` this way (nothing written)."""
    if take not in CHOICES:
        raise ResolveError(f"take must be one of {', '.join(CHOICES)}")
    if conflict.theirs is None:  # deleted on the server
        if take == THEIRS:
            return None
        model = schema.get(conflict.record.model)
        result = dict(conflict.mine)
        for name, value in (edited or {}).items():
            model.field(name).validate(value)
            result[name] = value
        return result
    model = schema.get(conflict.record.model)
    kinds = model.field_types()
    merged = merge.three_way_merge(conflict.base_values, conflict.mine, conflict.theirs, kinds)
    result = {**conflict.theirs, **merged.values}
    for name, detail in conflict.fields.items():
        if take == MINE:
            result[name] = detail["mine"]
        elif take == THEIRS:
            result[name] = detail["theirs"]
        else:
            suggestion = detail.get("suggestion")
            if suggestion is None:
                raise ResolveError(
                    f"there is no suggested merge for {name}; take mine or theirs, or edit it"
                )
            result[name] = suggestion
    if take == THEIRS and conflict.op == PendingChange.DELETE:
        result = dict(conflict.theirs)  # a refused delete: keep the server's record
    for name, value in (edited or {}).items():
        model.field(name).validate(value)
        result[name] = value
    return result


def resolve(
    schema: Schema, conflict_id: int, take: str, edited: dict | None = None
) -> Record | None:
    with transaction.atomic():
        conflict = (
            Conflict.objects.select_related("record")
            .filter(pk=conflict_id, resolved_at__isnull=True)
            .first()
        )
        if conflict is None:
            raise ResolveError(f"no open conflict {conflict_id}")
        record = conflict.record
        model = schema.get(record.model)
        if conflict.theirs is None and take != THEIRS:
            _renumber_to_create_again(schema, model, record)
            conflict.refresh_from_db()
        values = proposed_values(schema, conflict, take, edited)
        conflict.resolved_at = timezone.now()
        conflict.save(update_fields=["resolved_at"])
        record.conflicted = False

        if conflict.theirs is None:
            if values is None:  # accept the server's deletion
                record.delete()
                return None
            # Keep mine: it no longer exists there, so it is created again
            # (under a temporary id if the server numbers its records).
            record.base_version, record.base_values = None, {}
            record.values, record.deleted = values, False
            _queue(record, PendingChange.CREATE)
        elif conflict.op == PendingChange.DELETE and take == MINE:
            record.base_version, record.base_values = conflict.theirs_version, conflict.theirs
            record.values = conflict.theirs
            _queue(record, PendingChange.DELETE)
        else:
            record.base_version, record.base_values = conflict.theirs_version, conflict.theirs
            record.values, record.deleted = values, False
            kinds = model.field_types()
            if merge.changed_fields(conflict.theirs, values, kinds):
                _queue(record, PendingChange.UPDATE)
        record.title = model.title_of(record.values)
        record.pending = record.changes.exists()
        record.save()
        return record


def _renumber_to_create_again(schema: Schema, model: ModelSchema, record: Record) -> None:
    """Give a record the server deleted a temporary id, so it can be created again.

    The server makes integer ids and refuses a create that names one; the
    editor's own work pointing at the old id (queued edits, open conflicts)
    follows the record to its new id. A UUID or natural key is kept: the
    record is created again under the id it had.
    """
    if not model.integer_pk or wire.is_temp_pk(record.object_pk):
        return
    old, new = record.object_pk, wire.new_temp_pk()
    record.object_pk = new
    Record.objects.filter(pk=record.pk).update(object_pk=new)
    rewrite_references(schema, model.label, old, new)


def _queue(record: Record, op: str) -> None:
    record.changes.filter(payload__isnull=True).delete()
    PendingChange.objects.create(record=record, op=op)
    if op == PendingChange.DELETE:
        record.deleted = True
