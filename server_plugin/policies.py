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

from django.contrib.contenttypes.models import ContentType

from . import merge, wire
from .models import RecordFlag, TrackedRow
from .registry import SyncedModel

MINE, THEIRS, ASK = "mine", "theirs", "ask"


@dataclass
class Decision:
    winner: str  # MINE, THEIRS, or ASK (a conflict for the editor)
    note: str = ""


def policy_for(synced: SyncedModel, pk) -> str:
    if pk is not None:
        flag = (
            RecordFlag.objects.filter(
                content_type=ContentType.objects.get_for_model(synced.model), object_pk=str(pk)
            )
            .values_list("policy", flat=True)
            .first()
        )
        if flag:
            return flag
    return synced.policy


def live_row(synced: SyncedModel, pk) -> TrackedRow | None:
    return (
        TrackedRow.objects.filter(
            content_type=ContentType.objects.get_for_model(synced.model),
            object_pk=str(pk),
            deleted=False,
        )
        .select_related("changed_by", "changed_by_device")
        .first()
    )


def decide(policy: str, change: wire.Change, row: TrackedRow | None) -> Decision:
    """For an edit that conflicts with the server's current version."""
    if policy == wire.POLICY_DIRECT:
        return Decision(MINE, "replaced by an offline update applied directly")
    if policy == wire.POLICY_LAST_WRITER:
        theirs = row.hlc if row is not None else ""
        if change.hlc and change.hlc > theirs:
            return Decision(MINE, "replaced by a later offline edit (last-writer)")
        return Decision(THEIRS, "an offline edit that lost to a later one (last-writer)")
    if policy == wire.POLICY_MAJOR_MINOR:
        mine = change.edit_kind or "minor"
        theirs = (row.edit_kind if row is not None else "") or "major"
        if mine == theirs:
            return Decision(ASK)
        if mine == "major":
            return Decision(MINE, "a minor edit replaced by a major offline one")
        return Decision(THEIRS, "a minor offline edit that lost to a major one")
    return Decision(ASK)


def resolved_values(decision: Decision, merged: merge.MergeResult) -> dict:
    """The fields to write once a policy has decided the conflicting ones."""
    values = dict(merged.values)
    if decision.winner == MINE:
        values.update({name: c.mine for name, c in merged.conflicts.items()})
    return values
