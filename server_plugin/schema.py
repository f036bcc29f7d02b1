"""The synced models as a client needs to know them to store records and build forms.

The client never has the central site's code: this description (field
types, lengths, choices, null/blank, related models, verbose names, the
primary key's type) is all it learns, so it must be complete enough to
validate an edit offline the way the server will.
"""

from __future__ import annotations

from django.db import models

from .access import has_model_permission
from .protocol import wire
from .registry import SyncedModel, get_registry


def _jsonable(value):
    if value is models.NOT_PROVIDED or callable(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def describe_field(field: models.Field) -> dict:
    described = {
        "name": field.name,
        "type": field.get_internal_type(),
        "verbose_name": str(field.verbose_name),
        "help_text": str(field.help_text or ""),
        "null": bool(field.null),
        "blank": bool(field.blank),
        "editable": bool(getattr(field, "editable", True)),
    }
    if getattr(field, "max_length", None):
        described["max_length"] = field.max_length
    if field.choices:
        described["choices"] = [
            [_jsonable(value), str(label)] for value, label in field.flatchoices
        ]
    if field.is_relation:
        described["related_model"] = field.related_model._meta.label_lower
        described["related_pk_type"] = field.related_model._meta.pk.get_internal_type()
        described["many"] = bool(field.many_to_many)
    if isinstance(field, models.DecimalField):
        described["max_digits"] = field.max_digits
        described["decimal_places"] = field.decimal_places
    default = _jsonable(getattr(field, "default", models.NOT_PROVIDED))
    if default is not None:
        described["default"] = default
    return described


def describe_model(synced: SyncedModel) -> dict:
    meta = synced.model._meta
    return {
        "label": synced.label,
        "verbose_name": str(meta.verbose_name),
        "verbose_name_plural": str(meta.verbose_name_plural),
        "pk": {"name": meta.pk.name, "type": meta.pk.get_internal_type()},
        "category_path": synced.category_path,
        "reference": synced.is_reference,
        "writable": synced.writable,
        "policy": synced.policy,
        "display_field": synced.display_field,
        "fields": [describe_field(f) for f in synced.fields],
    }


def describe(user) -> dict:
    registry = get_registry()
    category_model = registry.category_model
    return {
        "protocol": wire.PROTOCOL_VERSION,
        "category_model": category_model._meta.label_lower if category_model else None,
        "models": [
            describe_model(synced)
            for synced in registry.models.values()
            if has_model_permission(user, synced, "view")
        ],
    }
