"""The server's schema as the client uses it: to parse and check edits offline.

Each field's wire form, parsing and comparison come from the protocol's field
table (server_plugin/protocol/fields.py), the same rows the server uses. Its
checks mirror the server's ``full_clean()`` in Django's own words: the client
runs Django's own validators — those each field type brings (length, digits,
email, URL, slug, IP) and those the site added, as the schema describes them —
so an editor learns about a bad value when they type it, not days later when
a sync finally runs. Validators only the server can run are left to it.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.core import validators as django_validators
from django.core.exceptions import ValidationError
from django.db import models as django_models

from server_plugin.protocol import fields as field_table
from server_plugin.protocol.fields import FieldType, FieldValueError

_AUTO_TYPES = {"AutoField", "BigAutoField", "SmallAutoField"}
_EMPTY = (None, "", [], (), {})
# Django's words for the field's own checks, where the site kept them.
_DEFAULT_MESSAGES = django_models.Field.default_error_messages


class FieldError(ValueError):
    """A value a field cannot take; the message is for the editor."""


class UnknownModel(LookupError):
    pass


DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024  # a site that does not say: the plugin's default
SERVER_DEFAULT = object()  # the server fills the field in when a new record arrives


@dataclass(frozen=True, eq=False)
class FieldSchema:
    name: str
    type: str
    verbose_name: str = ""
    help_text: str = ""
    null: bool = False
    blank: bool = False
    editable: bool = True
    max_length: int | None = None
    choices: tuple = ()
    related_model: str | None = None
    related_pk_type: str | None = None
    to_field: str | None = None
    many: bool = False
    default: Any = None
    default_callable: str | None = None
    max_digits: int | None = None
    decimal_places: int | None = None
    protocol: str = "both"
    unpack_ipv4: bool = False
    allow_unicode: bool = False
    field_class: str | None = None  # the Django class, where it is not `type` (EmailField)
    validators: tuple = ()
    messages: dict = field(default_factory=dict)
    unique: str | None = None  # Django's message for a clash, when the field is unique

    @classmethod
    def from_json(cls, data: dict) -> FieldSchema:
        known = set(cls.__dataclass_fields__)
        values = {k: v for k, v in data.items() if k in known}
        values["choices"] = tuple(tuple(c) for c in data.get("choices") or ())
        values["validators"] = tuple(data.get("validators") or ())
        return cls(**values)

    @property
    def label(self) -> str:
        return (self.verbose_name or self.name).capitalize()

    @cached_property
    def ftype(self) -> FieldType:
        """This field's row of the shared field table."""
        return field_table.type_of(
            self.type, self.related_pk_type, temp_ids=self.related_pk_type in _AUTO_TYPES
        )

    @cached_property
    def key_type(self) -> FieldType:
        """For a relation: the type of one related key (temporary ids allowed)."""
        return field_table.type_of(
            "ForeignKey", self.related_pk_type, temp_ids=self.related_pk_type in _AUTO_TYPES
        )

    @property
    def kind(self) -> str:
        """What widget and parser the field needs."""
        if self.many:
            return "m2m"
        if self.related_model:
            return "fk"
        if self.choices:
            return "choice"
        return self.ftype.kind

    @property
    def required(self) -> bool:
        return not self.blank

    def empty_value(self) -> Any:
        """The value a new record starts with: the model's default, as Model() makes it."""
        if self.default_callable == "server":
            return SERVER_DEFAULT
        if self.default_callable in field_table.CALLABLE_DEFAULTS:
            return field_table.CALLABLE_DEFAULTS[self.default_callable]()
        if self.default is not None:
            return self.default
        if self.many:
            return []
        if self.kind == "boolean" and not self.null:
            return False
        if self.kind in ("string", "text", "file") and not self.null:
            return ""
        return None

    def parse(self, raw: str) -> Any:
        """A value typed as text (the CLI's ``--set``, a form input) -> its wire value, checked."""
        try:
            value = self._choice(raw) if self.kind == "choice" else self.ftype.parse(raw)
        except FieldValueError as error:
            raise FieldError(str(error)) from None
        self.validate(value)
        return value

    def show(self, value: Any) -> str:
        """A wire value as an editor reads and types it."""
        if self.kind == "choice":
            for choice, label in self.choices:
                if self.ftype.same(choice, value):
                    return str(label)
        return self.ftype.show(value)

    def parse_key(self, text: str) -> Any:
        """One key of the related model, typed as the server types it."""
        try:
            return self.key_type.parse(text)
        except FieldValueError:
            raise FieldError(f"{text!r} is not a key of {self.related_model}") from None

    def _choice(self, text: str) -> Any:
        if text.strip() == "" and (self.blank or self.null):
            return None if self.null else ""
        for value, label in self.choices:
            if text == str(value) or text.strip().lower() == str(label).lower():
                return value
        try:
            typed = self.ftype.parse(text)
        except FieldValueError:
            typed = text
        for value, _label in self.choices:
            if self.ftype.same(value, typed):
                return value
        raise FieldError(
            f"{text!r} is not one of the choices: {', '.join(str(v) for v, _ in self.choices)}"
        )

    def validate(self, value: Any) -> None:
        """Raise FieldError if the server's full_clean() would refuse `value`, in its words."""
        try:
            python = self.ftype.check(value)
        except FieldValueError as error:
            raise FieldError(str(error)) from None
        if self.choices and value not in _EMPTY:
            if not any(self.ftype.same(choice, value) for choice, _ in self.choices):
                raise FieldError(self._message("invalid_choice") % {"value": value})
        if value is None and not self.null and not self.many:
            raise FieldError(self._message("null"))
        if value in _EMPTY and not self.blank:
            raise FieldError(self._message("blank"))
        if value in _EMPTY or self.related_model:
            return  # Django runs no validators on empty values; relations: their keys
        try:
            for validator in self._django_validators:
                validator(python)
        except ValidationError as error:
            raise FieldError(" ".join(error.messages)) from None

    def _message(self, key: str) -> str:
        return str(self.messages.get(key) or _DEFAULT_MESSAGES[key])

    @cached_property
    def _django_validators(self) -> list:
        """Django's validators for this field: its type's own, then the site's."""
        own = []
        model_field = self._django_field()
        if model_field is not None:
            own = list(model_field.validators)
        return own + [v for v in map(self._site_validator, self.validators) if v is not None]

    def _django_field(self) -> django_models.Field | None:
        class_name = self.field_class or self.type
        cls = getattr(django_models, class_name, None)
        if cls is None or class_name in ("FileField", "JSONField", "BooleanField"):
            return None
        options: dict[str, Any] = {}
        if self.max_length:
            options["max_length"] = self.max_length
        if self.type == "DecimalField":
            options.update(max_digits=self.max_digits, decimal_places=self.decimal_places)
        if self.type == "GenericIPAddressField":
            options.update(protocol=self.protocol, unpack_ipv4=self.unpack_ipv4)
        if self.allow_unicode:
            options["allow_unicode"] = True
        try:
            return cls(**options)
        except TypeError:
            return None

    def _site_validator(self, described: dict):
        kind = described.get("kind")
        message = {"message": described["message"]} if described.get("message") else {}
        limited = {
            "min_value": django_validators.MinValueValidator,
            "max_value": django_validators.MaxValueValidator,
            "min_length": django_validators.MinLengthValidator,
            "max_length": django_validators.MaxLengthValidator,
        }
        if kind in limited:
            return limited[kind](self._limit(described["limit_value"], kind), **message)
        if kind == "step_value":
            return django_validators.StepValueValidator(
                self._limit(described["limit_value"], kind),
                offset=self._limit(described.get("offset"), kind),
                **message,
            )
        if kind == "decimal":
            return django_validators.DecimalValidator(
                described["max_digits"], described["decimal_places"]
            )
        if kind == "regex":
            return django_validators.RegexValidator(
                described["regex"],
                code=described.get("code") or "invalid",
                inverse_match=bool(described.get("inverse_match")),
                flags=int(described.get("flags") or 0),
                **message,
            )
        if kind == "email":
            return django_validators.EmailValidator(
                allowlist=described.get("allowlist") or None, **message
            )
        if kind == "url":
            return django_validators.URLValidator(schemes=described.get("schemes"), **message)
        if kind == "no_null_characters":
            return django_validators.ProhibitNullCharactersValidator(**message)
        return None  # "server": only the central site can run it

    def _limit(self, value: Any, kind: str) -> Any:
        """A validator's limit in the field's own Python type (a Decimal, a date...)."""
        if value is None or kind in ("min_length", "max_length"):
            return value
        if self.type == "DecimalField":
            return decimal.Decimal(str(value))
        try:
            return self.ftype.check(value)
        except FieldValueError:
            return value


