"""Three-way merge of record field values, shared by server and client.

Plain Python (no Django). Values are compared in their JSON form, exactly as
they travel on the wire. The rules, in order, for each field the editor
changed (mine differs from base):

- the other side left it alone (theirs == base): take mine;
- both sides made the same change: take it;
- a text field both changed: merge when the two sides changed different
  sentences and the result reads as both wrote it (`merge_text`), else
  conflict, carrying a suggestion for a human to check (`suggest_text_merge`);
- a many-to-many field (a set of keys): add what either side added, remove
  what either side removed; always clean;
- anything else: conflict.

Two editors rewriting the same sentence is treated as a conflict even when
their character ranges do not overlap: merging half-sentences silently is
how prose gets mangled, and a human sees the conflict instead. So are edits
that meet at a sentence boundary in a way that could glue or split sentences
("on Monday.The figures"): a clean merge is one nobody needs to read again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from diff_match_patch import diff_match_patch

TEXT, SET, VALUE = "text", "set", "value"

# A sentence ends at . ! ? (closing quotes or brackets allowed) and one space,
# or at a line break. Written to start with one set of characters, which the
# regex engine scans for quickly (about four times faster on long texts).
_SENTENCE_END = re.compile(r"[.!?\n](?:(?<=[.!?])[.!?]*[\"')\]]*(?:\s|$)|(?<=\n))")


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


# -- text, merged by sentence -------------------------------------------------------
#
# A text is cut into sentences, each keeping the space or line break after it,
# so that joined again they are the text. A side's change is a run of base
# sentences replaced by others, found by diffing the sentences as tokens.

Hunk = tuple[int, int, tuple[str, ...]]  # base sentences [start, end) -> these sentences
_MOST_SENTENCES = 0x10FFFF - 0x900  # one character each in a diff (see _token)

_SENTINEL = " "  # ends every text while it is merged: a last sentence ends like the others
_GLUED = re.compile(r"[.!?][.!?]*[\"')\]]*[^\W\d_]")  # "y.T" of "Monday.The"
_WORD_BEFORE, _WORD_AFTER = re.compile(r"\w*\Z"), re.compile(r"\w*")


def _sentences(text: str) -> list[str]:
    """`text` cut after each sentence end (`.`, `!`, `?` and one space, or a line break)."""
    pieces, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _end_kind(sentence: str) -> tuple[bool, str]:
    """How a sentence ends: with a full stop (or ! ?) or not, then a space or a line break."""
    body = sentence.rstrip()
    return body.rstrip("\"')]").endswith((".", "!", "?")), sentence[len(body) :]


def _token(index: int) -> str:
    """One character standing for one sentence in a diff; never a surrogate."""
    point = 0x100 + index
    return chr(point + 0x800 if point >= 0xD800 else point)


def _token_diff(base: list[str], other: list[str]) -> list[tuple[int, list[str]]]:
    """diff-match-patch's diff of two lists of tokens (sentences, words), each a character."""
    codes: dict[str, str] = {}
    for token in (*base, *other):
        codes.setdefault(token, _token(len(codes)))
    names = {code: token for token, code in codes.items()}
    diffs = _dmp().diff_main(
        "".join(codes[t] for t in base), "".join(codes[t] for t in other), False
    )
    return [(op, [names[c] for c in chars]) for op, chars in diffs]


def _sentence_hunks(base: list[str], other: list[str]) -> list[Hunk]:
    """The runs of base sentences `other` replaced; n sentences for n are n hunks of one."""
    hunks: list[Hunk] = []
    position, start, added = 0, None, []
    for op, sentences in [*_token_diff(base, other), (0, [])]:
        if op != 0:
            start = position if start is None else start
            if op == -1:
                position += len(sentences)
            else:
                added.extend(sentences)
            continue
        if start is not None and len(added) == position - start:
            hunks.extend((start + i, start + i + 1, (s,)) for i, s in enumerate(added))
        elif start is not None:
            hunks.append((start, position, tuple(added)))
        start, added = None, []
        position += len(sentences)
    return hunks


def _overlap(a: Hunk, b: Hunk) -> bool:
    """Both replace a sentence in common, or one inserts inside what the other replaced."""
    return a[0] < b[1] and b[0] < a[1]


