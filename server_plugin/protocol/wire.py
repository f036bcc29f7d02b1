"""The wire format shared by the central plugin and the client.

Plain Python on purpose (no Django): the client imports this module to build
requests and read answers, the server to parse and answer them, so the two
sides can never disagree about a name or a shape. `docs/protocol.md` shows
the same shapes with examples.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from . import hlc

PROTOCOL_VERSION = 1
API_VERSION = "v1"

# Operations a client may push.
CREATE, UPDATE, DELETE = "create", "update", "delete"
OPERATIONS = (CREATE, UPDATE, DELETE)

# Outcome of one pushed change.
APPLIED = "applied"  # fast-forward: the server had not moved since the base
MERGED = "merged"  # the server had moved; both sides' edits were combined
CONFLICT = "conflict"  # a human must choose; the server's state is returned
REJECTED = "rejected"  # invalid (field errors) or not allowed; nothing written
REVIEW = "review"  # waits for a chief editor in the central admin
# Names file content (by sha256, in `files`) the server does not hold: nothing
# was applied and no receipt kept, so the same change is sent again once its
# files are uploaded (docs/files.md).
NEEDS_FILES = "needs_files"
STATUSES = (APPLIED, MERGED, CONFLICT, REJECTED, REVIEW, NEEDS_FILES)

# Conflict policies per model (push/decide.py says what each does).
POLICY_CLIENT = "client"
POLICY_REVIEW = "review"
POLICY_DIRECT = "direct"
POLICY_LAST_WRITER = "last-writer"
POLICY_MAJOR_MINOR = "major-minor"
POLICIES = (POLICY_CLIENT, POLICY_REVIEW, POLICY_DIRECT, POLICY_LAST_WRITER, POLICY_MAJOR_MINOR)

# A record created offline for a model with an integer primary key travels
# with a temporary id "tmp:<uuid>"; the server answers with the permanent one.
TEMP_PK_PREFIX = "tmp:"

# The feed of reference data (models registered without a category path).
REFERENCE_FEED = "reference"

MAX_CHANGES_PER_PUSH = 1000

# Bounds of what a request may carry, so that nothing past them reaches a
# column, a recursion or Python's integer parser. The server refuses more
# with a 400 naming the part; docs/protocol.md (Limits) lists them.
INT64 = (-(2**63), 2**63 - 1)  # whole numbers every backend stores
MAX_KEY_LENGTH = 64  # a primary key or category key as text: the side table's columns
MAX_LABEL_LENGTH = 100  # a model label: the receipts' column
MAX_JSON_DEPTH = 64  # arrays and objects inside each other, the body itself included
MAX_NUMBER_DIGITS = 100  # digits of one JSON number

CHANGE_KEYS = (
    "id", "op", "model", "pk", "values", "base_version", "base_values",
    "category", "edit_kind", "hlc",
)  # fmt: skip

_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TEMP_PK = re.compile(re.escape(TEMP_PK_PREFIX) + _CANONICAL_UUID.pattern)


def is_temp_pk(value: Any) -> bool:
    """A temporary id exactly as clients make them: "tmp:" and a UUID in lower case."""
    return isinstance(value, str) and _TEMP_PK.fullmatch(value) is not None


def new_temp_pk() -> str:
    return f"{TEMP_PK_PREFIX}{uuid.uuid4()}"


class WireError(ValueError):
    """A request or answer that does not have the protocol's shape.

    `where` names the offending part (e.g. ``changes[3].base_version``) so a
    4xx answer can say exactly what is wrong.
    """

    def __init__(self, message: str, where: str = ""):
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.detail = message


def parse_change_id(value: Any, where: str) -> str:
    """A change id, which must be spelled the one way clients write it.

    A UUID has many spellings (upper case, no hyphens, braces, ``urn:uuid:``);
    a change is known by its id, so the wire takes only the canonical one and
    the same change can never pass as two.
    """
    if not isinstance(value, str):
        raise WireError(f"must be a UUID (a string), not {_type_name(value)}", where)
    if _CANONICAL_UUID.fullmatch(value) is None:
        canonical = _canonical_uuid(value)
        hint = f" ({canonical!r})" if canonical else ""
        raise WireError(
            "must be a UUID written as clients write it: 32 hex digits in lower case, "
            f"grouped 8-4-4-4-12{hint}",
            where,
        )
    return value


def _canonical_uuid(value: str) -> str | None:
    if len(value) > 100:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def read_json(text: str) -> Any:
    """A JSON document within the protocol's bounds; WireError says what is beyond.

    Python's own decoder gives up with a RecursionError on deep nesting and a
    ValueError past 4,300 digits, and takes NaN and Infinity; text with a NUL
    or half of a surrogate pair cannot be stored by every backend. Each is
    refused here, naming where it is, before anything reads the document.
    """
    try:
        data = json.loads(
            text,
            parse_int=_bounded_int,
            parse_float=_bounded_float,
            parse_constant=_no_constant,
        )
    except RecursionError:
        raise WireError(f"is nested more than {MAX_JSON_DEPTH} levels deep", "body") from None
    except json.JSONDecodeError:
        raise
    except ValueError as error:  # from the hooks: a number or constant out of bounds
        raise WireError(str(error), "body") from None
    problem = _first_problem(data)
    if problem is not None:
        path, message = problem
        raise WireError(message, path or "body")
    return data


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_NUMBER_DIGITS:
        raise ValueError(f"holds a number of {digits} digits; at most {MAX_NUMBER_DIGITS}")
    return int(text)


def _bounded_float(text: str) -> float:
    if len(text) > MAX_NUMBER_DIGITS + 10:
        raise ValueError(f"holds a number of {len(text)} characters; at most {MAX_NUMBER_DIGITS}")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"holds a number too large for a float: {text}")
    return value


def _no_constant(name: str):
    raise ValueError(f"holds {name}, which is not JSON")


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _first_problem(data: Any) -> tuple[str, str] | None:
    """(where, what) of the first part too deep or holding unstorable text, if any.

    One pass without paths (the common case: nothing wrong), then one with
    paths to name the part.
    """
    if not _has_problem(data):
        return None
    pending: list[tuple[Any, int, str]] = [(data, 1, "")]
    while pending:
        value, depth, path = pending.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                return path, f"is nested more than {MAX_JSON_DEPTH} levels deep"
            items = value.items() if isinstance(value, dict) else enumerate(value)
            children = []
            for key, item in items:
                if isinstance(key, str) and _UNSTORABLE.search(key):
                    return path, _unstorable(key)
                child = f"{path}[{key}]" if isinstance(key, int) else _joined(path, key)
                children.append((item, depth + 1, child))
            pending.extend(reversed(children))
        elif isinstance(value, str) and _UNSTORABLE.search(value):
            return path, _unstorable(value)
    return None


def _has_problem(data: Any) -> bool:
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            if depth > MAX_JSON_DEPTH:
                return True
            for key, item in value.items():
                if _UNSTORABLE.search(key):
                    return True
                pending.append((item, depth + 1))
        elif isinstance(value, list):
            if depth > MAX_JSON_DEPTH:
                return True
            pending.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and _UNSTORABLE.search(value):
            return True
    return False


def _joined(path: str, key: str) -> str:
    shown = key if len(key) <= 40 else key[:40] + "…"
    return f"{path}.{shown}" if path else shown


def _unstorable(text: str) -> str:
    found = _UNSTORABLE.search(text).group()
    if found == "\x00":
        return "holds the NUL character (\\u0000), which text may not contain"
    return f"holds half of a UTF-16 surrogate pair (\\u{ord(found):04x}), which is not text"


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        list: "a list",
        dict: "an object",
    }
    return names.get(type(value), type(value).__name__)


def _require(obj: dict, key: str, kinds: type | tuple[type, ...], where: str, *, optional=False):
    if key not in obj or obj[key] is None:
        if optional:
            return None
        raise WireError("is required", f"{where}.{key}")
    value = obj[key]
    # bool is an int in Python; never accept it where a number is meant.
    if isinstance(value, bool) and bool not in (kinds if isinstance(kinds, tuple) else (kinds,)):
        raise WireError(f"must be {_kind_name(kinds)}, not a boolean", f"{where}.{key}")
    if not isinstance(value, kinds):
        raise WireError(f"must be {_kind_name(kinds)}, not {_type_name(value)}", f"{where}.{key}")
    return value


def _kind_name(kinds) -> str:
    names = {
        str: "a string",
        int: "an integer",
        dict: "an object",
        list: "a list",
        bool: "a boolean",
    }
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _key(value: Any, where: str, *, what: str = "key") -> str | int:
    """A primary or category key: a string that fits the side table, or a 64-bit integer."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise WireError(f"must be a string or an integer, not {_type_name(value)}", where)
    if isinstance(value, int):
        if not INT64[0] <= value <= INT64[1]:
            raise WireError(f"must be a {what} from {INT64[0]} to {INT64[1]}", where)
        return value
    if value == "":
        raise WireError("must not be empty", where)
    if len(value) > MAX_KEY_LENGTH:
        raise WireError(f"must be a {what} of at most {MAX_KEY_LENGTH} characters", where)
    if value.startswith(TEMP_PK_PREFIX) and not is_temp_pk(value):
        raise WireError(
            f"starts like a temporary id but is not one: write '{TEMP_PK_PREFIX}' and a "
            "UUID in lower case, e.g. 'tmp:3f2c8a1e-0d4b-4c1e-9a7f-0a1b2c3d4e5f'",
            where,
        )
    return value


