"""Which models sync, how each finds its category, and how its values travel.

Built once from the ``FIELDSYNC`` setting and checked at start-up: a typo in
a model label or a category path raises ``ImproperlyConfigured`` naming the
setting, instead of failing on the first sync. Options per model::

    "news.Article": {
        "category": "section",          # path of FKs to the category model; None = reference data
        "fields": "__all__",            # or a list of field names (the pk always travels)
        "exclude": [],                  # field names left out of "__all__"
        "policy": "client",             # conflict policy, see wire.POLICIES
        "writable": True,               # default: True with a category, False for reference data
        "display_field": "title",       # what the client shows as the record's title
    }
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property, lru_cache

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ObjectDoesNotExist
from django.core.signals import setting_changed
from django.db import models
from django.utils import timezone

from .conf import fieldsync_settings
from .protocol import fields as field_table
from .protocol import wire
from .shapes import Refusal, category_path_refusals, refusals, shared_table_refusals

REFERENCE_KEY = ""  # the category key of reference data's feed in the side table

_AUTO_TYPES = ("AutoField", "BigAutoField", "SmallAutoField")
_MODEL_OPTIONS = {"category", "fields", "exclude", "policy", "writable", "display_field"}


@dataclass(frozen=True)
class SyncedModel:
    label: str  # "news.article", as on the wire
    model: type[models.Model]
    category_path: str | None
    fields: tuple[models.Field, ...]  # synced fields, primary key excluded
    policy: str
    writable: bool
    display_field: str | None

    @property
    def is_reference(self) -> bool:
        return self.category_path is None

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def integer_pk(self) -> bool:
        return key_field(self.model._meta.pk).get_internal_type() in _AUTO_TYPES

    def field(self, name: str) -> models.Field | None:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        return None

    @property
    def types(self) -> dict[str, field_table.FieldType]:
        """Each synced field's row of the field table: its wire form, comparison, merge."""
        return _types_of(self)

    @property
    def pk_type(self) -> field_table.FieldType:
        return field_type_of(self.model._meta.pk)

    def category_key_of(
        self, instance: models.Model, m2m: dict | None = None, *, strict: bool = False
    ) -> str | None:
        """The feed this row belongs to now; None when its category path is empty
        or leads to a row that does not exist (a parent deleted centrally while an
        editor made a child of it offline): no row, no category.

        `m2m` (field name -> ids) are many-to-many values about to be set: with
        a many-to-many path (``"sites"``) the answer is then the category the
        row will have once they are, known before anything is written.
        `strict` raises ObjectDoesNotExist for a hop to a missing row instead,
        for the tracking hooks, which tell a row loaddata has not written yet
        apart from a row in no category.
        """
        if self.category_path is None:
            return REFERENCE_KEY
        *hops, last = self.category_path.split("__")
        target = instance
        for hop in hops:
            try:
                target = getattr(target, hop, None)
            except ObjectDoesNotExist:
                if strict:
                    raise
                return None
            if target is None:
                return None
        field = target._meta.get_field(last)
        if field.many_to_many:
            if m2m is not None and last in m2m and not hops:
                related = field.related_model._default_manager.filter(pk__in=m2m[last])
            elif target.pk is None:
                return None
            else:
                related = getattr(target, last)
            first = related.order_by("pk").values_list("pk", flat=True).first()
            return None if first is None else str(first)
        value = getattr(target, field.attname)
        return None if value is None else str(value)

    def serialize(self, instances) -> list[dict]:
        """Instances as the wire carries them, each value written by its field type.

        Inherited fields (multi-table inheritance) are read like local ones.
        Many-to-many values are read for all instances in one query per field,
        as sorted lists of keys.
        """
        instances = list(instances)
        writers = [(f.name, _wire_writer(f, self.types[f.name])) for f in self.fields
                   if not f.many_to_many and not isinstance(f, models.FileField)]  # fmt: skip
        data = [
            {
                "model": self.label,
                "pk": self.wire_pk(obj.pk),
                "fields": {name: write(obj) for name, write in writers},
            }
            for obj in instances
        ]
        for field in self.fields:
            if field.many_to_many:
                keys = _m2m_keys(field, [obj.pk for obj in instances])
                write = self.types[field.name].to_wire
                for item, obj in zip(data, instances, strict=True):
                    item["fields"][field.name] = write(keys.get(obj.pk, []))
            elif isinstance(field, models.FileField):
                _write_references(field, self.types[field.name], data, instances)
        return data

    def wire_pk(self, pk):
        """A primary key as JSON carries it: integers stay integers, UUIDs become strings."""
        return self.pk_type.to_wire(pk)

    def values_of(self, instance: models.Model) -> dict:
        return self.serialize([instance])[0]["fields"]


