"""Properties of the text merge, on real prose: Python's own documentation topics.

Passages are whole paragraphs of `pydoc_data.topics` (shipped with CPython),
unwrapped into running text. Each editor rewrites, inserts or deletes words
of some sentences, or edits right at a sentence boundary (the full stop, the
space after it, a line break). Whatever they do:

- edits of different sentences merge, and the result keeps both;
- the merge is the same whichever editor is "mine";
- edits of one sentence are a conflict, never a silent choice of one side;
- an accepted merge has every sentence as one of the editors wrote it, keeps
  what each inserted, drops what each deleted, and glues no sentences;
- a suggestion (offered with a conflict) keeps every sentence neither editor
  changed, and reads as sentences the editors wrote, or one sentence both
  edited with both editors' words in it; a sentence one editor deleted and
  the other edited is in it whole, as written, or not at all.

Derandomized, with no example database: every run tries the same examples,
and a failure prints the passage and both edits to reproduce it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pydoc_data.topics import topics

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from server_plugin.protocol import fields, merge

# A sentence ends at . ! ? (closing quotes or brackets allowed) followed by a
# space, or at a line break: the rule docs/protocol.md states.
SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*(?:\s|$)|\n")
WORD = re.compile(r"[A-Za-z]+")
BETWEEN_WORDS = re.compile(r"(?<=[a-z]) (?=[a-z])")  # a space a line break could replace
GLUED = re.compile(r"\w*[.!?]+[\"')\]]*[^\W\d_]\w*")
TEXT = {"body": fields.field_type("TextField")}
PROPERTY = settings(max_examples=50, deadline=None, derandomize=True, database=None)
SAFETY = settings(PROPERTY, max_examples=100)  # the promise that matters most: tried more


def sentences(text: str) -> list[str]:
    """The text cut after each sentence end; joined again they are the text."""
    pieces, start = [], 0
    for match in SENTENCE_END.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    return pieces + ([text[start:]] if start < len(text) else [])


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Where each sentence that has a word in it starts and ends."""
    spans, start = [], 0
    for piece in sentences(text):
        if WORD.search(piece):
            spans.append((start, start + len(piece)))
        start += len(piece)
    return spans


def _prose_paragraphs(text: str) -> list[str]:
    """The paragraphs of a topic that are running prose (no code, tables or headings)."""
    found = []
    for block in re.split(r"\n[ \t]*\n", text):
        lines = block.strip("\n").splitlines()
        if not lines or any(line[:1] in " *=-+|>" or not line.strip() for line in lines):
            continue
        paragraph = " ".join(line.strip() for line in lines)
        if 60 <= len(paragraph) <= 700 and len(sentences(paragraph)) >= 2:
            found.append(paragraph)
    return found


def _passages() -> list[str]:
    """One to three paragraphs of one topic, each sentence in it distinct."""
    passages = []
    for name in sorted(topics):
        paragraphs = _prose_paragraphs(topics[name])
        for first in range(len(paragraphs)):
            for count in (1, 2, 3):
                chosen = paragraphs[first : first + count]
                text = "\n\n".join(chosen)
                if len(chosen) == count and len(text) <= 1500:
                    written = [s for s in sentences(text) if s.strip()]
                    if len(written) == len(set(written)) and len(sentence_spans(text)) >= 2:
                        passages.append(text)
    return passages


PASSAGES = _passages()
VOCABULARY = sorted({w for p in PASSAGES for w in WORD.findall(p) if len(w) > 2})[:4000]


@dataclass(frozen=True)
class Edit:
    """Replace base[start:end] by text."""

    start: int
    end: int
    text: str


def apply(base: str, edits: list[Edit]) -> str:
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        base = base[: edit.start] + edit.text + base[edit.end :]
    return base


