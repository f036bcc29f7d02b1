"""Reading a category's change feed: what changed since a client's cursor.

One query for the page of side-table entries, then one query per model for
the live records (plain rows where that says the same as instances) and one
per many-to-many field, each value written by its row of the field table.
The cost grows with the number of changes since the cursor, never with the
size of the category.

Plain rows keyed by UUIDs are asked for by their keys as the database stores
them, spelled from the side-table's text without building a `uuid.UUID` per
key, and their keys read back as stored (Django's `pk__in` prepares each key
through the field, and its converters build one per row: most of a page's
time before).
"""

from __future__ import annotations

import inspect
import re
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import cache

from django.contrib.contenttypes.models import ContentType
from django.db import connections, models
from django.db.models import CharField, ExpressionWrapper, F, Lookup, TextField
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.functions import Cast
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init

from .access import has_model_permission
from .models import TrackedRow
from .registry import SyncedModel, get_registry, wire_value_writer


@dataclass(frozen=True)
class StoredRecord:
    """A row as the database holds it now, and its values as the wire carries them."""

    instance: models.Model
    pk: object  # as the wire carries it
    values: dict


def stored_records(
    synced: SyncedModel, pks: Iterable, *, with_category: bool = False
) -> dict[str, StoredRecord]:
    """str(pk) -> the row as stored, for rows of one model: one query (and one
    per many-to-many field), whatever the number of rows.

    The feed and the answers to a push read rows through here, so an editor
    who pushed holds exactly what the others pull. `with_category` joins the
    foreign keys of the category path, so finding each row's category costs
    no further query; without it, a model whose instances hold just what their
    rows hold (`_plain_attnames`) is read as plain rows, without building its
    instances (the feed's serializing cost is mostly theirs).
    """
    queryset = synced.model._default_manager.filter(pk__in=list(pks))
    names = None
    if not with_category and not post_init.has_listeners(synced.model):  # connected any time
        names = _plain_attnames(synced)
    if names is not None:
        instances = _plain_rows(queryset, names)
    else:
        hops = (synced.category_path or "").split("__")[:-1]
        if with_category and hops:
            queryset = queryset.select_related("__".join(hops))
        instances = list(queryset)
    return {
        str(item["pk"]): StoredRecord(instance, item["pk"], item["fields"])
        for instance, item in zip(instances, synced.serialize(instances), strict=True)
    }


class _PlainRow:
    """A row's values by attribute name, as a model instance would hold them (the same
    database converters apply): enough for SyncedModel.serialize to write it."""


def _plain_rows(queryset, names: list[str]) -> list[_PlainRow]:
    rows = []
    for values in queryset.values_list("pk", *names):
        row = _PlainRow()
        row.pk = values[0]
        row.__dict__.update(zip(names, values[1:], strict=True))
        rows.append(row)
    return rows


_PLAIN_DESCRIPTORS = (DeferredAttribute, ForeignKeyDeferredAttribute)


@cache
def _plain_attnames(synced: SyncedModel) -> list[str] | None:
    """The attributes serializing reads, when an instance of the model holds nothing
    but its row's values: no `__init__` or `from_db` of its own, no `post_init`
    receiver (asked at each read), every field read as stored (Django's own descriptor and
    ``value_from_object``), no file field (serialized from its FieldFile). Detected,
    never configured: otherwise None, and the feed builds instances."""
    model = synced.model
    if model.__init__ is not models.Model.__init__ or model.from_db.__func__ is not (
        models.Model.from_db.__func__
    ):
        return None
    names = []
    for field in synced.fields:
        if field.many_to_many:
            continue
        if isinstance(field, models.FileField) or not field.concrete:
            return None
        if type(field).value_from_object is not models.Field.value_from_object:
            return None
        if type(inspect.getattr_static(model, field.attname, None)) not in _PLAIN_DESCRIPTORS:
            return None
        names.append(field.attname)
    return names


# str(uuid.UUID(...)) of a key: what the side-table holds for a UUID key, and its wire form.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
_KEYS_PER_QUERY = 900  # under SQLite's 999 parameters a statement


class _StoredIn(Lookup):
    """``column IN (...)`` of values already as the database holds them: unlike
    ``__in``, nothing is prepared per value through the field."""

    lookup_name = "fieldsync_stored_in"  # used as an expression, never registered
    prepare_rhs = False

    def get_prep_lookup(self):
        return list(self.rhs)

    def as_sql(self, compiler, connection):
        column, params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            # One array of text, cast by the server: no key built in Python, and a
            # statement short enough for psycopg's cache of parsed queries.
            db_type = self.lhs.output_field.db_type(connection)
            return f"{column} = ANY(%s::{db_type}[])", (*params, list(self.rhs))
        placeholders = ", ".join(["%s"] * len(self.rhs))
        return f"{column} IN ({placeholders})", (*params, *self.rhs)


def _stored_uuid_keys(synced: SyncedModel, pks: list[str], connection) -> dict | None:
    """stored value -> side-table key, for a model keyed by its own UUIDField when
    every key is a canonical UUID (as tracking writes them); else None."""
    if type(synced.model._meta.pk) is not models.UUIDField:
        return None
    if not all(_CANONICAL_UUID.match(pk) for pk in pks):
        return None
    if connection.features.has_native_uuid_field:
        return {pk: pk for pk in pks}  # read back as text: `_as_stored`
    return {pk.replace("-", ""): pk for pk in pks}  # what UUIDField.get_db_prep_value stores


