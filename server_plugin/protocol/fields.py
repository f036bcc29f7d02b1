"""The table of field types: how each Django field type travels, is typed and compares.

One row per Django internal type (``Field.get_internal_type()``), used by both
sides so they can never disagree: the server turns its values into the wire
form with `to_wire` and reads pushed ones with `check`; the client parses what
an editor types with `parse`, shows values with `show`; both compare values
with `same` (by value: ``"12.5" == "12.500"``, JSON by structure, datetimes as
instants) and merge them as `merge` says. A type missing here is refused at
start-up by the plugin's system check, never synced half-right.

Plain Python, no Django: values here are JSON values (the wire) or the
standard library's types (Decimal, datetime, timedelta, UUID).
"""

from __future__ import annotations

import datetime
import decimal
import ipaddress
import json
import math
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from . import files, merge
from .wire import is_temp_pk

# Whole numbers every backend stores: the wire never carries more.
INT64 = (-(2**63), 2**63 - 1)


class FieldValueError(ValueError):
    """A value a field type cannot take; the message is for the editor."""


@dataclass(frozen=True)
class FieldType:
    """One row of the table. Functions take and give wire (JSON) values."""

    name: str  # the Django internal type, e.g. "DecimalField"
    kind: str  # the editor's family: picks the widget and the parser
    merge: str  # merge.TEXT, merge.SET or merge.VALUE
    wire: str  # the wire form, in words (docs)
    typed: str  # what an editor types, in words (docs)
    read: Callable[[Any], Any]  # wire value -> Python value; raises FieldValueError
    write: Callable[[Any], Any]  # Python value (as Django holds it) -> wire value
    parse_text: Callable[[str], Any]  # editor's text -> wire value
    show_text: Callable[[Any], str]  # wire value -> text for the editor
    key_of: Callable[[Any], Any] | None = None  # Python value -> comparison key
    bounds: tuple[int, int] | None = None  # whole numbers: the range every backend keeps
    temp_ids: bool = False  # a relation to an integer-keyed model: "tmp:<uuid>" allowed

    def check(self, value: Any) -> Any:
        """The Python value of a wire value; FieldValueError names what is wrong.

        None passes: whether a field may be empty is its schema's call.
        """
        if value is None:
            return None
        if self.temp_ids and is_temp_pk(value):
            return value
        found = self.read(value)
        if self.bounds is not None and not self.bounds[0] <= found <= self.bounds[1]:
            low, high = self.bounds
            raise FieldValueError(f"must be a whole number from {low} to {high}")
        return found

    def to_wire(self, python_value: Any) -> Any:
        return None if python_value is None else self.write(python_value)

    def parse(self, text: str) -> Any:
        """What an editor typed -> the wire value (checked)."""
        if self.kind not in ("string", "text", "file") and text.strip() == "":
            return [] if self.kind == "m2m" else None
        if self.temp_ids and is_temp_pk(text.strip()):
            return text.strip()
        value = self.parse_text(text)
        self.check(value)
        return value

    def show(self, value: Any) -> str:
        if value is None:
            return ""
        if self.temp_ids and is_temp_pk(value):
            return value
        return self.show_text(value)

    def key(self, value: Any) -> Any:
        """What two values are compared by; a value it cannot read compares as itself."""
        if value is None:
            return None
        if self.temp_ids and is_temp_pk(value):
            return value
        try:
            found = self.read(value)
        except (FieldValueError, TypeError):
            return ("unreadable", json.dumps(value, sort_keys=True, default=str))
        return self.key_of(found) if self.key_of else found

    def same(self, a: Any, b: Any) -> bool:
        return self.key(a) == self.key(b)


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    names = {str: "a string", list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)


# -- text ------------------------------------------------------------------------


def _read_text(value: Any) -> str:
    if not isinstance(value, str):
        raise FieldValueError(f"expected a string, got {_kind_of(value)}")
    return value


def _read_ip(value: Any) -> str:
    text = _read_text(value)
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise FieldValueError(f"{text!r} is not an IP address") from None
    return text


def _ip_key(text: str) -> Any:
    address = ipaddress.ip_address(text)
    return address.ipv4_mapped or address if address.version == 6 else address