@st.composite
def word_edit(draw, text: str, span: tuple[int, int]) -> Edit:
    """A word of the sentence at `span` rewritten, followed by a new word, or deleted."""
    words = [m for m in WORD.finditer(text, span[0], span[1])]
    word = draw(st.sampled_from(words))
    new = draw(st.sampled_from(VOCABULARY).filter(lambda w: w != word.group()))
    can_delete = text[word.end() : word.end() + 1] == " "
    action = draw(st.sampled_from(["replace", "insert", "delete"] if can_delete else ["replace"]))
    if action == "replace":
        return Edit(word.start(), word.end(), new)
    if action == "insert":
        return Edit(word.end(), word.end(), " " + new)
    return Edit(word.start(), word.end() + 1, "")


@st.composite
def boundary_edit(draw, text: str) -> Edit:
    """An edit at or next to a sentence end: the stop, the space after it, a line break."""
    ends = [m for m in SENTENCE_END.finditer(text) if m.end() < len(text)]
    assume(ends)
    end = draw(st.sampled_from(ends))
    start = draw(st.integers(max(end.start() - 6, 0), min(end.end() + 2, len(text))))
    stop = draw(st.integers(start, min(start + 6, len(text))))
    replacement = draw(
        st.sampled_from(["", " ", ".", ". ", "\n", "\n\n", ",", " and", "; ", "the ", "The "])
        | st.sampled_from(VOCABULARY)
    )
    return Edit(start, stop, replacement)


@st.composite
def words_edited(draw, text: str, indices: list[int]) -> list[Edit]:
    spans = sentence_spans(text)
    return [draw(word_edit(text, spans[i])) for i in indices]


@st.composite
def disjoint_sides(draw):
    """A passage, and two editors who each rewrite words of different sentences."""
    base = draw(st.sampled_from(PASSAGES))
    count = len(sentence_spans(base))
    order = draw(st.permutations(range(count)))
    split = draw(st.integers(1, min(count - 1, 2)))
    mine_at = order[:split]
    theirs_at = order[split : split + draw(st.integers(1, 2))]
    mine_edits = draw(words_edited(base, mine_at))
    theirs_edits = draw(words_edited(base, theirs_at))
    mine, theirs = apply(base, mine_edits), apply(base, theirs_edits)
    assume(mine != base and theirs != base)
    return base, mine, theirs, apply(base, mine_edits + theirs_edits)


@st.composite
def same_sentence_sides(draw):
    """A passage, and two editors who both rewrite one sentence, differently."""
    base = draw(st.sampled_from(PASSAGES))
    spans = sentence_spans(base)
    shared = draw(st.integers(0, len(spans) - 1))
    mine = apply(base, [draw(word_edit(base, spans[shared]))])
    theirs = apply(base, [draw(word_edit(base, spans[shared]))])
    mine_sentence = mine[spans[shared][0] : len(mine) - (len(base) - spans[shared][1])]
    theirs_sentence = theirs[spans[shared][0] : len(theirs) - (len(base) - spans[shared][1])]
    assume(mine_sentence != theirs_sentence)
    return base, mine, theirs


@st.composite
def one_side(draw, base: str) -> str:
    """An editor's text: one or two edits, of words or at a sentence boundary."""
    spans = sentence_spans(base)
    edits = []
    for _ in range(draw(st.integers(1, 2))):
        if draw(st.booleans()):
            edits.append(draw(boundary_edit(base)))
        else:
            edits.append(draw(word_edit(base, draw(st.sampled_from(spans)))))
    edits.sort(key=lambda e: (e.start, e.end))
    pairs = zip(edits, edits[1:], strict=False)
    assume(all(a.end <= b.start and a.start != b.start for a, b in pairs))
    text = apply(base, edits)
    assume(text != base)
    return text