def _clash(a: Hunk, b: Hunk, base: list[str]) -> bool:
    """Whether two changes, one from each side, cannot both be taken as they are.

    They clash when they overlap, when either inserts sentences at the other's
    edge (or both insert at one place), and when one ends where the other
    begins and the sentence end between them (a full stop or not, the space or
    line break after it) is no longer the base's.
    """
    (a_start, a_end, _), (b_start, b_end, _) = a, b
    if a_start == a_end or b_start == b_end:
        return a_start <= b_end and b_start <= a_end
    if _overlap(a, b):
        return True
    left = a if a_end == b_start else b if b_end == a_start else None
    if left is None or not left[2]:
        return False  # apart, or the first one only deleted sentences
    return _end_kind(left[2][-1]) != _end_kind(base[left[1] - 1])


@dataclass(frozen=True)
class _SentenceMerge:
    text: str | None  # both sides' sentences together; None when both replaced one sentence
    clean: bool  # nothing clashed, and cut again the text has exactly these sentences


def _merge_sentences(base: str, mine: str, theirs: str) -> _SentenceMerge:
    base_sentences, mine_sentences, theirs_sentences = (
        _sentences(text + _SENTINEL) for text in (base, mine, theirs)
    )
    if len(base_sentences) + len(mine_sentences) + len(theirs_sentences) > _MOST_SENTENCES:
        return _SentenceMerge(None, clean=False)  # a million sentences: a human decides
    mine_hunks = _sentence_hunks(base_sentences, mine_sentences)
    theirs_hunks = _sentence_hunks(base_sentences, theirs_sentences)
    pairs = [(a, b) for a in mine_hunks for b in theirs_hunks if a != b]  # alike: taken once
    if any(_overlap(a, b) for a, b in pairs):
        return _SentenceMerge(None, clean=False)
    combined = list(base_sentences)
    for start, end, sentences in sorted({*mine_hunks, *theirs_hunks}, reverse=True):
        combined[start:end] = sentences
    text = "".join(combined)
    clean = not any(_clash(a, b, base_sentences) for a, b in pairs)
    return _SentenceMerge(text[: -len(_SENTINEL)], clean and _sentences(text) == combined)


def _glued(text: str) -> set[str]:
    """Each place a sentence runs into the next with no space ("Monday.The"), with its words."""
    found = set()
    for match in _GLUED.finditer(text):
        before = _WORD_BEFORE.search(text, max(match.start() - 40, 0), match.start()).group()
        found.add(before + match.group() + _WORD_AFTER.match(text, match.end()).group())
    return found


def _glues(text: str, *sources: str) -> bool:
    """Whether `text` runs a sentence into the next where none of `sources` did."""
    return not _glued(text) <= set().union(*(_glued(source) for source in sources))


def merge_text(base: str, mine: str, theirs: str) -> str | None:
    """Both sides' edits of a text, or None when the result might not read as they wrote it.

    Accepted only when the two sides changed different sentences, neither
    inserted a sentence right where the other changed one, the sentence end
    where their changes meet is untouched, and the result has exactly the
    sentences of the two sides: each side's edits intact, nothing glued or split.
    """
    merged = _merge_sentences(base, mine, theirs)
    return merged.text if merged.clean else None


# -- a suggestion, settled run by run ---------------------------------------------
#
# Where the two sides' changes overlap (a run of base sentences both changed),
# a suggestion needs a version of that run both editors could sign: their word
# edits of one sentence combined, or one side's version when it already holds
# the other's edits (or the other only moved line breaks). Where no run has
# one, there is no suggestion: a human picks mine or theirs.

_WORD = re.compile(r"\w+|\s+|[^\w\s]")  # a word, a run of spaces, or one mark
Edit = tuple[int, int, str]  # base[start:end] -> this text


def _word_edits(base: str, other: str) -> list[Edit] | None:
    """The edits turning base into other, whole words at a time; None past the token limit."""
    base_words, other_words = _WORD.findall(base), _WORD.findall(other)
    if len({*base_words, *other_words}) > _MOST_SENTENCES:
        return None
    edits: list[Edit] = []
    position, current = 0, None
    for op, words in _token_diff(base_words, other_words):
        text = "".join(words)
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


