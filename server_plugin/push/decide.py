"""The decision: what becomes of one pushed change, given the record as the server holds it.

A pure function of the edit (its base, its values, its kind and clock stamp),
the server's side (the record's values and version now, and its last
write's stamp and kind), the conflict policy and the field types. No
database, no Django: the batch reads the rows, asks here, and writes what
the outcome says. The rules, in order:

- create: apply;
- update or delete at the server's version: apply (fast-forward);
- update of a record the server moved: merge field by field (merge.py); a
  clean merge is applied; otherwise the policy decides the fields both sides
  changed, or it is a conflict for the editor;
- delete of a record the server moved: only if the policy lets the offline
  side win (deleting would drop an edit the editor never saw); else a conflict;
- a record gone on the server: an update is a conflict (`deleted`), a
  delete is done already; an update of a record this site never had is
  rejected.

Policies (or a flag on the single record): `client` (default) asks the
editor; `direct` applies on arrival; `last-writer` lets the later clock
stamp win; `major-minor` lets a major edit beat a minor one (equal kinds
ask). Whichever side loses is kept in the record's history, never dropped;
`review` is decided before this (nothing is applied).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..protocol import hlc, merge, wire

MINE, THEIRS, ASK = "mine", "theirs", "ask"


@dataclass(frozen=True)
class Edit:
    """What the editor did, as pushed (temporary ids already made permanent)."""

    op: str
    values: dict = field(default_factory=dict)
    base_version: int | None = None
    base_values: dict = field(default_factory=dict)
    edit_kind: str | None = None  # "major" / "minor"
    hlc: str | None = None  # when the editor made it (hlc.py)


@dataclass(frozen=True)
class Server:
    """The record as the central site holds it when the change arrives."""

    values: dict | None  # as the wire carries them; None when there is no such row
    version: int = 0  # in the side table; 0 when it never tracked the record
    hlc: str = ""  # the stamp of its last write (central writes get one too)
    edit_kind: str = ""  # the kind of its last write ("" counts as major)


@dataclass
class Outcome:
    """What to do: write `to_write` (None: nothing), or answer a conflict or rejection."""

    status: str  # wire.APPLIED, wire.MERGED, wire.CONFLICT or wire.REJECTED
    to_write: dict | None = None
    conflicts: dict | None = None  # field -> FieldConflict JSON, for a conflict
    note: str = ""  # why the server's version was replaced, for its history entry
    lost: dict | None = None  # an offline edit the policy decided against, kept in history
    lost_fields: tuple = ()  # the fields of that edit which lost
    told: str = ""  # what the losing editor is told


@dataclass(frozen=True)
class Decision:
    """A policy's call on an edit that conflicts with the server's version."""

    winner: str  # MINE, THEIRS, or ASK (a conflict for the editor)
    note: str = ""  # for the history entry of what was replaced or lost
    told: str = ""  # for the editor whose edit lost, when THEIRS wins


def decide(edit: Edit, server: Server, policy: str, types: dict) -> Outcome:
    """The outcome of `edit` against `server` under `policy` (`types`: field name ->
    its row of the field table, which says how values compare and merge)."""
    if edit.op == wire.CREATE:
        if server.values is not None:
            return _created_meanwhile(edit, server, types)
        return Outcome(wire.APPLIED, edit.values)
    if edit.op == wire.DELETE:
        return _delete(edit, server, policy)
    return _update(edit, server, policy, types)


def _created_meanwhile(edit: Edit, server: Server, types: dict) -> Outcome:
    """A creation under an id the server already holds: another editor created the
    record again first (each kept their edit of a record deleted on the server). The
    fields the two set differently are a conflict for the editor, with no base; a
    creation equal to what is there is taken."""
    differ = merge.changed_fields(server.values, edit.values, types)
    if not differ:
        return Outcome(wire.MERGED, edit.values)
    conflicts = {
        name: merge.FieldConflict(None, value, server.values.get(name)).to_json()
        for name, value in differ.items()
    }
    return Outcome(wire.CONFLICT, conflicts=conflicts)


def _update(edit: Edit, server: Server, policy: str, types: dict) -> Outcome:
    if server.values is None:
        if server.version == 0:
            return Outcome(wire.REJECTED)  # never here: no such record
        conflicts = {
            name: merge.FieldConflict(edit.base_values.get(name), value, None).to_json()
            for name, value in edit.values.items()
        }
        return Outcome(wire.CONFLICT, conflicts=conflicts)  # deleted on the server
    if edit.base_version == server.version:
        return Outcome(wire.APPLIED, edit.values)
    merged = merge.three_way_merge(edit.base_values, edit.values, server.values, types)
    if merged.clean:
        return Outcome(wire.MERGED, merged.values)
    decision = policy_decision(policy, edit, server)
    if decision.winner == ASK:
        conflicts = {name: c.to_json() for name, c in merged.conflicts.items()}
        return Outcome(wire.CONFLICT, conflicts=conflicts)
    outcome = Outcome(wire.MERGED, resolved_values(decision, merged), note=decision.note)
    if decision.winner == THEIRS:
        outcome.lost = {
            **server.values,
            **merge.changed_fields(edit.base_values, edit.values, types),
        }
        outcome.lost_fields = tuple(sorted(merged.conflicts))
        outcome.told = decision.told
    return outcome


def _delete(edit: Edit, server: Server, policy: str) -> Outcome:
    if server.values is None:
        return Outcome(wire.APPLIED)  # already gone: deleting twice is fine
    if edit.base_version == server.version:
        return Outcome(wire.APPLIED)
    decision = policy_decision(policy, edit, server)
    if decision.winner != MINE:
        return Outcome(wire.CONFLICT, conflicts={})
    return Outcome(wire.APPLIED, note=decision.note)


def policy_decision(policy: str, edit: Edit, server: Server) -> Decision:
    """Who wins where the edit and the server's version both changed a field."""
    if policy == wire.POLICY_DIRECT:
        return Decision(MINE, "replaced by an offline update applied directly")
    if policy == wire.POLICY_LAST_WRITER:
        # A stamp that cannot be read (stored before stamps were checked) is no stamp.
        if edit.hlc and hlc.order(edit.hlc) > hlc.order(server.hlc):
            return Decision(MINE, "replaced by a later offline edit (last-writer)")
        return Decision(
            THEIRS,
            "an offline edit that lost to a later one (last-writer)",
            "lost to a later one (last-writer)",
        )
    if policy == wire.POLICY_MAJOR_MINOR:
        mine = edit.edit_kind or "minor"
        theirs = server.edit_kind or "major"
        if mine == theirs:
            return Decision(ASK)
        if mine == "major":
            return Decision(MINE, "a minor edit replaced by a major offline one")
        return Decision(
            THEIRS,
            "a minor offline edit that lost to a major one",
            "lost to a major one (major-minor: yours was minor)",
        )
    return Decision(ASK)


def resolved_values(decision: Decision, merged: merge.MergeResult) -> dict:
    """The fields to write once a policy has decided the conflicting ones."""
    values = dict(merged.values)
    if decision.winner == MINE:
        values.update({name: c.mine for name, c in merged.conflicts.items()})
    return values
