"""The server's schema as the client uses it: to parse and validate edits offline.

The checks mirror what the server's ``full_clean()`` will do (length,
choices, required, types), so an editor learns about a bad value when they
type it, not days later when a sync finally runs.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from dataclasses import dataclass, field
from typing import Any

from server_plugin.protocol import merge

_STRING_TYPES = {"CharField", "SlugField", "EmailField", "URLField", "GenericIPAddressField"}
_INTEGER_TYPES = {
    "IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField",
    "PositiveBigIntegerField", "PositiveSmallIntegerField", "AutoField", "BigAutoField",
    "SmallAutoField",
}  # fmt: skip
_TRUE, _FALSE = {"true", "yes", "y", "1", "on"}, {"false", "no", "n", "0", "off"}


class FieldError(ValueError):
    """A value a field cannot take; the message is for the editor."""


class UnknownModel(LookupError):
    pass


@dataclass(frozen=True)
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
    many: bool = False
    default: Any = None
    max_digits: int | None = None
    decimal_places: int | None = None

    @classmethod
    def from_json(cls, data: dict) -> FieldSchema:
        known = set(cls.__dataclass_fields__)
        values = {k: v for k, v in data.items() if k in known}
        values["choices"] = tuple(tuple(c) for c in data.get("choices") or ())
        return cls(**values)

    @property
    def label(self) -> str:
        return (self.verbose_name or self.name).capitalize()

    @property
    def kind(self) -> str:
        """What widget and parser the field needs."""
        if self.many:
            return "m2m"
        if self.related_model:
            return "fk"
        if self.choices:
            return "choice"
        return {
            "TextField": "text",
            "BooleanField": "boolean",
            "DateField": "date",
            "DateTimeField": "datetime",
            "TimeField": "time",
            "DecimalField": "decimal",
            "FloatField": "float",
            "UUIDField": "uuid",
            "JSONField": "json",
        }.get(self.type, "integer" if self.type in _INTEGER_TYPES else "string")

    @property
    def required(self) -> bool:
        return not self.blank

    def empty_value(self) -> Any:
        if self.default is not None:
            return self.default
        if self.many:
            return []
        if self.kind == "boolean":
            return False
        if self.kind in ("string", "text") and not self.null:
            return ""
        return None

    def parse(self, raw: str) -> Any:
        """A value typed as text (the CLI's ``--set``) -> its JSON value, validated."""
        text = raw.strip() if self.kind not in ("string", "text") else raw
        if text == "" and self.kind not in ("string", "text"):
            value: Any = [] if self.many else None
        elif self.kind == "boolean":
            lowered = text.lower()
            if lowered not in _TRUE | _FALSE:
                raise FieldError("expected yes or no (true/false)")
            value = lowered in _TRUE
        elif self.kind == "integer":
            try:
                value = int(text)
            except ValueError:
                raise FieldError(f"{raw!r} is not a whole number") from None
        elif self.kind == "float":
            try:
                value = float(text)
            except ValueError:
                raise FieldError(f"{raw!r} is not a number") from None
        elif self.kind == "m2m":
            value = [self.parse_key(part.strip()) for part in text.split(",") if part.strip()]
        elif self.kind == "fk":
            value = self.parse_key(text)
        elif self.kind == "choice":
            value = self._choice(text)
        else:
            value = text
        self.validate(value)
        return value

    def parse_key(self, text: str) -> Any:
        """One id of the related model, typed as the server types it."""
        if self.related_pk_type in _INTEGER_TYPES and not text.startswith("tmp:"):
            try:
                return int(text)
            except ValueError:
                raise FieldError(f"{text!r} is not an id of {self.related_model}") from None
        return text

    def _choice(self, text: str) -> Any:
        for value, label in self.choices:
            if text == str(value) or text.lower() == str(label).lower():
                return value
        raise FieldError(
            f"{text!r} is not one of the choices: {', '.join(str(v) for v, _ in self.choices)}"
        )

    def validate(self, value: Any) -> None:
        """Raise FieldError if the server would refuse `value` for this field."""
        empty = value is None or (isinstance(value, (str, list)) and not value)
        if empty:
            if value is None and not self.null and not self.many:
                raise FieldError(
                    "this field cannot be null" if self.blank else "this field is required"
                )
            if not self.blank:
                raise FieldError("this field is required")
            return
        kind = self.kind
        if kind in ("string", "text", "uuid", "date", "datetime", "time") and not isinstance(
            value, str
        ):
            raise FieldError("expected text")
        if kind == "string" and self.max_length and len(value) > self.max_length:
            raise FieldError(
                f"ensure this value has at most {self.max_length} characters (it has {len(value)})"
            )
        if kind == "boolean" and not isinstance(value, bool):
            raise FieldError("expected yes or no")
        if kind == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
            raise FieldError("expected a whole number")
        if kind == "choice" and value not in [v for v, _ in self.choices]:
            raise FieldError(
                f"{value!r} is not one of the choices: {', '.join(str(v) for v, _ in self.choices)}"
            )
        if kind == "date":
            _parse_or_fail(datetime.date.fromisoformat, value, "a date like 2026-11-25")
        if kind == "datetime":
            _parse_or_fail(
                lambda v: datetime.datetime.fromisoformat(v.replace("Z", "+00:00")),
                value,
                "a date and time like 2026-11-25T10:42:00Z",
            )
        if kind == "time":
            _parse_or_fail(datetime.time.fromisoformat, value, "a time like 10:42")
        if kind == "uuid":
            _parse_or_fail(uuid.UUID, value, "a UUID")
        if kind == "decimal":
            self._validate_decimal(value)
        if kind == "m2m" and not isinstance(value, list):
            raise FieldError("expected a list of ids")

    def _validate_decimal(self, value: Any) -> None:
        try:
            number = decimal.Decimal(str(value))
        except decimal.InvalidOperation:
            raise FieldError(f"{value!r} is not a decimal number") from None
        if self.max_digits is not None:
            digits = len(number.as_tuple().digits)
            if digits > self.max_digits:
                raise FieldError(f"ensure there are no more than {self.max_digits} digits")


def _parse_or_fail(parse, value: str, wanted: str) -> None:
    try:
        parse(value)
    except ValueError:
        raise FieldError(f"{value!r} is not {wanted}") from None


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
        )

    @property
    def integer_pk(self) -> bool:
        return self.pk_type in _INTEGER_TYPES

    @property
    def category_field(self) -> str | None:
        """The field whose value leads to the category (first hop of the path)."""
        return self.category_path.split("__")[0] if self.category_path else None

    def field(self, name: str) -> FieldSchema:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise FieldError(
            f"{self.label} has no field {name!r} (fields: {', '.join(f.name for f in self.fields)})"
        )

    def merge_kinds(self) -> dict[str, str]:
        kinds = {}
        for f in self.fields:
            kinds[f.name] = (
                merge.SET if f.many else merge.TEXT if f.type == "TextField" else merge.VALUE
            )
        return kinds

    def title_of(self, values: dict) -> str:
        if self.display_field and values.get(self.display_field) not in (None, ""):
            return str(values[self.display_field])[:300]
        return ""


class Schema:
    def __init__(self, data: dict | None):
        data = data or {}
        self.category_model: str | None = data.get("category_model")
        self.models: dict[str, ModelSchema] = {
            m["label"]: ModelSchema.from_json(m) for m in data.get("models", ())
        }

    def __bool__(self) -> bool:
        return bool(self.models)

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

    def referring_fields(self, label: str) -> list[tuple[ModelSchema, FieldSchema]]:
        """Every (model, field) that points at `label`: where a temporary id may sit."""
        return [
            (model, f)
            for model in self.models.values()
            for f in model.fields
            if f.related_model == label
        ]
