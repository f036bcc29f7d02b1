"""What the conflict screen shows for each open conflict: plain data, no store, no Textual.

Every field in conflict with its base, mine, theirs and the suggested merge,
as values and as the text the panes show (ids named, files described), and
the fields merged without conflict. `conflict_loading` builds these from the
store in a worker; the screen only draws them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .file_views import FileShown


@dataclass
class FieldInConflict:
    """One field both sides changed (or every field, when one side deleted the record)."""

    name: str
    label: str
    base: Any
    mine: Any
    theirs: Any
    suggestion: Any
    shown: dict[str, str | None]  # "base"/"mine"/"theirs"/"suggestion" as text; None: absent
    files: dict[str, FileShown] | None = None  # a file field: each side's file, to show

    @property
    def is_file(self) -> bool:
        return self.files is not None


@dataclass
class MergedField:
    """A field that changed without conflict, with the value it will keep."""

    label: str
    source: str
    shown: str


@dataclass
class ConflictView:
    id: int
    model: str
    model_name: str
    pk: str
    title: str
    deleted_on_server: bool
    deleted_here: bool
    base_version: int | None
    theirs_version: int | None
    edited_at: datetime | None
    fields: list[FieldInConflict]
    merged: list[MergedField] = field(default_factory=list)
    unchanged: int = 0

    @property
    def whole_record(self) -> bool:
        """One side deleted the record: it is kept or let go as a whole."""
        return self.deleted_on_server or self.deleted_here