def key_field(field: models.Field) -> models.Field:
    """The plain field a key really is: a relation (a child's parent link, a
    foreign key) is the field it points at, followed to the end."""
    while field.is_relation:
        field = field.target_field if not field.many_to_many else field.related_model._meta.pk
    return field


def field_type_of(field: models.Field) -> field_table.FieldType:
    """The field table's row for a model field; LookupError if the table has none."""
    internal_type = field.get_internal_type()
    if not field.is_relation:
        return field_table.field_type(internal_type)
    target = key_field(field)
    return field_table.type_of(
        internal_type,
        target.get_internal_type(),
        temp_ids=target.get_internal_type() in _AUTO_TYPES,
    )


@cache
def _types_of(synced: SyncedModel) -> dict[str, field_table.FieldType]:
    return {f.name: field_type_of(f) for f in synced.fields}


def _wire_writer(field: models.Field, field_type: field_table.FieldType):
    """obj -> the field's wire value (`wire_value_writer` of what the object holds)."""
    value_of = field.value_from_object
    write = wire_value_writer(field, field_type)
    return lambda obj: write(value_of(obj))


def wire_value_writer(field: models.Field, field_type: field_table.FieldType):
    """A field's stored value -> its wire value. Naive datetimes (a site with USE_TZ
    off) are read in the site's time zone, so the wire always carries the instant.
    The feed writes plain rows' values with it, serialize() instances' values."""
    if isinstance(field, models.DateTimeField) and not settings.USE_TZ:

        def write_naive(value):
            if value is not None and timezone.is_naive(value):
                value = timezone.make_aware(value)
            return field_type.to_wire(value)

        return write_naive
    return field_type.to_wire


def _write_references(field: models.FileField, field_type, data: list, instances: list) -> None:
    """A file field's value is the reference of its content (stored_files.py), read
    for all instances at once; "" for no file, or one its storage does not have."""
    from .stored_files import references  # it reads the registry to find storages

    names = [field.value_from_object(obj).name or "" for obj in instances]
    refs = references(field, names)
    for item, name in zip(data, names, strict=True):
        item["fields"][field.name] = field_type.to_wire(refs.get(name, ""))


def _m2m_keys(field: models.ManyToManyField, pks: list) -> dict:
    """owner pk -> sorted related pks, for one many-to-many field, in one query."""
    through = field.remote_field.through
    source = through._meta.get_field(field.m2m_field_name()).attname
    target = through._meta.get_field(field.m2m_reverse_field_name()).attname
    found: dict = {}
    for chunk_start in range(0, len(pks), 900):
        chunk = pks[chunk_start : chunk_start + 900]
        rows = through._default_manager.filter(**{f"{source}__in": chunk}).values_list(
            source, target
        )
        for owner, related in rows:
            found.setdefault(owner, []).append(related)
    return {owner: sorted(keys) for owner, keys in found.items()}