@st.composite
def deleted_and_edited_sides(draw):
    """A passage; one editor deletes a sentence, the other rewrites a word of it or
    breaks its line between two words (which makes it two sentences).

    Each may also rewrite a word of another sentence. Returns the passage, the
    deleter's and the editor's texts, and the sentence as the editor wrote it.
    """
    base = draw(st.sampled_from(PASSAGES))
    spans = sentence_spans(base)
    order = draw(st.permutations(range(len(spans))))
    doomed, others = spans[order[0]], order[1:3]
    spaces = [m.start() for m in BETWEEN_WORDS.finditer(base, *doomed)]
    if spaces and draw(st.booleans()):
        at = draw(st.sampled_from(spaces))
        rewrite = Edit(at, at + 1, "\n")
    else:
        rewrite = draw(word_edit(base, doomed))
    deleter = [Edit(*doomed, ""), *draw(words_edited(base, others[: draw(st.integers(0, 1))]))]
    editor = [rewrite, *draw(words_edited(base, others[1:][: draw(st.integers(0, 1))]))]
    rewritten = apply(base, [rewrite])[
        doomed[0] : doomed[1] + len(rewrite.text) - (rewrite.end - rewrite.start)
    ]
    return base, apply(base, deleter), apply(base, editor), rewritten


@st.composite
def any_sides(draw):
    """A passage and two editors doing anything `one_side` does, anywhere."""
    base = draw(st.sampled_from(PASSAGES))
    return base, draw(one_side(base)), draw(one_side(base))


def field_merge(base: str, mine: str, theirs: str) -> merge.MergeResult:
    return merge.three_way_merge(
        {"body": base, "title": "Topic"}, {"body": mine}, {"body": theirs, "title": "Topic"}, TEXT
    )


def as_seen(result: merge.MergeResult, *, swapped: bool = False) -> tuple:
    """What a merge decided, with mine and theirs swapped back when asked."""
    conflicts = {}
    for name, conflict in result.conflicts.items():
        mine, theirs = (
            (conflict.theirs, conflict.mine) if swapped else (conflict.mine, conflict.theirs)
        )
        conflicts[name] = (conflict.base, mine, theirs, conflict.suggestion)
    return result.values, conflicts, result.auto_merged


def written(text: str) -> Counter:
    """The sentences of a text that have something in them, as written (trailing space aside)."""
    return Counter(s.rstrip() for s in sentences(text) if s.strip())


def assert_reads_as_written(base: str, mine: str, theirs: str, merged: str) -> None:
    """Every sentence as an editor wrote it; their insertions in, their deletions out; no glue."""
    before, result = written(base), written(merged)
    sides = {"mine": written(mine), "theirs": written(theirs)}
    stray = [s for s in result if not any(s in side for side in sides.values())]
    assert not stray, f"sentences neither editor wrote: {stray}"
    for name, side in sides.items():
        other = sides["theirs" if name == "mine" else "mine"]
        for sentence in side - before:
            assert sentence in result, f"a sentence {name} wrote was lost: {sentence!r}"
        for sentence in before - side:
            if sentence in other:  # the other editor kept it: it must be gone
                assert sentence not in result, f"a sentence {name} deleted came back: {sentence!r}"
    glued = set(GLUED.findall(merged)) - set(GLUED.findall(mine)) - set(GLUED.findall(theirs))
    assert not glued, f"sentences glued together: {glued}"


# -- the properties ------------------------------------------------------------------


def test_the_prose_is_varied_enough_to_mean_something():
    assert len(PASSAGES) > 300 and len(VOCABULARY) > 1000


@PROPERTY
@given(disjoint_sides())
def test_edits_of_different_sentences_merge_and_keep_both(sides):
    base, mine, theirs, both = sides

    assert merge.merge_text(base, mine, theirs) == both
    result = field_merge(base, mine, theirs)
    assert result.values == {"body": both} and result.conflicts == {}


@PROPERTY
@given(any_sides())
def test_the_merge_is_the_same_whichever_editor_is_mine(sides):
    base, mine, theirs = sides

    assert merge.merge_text(base, mine, theirs) == merge.merge_text(base, theirs, mine)
    assert as_seen(field_merge(base, mine, theirs)) == as_seen(
        field_merge(base, theirs, mine), swapped=True
    )


