"""What each side changed against the base, drawn for the terminal.

Short values are compared character by character, long text word by word
(diff-match-patch on word tokens), so a changed sentence reads as changed
words, not as confetti. Insertions are underlined and deletions struck
through as well as coloured, so the marks read on a monochrome terminal
and for colour-blind editors. Long text keeps only the paragraphs that
either side touched; the rest fold into one line each run.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from diff_match_patch import diff_match_patch
from textual.content import Content

EQUAL, INSERT, DELETE = 0, 1, -1
Diff = list[tuple[int, str]]

INSERTED = "underline $text-success on $success-muted"
DELETED = "strike $text-error on $error-muted"
TOUCHED = "bold $text-warning on $warning-muted"  # in the base: what a side changed
FOLDED = "italic $text-muted"

WORD_LEVEL_LENGTH = 80  # longer values (or any with a line break) diff word by word
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")


def use_words(*texts: str | None) -> bool:
    """Word level for long text, character level for short values."""
    return any(t is not None and (len(t) > WORD_LEVEL_LENGTH or "\n" in t) for t in texts)


def _engine() -> diff_match_patch:
    engine = diff_match_patch()
    engine.Diff_Timeout = 1.0
    return engine


def _code_point(index: int) -> str:
    """One character standing for a token; never a surrogate."""
    point = 0x100 + index
    return chr(point + 0x800 if point >= 0xD800 else point)


def diff_texts(base: str, other: str, *, words: bool) -> Diff:
    """The edits turning `base` into `other`, as (op, text) runs."""
    engine = _engine()
    if not words:
        diffs = engine.diff_main(base, other)
        engine.diff_cleanupSemantic(diffs)
        return _readable(base, other, _joined([(op, text) for op, text in diffs]))
    tokens: dict[str, str] = {}
    names: list[str] = []

    def encode(text: str) -> str:
        chars = []
        for token in _TOKEN.findall(text):
            if token not in tokens:
                tokens[token] = _code_point(len(names))
                names.append(token)
            chars.append(tokens[token])
        return "".join(chars)

    encoded = engine.diff_main(encode(base), encode(other), False)
    index = {char: token for token, char in tokens.items()}
    engine.diff_cleanupSemantic(encoded)
    diffs = _joined([(op, "".join(index[c] for c in text)) for op, text in encoded])
    return _readable(base, other, diffs)


def _readable(base: str, other: str, diffs: Diff) -> Diff:
    """A rewrite shown as one deletion and one insertion, not as confetti.

    When the two texts share little (a third of the shorter one or less),
    the scattered letters they happen to share only make both harder to read.
    """
    shared = sum(len(text.strip()) for op, text in diffs if op == EQUAL)
    if base and other and shared * 3 <= min(len(base), len(other)):
        return [(DELETE, base), (INSERT, other)]
    return diffs


def _joined(diffs: Diff) -> Diff:
    """Merge neighbouring runs of the same kind; drop empty ones."""
    joined: Diff = []
    for op, text in diffs:
        if not text:
            continue
        if joined and joined[-1][0] == op:
            joined[-1] = (op, joined[-1][1] + text)
        else:
            joined.append((op, text))
    return joined


def render_result(base: str, result: str, *, words: bool) -> Content:
    """`result` exactly (its plain text is the value), its insertions underlined."""
    parts: list[str | tuple[str, str]] = []
    for op, text in diff_texts(base, result, words=words):
        if op == EQUAL:
            parts.append(text)
        elif op == INSERT:
            parts.append((text, INSERTED))
    return Content.assemble(*parts)


@dataclass
class _Piece:
    text: str
    style: str
    block: int  # which paragraph of the base it belongs to


@dataclass
class ThreeWayDiff:
    """Base, mine and theirs of one value, drawn against the base.

    `mine` or `theirs` is None when that side deleted the whole record.
    """

    base: str
    mine: str | None
    theirs: str | None
    words: bool = field(init=False)
    fold: bool = True

    def __post_init__(self) -> None:
        self.words = use_words(self.base, self.mine, self.theirs)
        self._starts = [0] + [m.end() for m in _PARAGRAPH_BREAK.finditer(self.base)]
        self._diffs = {
            side: diff_texts(self.base, text, words=self.words)
            for side, text in (("mine", self.mine), ("theirs", self.theirs))
            if text is not None
        }
        self.touched: set[int] = set()
        self._changed_in_base: list[tuple[int, int]] = []
        for diff in self._diffs.values():
            for piece in self._pieces(diff):
                if piece.style:
                    self.touched.add(piece.block)
            position = 0
            for op, text in diff:
                if op == DELETE:
                    self._changed_in_base.append((position, position + len(text)))
                if op != INSERT:
                    position += len(text)
        if not self.words or len(self._starts) == 1:
            self.fold = False

    def _block_of(self, position: int) -> int:
        return bisect.bisect_right(self._starts, position) - 1

    def _split(self, text: str, start: int, style: str) -> list[_Piece]:
        """A run of base text [start, start+len) cut at paragraph starts."""
        pieces, offset = [], 0
        while offset < len(text):
            block = self._block_of(start + offset)
            end = self._starts[block + 1] - start if block + 1 < len(self._starts) else len(text)
            end = min(end, len(text))
            pieces.append(_Piece(text[offset:end], style, block))
            offset = end
        return pieces

    def _pieces(self, diff: Diff) -> list[_Piece]:
        pieces: list[_Piece] = []
        position = 0
        for op, text in diff:
            if op == INSERT:
                pieces.append(_Piece(text, INSERTED, self._block_of(position)))
                continue
            pieces.extend(self._split(text, position, DELETED if op == DELETE else ""))
            position += len(text)
        return pieces

    def _draw(self, pieces: list[_Piece]) -> Content:
        parts: list[str | tuple[str, str]] = []
        folded = 0
        for index, piece in enumerate(pieces):
            if self.fold and piece.block not in self.touched:
                last_of_block = index + 1 == len(pieces) or pieces[index + 1].block != piece.block
                if last_of_block:
                    folded += 1
                continue
            if folded:
                parts.append(_fold_line(folded))
                folded = 0
            parts.append((piece.text, piece.style) if piece.style else piece.text)
        if folded:
            parts.append(_fold_line(folded, last=True))
        return Content.assemble(*parts)

    def base_content(self) -> Content:
        """The base, with what either side deleted or replaced in bold on the warning colour."""
        marks = sorted(self._changed_in_base)
        pieces: list[_Piece] = []
        position = 0
        for start, end in marks:
            if end <= position:
                continue
            start = max(start, position)
            pieces.extend(self._split(self.base[position:start], position, ""))
            pieces.extend(self._split(self.base[start:end], start, TOUCHED))
            position = end
        pieces.extend(self._split(self.base[position:], position, ""))
        return self._draw([p for p in pieces if p.text])

    def side_content(self, side: str) -> Content:
        """One side's text: its insertions underlined, its deletions struck through."""
        return self._draw(self._pieces(self._diffs[side]))


def _fold_line(count: int, last: bool = False) -> tuple[str, str]:
    plural = "s" if count > 1 else ""
    return (f"… {count} unchanged paragraph{plural} …" + ("" if last else "\n\n"), FOLDED)


def first_mark(content: Content) -> int | None:
    """Where the first highlighted change starts in `content`, if any."""
    starts = [span.start for span in content.spans if span.style not in ("", FOLDED)]
    return min(starts) if starts else None
