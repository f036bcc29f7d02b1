"""Local edits: each writes the record and its sync-queue entry in one transaction.

A crash at any moment therefore leaves either the old record and no entry,
or the new record and its entry: an edit is never saved without being
queued, nor queued without being saved. Values are validated against the
schema first; a bad value is refused with the field named and nothing is
written.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from server_plugin.protocol import fields as field_table
from server_plugin.protocol import hlc, merge, wire
from server_plugin.protocol.fields import FieldValueError

from .models import Account, Category, PendingChange, Record
from .references import referring_records
from .schema import SERVER_DEFAULT, FieldError, ModelSchema, Schema


class EditError(ValueError):
    """An edit refused before anything was written; `errors` maps field -> message."""

    def __init__(self, message: str, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.errors = errors or {}


def find_record(schema: Schema, model: str, pk: Any) -> Record:
    """The record of `model` with key `pk`, spelled any way the key's type reads it
    (a UUID in capitals or braces, as values take it)."""
    model_schema = schema.get(model)
    label = model_schema.label
    record = Record.objects.filter(model=label, object_pk=_stored_key(model_schema, pk)).first()
    if record is None:
        raise EditError(f"no {label} with id {pk} in this store")
    return record


def _stored_key(model: ModelSchema, pk: Any) -> str:
    """A key as the store keeps it (the server's wire form, as text). Integer keys and
    temporary ids are kept as typed; a key its type cannot read names no record."""
    text = str(pk)
    if model.integer_pk or wire.is_temp_pk(text):
        return text
    try:
        return str(field_table.field_type(model.pk_type).parse(text))
    except (FieldValueError, LookupError):
        return text


def _validated(schema: Schema, model: ModelSchema, values: dict) -> dict:
    errors = {}
    for name, value in values.items():
        try:
            field = model.field(name)
            if not field.editable:
                raise FieldError("cannot be edited")
            field.validate(value)
            if field.kind in ("fk", "m2m"):
                _check_references(schema, field, value)
        except FieldError as error:
            errors[name] = str(error)
    if errors:
        name, message = next(iter(errors.items()))
        raise EditError(f"{name}: {message}", errors)
    return values


def _check_references(schema: Schema, field, value) -> None:
    for key in value if isinstance(value, list) else [value]:
        if key is None:
            continue
        if field.related_model == schema.category_model and not field.to_field:
            found = Category.objects.filter(key=str(key)).exists()
        else:
            kinds = schema.kinds_of(field.related_model)
            related = Record.objects.filter(model__in=kinds, deleted=False)
            if field.to_field:  # ForeignKey(to_field=...): the key is a field of the record
                related = related.filter(**{f"values__{field.to_field}__exact": key})
            else:
                related = related.filter(object_pk=str(key))
            found = related.exists()
        if not found:
            raise FieldError(f"no {field.related_model} with id {key} here")


def _check_unique(model: ModelSchema, values: dict, own_pk: str | None) -> None:
    """Unique fields and field sets, as far as this store's records tell.

    An empty value is never a clash here: the server's save() may still fill
    it in (a derived code, say), and only the server sees every record.
    """
    others = Record.objects.filter(model=model.label, deleted=False)
    if own_pk is not None:
        others = others.exclude(object_pk=own_pk)
    errors = {}
    for field in model.fields:
        value = values.get(field.name)
        if field.unique and value not in (None, "", []):
            if others.filter(**{f"values__{field.name}__exact": value}).exists():
                errors[field.name] = field.unique
    for together in model.unique_together:
        names = together["fields"]
        if any(values.get(name) in (None, "") for name in names):
            continue
        lookup = {f"values__{name}__exact": values[name] for name in names}
        if others.filter(**lookup).exists():
            errors.setdefault(names[0], together["message"])
    if errors:
        name, message = next(iter(errors.items()))
        raise EditError(message, errors)


def category_of(schema: Schema, model: ModelSchema, values: dict) -> str | None:
    """The category a record with these values belongs to, following its path locally."""
    if model.category_path is None:
        return None
    hops = model.category_path.split("__")
    current_model, current_values = model, values
    for index, hop in enumerate(hops):
        value = current_values.get(hop)
        if isinstance(value, list):  # a many-to-many path: the lowest related key
            value = min(value, key=lambda v: (len(str(v)), str(v))) if value else None
        if value is None:
            return None
        if index == len(hops) - 1:
            return str(value)
        target_label = current_model.field(hop).related_model
        kinds = schema.kinds_of(target_label)
        target = Record.objects.filter(model__in=kinds, object_pk=str(value)).first()
        if target is None:
            return None
        if target.category_key is not None and index == len(hops) - 2:
            return target.category_key
        current_model, current_values = schema.get(target.model), target.values
    return None


def _require_checked_out(key: str | None, model: ModelSchema) -> None:
    if model.reference:
        if not model.writable:
            raise EditError(f"{model.label} is read-only reference data")
        return
    if key is None:
        raise EditError(f"a {model.verbose_name} must belong to a category")
    if not Category.objects.filter(key=key, checked_out=True).exists():
        name = Category.objects.filter(key=key).values_list("name", flat=True).first()
        raise EditError(f"{name or 'that category'} is not checked out on this device: "
                        "check it out first")  # fmt: skip


# The Django permission the server checks for each change an edit queues.
_PERMISSION_FOR = {
    PendingChange.CREATE: "add",
    PendingChange.UPDATE: "change",
    PendingChange.DELETE: "delete",
}


def _require_permission(model: ModelSchema, op: str) -> None:
    """Refuse, before anything is queued, a change the editor's Django permissions
    (the schema's `may`) do not allow, in the server's words: queued, it would
    only be rejected at the next sync. Read-only reference data is refused as
    such (`_require_checked_out`), whatever the permissions."""
    if model.reference and not model.writable:
        return
    if model.may is not None and _PERMISSION_FOR[op] not in model.may:
        raise EditError(f"You may not {op} {model.verbose_name_plural} ({model.label}).")


def _stamp() -> str:
    """A clock stamp for an edit made now (hlc.py): later than any this device made."""
    account = Account.objects.select_for_update().first()
    if account is None:
        return ""
    stamp = hlc.tick(account.last_hlc or None, account.device_name.replace("-", "_")[:20])
    Account.objects.filter(pk=account.pk).update(last_hlc=stamp)
    return stamp


def _queue(record: Record, op: str, edit_kind: str = "") -> None:
    """Fold the edit into the record's open queue entry, or open one."""
    open_entry = (
        record.changes.filter(payload__isnull=True, state=PendingChange.QUEUED)
        .order_by("-id")
        .first()
    )
    record.changes.filter(state=PendingChange.REJECTED).delete()  # superseded by this edit
    stamp = _stamp()
    if open_entry is None:
        PendingChange.objects.create(record=record, op=op, edit_kind=edit_kind, hlc=stamp)
        return
    open_entry.hlc = stamp
    if op == PendingChange.DELETE and open_entry.op == PendingChange.UPDATE:
        open_entry.op = PendingChange.DELETE
    if edit_kind == "major":
        open_entry.edit_kind = "major"
    elif not open_entry.edit_kind:
        open_entry.edit_kind = edit_kind
    open_entry.save(update_fields=["op", "edit_kind", "hlc"])


def update_record(
    schema: Schema, model_name: str, pk: Any, changes: dict, edit_kind: str = ""
) -> Record:
    """Save an editor's changes of a record and queue them.

    Values are compared by their field type: one equal to the record's
    (10.50 against 10.500) is no change and the record keeps its spelling, so
    an edit that changes nothing writes and queues nothing (the record comes
    back as it was). An edit that brings the record back to the server's
    values takes its unsent change out of the queue, as a sync would.
    """
    model = schema.get(model_name)
    _validated(schema, model, changes)
    with transaction.atomic():
        record = find_record(schema, model.label, pk)
        _require_permission(model, _op_of_edit(record))
        if record.deleted:
            raise EditError(f"{record} was deleted here; it cannot be edited")
        if record.conflicted:
            raise EditError(f"{record} has an unresolved conflict; resolve it first")
        changed = _real_changes(model, record, changes)
        if not changed:
            return record
        values = {**record.values, **changed}
        _check_unique(model, values, record.object_pk)
        new_key = category_of(schema, model, values)
        _require_checked_out(record.category_key, model)
        if new_key != record.category_key:
            _require_checked_out(new_key, model)
        record.values = values
        record.category_key = new_key
        record.title = model.title_of(values)
        record.updated_at = timezone.now()
        op = _op_of_edit(record)
        if op == PendingChange.UPDATE and _back_to_base(model, record):
            record.changes.filter(payload__isnull=True, state=PendingChange.QUEUED).delete()
            record.changes.filter(state=PendingChange.REJECTED).delete()  # this edit replaces it
        else:
            _queue(record, op, edit_kind)
        record.pending = record.changes.exists()
        record.save()
    return record


def _real_changes(model: ModelSchema, record: Record, changes: dict) -> dict:
    """The changes that change a value, compared by field type; a value equal to the
    server's (the base) is spelled as the server spells it."""
    found = {}
    for name, value in changes.items():
        ftype = model.field(name).ftype
        if name in record.values and ftype.same(record.values[name], value):
            continue
        if name in record.base_values and ftype.same(record.base_values[name], value):
            value = record.base_values[name]
        found[name] = value
    return found


def _back_to_base(model: ModelSchema, record: Record) -> bool:
    """Whether the record holds the server's values again and nothing sent may change them.

    A change sent without an answer (or waiting for review) may yet be applied:
    then the way back must follow it, and stays queued.
    """
    if merge.changed_fields(record.base_values, record.values, model.field_types()):
        return False
    unsent = record.changes.filter(payload__isnull=True, state=PendingChange.QUEUED)
    sent = record.changes.exclude(state=PendingChange.REJECTED).exclude(pk__in=unsent)
    return not sent.exists()


def create_record(
    schema: Schema, model_name: str, values: dict, category: str | None = None
) -> Record:
    model = schema.get(model_name)
    _require_permission(model, PendingChange.CREATE)
    values = dict(values)
    natural_key = _natural_key(model, values.pop(model.pk_name, None))
    if category is not None and model.category_field:
        field = model.field(model.category_field)
        if schema.category_model == field.related_model:
            values = {model.category_field: field.parse(str(category)), **values}
    full = {f.name: f.empty_value() for f in model.fields if f.editable}
    full.update(values)
    # A default only the server can make (a callable of the site's): leave the field
    # out, so the new record takes it when it arrives.
    full = {name: value for name, value in full.items() if value is not SERVER_DEFAULT}
    _validated(schema, model, full)
    _check_unique(model, full, None)
    key = category_of(schema, model, full)
    if category is not None and key is not None and key != str(category):
        raise EditError(
            f"the values put this {model.verbose_name} in category {key}, not {category}"
        )
    with transaction.atomic():
        _require_checked_out(key, model)
        pk = wire.new_temp_pk() if model.integer_pk else natural_key or str(uuid.uuid4())
        taken = Record.objects.filter(model=model.label, object_pk=pk)
        if natural_key is not None and taken.exists():
            raise EditError(f"{model.pk_name}: a {model.verbose_name} {pk!r} exists already")
        record = Record.objects.create(
            model=model.label,
            object_pk=pk,
            category_key=key,
            values=full,
            base_version=None,
            base_values={},
            title=model.title_of(full),
            pending=True,
        )
        _queue(record, PendingChange.CREATE)
    return record


def _op_of_edit(record: Record) -> str:
    """What an edit of `record` sends: a record the server has not created yet is
    still created (its edits fold into the create), any other is updated."""
    unsent_create = record.changes.filter(payload__isnull=True, op=PendingChange.CREATE)
    if record.base_version is None or unsent_create.exists():
        return PendingChange.CREATE
    return PendingChange.UPDATE


def _natural_key(model: ModelSchema, value: Any) -> str | None:
    """The key an editor gave a new record with a natural key, checked; None
    for keys the device or the server makes."""
    if not model.natural_pk:
        if value is not None:
            raise EditError(f"{model.pk_name}: a new {model.verbose_name}'s key is made for it")
        return None
    if value is None:
        message = f"give the new {model.verbose_name} its key ({model.pk_name})"
        raise EditError(f"{model.pk_name}: {message}", {model.pk_name: message})
    try:
        model.key_field.validate(value)
    except FieldError as error:
        raise EditError(f"{model.pk_name}: {error}", {model.pk_name: str(error)}) from None
    return str(value)


def delete_record(schema: Schema, model_name: str, pk: Any) -> Record | None:
    """Queue the deletion; a record the server never created simply disappears (None).

    That is a record never pushed, or one whose creation the server rejected
    (it wrote nothing): no change is sent for it.
    """
    model = schema.get(model_name)
    with transaction.atomic():
        record = find_record(schema, model.label, pk)
        if record.conflicted:
            raise EditError(f"{record} has an unresolved conflict; resolve it first")
        if record.base_version is None and not _sent_unanswered(record):
            refuse_if_pointed_at(schema, record, "delete")
            record.delete()  # it never reached the server: nothing to tell it
            return None
        _require_permission(model, PendingChange.DELETE)
        _require_checked_out(record.category_key, model)
        record.deleted = True
        record.pending = True
        record.updated_at = timezone.now()
        record.save()
        record.changes.filter(payload__isnull=True, op=PendingChange.CREATE).delete()
        _queue(record, PendingChange.DELETE)
    return record


def _sent_unanswered(record: Record) -> bool:
    """True while the server may hold something of this new record.

    A creation sent without an answer may have been applied, and one waiting
    for review may yet be accepted (that is refused: wait for the decision).
    A rejected creation wrote nothing there.
    """
    if record.changes.filter(state=PendingChange.REVIEW).exists():
        raise EditError(
            f"{record} waits for a chief editor's review of its creation; "
            "delete it once they decide (fieldsync sync tells)"
        )
    return record.changes.filter(payload__isnull=False, state=PendingChange.QUEUED).exists()


def refuse_if_pointed_at(schema: Schema, record: Record, verb: str) -> None:
    """A record about to leave the store must not leave local pointers to nothing."""
    pointing = referring_records(schema, record.model, record.object_pk)
    if pointing:
        raise EditError(
            f"{record} is new, and records here point at it ({describe_records(pointing)}); "
            f"{verb} or change them first"
        )


def describe_records(records: list[Record], limit: int = 3) -> str:
    """'photo “River crossing”, article “Bridge” and 2 more', for messages naming records."""
    names = [f"{r.model.split('.')[-1]} “{r.title or r.object_pk}”" for r in records[:limit]]
    more = len(records) - limit
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")