@dataclass
class Change:
    """One edit made on a client, as pushed.

    `base_values` are the field values the edit was made against (as the
    client last pulled them) and `values` the fields the editor set; the
    difference between them is what the editor changed, which is what lets
    the server merge concurrent edits field by field.
    """

    id: str
    op: str
    model: str
    pk: Any
    values: dict = field(default_factory=dict)
    base_version: int | None = None
    base_values: dict = field(default_factory=dict)
    category: str | int | None = None
    edit_kind: str | None = None  # "major" / "minor", for the major-minor policy
    hlc: str | None = None  # hybrid logical clock stamp, for last-writer

    @classmethod
    def from_json(cls, data: Any, where: str = "change") -> Change:
        """Parse one pushed change; WireError names the first part that is not
        the protocol's: a key it does not know, a type, a bound, a spelling."""
        if not isinstance(data, dict):
            raise WireError("must be an object", where)
        for key in data:
            if key not in CHANGE_KEYS:
                raise WireError(
                    f"is not a key of a change (those are {', '.join(CHANGE_KEYS)})",
                    _joined(where, key),
                )
        if "id" not in data or data["id"] is None:
            raise WireError("is required", f"{where}.id")
        change_id = parse_change_id(data["id"], f"{where}.id")
        op = _require(data, "op", str, where)
        if op not in OPERATIONS:
            raise WireError(f"must be one of {', '.join(OPERATIONS)}", f"{where}.op")
        model = _require(data, "model", str, where)
        if len(model) > MAX_LABEL_LENGTH:
            raise WireError(f"must be a model label of at most {MAX_LABEL_LENGTH} characters",
                            f"{where}.model")  # fmt: skip
        if "pk" not in data or data["pk"] is None:
            raise WireError("is required", f"{where}.pk")
        pk = _key(data["pk"], f"{where}.pk", what="primary key")
        values = _require(data, "values", dict, where, optional=True) or {}
        base_values = _require(data, "base_values", dict, where, optional=True) or {}
        base_version = _require(data, "base_version", int, where, optional=True)
        if base_version is not None and not 0 <= base_version <= INT64[1]:
            raise WireError(f"must be a version from 0 to {INT64[1]}", f"{where}.base_version")
        if op in (UPDATE, DELETE) and base_version is None:
            raise WireError(f"is required for {op}", f"{where}.base_version")
        if op == UPDATE and not values:
            raise WireError("must name at least one field for update", f"{where}.values")
        category = data.get("category")
        if category is not None:
            category = _key(category, f"{where}.category", what="category key")
        edit_kind = _require(data, "edit_kind", str, where, optional=True)
        if edit_kind not in (None, "major", "minor"):
            raise WireError("must be 'major' or 'minor'", f"{where}.edit_kind")
        stamp = data.get("hlc")
        if stamp is not None:
            try:
                hlc.parse(stamp)
            except hlc.StampError as error:
                raise WireError(str(error), f"{where}.hlc") from None
        return cls(
            id=change_id,
            op=op,
            model=model,
            pk=pk,
            values=values,
            base_version=base_version,
            base_values=base_values,
            category=category,
            edit_kind=edit_kind,
            hlc=stamp,
        )

    def to_json(self) -> dict:
        data = {
            "id": self.id,
            "op": self.op,
            "model": self.model,
            "pk": self.pk,
            "values": self.values,
            "base_version": self.base_version,
            "base_values": self.base_values,
        }
        for key in ("category", "edit_kind", "hlc"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


def parse_changes(
    items: Any, where: str = "changes", *, limit: int | None = MAX_CHANGES_PER_PUSH
) -> list[Change]:
    """A list of changes (a push's, a changes bundle's); WireError names the first bad part."""
    if not isinstance(items, list):
        raise WireError(f"must be a list, not {_type_name(items)}", where)
    if limit is not None and len(items) > limit:
        raise WireError(f"at most {limit} changes per push", where)
    parsed = [Change.from_json(item, f"{where}[{i}]") for i, item in enumerate(items)]
    seen: set[str] = set()
    for i, change in enumerate(parsed):
        if change.id in seen:
            raise WireError("the same change id appears twice in one push", f"{where}[{i}].id")
        seen.add(change.id)
    return parsed


def parse_push(data: Any) -> list[Change]:
    """Parse a push body; raises WireError naming the first bad part."""
    if not isinstance(data, dict):
        raise WireError("the body must be a JSON object")
    for key in data:
        if key != "changes":
            raise WireError("is not a key of a push (it has only 'changes')", _joined("", key))
    return parse_changes(data.get("changes"))


@dataclass
class ChangeResult:
    """The server's answer to one pushed change.

    `pk` is the permanent primary key (it differs from `temp_pk` when the
    client created the record with a temporary id). For applied and merged
    changes `version`/`values` are the record's new state; for a conflict
    they are the server's current state, and `conflicts` names each field
    with base / mine / theirs and a suggested merge where one exists.
    """

    id: str
    status: str
    model: str
    pk: Any
    temp_pk: str | None = None
    version: int | None = None
    values: dict | None = None
    deleted: bool = False
    category: str | None = None
    conflicts: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    message: str = ""
    lost: list = field(default_factory=list)  # fields of the edit a policy decided against
    files: list = field(default_factory=list)  # needs_files: the sha256 of each content to upload

    def to_json(self) -> dict:
        data = {"id": self.id, "status": self.status, "model": self.model, "pk": self.pk}
        optional = {
            "temp_pk": self.temp_pk,
            "version": self.version,
            "values": self.values,
            "category": self.category,
        }
        data.update({k: v for k, v in optional.items() if v is not None})
        if self.deleted:
            data["deleted"] = True
        if self.conflicts:
            data["conflicts"] = self.conflicts
        if self.errors:
            data["errors"] = self.errors
        if self.lost:
            data["lost"] = self.lost
        if self.files:
            data["files"] = self.files
        if self.message:
            data["message"] = self.message
        return data

    @classmethod
    def from_json(cls, data: dict) -> ChangeResult:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})