@PROPERTY
@given(disjoint_sides())
def test_the_merge_of_different_sentences_is_the_same_either_way(sides):
    base, mine, theirs, _both = sides

    assert as_seen(field_merge(base, mine, theirs)) == as_seen(
        field_merge(base, theirs, mine), swapped=True
    )


@PROPERTY
@given(same_sentence_sides())
def test_edits_of_one_sentence_are_a_conflict_never_a_choice(sides):
    base, mine, theirs = sides

    assert merge.merge_text(base, mine, theirs) is None
    result = field_merge(base, mine, theirs)
    assert "body" in result.conflicts and "body" not in result.values
    conflict = result.conflicts["body"]
    assert (conflict.base, conflict.mine, conflict.theirs) == (base, mine, theirs)


@SAFETY
@given(any_sides())
def test_an_accepted_merge_reads_as_both_editors_wrote_it(sides):
    base, mine, theirs = sides
    merged = merge.merge_text(base, mine, theirs)

    if merged is not None:
        assert_reads_as_written(base, mine, theirs, merged)


@SAFETY
@given(any_sides())
def test_a_suggestion_never_glues_sentences(sides):
    base, mine, theirs = sides
    suggestion = merge.suggest_text_merge(base, mine, theirs)

    if suggestion is not None:
        glued = set(GLUED.findall(suggestion)) - {
            g for text in (base, mine, theirs) for g in GLUED.findall(text)
        }
        assert not glued


def unchanged(base: str, mine: str, theirs: str) -> Counter:
    """The sentences of the passage both editors left as they were."""
    return written(base) & written(mine) & written(theirs)


@SAFETY
@given(any_sides() | deleted_and_edited_sides().map(lambda sides: sides[:3]))
def test_a_suggestion_keeps_every_sentence_neither_editor_changed(sides):
    base, mine, theirs = sides
    suggestion = merge.suggest_text_merge(base, mine, theirs)

    if suggestion is not None:
        lost = unchanged(base, mine, theirs) - written(suggestion)
        assert not lost, f"sentences neither editor changed were lost: {list(lost)}"


@SAFETY
@given(any_sides())
def test_a_suggestion_reads_as_sentences_the_editors_wrote(sides):
    """Each sentence is one an editor wrote, or one sentence both edited, combined:
    made of the editors' words, and never more of them than sentences both changed."""
    base, mine, theirs = sides
    suggestion = merge.suggest_text_merge(base, mine, theirs)

    if suggestion is not None:
        by_editors = written(mine) | written(theirs)
        combined = [s for s in written(suggestion) if s not in by_editors]
        both_changed = written(base) - written(mine) - written(theirs)
        assert len(combined) <= sum(both_changed.values()), f"sentences nobody wrote: {combined}"
        words = set(WORD.findall(mine)) | set(WORD.findall(theirs))
        for sentence in combined:
            assert set(WORD.findall(sentence)) <= words, f"words nobody wrote: {sentence!r}"


@SAFETY
@given(deleted_and_edited_sides())
def test_a_sentence_deleted_by_one_editor_and_edited_by_the_other_is_whole_or_gone(sides):
    """The trial's "Alpha TWO edited. Gamma three.": never a deleted sentence's remains
    glued to its neighbour, never a neighbour lost, whichever editor is mine."""
    base, deleted, edited, rewritten = sides

    for mine, theirs in ((deleted, edited), (edited, deleted)):
        suggestion = merge.suggest_text_merge(base, mine, theirs)
        if suggestion is None:
            continue
        stray = written(suggestion) - (written(mine) | written(theirs))
        assert not stray, f"sentences neither editor wrote: {list(stray)}"
        assert not unchanged(base, mine, theirs) - written(suggestion)
        count = suggestion.count(rewritten.strip())
        assert count in (0, 1), f"the edited sentence {count} times"