@dataclass(frozen=True)
class Registry:
    category_model: type[models.Model] | None
    models: dict[str, SyncedModel]
    # Registered models that cannot sync (shapes.py), left out of `models`;
    # the system check reports each.
    refused: tuple[Refusal, ...] = ()

    def get(self, label: str) -> SyncedModel | None:
        return self.models.get(label.lower())

    def for_model(self, model: type[models.Model]) -> SyncedModel | None:
        """The registration of `model`'s rows: its own, or its table's (a proxy
        stands for its concrete model, and the concrete model for a registered
        proxy: shapes.py refuses two registrations of one table)."""
        meta = model._meta
        return self.models.get(meta.label_lower) or self._by_table.get(meta.concrete_model)

    @cached_property
    def _by_table(self) -> dict:
        return {synced.model._meta.concrete_model: synced for synced in self.models.values()}

    def tracked_as(self, model: type[models.Model]) -> SyncedModel | None:
        """The registration a write through `model` counts for, without looking at
        the row: `model`'s own, else its nearest registered multi-table parent
        (a Painting saved where only Artefact syncs is an artefact to editors).
        A row of a registered child is tracked as the child: `registered_below`."""
        found = self.for_model(model)
        if found is not None:
            return found
        for parent in model._meta.concrete_model._meta.get_parent_list():
            found = self.for_model(parent)
            if found is not None:
                return found
        return None

    def registered_below(self, model: type[models.Model]) -> tuple[SyncedModel, ...]:
        """Registered multi-table descendants of `model`, deepest first: a row of
        `model` that is also a row of one of them syncs as that one."""
        return self._below.get(model._meta.concrete_model, ())

    @cached_property
    def _below(self) -> dict:
        below: dict = {}
        for synced in self.models.values():
            concrete = synced.model._meta.concrete_model
            for parent in concrete._meta.get_parent_list():
                below.setdefault(parent, []).append(synced)

        def depth(synced: SyncedModel) -> int:
            return len(synced.model._meta.concrete_model._meta.get_parent_list())

        return {
            model: tuple(sorted(found, key=depth, reverse=True)) for model, found in below.items()
        }

    def registered_above(self, synced: SyncedModel) -> tuple[SyncedModel, ...]:
        """Registered multi-table ancestors of a registered model, nearest first."""
        parents = synced.model._meta.concrete_model._meta.get_parent_list()
        return tuple(found for parent in parents if (found := self.for_model(parent)))

    def kinds_of(self, model: type[models.Model]) -> tuple[SyncedModel, ...]:
        """Where a row a foreign key to `model` points at may be registered: as
        `model` itself or as a registered multi-table child (a note's artefact may
        be a painting)."""
        own = self.tracked_as(model)
        return ((own,) if own is not None else ()) + self.registered_below(model)

    def category_models(self) -> list[SyncedModel]:
        return [m for m in self.models.values() if not m.is_reference]

    def reference_models(self) -> list[SyncedModel]:
        return [m for m in self.models.values() if m.is_reference]


def _model_from_label(label: str, setting_name: str) -> type[models.Model]:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        raise ImproperlyConfigured(
            f"{setting_name} names {label!r}, which is not an installed model. "
            "Use 'app_label.ModelName' of a model in INSTALLED_APPS."
        ) from None


def _check_category_path(model, path: str, category_model, label: str) -> None:
    setting_name = f"FIELDSYNC['MODELS'][{label!r}]['category']"
    current = model
    hops = path.split("__")
    for index, hop in enumerate(hops):
        try:
            f = current._meta.get_field(hop)
        except FieldDoesNotExist:
            raise ImproperlyConfigured(
                f"{setting_name} is {path!r}, but {current._meta.label} has no field {hop!r}."
            ) from None
        # A many-to-many may only end a path (e.g. FlatPage.sites): the row's
        # category is then the related row with the lowest key.
        last_m2m = f.many_to_many and index == len(hops) - 1 and len(hops) == 1
        if not ((f.many_to_one or f.one_to_one) and f.concrete) and not last_m2m:
            raise ImproperlyConfigured(
                f"{setting_name} is {path!r}, but {current._meta.label}.{hop} is not a "
                "foreign key; a category path follows foreign keys (or is one many-to-many)."
            )
        current = f.related_model
    if category_model is not None and current is not category_model:
        raise ImproperlyConfigured(
            f"{setting_name} is {path!r}, which leads to {current._meta.label}, not to the "
            f"CATEGORY_MODEL {category_model._meta.label}."
        )


