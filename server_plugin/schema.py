"""The synced models as a client needs to know them to store records and build forms.

The client never has the central site's code: this description (field
types, lengths, choices, null/blank, defaults, validators with their
messages, uniqueness, related models, the primary key's type) is all it
learns, so it must be complete enough to check an edit offline the way the
server's ``full_clean()`` will, in Django's own words.
"""

from __future__ import annotations

import datetime
import uuid

from django.core import validators as django_validators
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst, get_text_list
from django.utils.translation import gettext

from .access import has_model_permission, permitted_actions
from .conf import setting
from .protocol import wire
from .registry import SyncedModel, field_type_of, get_registry, key_field

# Callable defaults a client can make itself (protocol/fields.py CALLABLE_DEFAULTS).
_CALLABLE_DEFAULTS = {
    dict: "dict",
    list: "list",
    timezone.now: "now",
    datetime.date.today: "today",
    uuid.uuid4: "uuid4",
}
# Messages of the field's own checks a client repeats offline.
_FIELD_MESSAGES = ("null", "blank", "invalid_choice")


def describe_validator(validator) -> dict:
    """A validator as data: its kind, its parameters and its message (Django's words,
    or the site's own). A validator the client cannot run is named "server": only
    the central site checks it."""
    message = str(getattr(validator, "message", "") or "")
    code = getattr(validator, "code", None)
    if isinstance(validator, django_validators.DecimalValidator):
        return {"kind": "decimal", "max_digits": validator.max_digits,
                "decimal_places": validator.decimal_places}  # fmt: skip
    if isinstance(validator, django_validators.StepValueValidator):
        return {"kind": "step_value", "limit_value": _plain(validator.limit_value),
                "offset": _plain(validator.offset), "message": message}  # fmt: skip
    limits = (
        (django_validators.MinValueValidator, "min_value"),
        (django_validators.MaxValueValidator, "max_value"),
        (django_validators.MinLengthValidator, "min_length"),
        (django_validators.MaxLengthValidator, "max_length"),
    )
    for cls, kind in limits:
        if isinstance(validator, cls) and not callable(validator.limit_value):
            return {"kind": kind, "limit_value": _plain(validator.limit_value), "message": message}
    if isinstance(validator, django_validators.URLValidator):
        return {"kind": "url", "schemes": list(validator.schemes), "message": message}
    if isinstance(validator, django_validators.EmailValidator):
        return {"kind": "email", "allowlist": list(validator.domain_allowlist), "message": message}
    if isinstance(validator, django_validators.RegexValidator):
        return {
            "kind": "regex",
            "regex": validator.regex.pattern,
            "flags": int(validator.regex.flags),
            "inverse_match": bool(validator.inverse_match),
            "message": message,
            "code": code,
        }
    if isinstance(validator, django_validators.ProhibitNullCharactersValidator):
        return {"kind": "no_null_characters", "message": message}
    name = getattr(validator, "__qualname__", type(validator).__qualname__)
    return {"kind": "server", "name": f"{getattr(validator, '__module__', '')}.{name}"}


def _plain(value):
    """A validator's limit as JSON: Decimals and dates travel as text."""
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)


def describe_default(field: models.Field) -> dict:
    """How a new record gets this field's default: ``{"default": value}``, or
    ``{"default_callable": name}`` for a callable the client knows by name, or
    "server" (the central site fills it in when the record arrives)."""
    if not field.has_default():
        return {}
    default = field.default
    if callable(default):
        return {"default_callable": _CALLABLE_DEFAULTS.get(default, "server")}
    try:
        return {"default": field_type_of(field).to_wire(default)}
    except (LookupError, TypeError, ValueError, AttributeError):
        return {"default_callable": "server"}