def _read_file(value: Any) -> Any:
    """A file value: "" (none) or a reference (protocol/files.py), kept as its dict."""
    try:
        ref = files.read_ref(value)
    except files.FileRefError as error:
        raise FieldValueError(str(error)) from None
    return "" if ref is None else ref.to_wire()


def _file_to_wire(value: Any) -> Any:
    """A FileRef (the server makes one from a FieldFile and its stored hash) or a
    reference dict -> the wire; "" for none."""
    if isinstance(value, files.FileRef):
        return value.to_wire()
    return _read_file(value or "")


def _parse_file(text: str) -> Any:
    if text.strip() == "":
        return ""
    raise FieldValueError("attach a file with @PATH (a file on this computer), or clear it with ''")


def _show_file(value: Any) -> str:
    ref = files.read_ref(value) if isinstance(value, dict) else None
    if ref is None:
        return str(value or "")
    return f"{ref.base_name} ({files.size_text(ref.size)})"


# -- numbers ---------------------------------------------------------------------


def _read_integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldValueError(f"expected a whole number, got {_kind_of(value)}")
    return value


def _parse_integer(text: str) -> int:
    cleaned = text.strip().replace("_", "")
    if not re.fullmatch(r"[+-]?\d{1,20}", cleaned):
        raise FieldValueError(f"{text.strip()!r} is not a whole number")
    return int(cleaned)


def _read_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FieldValueError(f"expected a number, got {_kind_of(value)}")
    if not math.isfinite(value):
        raise FieldValueError("expected a finite number")
    return float(value)


