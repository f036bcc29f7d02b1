"""Which model shapes and field types can sync, decided before anything registers.

A model the plugin cannot sync exactly is refused at start-up: it is left out
of the registry (so it is never served half-right) and the system check
(checks.py) names the model, the reason and the way out. Each rule is a pure
function of the model and its registration; docs/model-shapes.md lists them.

Supported without a rule of their own: abstract bases (their fields are the
child's), multi-table children (the parent's fields are read through the
child; tracking.py keeps one record per row), proxies (the concrete model's
rows), custom ``save()``, primary keys of any name, natural ``CharField``
keys, ``GeneratedField`` (read-only), a ``GenericForeignKey`` on reference
data, and many-to-many fields through a model whose extra fields have
defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import models

from .protocol import fields as field_table

UNKNOWN_FIELD_TYPE = "fieldsync.E101"
COMPOSITE_PRIMARY_KEY = "fieldsync.E102"
SHARED_TABLE = "fieldsync.E103"
THROUGH_WITH_REQUIRED_FIELDS = "fieldsync.E104"
UNUSABLE_CATEGORY_PATH = "fieldsync.E105"
GENERIC_FOREIGN_KEY = "fieldsync.E106"


@dataclass(frozen=True)
class Refusal:
    """Why a registered model cannot sync, and what the site developer can do."""

    label: str  # the FIELDSYNC['MODELS'] key
    reason: str
    hint: str
    id: str  # the system check's id, e.g. "fieldsync.E101"
    model: type[models.Model] | None = None  # the check's object: Django prints its label


def _setting(label: str) -> str:
    return f"FIELDSYNC['MODELS'][{label!r}]"


def refusals(
    label: str, model: type[models.Model], fields: tuple, options: dict | None = None
) -> list[Refusal]:
    """Every reason `model`, registered under `label` with these synced fields
    and options, cannot sync. The category path is judged apart, before the
    fields (`category_path_refusals`)."""
    options = options or {}
    return [
        *composite_primary_key(label, model),
        *unknown_field_types(label, model, fields),
        *through_models_with_required_fields(label, model, fields),
        *generic_foreign_keys(label, model, fields, writable=_writable(options)),
    ]


def _writable(options: dict) -> bool:
    return bool(options.get("writable", bool(options.get("category"))))


def unknown_field_types(label: str, model, fields) -> list[Refusal]:
    found = []
    for field in fields:
        internal_type = field.get_internal_type()
        if field.is_relation:
            continue  # relations are judged by the key they point at
        if not field_table.supported(internal_type):
            found.append(
                Refusal(
                    label,
                    f"{model._meta.label}.{field.name} is a {type(field).__name__} "
                    f"({internal_type}), a field type fieldsync cannot carry exactly.",
                    f"Leave it out: {_setting(label)} = {{..., 'exclude': "
                    f"[{field.name!r}]}}, or list the fields to sync in 'fields'.",
                    UNKNOWN_FIELD_TYPE,
                    model,
                )
            )
    return found


def composite_primary_key(label: str, model) -> list[Refusal]:
    """A record travels under one key; a composite one has no wire form yet."""
    if not isinstance(model._meta.pk, models.CompositePrimaryKey):
        return []
    names = ", ".join(model._meta.pk.field_names)
    return [
        Refusal(
            label,
            f"{model._meta.label} has a CompositePrimaryKey ({names}); fieldsync identifies "
            "every record by one key, so it cannot sync this model.",
            f"Remove {label!r} from FIELDSYNC['MODELS'], or give the model a single primary "
            "key and keep the pair unique with a UniqueConstraint.",
            COMPOSITE_PRIMARY_KEY,
            model,
        )
    ]


def through_models_with_required_fields(label: str, model, fields) -> list[Refusal]:
    """A many-to-many's value is a set of keys: an editor cannot give the extra
    values a custom ``through`` row needs, so Django could not add the row."""
    found = []
    for field in fields:
        if not field.many_to_many:
            continue
        through = field.remote_field.through
        if through._meta.auto_created:
            continue
        required = [name for name in _extra_fields_without_value(field)]
        if required:
            found.append(
                Refusal(
                    label,
                    f"{model._meta.label}.{field.name} goes through "
                    f"{through._meta.label}, whose {', '.join(required)} "
                    f"{'has' if len(required) == 1 else 'have'} no default: an editor sends "
                    "only the related keys, so the rows could not be made.",
                    f"Give {', '.join(required)} a default (or null=True), or leave the field "
                    f"out: {_setting(label)} = {{..., 'exclude': [{field.name!r}]}}.",
                    THROUGH_WITH_REQUIRED_FIELDS,
                    model,
                )
            )
    return found


def _extra_fields_without_value(field: models.ManyToManyField) -> list[str]:
    """The through model's own fields a new row cannot be made without."""
    through = field.remote_field.through
    links = {field.m2m_field_name(), field.m2m_reverse_field_name()}
    return [
        f.name
        for f in through._meta.concrete_fields
        if f.name not in links
        and not f.primary_key
        and not f.null
        and not f.has_default()
        and not f.has_db_default()
        and not getattr(f, "generated", False)
        and not getattr(f, "auto_now", False)
        and not getattr(f, "auto_now_add", False)
    ]


