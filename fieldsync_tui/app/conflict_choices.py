"""The editor's choices on the conflict screen, and the one resolution they make.

Pure functions over the view model (`conflict_view`): which side a key takes
for a field, what is still undecided, where an edit of the result starts, and
how per-field choices combine into one call of the sync engine's `resolve`.
No Textual, no store: unit-tested in plain Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..client.conflict_view import ConflictView, FieldInConflict

MINE, THEIRS, MERGE, EDITED = "mine", "theirs", "merge", "edited"


@dataclass(frozen=True)
class Choice:
    take: str  # mine / theirs / merge / edited
    value: Any
    shown: str | None  # the value as the Result pane shows it; None: the record goes


def field_choice(item: FieldInConflict, take: str) -> Choice:
    """Mine, theirs or the suggestion for one field, with the text the pane shows."""
    value = {MINE: item.mine, THEIRS: item.theirs, MERGE: item.suggestion}[take]
    return Choice(take, value, item.shown["suggestion" if take == MERGE else take])


def whole_record_choices(view: ConflictView, take: str) -> dict[str, Choice]:
    """One side deleted the record: every field follows the one choice (keep or let go)."""
    gone = (take == THEIRS) if view.deleted_on_server else (take == MINE)
    return {
        item.name: Choice(take, None, None if gone else item.shown[take]) for item in view.fields
    } or {"": Choice(take, None, None if gone else "")}


def undecided(view: ConflictView, choices: dict[str, Choice]) -> list[FieldInConflict]:
    """The fields still to choose for (a suggestion is never chosen for the editor)."""
    return [item for item in view.fields if item.name not in choices]


def ready_to_accept(view: ConflictView, choices: dict[str, Choice]) -> bool:
    if view.whole_record:
        return bool(choices)
    return not undecided(view, choices)


def edit_start(item: FieldInConflict, choice: Choice | None) -> Any:
    """What the result editor opens with: the choice so far, else the suggestion, else mine."""
    if choice is not None:
        return choice.value
    return item.mine if item.suggestion is None else item.suggestion


def combine(view: ConflictView, choices: dict[str, Choice]) -> tuple[str, dict | None]:
    """Per-field choices -> one call of `resolve`: (take, edited values).

    When every field made the same choice, that is the `take`; otherwise the
    server's version is the starting point (`theirs`, which also keeps the
    merged non-conflicting fields) and every field chosen otherwise is an
    edited value on top of it.
    """
    takes = {choice.take for choice in choices.values()}
    if view.whole_record:
        return takes.pop(), None
    if len(takes) == 1 and (take := next(iter(takes))) in (MINE, THEIRS, MERGE):
        return take, None
    edited = {name: c.value for name, c in choices.items() if c.take != THEIRS}
    return THEIRS, edited
