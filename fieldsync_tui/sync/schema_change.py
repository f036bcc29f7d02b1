"""Carrying the local store over to a new schema of the central site.

Sites deploy migrations, leave fields out of sync, withdraw models, while
editors hold queued work offline. On the first sync after such a change the
store follows the new schema before anything is pushed, so nothing is
refused only because the schema moved, and nothing typed is lost silently:

- A field the site no longer has leaves every local record, base, queued
  change and open conflict; what the editor had typed in it is first
  written to a set-aside file (store/set_aside.py) naming the reason.
- A field it gained: a record created here whose creation is still open
  takes the field's default (a default only the server can make is left
  out, so the server makes it). Rows the server already has take the
  server's values, read again on the same sync (the engine's pull-again
  note, `models_with_new_fields`): only the server knows what its migration
  put in them (a default, a copy of a renamed field, a computed value).
- A model it no longer lists (removed, or the editor's right to view it
  withdrawn): its records leave the store, their unsent work set aside.
- A field removed and one added of the same type are told as exactly that,
  never guessed to be a rename.

Changes already sent (frozen) keep their change id, and the fields the site
no longer has are dropped from them. That is safe whatever the server did
with the first send: it answers an id it holds a receipt for from that
receipt, whatever the content, and checks and applies only ids it never
took — so a dropped field can neither make a change apply twice nor alter
what was applied. A sent update left with nothing to say is dropped (if the
server took it, its newer version arrives with the pull). A change the
server refused only for fields it no longer has is queued again, open, under
a new id: a refused change wrote nothing, and a fresh id keeps the server
from answering it with the old refusal.

`schema_diff` and the helpers below it are pure; `carry_over` applies them
to the store inside the caller's transaction (the one that saves the new
schema), so a crash leaves either the old schema and store or both new — at
worst a set-aside file written twice, never none.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import Q

from server_plugin.protocol import merge
from server_plugin.protocol.fields import FieldType

from ..store.bulk import update_rows
from ..store.models import Conflict, PendingChange, Record
from ..store.schema import SERVER_DEFAULT, FieldSchema, ModelSchema, Schema
from ..store.set_aside import folder as set_aside_folder
from ..store.set_aside import set_aside
from . import conflicts as conflict_resolution

_EMPTY = (None, "", [], {})
_CHUNK = 2000
_UNKNOWN_FIELD = re.compile(r"has no synced field (.+)$")

# -- what changed (pure) -----------------------------------------------------------


@dataclass(frozen=True)
class ModelChange:
    """How one model the store holds changed between two schemas."""

    label: str
    name: str  # its verbose name, for the editor
    removed: tuple[dict, ...] = ()  # the old descriptions of fields it no longer has
    added: tuple[dict, ...] = ()  # the new descriptions of fields it gained
    retyped: tuple[tuple[dict, dict], ...] = ()  # (old, new) of a field of another type now

    @property
    def removed_names(self) -> frozenset[str]:
        return frozenset(f["name"] for f in self.removed)

    @property
    def added_names(self) -> tuple[str, ...]:
        return tuple(f["name"] for f in self.added)


@dataclass(frozen=True)
class SchemaDiff:
    removed_models: tuple[dict, ...] = ()  # old descriptions of models no longer listed
    changed: tuple[ModelChange, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.removed_models or self.changed)


def _models(data: dict | None) -> dict[str, dict]:
    return {m["label"]: m for m in (data or {}).get("models", ())}


def _kind_of(described: dict) -> tuple:
    """What must match for two fields to hold the same kind of values."""
    return (described.get("type"), described.get("related_model"), bool(described.get("many")))


def schema_diff(old: dict | None, new: dict | None) -> SchemaDiff:
    """What the store must follow going from schema `old` to `new` (both as the
    server sends them). Models `new` gains are not here: the engine reads them
    (rights that widened); an empty `old` (the first schema) changes nothing."""
    before, after = _models(old), _models(new)
    if not before:
        return SchemaDiff()
    removed_models = tuple(before[label] for label in before if label not in after)
    changed = []
    for label, old_model in before.items():
        if label not in after:
            continue
        old_fields = {f["name"]: f for f in old_model.get("fields", ())}
        new_fields = {f["name"]: f for f in after[label].get("fields", ())}
        change = ModelChange(
            label=label,
            name=after[label].get("verbose_name") or label,
            removed=tuple(f for name, f in old_fields.items() if name not in new_fields),
            added=tuple(f for name, f in new_fields.items() if name not in old_fields),
            retyped=tuple(
                (old_fields[name], f)
                for name, f in new_fields.items()
                if name in old_fields and _kind_of(old_fields[name]) != _kind_of(f)
            ),
        )
        if change.removed or change.added or change.retyped:
            changed.append(change)
    return SchemaDiff(removed_models, tuple(changed))


def models_with_new_fields(old: dict | None, new: dict | None) -> set[str]:
    """Models both schemas list whose fields `new` extends: the rows the store
    holds of them must be read again to learn the server's values of those fields."""
    return {change.label for change in schema_diff(old, new).changed if change.added}


