"""The wire format shared by the central plugin and the client.

Plain Python on purpose (no Django): the client imports this module to build
requests and read answers, the server to parse and answer them, so the two
sides can never disagree about a name or a shape. `docs/protocol.md` shows
the same shapes with examples.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

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
STATUSES = (APPLIED, MERGED, CONFLICT, REJECTED, REVIEW)

# Conflict policies per model (policies.py says what each does).
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


def is_temp_pk(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(TEMP_PK_PREFIX)


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
        raise WireError(
            f"must be {_kind_name(kinds)}, not {type(value).__name__}", f"{where}.{key}"
        )
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
    category: str | None = None
    edit_kind: str | None = None  # "major" / "minor", for the major-minor policy
    hlc: str | None = None  # hybrid logical clock stamp, for last-writer

    @classmethod
    def from_json(cls, data: Any, where: str = "change") -> Change:
        if not isinstance(data, dict):
            raise WireError("must be an object", where)
        change_id = _require(data, "id", str, where)
        try:
            uuid.UUID(change_id)
        except ValueError:
            raise WireError("must be a UUID", f"{where}.id") from None
        op = _require(data, "op", str, where)
        if op not in OPERATIONS:
            raise WireError(f"must be one of {', '.join(OPERATIONS)}", f"{where}.op")
        model = _require(data, "model", str, where)
        if "pk" not in data or data["pk"] is None:
            raise WireError("is required", f"{where}.pk")
        pk = data["pk"]
        if isinstance(pk, bool) or not isinstance(pk, (str, int)):
            raise WireError("must be a string or an integer", f"{where}.pk")
        values = _require(data, "values", dict, where, optional=True) or {}
        base_values = _require(data, "base_values", dict, where, optional=True) or {}
        base_version = _require(data, "base_version", int, where, optional=True)
        if op in (UPDATE, DELETE) and base_version is None:
            raise WireError(f"is required for {op}", f"{where}.base_version")
        if op == UPDATE and not values:
            raise WireError("must name at least one field for update", f"{where}.values")
        edit_kind = _require(data, "edit_kind", str, where, optional=True)
        if edit_kind not in (None, "major", "minor"):
            raise WireError("must be 'major' or 'minor'", f"{where}.edit_kind")
        return cls(
            id=change_id,
            op=op,
            model=model,
            pk=pk,
            values=values,
            base_version=base_version,
            base_values=base_values,
            category=_require(data, "category", (str, int), where, optional=True),
            edit_kind=edit_kind,
            hlc=_require(data, "hlc", str, where, optional=True),
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


def parse_push(data: Any) -> list[Change]:
    """Parse a push body; raises WireError naming the first bad part."""
    if not isinstance(data, dict):
        raise WireError("the body must be a JSON object")
    changes = data.get("changes")
    if not isinstance(changes, list):
        raise WireError("must be a list", "changes")
    if len(changes) > MAX_CHANGES_PER_PUSH:
        raise WireError(f"at most {MAX_CHANGES_PER_PUSH} changes per push", "changes")
    parsed = [Change.from_json(item, f"changes[{i}]") for i, item in enumerate(changes)]
    seen: set[str] = set()
    for i, change in enumerate(parsed):
        if change.id in seen:
            raise WireError("the same change id appears twice in one push", f"changes[{i}].id")
        seen.add(change.id)
    return parsed


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
        if self.message:
            data["message"] = self.message
        return data

    @classmethod
    def from_json(cls, data: dict) -> ChangeResult:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})
