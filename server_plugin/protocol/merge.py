"""Three-way merge of record field values, shared by server and client.

Plain Python (no Django). Values are compared in their JSON form, exactly as
they travel on the wire. The rules, in order, for each field the editor
changed (mine differs from base):

- the other side left it alone (theirs == base): take mine;
- both sides made the same change: take it;
- a text field both changed: merge the two edits of the text when they touch
  different sentences (diff-match-patch finds the edits), else conflict;
- a many-to-many field (a set of keys): add what either side added, remove
  what either side removed; always clean;
- anything else: conflict.

Two editors rewriting the same sentence is treated as a conflict even when
their character ranges do not overlap: merging half-sentences silently is
how prose gets mangled, and a human sees the conflict instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from diff_match_patch import diff_match_patch

TEXT, SET, VALUE = "text", "set", "value"

_SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*(\s|$)|\n")


@dataclass
class FieldConflict:
    base: Any
    mine: Any
    theirs: Any
    suggestion: Any = None  # a best-effort merge a human may accept, or None

    def to_json(self) -> dict:
        return {
            "base": self.base,
            "mine": self.mine,
            "theirs": self.theirs,
            "suggestion": self.suggestion,
        }


@dataclass
class MergeResult:
    values: dict  # the merged value of every field either side changed
    conflicts: dict[str, FieldConflict] = field(default_factory=dict)
    auto_merged: set[str] = field(default_factory=set)  # fields combined from both sides

    @property
    def clean(self) -> bool:
        return not self.conflicts


def _dmp() -> diff_match_patch:
    engine = diff_match_patch()
    engine.Diff_Timeout = 2.0
    return engine


def _edits(base: str, other: str) -> list[tuple[int, int, str]]:
    """The edits turning base into other, as (start, end, replacement) in base."""
    engine = _dmp()
    diffs = engine.diff_main(base, other)
    engine.diff_cleanupSemantic(diffs)
    edits: list[tuple[int, int, str]] = []
    position = 0
    current: list | None = None
    for op, text in diffs:
        if op == 0:
            if current:
                edits.append(tuple(current))
                current = None
            position += len(text)
            continue
        if current is None:
            current = [position, position, ""]
        if op == -1:
            position += len(text)
            current[1] = position
        else:
            current[2] += text
    if current:
        edits.append(tuple(current))
    return edits


def _sentence_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen [start, end) to the sentences it touches."""
    left = 0
    for match in _SENTENCE_END.finditer(text, 0, start):
        left = match.end()
    right_match = _SENTENCE_END.search(text, end)
    right = right_match.end() if right_match else len(text)
    return left, right


def merge_text(base: str, mine: str, theirs: str) -> str | None:
    """Both sides' edits of a text, or None when they touch the same sentence."""
    mine_edits = _edits(base, mine)
    theirs_edits = _edits(base, theirs)
    combined = list(mine_edits)
    for edit in theirs_edits:
        if edit in mine_edits:
            continue  # both made the very same edit
        span = _sentence_span(base, edit[0], edit[1])
        for other in mine_edits:
            other_span = _sentence_span(base, other[0], other[1])
            if span[0] < other_span[1] and other_span[0] < span[1]:
                return None
            if span == other_span:  # e.g. two insertions in one empty spot
                return None
        combined.append(edit)
    result = base
    for start, end, replacement in sorted(combined, key=lambda e: (e[0], e[1]), reverse=True):
        result = result[:start] + replacement + result[end:]
    return result


def suggest_text_merge(base: str, mine: str, theirs: str) -> str | None:
    """diff-match-patch's fuzzy patch of my edit onto theirs, for a human to check."""
    engine = _dmp()
    patches = engine.patch_make(base, mine)
    merged, applied = engine.patch_apply(patches, theirs)
    return merged if all(applied) else None


def merge_set(base: list, mine: list, theirs: list) -> list:
    base_set, mine_set, theirs_set = set(base), set(mine), set(theirs)
    result = (theirs_set | (mine_set - base_set)) - (base_set - mine_set)
    return sorted(result, key=lambda v: (str(type(v)), v))


class Compared(Protocol):
    """How one field's values compare and merge: a row of the field table (fields.py)."""

    merge: str

    def same(self, a: Any, b: Any) -> bool: ...


class _Plain:
    """A field the table does not describe: compared as JSON values."""

    merge = VALUE

    @staticmethod
    def same(a: Any, b: Any) -> bool:
        return a == b


PLAIN = _Plain()


def same_value(a: Any, b: Any, compared: Compared = PLAIN) -> bool:
    return compared.same(a, b)


def changed_fields(base: dict, values: dict, types: Mapping[str, Compared]) -> dict:
    """The fields of `values` that differ from `base`, compared by value."""
    return {
        name: value
        for name, value in values.items()
        if name not in base or not types.get(name, PLAIN).same(base[name], value)
    }


def three_way_merge(
    base: dict, mine: dict, theirs: dict, types: Mapping[str, Compared]
) -> MergeResult:
    """Merge my changed fields (mine vs base) into the current state (theirs).

    `mine` may hold only the fields the editor touched; `theirs` holds the
    server's current values. The result's `values` are the fields to write.
    `types` (field name -> its row of the field table) says how each field's
    values compare (12.5 == 12.500) and merge (text, set or whole value).
    """
    result = MergeResult(values={})
    for name, my_value in changed_fields(base, mine, types).items():
        compared = types.get(name, PLAIN)
        kind = compared.merge
        base_value = base.get(name)
        their_value = theirs.get(name)
        if compared.same(their_value, base_value) or compared.same(their_value, my_value):
            result.values[name] = my_value
            continue
        if kind == SET and all(isinstance(v, list) for v in (base_value, my_value, their_value)):
            result.values[name] = merge_set(base_value, my_value, their_value)
            result.auto_merged.add(name)
            continue
        if kind == TEXT and all(isinstance(v, str) for v in (base_value, my_value, their_value)):
            merged = merge_text(base_value, my_value, their_value)
            if merged is not None:
                result.values[name] = merged
                result.auto_merged.add(name)
                continue
            suggestion = suggest_text_merge(base_value, my_value, their_value)
        else:
            suggestion = None
        result.conflicts[name] = FieldConflict(base_value, my_value, their_value, suggestion)
    return result