def look_alike_pairs(change: ModelChange) -> list[tuple[str, str]]:
    """(removed, added) field names of one kind of value in one schema change:
    perhaps a rename, perhaps not — told to the editor as both facts, never merged."""
    return [
        (gone["name"], new["name"])
        for gone in change.removed
        for new in change.added
        if _kind_of(gone) == _kind_of(new)
    ]


def typed_values(
    base_version: int | None,
    base_values: dict,
    values: dict,
    names: frozenset[str] | set[str],
    types: dict[str, FieldType],
) -> dict:
    """The values of fields `names` the editor typed: of a record created here,
    every non-empty one; of a synced record, those that differ from its base
    (compared by value, as `types` say)."""
    found = {name: values[name] for name in names if name in values}
    if base_version is None:
        return {name: value for name, value in found.items() if value not in _EMPTY}
    base = {name: base_values[name] for name in found if name in base_values}
    return merge.changed_fields(base, found, types)


def without_fields(payload: dict, names: frozenset[str] | set[str]) -> dict:
    """A frozen change with fields `names` dropped, under the same id (see the
    module's docstring for why that is safe)."""
    result = dict(payload)
    for part in ("values", "base_values"):
        if isinstance(payload.get(part), dict):
            result[part] = {k: v for k, v in payload[part].items() if k not in names}
    return result


def says_nothing(payload: dict) -> bool:
    """An update with no values left: there is nothing to send."""
    return payload.get("op") == PendingChange.UPDATE and not payload.get("values")


def refused_only_for(errors: dict, last_error: str, names: frozenset[str] | set[str]) -> bool:
    """True when a refusal names only fields in `names` (those the site removed):
    field errors on nothing else, or the push's "has no synced field 'x'"."""
    if errors:
        return set(errors) <= set(names)
    found = _UNKNOWN_FIELD.search(last_error or "")
    if not found:
        return False
    named = set(re.findall(r"'([^']+)'", found.group(1)))
    return bool(named) and named <= set(names)


def new_record_defaults(added: tuple[dict, ...] | list[dict]) -> dict:
    """The values a new record takes for fields the schema gained, as `Model()`
    would make them; a default only the server can make is left out."""
    values = {}
    for described in added:
        value = FieldSchema.from_json(described).empty_value()
        if value is not SERVER_DEFAULT:
            values[described["name"]] = value
    return values


def only_known(model: ModelSchema, values: dict) -> dict:
    """`values` without fields the model's schema does not list (e.g. an answer the
    server kept in its receipt from before a field was removed)."""
    names = {f.name for f in model.fields}
    return {name: value for name, value in values.items() if name in names}


# -- what happened, in words (pure) ----------------------------------------------