@dataclass(frozen=True)
class ModelSchema:
    label: str
    verbose_name: str
    verbose_name_plural: str
    pk_name: str
    pk_type: str
    category_path: str | None
    reference: bool
    writable: bool
    policy: str
    display_field: str | None
    fields: tuple[FieldSchema, ...] = field(default_factory=tuple)
    unique_together: tuple = ()  # ({"fields": [...], "message": "..."}, ...)
    parents: tuple[str, ...] = ()  # registered multi-table parents ("museum.artefact")
    pk_max_length: int | None = None  # a natural CharField key's max_length
    # The user's Django permissions on the model ("view", "add", "change",
    # "delete"); None from a server that does not say (it decides at the push).
    may: tuple[str, ...] | None = None

    @classmethod
    def from_json(cls, data: dict) -> ModelSchema:
        return cls(
            label=data["label"],
            verbose_name=data.get("verbose_name", data["label"]),
            verbose_name_plural=data.get("verbose_name_plural", data["label"]),
            pk_name=data["pk"]["name"],
            pk_type=data["pk"]["type"],
            category_path=data.get("category_path"),
            reference=bool(data.get("reference")),
            writable=bool(data.get("writable")),
            policy=data.get("policy", "client"),
            display_field=data.get("display_field"),
            fields=tuple(FieldSchema.from_json(f) for f in data.get("fields", ())),
            unique_together=tuple(data.get("unique_together") or ()),
            parents=tuple(data.get("parents") or ()),
            pk_max_length=data["pk"].get("max_length"),
            may=tuple(data["may"]) if "may" in data else None,
        )

    @property
    def integer_pk(self) -> bool:
        return self.pk_type in _AUTO_TYPES

    @property
    def natural_pk(self) -> bool:
        """A key the editor gives (a material's code): neither made by the
        database (a temporary id until then) nor a UUID the device makes."""
        return not self.integer_pk and self.pk_type != "UUIDField"

    @cached_property
    def key_field(self) -> FieldSchema:
        """The primary key as a field: typed once, when a record with a natural
        key is created (``--set code=obsidian``), never edited after."""
        return FieldSchema(
            name=self.pk_name, type=self.pk_type, max_length=self.pk_max_length, editable=False
        )

    @property
    def category_field(self) -> str | None:
        """The field whose value leads to the category (first hop of the path)."""
        return self.category_path.split("__")[0] if self.category_path else None

    def field(self, name: str) -> FieldSchema:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        if name == self.pk_name and self.natural_pk:
            return self.key_field
        raise FieldError(
            f"{self.label} has no field {name!r} (fields: {', '.join(f.name for f in self.fields)})"
        )

    def field_types(self) -> dict[str, FieldType]:
        """Each field's row of the field table: how its values compare and merge."""
        return {f.name: f.ftype for f in self.fields}

    def title_of(self, values: dict) -> str:
        if self.display_field and values.get(self.display_field) not in (None, ""):
            return str(values[self.display_field])[:300]
        return ""