def _synced_fields(model, options: dict, label: str) -> tuple[models.Field, ...]:
    candidates = [
        f
        for f in model._meta.get_fields()
        if (f.concrete or f.many_to_many) and not f.auto_created and not f.primary_key
    ]
    by_name = {f.name: f for f in candidates}
    wanted = options.get("fields", "__all__")
    if wanted == "__all__":
        chosen = [f for f in candidates if getattr(f, "editable", True)]
    else:
        if model._meta.pk.name in wanted:
            raise ImproperlyConfigured(
                f"FIELDSYNC['MODELS'][{label!r}]['fields'] names the primary key "
                f"{model._meta.pk.name!r}; leave it out, it always travels."
            )
        unknown = [name for name in wanted if name not in by_name]
        if unknown:
            raise ImproperlyConfigured(
                f"FIELDSYNC['MODELS'][{label!r}]['fields'] names {', '.join(unknown)}, "
                f"which {model._meta.label} does not have{_as_stored(model, unknown)}."
            )
        chosen = [by_name[name] for name in wanted]
    excluded = set(options.get("exclude", ()))
    missing = sorted(excluded - set(by_name))
    if missing:
        raise ImproperlyConfigured(
            f"FIELDSYNC['MODELS'][{label!r}]['exclude'] names {', '.join(missing)}, "
            f"which {model._meta.label} does not have (or cannot sync)."
        )
    return tuple(f for f in chosen if f.name not in excluded)


def _as_stored(model, names: list[str]) -> str:
    """For a name that is a field but not a column (a GenericForeignKey, a
    reverse relation): what to name instead."""
    for name in names:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if hasattr(field, "ct_field") and hasattr(field, "fk_field"):
            return (
                f" as a column: {name} is a GenericForeignKey; name its pair "
                f"{field.ct_field!r} and {field.fk_field!r}"
            )
        return f" as a column: {name} is a relation stored on {field.related_model._meta.label}"
    return ""


def build_registry(config: dict) -> Registry:
    category_label = config.get("CATEGORY_MODEL")
    category_model = (
        _model_from_label(category_label, "FIELDSYNC['CATEGORY_MODEL']") if category_label else None
    )
    synced: dict[str, SyncedModel] = {}
    refused: list[Refusal] = []
    config_labels: dict[str, str] = {}  # "museum.painting" -> "museum.Painting", as set
    for label, options in (config.get("MODELS") or {}).items():
        options = options or {}
        unknown = set(options) - _MODEL_OPTIONS
        if unknown:
            raise ImproperlyConfigured(
                f"FIELDSYNC['MODELS'][{label!r}] has unknown option(s) "
                f"{', '.join(sorted(unknown))}; known: {', '.join(sorted(_MODEL_OPTIONS))}."
            )
        model = _model_from_label(label, f"FIELDSYNC['MODELS'][{label!r}]")
        path = options.get("category")
        if path:
            if category_model is None:
                raise ImproperlyConfigured(
                    f"FIELDSYNC['MODELS'][{label!r}] has a category path but "
                    "FIELDSYNC['CATEGORY_MODEL'] is not set."
                )
            unusable = category_path_refusals(label, model, path)
            if unusable:
                refused.extend(unusable)
                continue
            _check_category_path(model, path, category_model, label)
        policy = options.get("policy", wire.POLICY_CLIENT)
        if policy not in wire.POLICIES:
            raise ImproperlyConfigured(
                f"FIELDSYNC['MODELS'][{label!r}]['policy'] is {policy!r}; "
                f"choose one of {', '.join(wire.POLICIES)}."
            )
        fields = _synced_fields(model, options, label)
        problems = refusals(label, model, fields, options)
        if problems:
            refused.extend(problems)
            continue
        display = options.get("display_field")
        if display is not None and display not in {f.name for f in fields}:
            raise ImproperlyConfigured(
                f"FIELDSYNC['MODELS'][{label!r}]['display_field'] is {display!r}, "
                "which is not one of its synced fields."
            )
        if display is None:
            display = next((f.name for f in fields if f.get_internal_type() == "CharField"), None)
        config_labels[model._meta.label_lower] = label
        synced[model._meta.label_lower] = SyncedModel(
            label=model._meta.label_lower,
            model=model,
            category_path=path or None,
            fields=fields,
            policy=policy,
            writable=options.get("writable", bool(path)),
            display_field=display,
        )
    shared = shared_table_refusals({config_labels[key]: s.model for key, s in synced.items()})
    for refusal in shared:
        del synced[refusal.model._meta.label_lower]
    refused.extend(shared)
    return Registry(category_model=category_model, models=synced, refused=tuple(refused))


@lru_cache(maxsize=1)
def get_registry() -> Registry:
    return build_registry(fieldsync_settings())


def _reset(*, setting: str, **kwargs) -> None:
    if setting == "FIELDSYNC":
        get_registry.cache_clear()


setting_changed.connect(_reset)