def describe_field(model: type[models.Model], field: models.Field) -> dict:
    field_type = field_type_of(field)
    described = {
        "name": field.name,
        "type": field.get_internal_type(),
        "verbose_name": str(field.verbose_name),
        "help_text": str(field.help_text or ""),
        "null": bool(field.null),
        "blank": bool(field.blank),
        "editable": bool(getattr(field, "editable", True)),
    }
    # Only what the site added: the client's Django adds each type's own checks
    # (max_length, decimal places, email, URL, slug...) and messages itself.
    if field._validators:
        described["validators"] = [describe_validator(v) for v in field._validators]
    messages = {
        key: str(text)
        for key, text in (field._error_messages or {}).items()
        if key in _FIELD_MESSAGES
    }
    if messages:
        described["messages"] = messages
    if getattr(field, "max_length", None):
        described["max_length"] = field.max_length
    if field.choices:
        described["choices"] = [
            [field_type.to_wire(value), str(label)] for value, label in field.flatchoices
        ]
    if field.is_relation:
        target = key_field(field)
        described["related_model"] = field.related_model._meta.label_lower
        described["related_pk_type"] = target.get_internal_type()  # the key it points at
        described["many"] = bool(field.many_to_many)
        if not field.many_to_many and not field.target_field.primary_key:
            described["to_field"] = field.target_field.name  # e.g. ForeignKey(to_field="code")
    if isinstance(field, models.DecimalField):
        described["max_digits"] = field.max_digits
        described["decimal_places"] = field.decimal_places
    if isinstance(field, models.GenericIPAddressField):
        described["protocol"] = field.protocol
        described["unpack_ipv4"] = field.unpack_ipv4
    if getattr(field, "allow_unicode", False):
        described["allow_unicode"] = True  # a SlugField of any letters
    django_class = _django_class(field)
    if django_class != described["type"]:
        described["field_class"] = django_class  # e.g. EmailField, stored as a CharField
    if field.unique and not field.primary_key:
        described["unique"] = _unique_message(model, [field.name])
    described.update(describe_default(field))
    return described


def _django_class(field: models.Field) -> str:
    """The Django field class a field is or derives from (its checks come with it)."""
    for cls in type(field).__mro__:
        if cls.__module__.startswith("django.db.models.fields"):
            return cls.__name__
    return field.get_internal_type()


def _unique_message(model: type[models.Model], names: list[str]) -> str:
    """Django's own words for a uniqueness clash, as full_clean() would say them."""
    meta = model._meta
    if len(names) == 1:
        field = meta.get_field(names[0])
        return str(field.error_messages["unique"]) % {
            "model_name": capfirst(meta.verbose_name),
            "field_label": capfirst(field.verbose_name),
        }
    labels = [capfirst(meta.get_field(name).verbose_name) for name in names]
    field_labels = get_text_list(labels, gettext("and"))
    return gettext("%(model_name)s with this %(field_labels)s already exists.") % {
        "model_name": capfirst(meta.verbose_name),
        "field_labels": field_labels,
    }


def unique_together(synced: SyncedModel) -> list[dict]:
    """Field sets that must be unique together, from unique_together and from
    UniqueConstraints on plain fields (a condition or expressions: server only)."""
    meta = synced.model._meta
    sets = [list(names) for names in meta.unique_together]
    for constraint in meta.total_unique_constraints:
        if len(constraint.fields) > 1:
            sets.append(list(constraint.fields))
    synced_names = set(synced.field_names)
    return [
        {"fields": names, "message": _unique_message(synced.model, names)}
        for names in sets
        if set(names) <= synced_names
    ]


def describe_model(synced: SyncedModel, user) -> dict:
    """A model as `user` sees it; `may` lists the Django permissions they hold
    on it, so the client refuses offline what the server would refuse."""
    meta = synced.model._meta
    return {
        "label": synced.label,
        "verbose_name": str(meta.verbose_name),
        "verbose_name_plural": str(meta.verbose_name_plural),
        "pk": _describe_key(meta.pk),
        "category_path": synced.category_path,
        "reference": synced.is_reference,
        "writable": synced.writable,
        "policy": synced.policy,
        "display_field": synced.display_field,
        "may": permitted_actions(user, synced),
        "fields": [describe_field(synced.model, f) for f in synced.fields],
        **({"unique_together": together} if (together := unique_together(synced)) else {}),
        # A multi-table child's registered parents: a key to one of them may name
        # a row of this model (a note's artefact may be a painting).
        **({"parents": parents} if (parents := _registered_parents(synced)) else {}),
    }


def _describe_key(pk: models.Field) -> dict:
    """The primary key's name and type; a natural text key's length too, as the
    editor types it when creating a record (a material's code)."""
    key = key_field(pk)
    described = {"name": pk.name, "type": key.get_internal_type()}
    if key.get_internal_type() != "UUIDField" and getattr(key, "max_length", None):
        described["max_length"] = key.max_length
    return described


def _registered_parents(synced: SyncedModel) -> list[str]:
    return [parent.label for parent in get_registry().registered_above(synced)]


def describe(user) -> dict:
    registry = get_registry()
    category_model = registry.category_model
    return {
        "protocol": wire.PROTOCOL_VERSION,
        "category_model": category_model._meta.label_lower if category_model else None,
        # What a client checks offline before anything travels (docs/files.md).
        "limits": {"max_file_bytes": setting("MAX_FILE_BYTES")},
        "models": [
            describe_model(synced, user)
            for synced in registry.models.values()
            if has_model_permission(user, synced, "view")
        ],
    }