def _apply_edits(base: str, *sides: list[Edit]) -> str | None:
    """Every side's edits applied to base; None when two of them overlap (alike: taken once)."""
    edits = sorted({edit for side in sides for edit in side})
    for (start, end, _), (next_start, next_end, _) in zip(edits, edits[1:], strict=False):
        if next_start < end or (next_start == start and (start == end or next_start == next_end)):
            return None
    result = base
    for start, end, replacement in reversed(edits):
        result = result[:start] + replacement + result[end:]
    return result


def _changed_runs(*sides: list[Hunk]) -> list[tuple[int, int, list[Hunk]]]:
    """The sides' hunks grouped into runs of base sentences, hunks that overlap in one run."""
    runs: list[tuple[int, int, list[Hunk]]] = []
    for hunk in sorted({hunk for side in sides for hunk in side}):
        if runs and hunk[0] < runs[-1][1]:
            start, end, members = runs[-1]
            runs[-1] = (start, max(end, hunk[1]), [*members, hunk])
        else:
            runs.append((hunk[0], hunk[1], [hunk]))
    return runs


def _side_of_run(base: list[str], start: int, end: int, hunks: list[Hunk]) -> list[str]:
    """A side's sentences for base[start:end]: the base's, with that side's hunks in it."""
    sentences = list(base[start:end])
    for hunk_start, hunk_end, replacement in sorted(hunks, reverse=True):
        sentences[hunk_start - start : hunk_end - start] = replacement
    return sentences


def _settle_run(base: list[str], mine: list[str], theirs: list[str]) -> list[str] | None:
    """Sentences for a run both sides changed that keep both sides' work, or None.

    Their word edits combined, when that is one side's version (it holds the
    other's edits) or, for one sentence both edited, one sentence; else the
    version of the side that changed words when the other only moved spaces
    or line breaks. Never pieces of a sentence one side deleted.
    """
    base_text, mine_text, theirs_text = ("".join(part) for part in (base, mine, theirs))
    mine_edits, theirs_edits = (
        _word_edits(base_text, mine_text),
        _word_edits(base_text, theirs_text),
    )
    combined = None
    if mine_edits is not None and theirs_edits is not None:
        combined = _apply_edits(base_text, mine_edits, theirs_edits)
    if combined == mine_text:
        return mine
    if combined == theirs_text:
        return theirs
    one_sentence = all(len(part) == 1 for part in (base, mine, theirs))
    if combined is not None and one_sentence and len(_sentences(combined)) == 1:
        return [combined]
    mine_respaced, theirs_respaced = (
        text.split() == base_text.split() for text in (mine_text, theirs_text)
    )
    if mine_respaced != theirs_respaced:
        return theirs if mine_respaced else mine
    return None


def suggest_text_merge(base: str, mine: str, theirs: str) -> str | None:
    """A merge for a human to check when `merge_text` found none, or None.

    The base's sentences, with each side's changed sentences where the other
    changed nothing, and where both changed a run of sentences a version of
    it that keeps both sides' work (`_settle_run`). So a suggestion keeps
    every sentence neither side changed, reads as sentences someone wrote (or
    one sentence with both sides' word edits in it), never holds what is left
    of a sentence one side deleted and the other edited, never glues two
    sentences, and is the same whichever side is "mine". None when some run
    has no such version.
    """
    base_sentences, mine_sentences, theirs_sentences = (
        _sentences(text + _SENTINEL) for text in (base, mine, theirs)
    )
    if len(base_sentences) + len(mine_sentences) + len(theirs_sentences) > _MOST_SENTENCES:
        return None
    mine_hunks = set(_sentence_hunks(base_sentences, mine_sentences))
    theirs_hunks = set(_sentence_hunks(base_sentences, theirs_sentences))
    sentences = list(base_sentences)
    for start, end, hunks in reversed(_changed_runs(mine_hunks, theirs_hunks)):
        settled = _settle_run(
            base_sentences[start:end],
            _side_of_run(base_sentences, start, end, [h for h in hunks if h in mine_hunks]),
            _side_of_run(base_sentences, start, end, [h for h in hunks if h in theirs_hunks]),
        )
        if settled is None:
            return None
        sentences[start:end] = settled
    text = "".join(sentences)
    if _sentences(text) != sentences or not text.endswith(_SENTINEL):
        return None  # two sentences run together where the runs meet
    text = text[: -len(_SENTINEL)]
    return None if _glues(text, base, mine, theirs) else text


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