class Schema:
    def __init__(self, data: dict | None):
        data = data or {}
        self.category_model: str | None = data.get("category_model")
        self.limits: dict = data.get("limits") or {}
        self.models: dict[str, ModelSchema] = {
            m["label"]: ModelSchema.from_json(m) for m in data.get("models", ())
        }

    def __bool__(self) -> bool:
        return bool(self.models)

    @property
    def max_file_bytes(self) -> int:
        """The site's limit per file (FIELDSYNC["MAX_FILE_BYTES"]), checked offline."""
        return int(self.limits.get("max_file_bytes") or DEFAULT_MAX_FILE_BYTES)

    def get(self, name: str) -> ModelSchema:
        """A model by label ("news.article") or by its bare name ("article")."""
        lowered = name.lower()
        if lowered in self.models:
            return self.models[lowered]
        matches = [m for label, m in self.models.items() if label.split(".")[-1] == lowered]
        if len(matches) == 1:
            return matches[0]
        known = ", ".join(sorted(self.models)) or "none yet: run fieldsync sync"
        raise UnknownModel(f"unknown model {name!r} (known: {known})")

    def kinds_of(self, label: str) -> list[str]:
        """The models a key to `label` may name a record of: `label` and its
        registered multi-table children (a note's artefact may be a painting)."""
        return [label, *(m.label for m in self.models.values() if label in m.parents)]

    def referring_fields(self, label: str) -> list[tuple[ModelSchema, FieldSchema]]:
        """Every (model, field) that points at `label` (or at one of its
        multi-table parents): where a temporary id may sit."""
        targets = {label, *(self.models[label].parents if label in self.models else ())}
        return [
            (model, f)
            for model in self.models.values()
            for f in model.fields
            if f.related_model in targets
        ]