@dataclass
class ModelOutcome:
    """What carrying one model over did, for the editor to read."""

    change: ModelChange | None  # None: the model itself is gone
    label: str
    name: str
    files: list[Path] = field(default_factory=list)  # set-aside files written
    files_of: dict[str, list[Path]] = field(default_factory=dict)  # removed field -> its files
    records_left: int = 0  # a removed model's records that left the store
    requeued: int = 0  # refused changes queued again without the removed fields
    merged: list[str] = field(default_factory=list)  # conflicts that were only about removed
    new_records: int = 0  # open creations that took the new fields' defaults
    required_missing: list[str] = field(default_factory=list)  # new fields they must fill in


def _names(names) -> str:
    quoted = [f"“{name}”" for name in names]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _count(number: int, word: str) -> str:
    return f"{number} {word}" + ("" if number == 1 else "s")


def _where(files: list[Path], folder: Path) -> str:
    if len(files) == 1:
        return str(files[0])
    return f"{len(files)} files in {folder}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def describe(outcomes: list[ModelOutcome], folder: Path) -> list[str]:
    """Sentences for the editor (`sync`, the app): per model, what went, what came,
    and where the values taken out of records are."""
    notices = []
    for outcome in outcomes:
        if outcome.change is None:
            left = _count(outcome.records_left, "record")
            text = (
                f"The central site no longer lists {outcome.name} ({outcome.label}) for you "
                f"(removed, or your right to it withdrawn): {left} left this store"
            )
            if outcome.files:
                text += f"; your unsent work on them is in {_where(outcome.files, folder)}"
            notices.append(text + ".")
        else:
            notices.extend(_field_notices(outcome, outcome.change, folder))
    return notices


def _field_notices(outcome: ModelOutcome, change: ModelChange, folder: Path) -> list[str]:
    name = _cap(outcome.name)
    notices = []

    def where(names) -> str:
        files = sorted({path for n in names for path in outcome.files_of.get(n, ())})
        return _where(files, folder) if files else ""

    pairs = look_alike_pairs(change)
    for gone, new in pairs:
        text = f"{name}: “{gone}” was removed and “{new}” added"
        if where([gone]):
            text += f"; “{gone}”'s values were set aside in {where([gone])}"
        notices.append(text + f"; “{new}” shows the central site's values.")
    paired = {gone for gone, _ in pairs} | {new for _, new in pairs}
    others = [f["name"] for f in change.removed if f["name"] not in paired]
    if others:
        noun = "field" if len(others) == 1 else "fields"
        text = f"The central site no longer has the {noun} {_names(others)} of {outcome.name}"
        if where(others):
            text += f"; your values were set aside in {where(others)}"
        notices.append(text + ".")
    gained = [name for name in change.added_names if name not in paired]
    if gained:
        noun = "a new field" if len(gained) == 1 else "new fields"
        text = f"{name} has {noun} {_names(gained)}"
        if outcome.new_records:
            text += (
                "; your new record starts from "
                if outcome.new_records == 1
                else f"; your {outcome.new_records} new records start from "
            )
            text += "its default" if len(gained) == 1 else "their defaults"
        notices.append(text + ".")
    if outcome.required_missing and outcome.new_records:
        notices.append(
            f"{name}: fill in {_names(outcome.required_missing)} on your new records: "
            "the central site requires it now."
        )
    for old, new in change.retyped:
        notices.append(
            f"{name}: “{new['name']}” now holds {new.get('type')} values (was "
            f"{old.get('type')}); your queued values of it go as they are, and the central "
            "site checks them."
        )
    if outcome.requeued:
        notices.append(
            f"{name}: {_count(outcome.requeued, 'change')} the central site refused for a field "
            f"it no longer has {'is' if outcome.requeued == 1 else 'are'} queued again without it."
        )
    for title in outcome.merged:
        notices.append(
            f"The conflict on {outcome.name} “{title}” was only about a field the central site "
            "no longer has: your other edits were merged and queued."
        )
    return notices


# -- the store follows (in the caller's transaction) -----------------------------