def generic_foreign_keys(label: str, model, fields, *, writable: bool) -> list[Refusal]:
    """A GenericForeignKey's pair (content type, object id) syncs as two plain
    values: exact on read-only data. On a writable model an editor could set
    a pair that points at no record, or at a model editors never see; the
    device has no content types to choose from and cannot check the pair, so
    a writable model must leave the pair out."""
    if not writable:
        return []
    synced = {f.name for f in fields}
    found = []
    for generic in model._meta.private_fields:
        if not isinstance(generic, GenericForeignKey):
            continue
        pair = [generic.ct_field, generic.fk_field]
        carried = [name for name in pair if name in synced]
        if not carried:
            continue
        found.append(
            Refusal(
                label,
                f"{model._meta.label}.{generic.name} is a GenericForeignKey and {label} is "
                f"writable: an edited ({', '.join(carried)}) could point at no record, and "
                "fieldsync cannot check the pair on the editor's device.",
                f"Sync it as read-only reference data (no 'category', 'writable': False), or "
                f"leave the pair out: {_setting(label)} = {{..., 'exclude': {pair!r}}}.",
                GENERIC_FOREIGN_KEY,
                model,
            )
        )
    return found


def category_path_refusals(label: str, model, path: str | None) -> list[Refusal]:
    """A category path exists in the models but cannot name a category.

    A path is followed by primary keys (the category key of a row is the key
    of the category it leads to, and the rows below a moved row are found by
    its key): a hop by ``to_field`` names another column, and a
    GenericForeignKey's target model changes from row to row. Mistakes in the
    path itself (no such field, not a relation) are ImproperlyConfigured
    (registry.py).
    """
    if not path:
        return []
    current = model
    for hop in path.split("__"):
        try:
            field = current._meta.get_field(hop)
        except Exception:  # noqa: BLE001 - a missing field is registry.py's error to tell
            return []
        where = f"{current._meta.label}.{hop}"
        if isinstance(field, GenericForeignKey):
            return [
                _path_refusal(
                    label,
                    model,
                    path,
                    f"{where} is a GenericForeignKey: the model it points at changes from "
                    "row to row, so it cannot lead to a category.",
                )
            ]
        if not field.is_relation or field.related_model is None:
            return []
        if field.many_to_one or field.one_to_one:
            target = getattr(field, "target_field", None)
            if field.concrete and target is not None and not target.primary_key:
                return [
                    _path_refusal(
                        label,
                        model,
                        path,
                        f"{where} is a foreign key to {field.related_model._meta.label}."
                        f"{target.name} (to_field), not to its primary key: a category "
                        "path follows primary keys.",
                    )
                ]
        current = field.related_model
    return []


def _path_refusal(label: str, model, path: str, reason: str) -> Refusal:
    return Refusal(
        label,
        f"{model._meta.label} has no usable category path: {_setting(label)}['category'] "
        f"is {path!r}, and {reason}",
        "Give the model a path of foreign keys to primary keys ending at the CATEGORY_MODEL "
        "(add such a foreign key if need be), or sync it as reference data (no 'category').",
        UNUSABLE_CATEGORY_PATH,
        model,
    )


def shared_table_refusals(registered: dict[str, type[models.Model]]) -> list[Refusal]:
    """A proxy stands for its concrete model's rows. Registering a proxy beside
    its concrete model (or two proxies of one model) would make every row two
    records in one feed, each edit tracked twice: the proxies are refused."""
    by_table: dict = {}
    for label, model in registered.items():
        by_table.setdefault(model._meta.concrete_model, []).append((label, model))
    found = []
    for concrete, sharing in by_table.items():
        if len(sharing) < 2:
            continue
        names = ", ".join(label for label, _ in sharing)
        for label, model in sharing:
            if not model._meta.proxy:
                continue
            found.append(
                Refusal(
                    label,
                    f"{model._meta.label} is a proxy of {concrete._meta.label}, and "
                    f"FIELDSYNC['MODELS'] registers {names}: one table, so every row would "
                    "be synced (and its writes tracked) twice.",
                    f"Register one of them: a registered proxy syncs every row of "
                    f"{concrete._meta.label} under its own name.",
                    SHARED_TABLE,
                    model,
                )
            )
    return found