def _as_stored(column: str, connection):
    """A column read without its field's converters, as the database spells it: the
    text of a native UUID (canonical), else the stored value as the driver gives it."""
    if connection.features.has_native_uuid_field:
        return Cast(F(column), output_field=TextField())
    return ExpressionWrapper(F(column), output_field=CharField())


def _keys_per_query(connection) -> int:
    """Keys one statement asks for: all of them as one array on PostgreSQL."""
    return 10**9 if connection.vendor == "postgresql" else _KEYS_PER_QUERY


def _feed_records(synced: SyncedModel, pks: list[str]) -> dict[str, tuple]:
    """side-table key -> (wire pk, wire values) of the live rows among `pks`: what
    `stored_records` says (tests/server/test_feed_rows.py holds them equal), read
    for plain rows keyed by UUIDs without a Python object per key."""
    model = synced.model
    names = None if post_init.has_listeners(model) else _plain_attnames(synced)
    manager = model._default_manager
    connection = connections[manager.db]
    keys = None if names is None else _stored_uuid_keys(synced, pks, connection)
    if keys is None:
        return {pk: (r.pk, r.values) for pk, r in stored_records(synced, pks).items()}
    types = synced.types
    writers = [(f.name, wire_value_writer(f, types[f.name]))
               for f in synced.fields if not f.many_to_many]  # fmt: skip
    stored = list(keys)
    found: dict[str, tuple] = {}
    step = _keys_per_query(connection)
    for start in range(0, len(stored), step):
        rows = manager.filter(_StoredIn(F("pk"), stored[start : start + step])).order_by()
        for raw, *values in rows.values_list(_as_stored("pk", connection), *names):
            pk = keys[raw]
            pairs = zip(writers, values, strict=True)
            found[pk] = (pk, {name: write(value) for (name, write), value in pairs})
    for field in synced.fields:
        if field.many_to_many:
            _add_m2m_values(field, types[field.name], keys, found, connection)
    return found


def _add_m2m_values(field, field_type, keys: dict, found: dict[str, tuple], connection) -> None:
    """Each found row's values of one many-to-many field (sorted related keys, as
    serialize() writes them), read from the through table by stored owner keys."""
    through = field.remote_field.through
    source = through._meta.get_field(field.m2m_field_name()).attname
    target = through._meta.get_field(field.m2m_reverse_field_name()).attname
    related: dict[str, list] = {pk: [] for pk in found}
    owners = [raw for raw, pk in keys.items() if pk in found]
    step = _keys_per_query(connection)
    for start in range(0, len(owners), step):
        chunk = owners[start : start + step]
        rows = through._default_manager.filter(_StoredIn(F(source), chunk)).order_by()
        for owner, key in rows.values_list(_as_stored(source, connection), target):
            related[keys[owner]].append(key)
    for pk, (_wire_pk, values) in found.items():
        values[field.name] = field_type.to_wire(sorted(related[pk]))


def read_feed(
    user,
    category_key: str,
    since: int,
    limit: int,
    count: bool = False,
    models: Collection[SyncedModel] | None = None,
) -> dict:
    """A page of a feed after `since`, as the user may read it.

    Entries of models the user may not view are left out, and the answer's
    ``withheld`` names those models: the cursor moves past them. `models`
    restricts the page to those models' entries, so a client whose rights
    widened fetches what it was not given, from position 0, without
    reading the rest again.
    """
    entries = TrackedRow.objects.filter(category_key=category_key, position__gt=since)
    if models is not None:
        entries = entries.filter(
            content_type__in=[ContentType.objects.get_for_model(m.model) for m in models]
        )
    rows = list(
        entries.order_by("position").values_list(
            "content_type_id", "object_pk", "version", "deleted", "position"
        )[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]

    registry = get_registry()
    models_by_ct: dict[int, SyncedModel | None] = {}
    withheld: set[str] = set()
    for ct_id in {row[0] for row in rows}:
        synced = registry.for_model(ContentType.objects.get_for_id(ct_id).model_class())
        readable = synced is not None and has_model_permission(user, synced, "view")
        models_by_ct[ct_id] = synced if readable else None
        if synced is not None and not readable:
            withheld.add(synced.label)

    live_pks: dict[int, list[str]] = defaultdict(list)
    for ct_id, pk, _version, deleted, _position in rows:
        if not deleted and models_by_ct[ct_id] is not None:
            live_pks[ct_id].append(pk)
    serialized: dict[tuple[int, str], tuple] = {}
    for ct_id, pks in live_pks.items():
        for pk, record in _feed_records(models_by_ct[ct_id], pks).items():
            serialized[(ct_id, pk)] = record

    changes = []
    for ct_id, pk, version, _deleted, _position in rows:
        synced = models_by_ct[ct_id]
        if synced is None:
            continue
        record = serialized.get((ct_id, pk))
        if record is None:  # a tombstone, or a row deleted without signals
            changes.append(
                {
                    "model": synced.label,
                    "pk": synced.wire_pk(synced.model._meta.pk.to_python(pk)),
                    "version": version,
                    "deleted": True,
                }
            )
        else:
            wire_pk, values = record
            changes.append(
                {"model": synced.label, "pk": wire_pk, "version": version, "fields": values}
            )
    answer = {
        "changes": changes,
        "cursor": rows[-1][4] if rows else since,
        "more": more,
    }
    if withheld:
        answer["withheld"] = sorted(withheld)
    if count:
        answer["remaining"] = entries.count()
    return answer