def carry_over(old: dict | None, new: dict) -> list[str]:
    """Bring the local store from schema `old` to `new`; returns what to tell the
    editor. Runs inside the caller's transaction, before the new schema is saved."""
    diff = schema_diff(old, new)
    if not diff:
        return []
    new_schema = Schema(new)
    outcomes = [_drop_model(described) for described in diff.removed_models]
    for change in diff.changed:
        old_model = ModelSchema.from_json(_models(old)[change.label])
        outcome = ModelOutcome(change, change.label, change.name)
        if change.removed:
            _drop_fields(old_model, new_schema, change, outcome)
        if change.added:
            _default_new_records(new_schema.models[change.label], change, outcome)
        outcomes.append(outcome)
    return describe(outcomes, set_aside_folder())


def _types(model: ModelSchema, names) -> dict[str, FieldType]:
    types = {}
    for described in model.fields:
        if described.name in names:
            try:
                types[described.name] = described.ftype
            except LookupError:  # a type this client does not know: compared as JSON
                continue
    return types


def _with_work(label: str) -> set[int]:
    """Ids of the model's records that hold the editor's unsent work."""
    ids = set(
        Record.objects.filter(model=label)
        .filter(Q(pending=True) | Q(conflicted=True) | Q(base_version__isnull=True))
        .values_list("id", flat=True)
    )
    entries = PendingChange.objects.filter(record__model=label)
    ids |= set(entries.values_list("record_id", flat=True))
    conflicts = Conflict.objects.filter(record__model=label, resolved_at__isnull=True)
    ids |= set(conflicts.values_list("record_id", flat=True))
    return ids


def _typed_by_editor(record: Record, conflict: Conflict | None, names, types) -> dict:
    """What the editor typed in fields `names` of a record: its unsent values,
    and those of its open conflict."""
    typed = {}
    if conflict is not None:
        typed.update(typed_values(conflict.base_version, conflict.base_values, conflict.mine,
                                  names, types))  # fmt: skip
    typed.update(typed_values(record.base_version, record.base_values, record.values,
                              names, types))  # fmt: skip
    return typed


def _drop_model(described: dict) -> ModelOutcome:
    label = described["label"]
    model = ModelSchema.from_json(described)
    outcome = ModelOutcome(None, label, described.get("verbose_name") or label)
    reason = f"the central site no longer lists the model {label} for this editor"
    types = _types(model, {f.name for f in model.fields})
    for record in Record.objects.filter(pk__in=_with_work(label)).order_by("id"):
        conflict = record.conflicts.filter(resolved_at__isnull=True).first()
        names = set(record.values) | set(conflict.mine if conflict is not None else ())
        typed = _typed_by_editor(record, conflict, names, types)
        change = PendingChange.CREATE if record.base_version is None else PendingChange.UPDATE
        change = PendingChange.DELETE if record.deleted else change
        base = {name: record.base_values.get(name) for name in typed}
        path = set_aside(record, typed, reason, change=change, base_values=base)
        outcome.files.append(path)
    outcome.records_left = Record.objects.filter(model=label).count()
    Record.objects.filter(model=label).delete()  # their queue entries and conflicts go too
    return outcome


def _drop_fields(old_model: ModelSchema, schema: Schema, change: ModelChange, outcome) -> None:
    removed = change.removed_names
    model = schema.models[change.label]
    reason = f"the central site no longer has the field {_names(sorted(removed))} of {change.label}"
    types = _types(old_model, removed)
    work = _with_work(change.label)
    plain = Record.objects.filter(model=change.label).exclude(pk__in=work)
    batch = []
    for record in plain.iterator(chunk_size=_CHUNK):
        if removed & (record.values.keys() | record.base_values.keys()):
            _strip_record(record, removed, model)
            batch.append(record)
        if len(batch) >= _CHUNK:
            update_rows(Record, batch, ["values", "base_values", "title"])
            batch = []
    update_rows(Record, batch, ["values", "base_values", "title"])
    merged_conflicts = []
    for record in Record.objects.filter(pk__in=work).order_by("id"):
        conflict = record.conflicts.filter(resolved_at__isnull=True).first()
        typed = _typed_by_editor(record, conflict, removed, types)
        if typed:
            base = {name: record.base_values.get(name) for name in typed}
            path = set_aside(record, typed, reason, fields=sorted(typed), base_values=base)
            outcome.files.append(path)
            for name in typed:
                outcome.files_of.setdefault(name, []).append(path)
        _strip_record(record, removed, model)
        record.save(update_fields=["values", "base_values", "title"])
        _strip_entries(record, removed, outcome)
        if conflict is not None and _strip_conflict(conflict, removed):
            merged_conflicts.append((conflict.pk, record.title or record.object_pk))
    for conflict_id, title in merged_conflicts:
        conflict_resolution.resolve(schema, conflict_id, conflict_resolution.MERGE)
        outcome.merged.append(title)


