"""Applying what the server says to the local store: feed pages and push answers.

Each function runs inside the caller's transaction, so a page of the feed
and the category's cursor, or a push answer and the queue entries it
settles, are committed together or not at all. A record with local edits is
never overwritten: a newer server version is merged into it (merge.py, the
same rules as the server's), or becomes a conflict the editor resolves.
"""

from __future__ import annotations

from collections import Counter

from django.utils import timezone

from server_plugin.protocol import merge, wire

from ..store.bulk import insert_rows, preparer, update_rows
from ..store.models import Category, Conflict, PendingChange, Record
from ..store.references import rewrite_references
from ..store.schema import ModelSchema, Schema
from .schema_change import only_known

_LOOKUP_CHUNK = 500
_PULLED_FIELDS = [
    "values", "base_version", "base_values", "title", "category_key", "conflicted", "pending",
    "updated_at",
]  # fmt: skip


def _chunks(items: list, size: int = _LOOKUP_CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


# -- pulling -------------------------------------------------------------------


def apply_feed_page(
    schema: Schema, category: Category | None, page: dict, again: bool = False
) -> dict:
    """Apply one page of a feed; returns counts {"new", "updated", "deleted", "conflicts"}.

    `again`: the page is read again below the cursor (rights that widened, fields the
    schema gained): a record held here at the same version, without local work, takes
    the server's values anew."""
    counts = {"new": 0, "updated": 0, "deleted": 0, "conflicts": 0}
    by_model: dict[str, list[dict]] = {}
    for change in page["changes"]:
        by_model.setdefault(change["model"], []).append(change)
    prepare_json, now = preparer(Record, "values"), None
    for label, changes in by_model.items():
        if label not in schema.models:
            continue  # a model this user may not see, or one added since the schema was read
        model = schema.models[label]
        key = None if model.reference else (category.key if category else None)
        existing = {}
        for chunk in _chunks([str(c["pk"]) for c in changes]):
            for record in Record.objects.filter(model=label, object_pk__in=chunk):
                existing[record.object_pk] = record
        new: dict[str, tuple] = {}  # pk -> the row to insert, prepared for the database
        changed = []
        for change in changes:
            pk = str(change["pk"])
            if pk in new:  # named again in this page: written first, then held like any other
                insert_rows(Record, _NEW_FIELDS, list(new.values()))
                new.clear()
                existing[pk] = Record.objects.get(model=label, object_pk=pk)
            record = existing.get(pk)
            if record is None and not change.get("deleted"):
                now = now or preparer(Record, "updated_at")(timezone.now())
                new[pk] = _new_row(model, key, pk, change, now, prepare_json)
                counts["new"] += 1
                continue
            outcome = _apply_change(model, category, record, change, counts, again)
            if record is not None and record.pk is None:  # deleted: a later change makes it anew
                del existing[pk]
            if outcome is not None:
                changed.append(outcome)
        insert_rows(Record, _NEW_FIELDS, list(new.values()))
        update_rows(Record, changed, _PULLED_FIELDS)
    return counts


# A record new to this store, as one row: its values are encoded once, for both
# `values` and `base_values` (on a pull they are the same), as save() would.
_NEW_FIELDS = ["model", "object_pk", "category_key", "values", "base_version", "base_values",
               "title", "deleted", "pending", "conflicted", "updated_at"]  # fmt: skip


def _new_row(model: ModelSchema, key, pk: str, change: dict, now, prepare_json) -> tuple:
    theirs = change["fields"]
    values = prepare_json(theirs)
    return (model.label, pk, key, values, change["version"], values, model.title_of(theirs),
            False, False, False, now)  # fmt: skip


def _apply_change(
    model: ModelSchema, category, record: Record | None, change: dict, counts, again=False
):
    """A change to a record this store holds (or a deletion of one it may not hold)."""
    key = None if model.reference else (category.key if category else None)
    version = change["version"]
    if change.get("deleted"):
        if record is None:
            return None
        if record.base_version is not None and version <= record.base_version:
            # Not a deletion but the row leaving this feed for another category
            # we hold, at a version we already have (e.g. a page given other sites).
            return None
        if record.pending or record.conflicted:
            if record.deleted:  # deleted on both sides: agreed
                record.delete()
                counts["deleted"] += 1
                return None
            _conflict(record, None, version, counts)
            return record
        record.delete()
        counts["deleted"] += 1
        return None

    theirs = change["fields"]
    if record.base_version is not None and version <= record.base_version:
        untouched = not (record.pending or record.conflicted)
        if not (again and version == record.base_version and untouched):
            return None  # already have it (often our own push coming back)
    if record.conflicted:
        # The server moved again: the conflict is now against this newer version.
        merged = merge.three_way_merge(
            record.base_values, record.values, theirs, model.field_types()
        )
        _conflict(record, theirs, version, counts, merged)
        return record
    if record.pending:
        on_its_way = record.changes.exclude(payload__isnull=True)
        if on_its_way.exclude(state=PendingChange.REJECTED).exists():
            # The engine pushes before it pulls; reaching here would skip a version.
            # (A refused change keeps its payload but is answered: the server's new
            # version merges under it like under any unsent edit.)
            raise RuntimeError(f"{record} has a change sent but unanswered; push first")
        if record.deleted:
            return None  # the queued delete goes with its old base: the server decides
        merged = merge.three_way_merge(
            record.base_values, record.values, theirs, model.field_types()
        )
        if not merged.clean:
            _conflict(record, theirs, version, counts, merged)
            return record
        record.values = {**theirs, **merged.values}
    else:
        record.values = theirs
    record.base_version, record.base_values = version, theirs
    record.title = model.title_of(record.values)
    record.category_key = key if key is not None else record.category_key
    record.updated_at = timezone.now()
    counts["updated"] += 1
    return record


def _conflict(record: Record, theirs, version, counts, merged=None) -> None:
    """Turn the record's unsent edits into a conflict against the server's new state."""
    kinds_fields = {}
    if merged is not None:
        kinds_fields = {name: c.to_json() for name, c in merged.conflicts.items()}
    elif theirs is None:
        changed = merge.changed_fields(record.base_values, record.values, {})
        kinds_fields = {
            name: merge.FieldConflict(record.base_values.get(name), value, None).to_json()
            for name, value in changed.items()
        }
    op = PendingChange.DELETE if record.deleted else PendingChange.UPDATE
    existing = record.conflicts.filter(resolved_at__isnull=True).first()
    if existing is not None:
        existing.theirs, existing.theirs_version = theirs, version
        if merged is not None or theirs is None:
            existing.fields = kinds_fields
        existing.save()
    else:
        Conflict.objects.create(
            record=record,
            op=op,
            base_version=record.base_version,
            base_values=record.base_values,
            mine=record.values,
            theirs=theirs,
            theirs_version=version,
            fields=kinds_fields,
        )
        counts["conflicts"] += 1
    record.changes.filter(payload__isnull=True).delete()
    record.conflicted = True
    record.pending = False


# -- pushing -------------------------------------------------------------------


def freeze(schema: Schema, entry: PendingChange) -> dict | None:
    """The exact change to send for an entry; None when there is nothing left to say."""
    if entry.payload is not None:
        return entry.payload
    record = entry.record
    model = schema.get(record.model)
    change = wire.Change(
        id=str(entry.change_id),
        op=entry.op,
        model=record.model,
        pk=_wire_pk(model, record.object_pk),
        category=record.category_key,
        edit_kind=entry.edit_kind or None,
        hlc=entry.hlc or None,
    )
    if entry.op == PendingChange.CREATE:
        change.values = record.values
    elif entry.op == PendingChange.UPDATE:
        change.values = merge.changed_fields(record.base_values, record.values, model.field_types())
        if not change.values:
            return None
        change.base_version = record.base_version
        change.base_values = {name: record.base_values.get(name) for name in change.values}
    else:
        change.base_version = record.base_version
    return change.to_json()


def _wire_pk(model: ModelSchema, pk: str):
    if model.integer_pk and not wire.is_temp_pk(pk):
        return int(pk)
    return pk


def lost_edits(entries: list, results: list) -> list[str]:
    """Edits a conflict policy decided against (kept in the central history), in words:
    the editor must hear of them, not read "merged"."""
    return [
        f"{entry.record.title or entry.record.object_pk}: {result.get('message', 'it lost')}"
        for entry, result in zip(entries, results, strict=True)
        if result.get("lost")
    ]


def apply_push_result(schema: Schema, entry: PendingChange, result: dict) -> str:
    """Settle one queue entry with the server's answer; returns the status."""
    status = result["status"]
    record = entry.record
    model = schema.get(record.model)
    if status in (wire.APPLIED, wire.MERGED):
        _settle_applied(schema, model, entry, record, result)
    elif status == wire.CONFLICT:
        _settle_conflict(entry, record, result)
    elif status == wire.REJECTED and entry.op == PendingChange.CREATE and record.deleted:
        record.delete()  # created nowhere, deleted here since: nothing is left to say
    elif status == wire.REJECTED:
        entry.state = PendingChange.REJECTED
        entry.errors = result.get("errors", {})
        entry.last_error = result.get("message") or "rejected by the server"
        entry.save(update_fields=["state", "errors", "last_error"])
    elif status == wire.NEEDS_FILES:  # stays queued and frozen: sent again once its files are up
        entry.last_error = "its files did not reach the server yet; the next sync sends them"
        entry.save(update_fields=["last_error"])
    elif status == wire.REVIEW:
        entry.state = PendingChange.REVIEW
        entry.last_error = result.get("message") or "waiting for a chief editor's review"
        entry.save(update_fields=["state", "last_error"])
    return status


def apply_review_outcome(schema: Schema, entry: PendingChange, outcome: dict) -> str | None:
    """Settle an entry that waited for a chief editor; returns what happened, if anything."""
    if outcome.get("status") == "accepted":
        apply_push_result(schema, entry, outcome["result"])
        return "review accepted"
    if outcome.get("status") == "rejected":
        who = outcome.get("decided_by") or "a chief editor"
        entry.state = PendingChange.REJECTED
        entry.last_error = f"rejected by {who}: {outcome.get('reason', '')}"
        entry.save(update_fields=["state", "last_error"])
        return "review rejected"
    return None


def _settle_applied(schema, model, entry, record, result) -> None:
    if result.get("deleted"):
        record.delete()
        return
    if result.get("temp_pk") and str(result["pk"]) != record.object_pk:
        replace_temp_pk(schema, model, record, result["temp_pk"], str(result["pk"]))
    _take_result(model, entry, record, result)
    entry.delete()
    record.pending = record.changes.exists()
    record.save()


def _take_result(model, entry, record, result) -> None:
    """The server's state becomes the record's base; later local edits stay on top."""
    theirs = only_known(model, result.get("values") or {})  # a receipt may predate the schema
    sent = entry.payload or {}
    sent_state = {**record.base_values, **sent.get("values", {})}
    later = merge.changed_fields(sent_state, record.values, model.field_types())
    record.values = {**theirs, **later}
    record.base_version = result.get("version")
    record.base_values = theirs
    record.title = model.title_of(record.values)
    if result.get("category") is not None and not model.reference:
        record.category_key = str(result["category"])


_SETTLED_FIELDS = ["values", "base_version", "base_values", "title", "category_key", "pending"]


def apply_push_results(schema: Schema, entries: list, results: list) -> Counter:
    """Settle a batch of answers; the usual case (applied in place) in bulk."""
    statuses: Counter = Counter()
    plain = []
    for entry, result in zip(entries, results, strict=True):
        status = result["status"]
        record = entry.record
        renamed = result.get("temp_pk") and str(result["pk"]) != record.object_pk
        if status in (wire.APPLIED, wire.MERGED) and not result.get("deleted") and not renamed:
            _take_result(schema.get(record.model), entry, record, result)
            plain.append(entry)
            statuses[status] += 1
        else:
            statuses[apply_push_result(schema, entry, result)] += 1
    if plain:
        PendingChange.objects.filter(pk__in=[entry.pk for entry in plain]).delete()
        records = [entry.record for entry in plain]
        waiting = set(
            PendingChange.objects.filter(record_id__in=[r.pk for r in records]).values_list(
                "record_id", flat=True
            )
        )
        for record in records:
            record.pending = record.pk in waiting
        update_rows(Record, records, _SETTLED_FIELDS)
    return statuses


def _settle_conflict(entry, record, result) -> None:
    entry.delete()
    theirs = None if result.get("deleted") else result.get("values")
    Conflict.objects.create(
        record=record,
        change_id=entry.change_id,
        op=entry.op,
        base_version=record.base_version,
        base_values=record.base_values,
        mine=record.values,
        theirs=theirs,
        theirs_version=result.get("version"),
        fields=result.get("conflicts", {}),
    )
    record.changes.filter(payload__isnull=True).delete()
    record.conflicted = True
    record.pending = record.changes.exists()
    record.save()


def replace_temp_pk(schema: Schema, model: ModelSchema, record: Record, temp: str, final: str):
    """Rewrite a temporary id everywhere it is used locally: the record and references."""
    record.object_pk = final
    final_value = int(final) if model.integer_pk else final
    rewrite_references(schema, model.label, temp, final_value, unsent_only=False)