def _parse_float(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise FieldValueError(f"{text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise FieldValueError("expected a finite number")
    return value


def _show_float(value: Any) -> str:
    return repr(float(value)) if isinstance(value, (int, float)) else str(value)


def _read_decimal(value: Any) -> decimal.Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise FieldValueError(f"expected a decimal number, got {_kind_of(value)}")
    text = str(value).strip() if not isinstance(value, float) else repr(value)
    if len(text) > 100:
        raise FieldValueError("the number is too long")
    try:
        number = decimal.Decimal(text)
    except decimal.InvalidOperation:
        raise FieldValueError(f"{value!r} is not a decimal number") from None
    if not number.is_finite():
        raise FieldValueError("expected a finite decimal number")
    return number


def _decimal_to_wire(value: Any) -> str:
    return str(value) if isinstance(value, decimal.Decimal) else str(_read_decimal(value))


def _parse_decimal(text: str) -> str:
    return str(_read_decimal(text.strip()))


# -- true or false -----------------------------------------------------------------

_TRUE, _FALSE = {"true", "yes", "y", "1", "on"}, {"false", "no", "n", "0", "off"}


def _read_boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise FieldValueError(f"expected true or false, got {_kind_of(value)}")
    return value


def _parse_boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered not in _TRUE | _FALSE:
        raise FieldValueError("expected yes or no (true/false)")
    return lowered in _TRUE


# -- dates and times ---------------------------------------------------------------

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = r"\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?"
_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](" + _TIME + r")\s*(Z|[+-]\d{2}:?\d{2})?", re.I)


def _read_date(value: Any) -> datetime.date:
    text = _read_text(value).strip()
    if not _DATE.fullmatch(text):
        raise FieldValueError(f"{text!r} is not a date like 2026-11-25")
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as error:
        raise FieldValueError(f"{text!r} is not a date: {error}") from None


def _datetime_parts(text: str) -> tuple[datetime.datetime, bool]:
    """A datetime from ISO text, and whether the text carried an offset."""
    match = _DATETIME.fullmatch(text.strip())
    if not match:
        raise FieldValueError(
            f"{text.strip()!r} is not a date and time like 2026-11-25T10:42:00+01:00"
        )
    day, clock, offset = match.groups()
    iso = f"{day}T{_padded_time(clock)}"
    if offset:
        iso += "+00:00" if offset.upper() == "Z" else _colon_offset(offset)
    try:
        found = datetime.datetime.fromisoformat(iso)
    except ValueError as error:
        raise FieldValueError(f"{text.strip()!r} is not a date and time: {error}") from None
    return found, offset is not None


def _padded_time(clock: str) -> str:
    if clock.count(":") == 1:
        return clock + ":00"
    if "." in clock:
        whole, fraction = clock.split(".")
        return f"{whole}.{fraction.ljust(6, '0')}"
    return clock


def _colon_offset(offset: str) -> str:
    return offset if ":" in offset else f"{offset[:3]}:{offset[3:]}"


def _read_datetime(value: Any) -> datetime.datetime:
    found, has_offset = _datetime_parts(_read_text(value))
    if not has_offset:
        raise FieldValueError(
            f"{value!r} has no time zone offset; send the instant with its offset, "
            "e.g. 2026-11-25T10:42:00+01:00"
        )
    return found


def _datetime_to_wire(value: datetime.datetime) -> str:
    return value.isoformat()


def _parse_datetime(text: str) -> str:
    """A time typed without an offset is the editor's local time; sent with its offset."""
    if text.strip().lower() == "now":
        return datetime.datetime.now().astimezone().isoformat()
    found, has_offset = _datetime_parts(text)
    if not has_offset:
        found = _local_instant(found, text.strip())
    return found.isoformat()


def _local_instant(naive: datetime.datetime, typed: str) -> datetime.datetime:
    """A wall-clock time of this machine's time zone, with its offset; refused (never
    moved) when the clocks skip it or show it twice around a daylight-saving change."""
    first, second = (naive.replace(fold=fold).astimezone() for fold in (0, 1))
    if first.replace(tzinfo=None) != naive or second.replace(tzinfo=None) != naive:
        meant = naive.replace(tzinfo=first.tzinfo).isoformat(sep=" ")
        raise FieldValueError(
            f"{typed} does not exist in your time zone (the clocks skip it); "
            f"type the time you mean with its offset, e.g. {meant}"
        )
    if first.utcoffset() != second.utcoffset():
        raise FieldValueError(
            f"{typed} happens twice in your time zone (the clocks go back); type it with "
            f"its offset: {first.isoformat(sep=' ')} or {second.isoformat(sep=' ')}"
        )
    return first


def _show_datetime(value: Any) -> str:
    try:
        found = _read_datetime(value)
    except FieldValueError:
        return str(value)
    return found.astimezone().isoformat(sep=" ")


def _instant(value: datetime.datetime) -> datetime.datetime:
    return value.astimezone(datetime.UTC)


def _read_time(value: Any) -> datetime.time:
    text = _read_text(value).strip()
    if not re.fullmatch(_TIME, text):
        raise FieldValueError(f"{text!r} is not a time of day like 10:42 or 10:42:05.25")
    try:
        return datetime.time.fromisoformat(_padded_time(text))
    except ValueError as error:
        raise FieldValueError(f"{text!r} is not a time of day: {error}") from None


def _time_to_wire(value: datetime.time) -> str:
    return value.replace(tzinfo=None).isoformat()


_ISO_DURATION = re.compile(
    r"(?P<sign>[-+]?)P(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)(?:[.,](?P<fraction>\d{1,6}))?S)?)?",
    re.I,
)
_CLOCK_DURATION = re.compile(
    r"(?:(?P<days>[-+]?\d+)\s*(?:days?,?\s*|\s+))?(?P<sign>[-+]?)"
    r"(?:(?P<hours>\d+):)?(?P<minutes>\d+):(?P<seconds>\d+)(?:[.,](?P<fraction>\d{1,6}))?"
)
_UNIT_DURATION = re.compile(
    r"(?P<sign>[-+]?)\s*(?:(?P<days>\d+)\s*d(?:ays?)?\s*)?(?:(?P<hours>\d+)\s*h(?:ours?)?\s*)?"
    r"(?:(?P<minutes>\d+)\s*m(?:in(?:utes?)?)?\s*)?(?:(?P<seconds>\d+)(?:[.,](?P<fraction>\d{1,6}))?"
    r"\s*s(?:ec(?:onds?)?)?)?",
    re.I,
)
# A duration every backend stores: SQLite and others keep microseconds in 64 bits.
_MAX_DURATION = datetime.timedelta(microseconds=2**63 - 1)
_SECONDS_DURATION = re.compile(r"(?P<sign>[-+]?)(?P<seconds>\d+)(?:[.,](?P<fraction>\d{1,6}))?")


def _duration_from(match: re.Match, *, days_signed: bool) -> datetime.timedelta:
    parts = match.groupdict()
    days = int(parts.get("days") or 0)
    clock = datetime.timedelta(
        hours=int(parts.get("hours") or 0),
        minutes=int(parts.get("minutes") or 0),
        seconds=int(parts.get("seconds") or 0),
        microseconds=int((parts.get("fraction") or "0").ljust(6, "0")),
    )
    negative = parts.get("sign") == "-"
    try:
        if days_signed:  # "-1 day, 23:00:00" is -1 day + 23 hours, as Python writes it
            total = datetime.timedelta(days=days) + (-clock if negative else clock)
        else:
            total = datetime.timedelta(days=days) + clock
            total = -total if negative else total
    except OverflowError:
        total = datetime.timedelta.max
    if abs(total) > _MAX_DURATION:
        raise FieldValueError(
            f"the duration is too long: at most {_MAX_DURATION.days:,} days either way"
        )
    return total


def _read_duration(value: Any) -> datetime.timedelta:
    text = _read_text(value).strip()
    match = _ISO_DURATION.fullmatch(text)
    if not match or text.upper().endswith(("P", "T")):
        raise FieldValueError(f"{text!r} is not an ISO 8601 duration like P1DT02H30M00S")
    return _duration_from(match, days_signed=False)


def _duration_to_wire(value: datetime.timedelta) -> str:
    """ISO 8601, as Django writes it: "P1DT02H03M04.000005S", "-P0DT00H00M05S"."""
    sign = "-" if value < datetime.timedelta(0) else ""
    value = abs(value)
    minutes, seconds = divmod(value.seconds, 60)
    hours, minutes = divmod(minutes, 60)
    fraction = f".{value.microseconds:06d}" if value.microseconds else ""
    return f"{sign}P{value.days}DT{hours:02d}H{minutes:02d}M{seconds:02d}{fraction}S"


def _parse_duration(text: str) -> str:
    cleaned = text.strip()
    patterns = ((_ISO_DURATION, False), (_CLOCK_DURATION, True), (_SECONDS_DURATION, False))
    for pattern, days_signed in patterns:
        match = pattern.fullmatch(cleaned)
        if match and not cleaned.upper().endswith(("P", "T")):
            return _duration_to_wire(_duration_from(match, days_signed=days_signed))
    match = _UNIT_DURATION.fullmatch(cleaned)
    if match and any(match.group(unit) for unit in ("days", "hours", "minutes", "seconds")):
        return _duration_to_wire(_duration_from(match, days_signed=False))
    raise FieldValueError(
        f"{cleaned!r} is not a duration; write e.g. 2:30:00, 1 day, 4:00:00, 90m, 45 "
        "(seconds) or P1DT2H"
    )


def _show_duration(value: Any) -> str:
    try:
        return str(_read_duration(value))
    except FieldValueError:
        return str(value)


# -- identifiers and JSON --------------------------------------------------------------

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def _read_uuid(value: Any) -> uuid.UUID:
    text = _read_text(value)
    if not _UUID.fullmatch(text):
        raise FieldValueError(f"{text!r} is not a UUID like 3f2c…-…-…-…-0a1b2c3d4e5f")
    return uuid.UUID(text)


def _parse_uuid(text: str) -> str:
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        raise FieldValueError(f"{text.strip()!r} is not a UUID") from None


def _read_json(value: Any) -> Any:
    """A JSON value: Python's decoder also gives NaN and infinities, which JSON has not."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise FieldValueError(f"not valid JSON: {item!r} is not a JSON number")
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return value


def _no_constant(name: str):
    raise ValueError(name)


def _parse_json(text: str) -> Any:
    try:
        return _read_json(json.loads(text, parse_constant=_no_constant))
    except json.JSONDecodeError as error:
        raise FieldValueError(
            f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    except FieldValueError:
        raise
    except ValueError as error:  # NaN, Infinity: not JSON
        raise FieldValueError(f"not valid JSON: {error} is not a JSON number") from None


def _show_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def json_key(value: Any) -> Any:
    """JSON compared by structure: key order never matters, 1 == 1.0, true != 1."""
    if isinstance(value, dict):
        return ("object", frozenset((k, json_key(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("array", tuple(json_key(v) for v in value))
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", value)
    return ("other", value)


def _identity(value: Any) -> Any:
    return value


def _row(name, kind, wire, typed, read, write=_identity, parse=None, show=str, **extra):
    return FieldType(
        name=name,
        kind=kind,
        merge=extra.pop("merge_as", merge.VALUE),
        wire=wire,
        typed=typed,
        read=read,
        write=write,
        parse_text=parse or (lambda text: read(text)),
        show_text=show,
        **extra,
    )


def _string_row(name: str, typed: str = "the text as is", **extra) -> FieldType:
    return _row(name, "string", "a string", typed, _read_text, write=str, parse=_identity, **extra)


def _integer_row(name: str, low: int, high: int) -> FieldType:
    return _row(
        name, "integer", f"an integer ({low} to {high} on every backend)", "a whole number",
        _read_integer, write=int, parse=_parse_integer, bounds=(low, high),
    )  # fmt: skip


_INTEGERS = {
    "SmallIntegerField": (-32768, 32767),
    "IntegerField": (-2147483648, 2147483647),
    "BigIntegerField": INT64,
    "PositiveSmallIntegerField": (0, 32767),
    "PositiveIntegerField": (0, 2147483647),
    "PositiveBigIntegerField": (0, INT64[1]),
    "SmallAutoField": (-32768, 32767),
    "AutoField": (-2147483648, 2147483647),
    "BigAutoField": INT64,
}

TABLE: dict[str, FieldType] = {
    row.name: row
    for row in [
        _string_row("CharField"),
        _string_row("SlugField", "letters, numbers, underscores or hyphens"),
        _string_row("FilePathField", "a path among the field's choices"),
        _row(
            "GenericIPAddressField",
            "ip",
            "a string (compared as an address: ::1 == 0::1)",
            "an IPv4 or IPv6 address",
            _read_ip,
            write=str,
            parse=lambda t: t.strip(),
            key_of=_ip_key,
        ),
        _row(
            "TextField",
            "text",
            "a string",
            "the text as is (merged by sentence)",
            _read_text,
            write=str,
            parse=_identity,
            merge_as=merge.TEXT,
        ),
        *[_integer_row(name, low, high) for name, (low, high) in _INTEGERS.items()],
        _row(
            "FloatField",
            "float",
            "a number",
            "a number like 12.5 or 1e-3",
            _read_float,
            write=float,
            parse=_parse_float,
            show=_show_float,
        ),
        _row(
            "DecimalField",
            "decimal",
            'a string like "12.500" (compared by value: 12.5 == 12.500)',
            "a number like 12.5",
            _read_decimal,
            write=_decimal_to_wire,
            parse=_parse_decimal,
        ),
        _row(
            "BooleanField",
            "boolean",
            "true, false (or null where the field allows it)",
            "yes/no, true/false, 1/0, on/off",
            _read_boolean,
            write=bool,
            parse=_parse_boolean,
            show=lambda v: "yes" if v else "no",
        ),
        _row(
            "DateField",
            "date",
            'a string "YYYY-MM-DD"',
            "2026-11-25",
            _read_date,
            write=lambda d: d.isoformat(),
            parse=lambda t: _read_date(t).isoformat(),
        ),
        _row(
            "DateTimeField",
            "datetime",
            "an ISO 8601 string with its offset, microseconds kept: "
            '"2026-11-25T10:42:00.123456+00:00"'
            " (compared as instants; a value without an offset is refused)",
            "2026-11-25 10:42 (your local time) or with an offset, or now",
            _read_datetime,
            write=_datetime_to_wire,
            parse=_parse_datetime,
            show=_show_datetime,
            key_of=_instant,
        ),
        _row(
            "TimeField",
            "time",
            'a string "HH:MM:SS[.ffffff]", no offset',
            "10:42 or 10:42:05.25",
            _read_time,
            write=_time_to_wire,
            parse=lambda t: _read_time(t).isoformat(),
        ),
        _row(
            "DurationField",
            "duration",
            'an ISO 8601 duration as Django writes it: "P1DT02H30M00S"',
            "2:30:00, 1 day, 4:00:00, 90m, 1d 2h or P1DT2H",
            _read_duration,
            write=_duration_to_wire,
            parse=_parse_duration,
            show=_show_duration,
        ),
        _row(
            "UUIDField",
            "uuid",
            'a string "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (compared as a UUID)',
            "a UUID in any usual spelling",
            _read_uuid,
            write=str,
            parse=_parse_uuid,
        ),
        _row(
            "JSONField",
            "json",
            "any JSON value, kept as its type (compared by structure)",
            'JSON text: {"glaze": "red"}, [1, 2], "text", 3, true, null',
            _read_json,
            parse=_parse_json,
            show=_show_json,
            key_of=json_key,
        ),
        _row(
            "FileField",
            "file",
            'a file reference {"name", "size", "sha256", "content_type"}, or "" for none '
            "(compared by sha256; content moves apart, docs/files.md)",
            "@PATH attaches a file of this computer; nothing clears it",
            _read_file,
            write=_file_to_wire,
            parse=_parse_file,
            show=_show_file,
            key_of=lambda value: files.ref_key(value),
        ),
    ]
}

# The relation types: their values are those of the field they point at.
RELATIONS = {"ForeignKey": "fk", "OneToOneField": "fk", "ManyToManyField": "m2m"}


def supported(internal_type: str) -> bool:
    return internal_type in TABLE or internal_type in RELATIONS


def field_type(internal_type: str) -> FieldType:
    try:
        return TABLE[internal_type]
    except KeyError:
        raise LookupError(f"no row for {internal_type} in the field table") from None


def relation_type(kind: str, target: FieldType, *, temp_ids: bool = False) -> FieldType:
    """A foreign key ("fk") or many-to-many ("m2m") to a field of type `target`.

    A foreign key's value is the target's (its `to_field`, usually the primary
    key); a many-to-many's is the list of the targets' keys, compared as a set.
    `temp_ids`: the target model has integer keys, so a record created offline
    is referred to by its temporary id until the server gives the permanent one.
    """
    if kind == "fk":
        return replace(
            target,
            name="ForeignKey",
            kind="fk",
            merge=merge.VALUE,
            wire=f"the key of the related record ({target.wire})",
            typed="the related record's key",
            bounds=target.bounds,
            temp_ids=temp_ids,
        )
    single = replace(target, temp_ids=temp_ids)

    def read_keys(value: Any) -> list:
        if not isinstance(value, list):
            raise FieldValueError(f"expected a list of keys, got {_kind_of(value)}")
        return [single.check(item) for item in value]

    def parse_keys(text: str) -> list:
        return [single.parse(part.strip()) for part in text.split(",") if part.strip()]

    return FieldType(
        name="ManyToManyField",
        kind="m2m",
        merge=merge.SET,
        wire=f"a list of the related records' keys ({target.wire} each), compared as a set",
        typed="the related records' keys, separated by commas",
        read=read_keys,
        write=lambda keys: sorted(keys, key=_sort_key),
        parse_text=parse_keys,
        show_text=lambda keys: ", ".join(single.show(k) for k in keys),
        key_of=lambda keys: frozenset(single.key(k) for k in keys),
    )


def _sort_key(value: Any) -> tuple:
    return (str(type(value)), value)


def type_of(internal_type: str, related_type: str | None = None, *, temp_ids: bool = False):
    """The row for a field as the schema describes it (relations included)."""
    kind = RELATIONS.get(internal_type)
    if kind is None:
        return field_type(internal_type)
    target = field_type(_plain_key_type(related_type or "BigAutoField"))
    return relation_type(kind, target, temp_ids=temp_ids)


def _plain_key_type(internal_type: str) -> str:
    """A key that is itself a relation (a child's parent link) compares as an integer."""
    return "BigIntegerField" if internal_type in RELATIONS else internal_type


# Defaults a callable makes, known to both sides by name: a new record made
# offline starts from them exactly as `Model()` would on the server.
CALLABLE_DEFAULTS: dict[str, Callable[[], Any]] = {
    "dict": dict,
    "list": list,
    "now": lambda: datetime.datetime.now(datetime.UTC).isoformat(),
    "today": lambda: datetime.date.today().isoformat(),
    "uuid4": lambda: str(uuid.uuid4()),
}