def _without(values: dict | None, names) -> dict | None:
    if values is None:
        return None
    return {k: v for k, v in values.items() if k not in names}


def _strip_record(record: Record, removed, model: ModelSchema) -> None:
    record.values = _without(record.values, removed)
    record.base_values = _without(record.base_values, removed)
    record.title = model.title_of(record.values)


def _strip_entries(record: Record, removed, outcome: ModelOutcome) -> None:
    entries = list(record.changes.order_by("id"))
    has_open = any(e.payload is None and e.state == PendingChange.QUEUED for e in entries)
    for entry in entries:
        refused = entry.state == PendingChange.REJECTED and refused_only_for(
            entry.errors, entry.last_error, removed
        )
        if entry.payload is not None:
            entry.payload = without_fields(entry.payload, removed)
            if says_nothing(entry.payload) and entry.state == PendingChange.QUEUED:
                entry.delete()  # a sent update of removed fields only: nothing left to say
                continue
        entry.errors = _without(entry.errors, removed)
        if refused and has_open:
            entry.delete()  # a later edit's open entry carries the record as it is now
            outcome.requeued += 1
            continue
        if refused:  # wrote nothing on the server: open again, under a new id
            entry.change_id, entry.payload, entry.state = uuid.uuid4(), None, PendingChange.QUEUED
            entry.errors, entry.last_error, entry.attempts = {}, "", 0
            has_open = True
            outcome.requeued += 1
        entry.save()
    record.pending = record.changes.exists()
    record.save(update_fields=["pending"])


def _strip_conflict(conflict: Conflict, removed) -> bool:
    """Drop the removed fields from an open conflict; True when it was only about
    them and the server still has the record: what is left merges cleanly."""
    was_about = set(conflict.fields)
    conflict.mine = _without(conflict.mine, removed)
    conflict.base_values = _without(conflict.base_values, removed)
    conflict.theirs = _without(conflict.theirs, removed)
    conflict.fields = _without(conflict.fields, removed)
    conflict.save(update_fields=["mine", "base_values", "theirs", "fields"])
    return (
        bool(was_about)
        and not conflict.fields
        and conflict.theirs is not None
        and conflict.op == PendingChange.UPDATE
    )


def _default_new_records(model: ModelSchema, change: ModelChange, outcome) -> None:
    """Records created here whose creation is not sent yet take the new fields'
    defaults; a creation already sent lets the server fill them in."""
    defaults = new_record_defaults(change.added)
    required = [
        f["name"]
        for f in change.added
        if not f.get("blank") and "default" not in f and "default_callable" not in f
    ]
    sent = PendingChange.objects.filter(record__model=change.label, payload__isnull=False).exclude(
        state=PendingChange.REJECTED
    )
    records = Record.objects.filter(model=change.label, base_version__isnull=True).exclude(
        pk__in=sent.values("record_id")
    )
    batch = []
    for record in records:
        record.values = {**defaults, **record.values}
        record.title = model.title_of(record.values)
        batch.append(record)
    update_rows(Record, batch, ["values", "title"])
    outcome.new_records = len(batch)
    outcome.required_missing = required
