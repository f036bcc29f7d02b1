"""What a pushed change means on this site, read before anything touches the database.

The wire layer (protocol/wire.py) has already read the body's shape: keys,
JSON types, bounds, canonical ids, clock stamps. Here each change is read
against the registry: its model and fields must be synced ones, its key must
be a key of that model (the right kind of key for the operation, within the
column's range), and its values are read by the field table. A request that
fails here is answered 400 naming the part (`where`) and writes nothing;
values a field cannot take are the change's own problem, answered per change
(`rejected`, with field errors) like every other problem of one change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from ..conf import setting
from ..errors import bad_request
from ..protocol import files, wire
from ..protocol.fields import FieldValueError
from ..registry import Registry, SyncedModel


@dataclass(frozen=True)
class PushedChange:
    """One change as this site reads it: its model, its key as Django holds it."""

    where: str  # "changes[3]": the part of the request, for answers naming it
    change: wire.Change  # as the wire carried it
    synced: SyncedModel
    pk: Any  # the record's key (typed); None when `temp_pk` names it
    temp_pk: str | None = None  # the client's temporary id ("tmp:<uuid>"), integer keys only
    value_errors: dict = field(default_factory=dict)  # field -> what its value cannot be

    @property
    def id(self) -> str:
        return self.change.id


def parse_change(where: str, change: wire.Change, registry: Registry) -> PushedChange:
    """Read one change against the registry; ApiError 400 naming the part at fault."""
    try:  # changes made on this site (a review decision) come here without the wire
        wire.parse_change_id(change.id, f"{where}.id")
    except wire.WireError as error:
        raise bad_request(error.detail, where=error.where) from None
    synced = registry.get(change.model)
    if synced is None:
        raise bad_request(f"unknown model {change.model!r}", where=f"{where}.model")
    for part in ("values", "base_values"):
        unknown = sorted(set(getattr(change, part)) - set(synced.field_names))
        if unknown:
            shown = ", ".join(repr(name[:40]) for name in unknown[:5])
            raise bad_request(
                f"{synced.label} has no synced field {shown}", where=f"{where}.{part}"
            )
    pk, temp_pk = _key_of(where, change, synced)
    return PushedChange(where, change, synced, pk, temp_pk, _value_errors(synced, change.values))


def _key_of(where: str, change: wire.Change, synced: SyncedModel) -> tuple[Any, str | None]:
    """(the typed key, the temporary id): the kind of key the model and operation need."""
    if wire.is_temp_pk(change.pk):
        if change.op == wire.CREATE and not synced.integer_pk:
            raise bad_request(
                f"{synced.label} has a {synced.model._meta.pk.get_internal_type()} primary "
                "key: create it with its final id, not a temporary one",
                where=f"{where}.pk",
            )
        return None, change.pk
    if change.op == wire.CREATE and synced.integer_pk:
        raise bad_request(
            f"{synced.label} has an integer primary key: create it with a temporary id "
            f"'{wire.TEMP_PK_PREFIX}<uuid>'",
            where=f"{where}.pk",
        )
    try:
        typed = synced.pk_type.check(change.pk)
        return synced.model._meta.pk.to_python(typed), None
    except FieldValueError as error:
        problem = f"{change.pk!r} is not a primary key of {synced.label}: {error}"
    except ValidationError as error:
        problem = f"{change.pk!r} is not a primary key of {synced.label}: {error.messages[0]}"
    raise bad_request(problem, where=f"{where}.pk")


def _value_errors(synced: SyncedModel, values: dict) -> dict:
    """Each value read by its row of the field table: type, format, range; a
    file's size within the site's limit."""
    errors = {}
    limit = setting("MAX_FILE_BYTES")
    for name, value in values.items():
        try:
            synced.types[name].check(value)
            if isinstance(value, dict) and synced.types[name].kind == "file":
                files.read_ref(value, max_size=limit)
        except (FieldValueError, files.FileRefError) as error:
            errors[name] = [str(error)]
    return errors
