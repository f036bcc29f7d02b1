"""Who wins when an offline edit and the server's state both changed one field.

The merge (merge.py) settles everything it safely can; what is left is a
conflict, and the model's policy (or a flag on the single record) decides:

- `client` (default): the conflict goes back to the editor;
- `review`: nothing is applied; the update waits for a chief editor;
- `direct`: the editor's values are applied on arrival;
- `last-writer`: the later hybrid-logical-clock stamp wins;
- `major-minor`: a major edit beats a minor one; equal kinds are a conflict.

Whichever side loses is kept in the record's history (history.py), never
dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import TrackedRow
from .protocol import merge, wire

MINE, THEIRS, ASK = "mine", "theirs", "ask"


@dataclass
class Decision:
    winner: str  # MINE, THEIRS, or ASK (a conflict for the editor)
    note: str = ""  # for the history entry of what was replaced or lost
    told: str = ""  # for the editor whose edit lost, when THEIRS wins


def decide(policy: str, change: wire.Change, row: TrackedRow | None) -> Decision:
    """For an edit that conflicts with the server's current version."""
    if policy == wire.POLICY_DIRECT:
        return Decision(MINE, "replaced by an offline update applied directly")
    if policy == wire.POLICY_LAST_WRITER:
        theirs = row.hlc if row is not None else ""
        if change.hlc and change.hlc > theirs:
            return Decision(MINE, "replaced by a later offline edit (last-writer)")
        return Decision(
            THEIRS,
            "an offline edit that lost to a later one (last-writer)",
            "lost to a later one (last-writer)",
        )
    if policy == wire.POLICY_MAJOR_MINOR:
        mine = change.edit_kind or "minor"
        theirs = (row.edit_kind if row is not None else "") or "major"
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
