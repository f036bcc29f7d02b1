"""Two edits of one text: merged only when the result reads as both editors wrote it.

Plain Python, no server. The cases an editor would meet: edits of different
sentences merge; edits that meet at a sentence boundary (a full stop, the
space after it, a line break) are a conflict carrying a suggestion, and the
suggestion never glues two sentences together.
"""

from __future__ import annotations

import re

import pytest

from server_plugin.protocol import fields, merge

TEXT = {"body": fields.field_type("TextField")}
GLUED = re.compile(r"[.!?][A-Za-z]")  # "Monday.The": a full stop with no space after it


def field_merge(base: str, mine: str, theirs: str) -> merge.MergeResult:
    return merge.three_way_merge({"body": base}, {"body": mine}, {"body": theirs}, TEXT)


def test_edits_meeting_at_a_paragraph_break_are_a_conflict_whose_suggestion_glues_nothing():
    """The failure seen in the app: "…on Monday.The figures…" offered as a clean merge.

    One editor turns the blank line into a line break; the other joins the two
    paragraphs and drops "Then". Their edits meet at the break, so this is a
    conflict; the suggestion must not glue the sentences, whichever editor
    pushes first.
    """
    base = "The council met on Monday.\n\nThen the figures must be checked by Friday."
    mine = "The council met on Monday.\nThen the figures must be checked by Friday."
    theirs = "The council met on Monday. The figures must be checked by Friday."

    pushed_by_me, pushed_by_them = field_merge(base, mine, theirs), field_merge(base, theirs, mine)

    assert "body" in pushed_by_me.conflicts and "body" not in pushed_by_me.values
    suggestion = pushed_by_me.conflicts["body"].suggestion
    assert suggestion is not None and not GLUED.search(suggestion)
    assert pushed_by_them.conflicts["body"].suggestion == suggestion


@pytest.mark.parametrize(
    "mine, theirs",
    [
        pytest.param(
            "The council met on Monday.The figures must be checked.",
            "The council met on Monday. All the figures must be checked.",
            id="one deletes the space after the full stop, the other edits the next sentence",
        ),
        pytest.param(
            "The council met on Monday and the figures must be checked.",
            "The council met on Monday. The figures must be checked by Friday.",
            id="one removes the sentence end, the other edits the sentence it joined",
        ),
        pytest.param(
            "The council met on Monday. It rained. The figures must be checked.",
            "The council met on Monday. Nobody came. The figures must be checked.",
            id="two sentences inserted at one sentence boundary",
        ),
        pytest.param(
            "The council met on Monday.\n\nThe figures must be checked.",
            "The council met on Monday. All the figures must be checked.",
            id="one adds a paragraph break after a sentence, the other edits the next one",
        ),
        pytest.param(
            "The council met on Monday. A vote followed. The figures must be checked.",
            "The council met on Monday. All the figures must be checked.",
            id="a sentence inserted next to a sentence the other edited",
        ),
        pytest.param(
            "The council met late on Monday. The figures must be checked.",
            "The council met on Monday evening. The figures must be checked.",
            id="both edit one sentence, at different words",
        ),
    ],
)
def test_edits_that_meet_at_a_sentence_are_a_conflict_with_a_suggestion(mine, theirs):
    base = "The council met on Monday. The figures must be checked."

    assert merge.merge_text(base, mine, theirs) is None
    assert merge.merge_text(base, theirs, mine) is None
    result = field_merge(base, mine, theirs)
    assert set(result.conflicts) == {"body"} and result.values == {}
    suggestion = result.conflicts["body"].suggestion
    assert suggestion is None or not GLUED.search(suggestion)
    assert field_merge(base, theirs, mine).conflicts["body"].suggestion == suggestion


@pytest.mark.parametrize(
    "mine, theirs, merged",
    [
        pytest.param(
            "The council met on Monday evening. The figures must be checked.",
            "The council met on Monday. All the figures must be checked.",
            "The council met on Monday evening. All the figures must be checked.",
            id="the end of one sentence and the start of the next",
        ),
        pytest.param(
            "The council met on Tuesday. The figures must be checked.",
            "The council met on Monday.",
            "The council met on Tuesday.",
            id="one edits a sentence, the other deletes the next",
        ),
        pytest.param(
            "The council met on Monday! The figures must be checked.",
            "The council met on Monday. The figures must be checked twice.",
            "The council met on Monday! The figures must be checked twice.",
            id="a full stop made an exclamation mark still ends the sentence",
        ),
    ],
)
def test_edits_of_neighbouring_sentences_merge_and_keep_both(mine, theirs, merged):
    base = "The council met on Monday. The figures must be checked."

    assert merge.merge_text(base, mine, theirs) == merged
    assert merge.merge_text(base, theirs, mine) == merged
    assert field_merge(base, mine, theirs).values == {"body": merged}


def test_a_sentence_both_sides_changed_alike_merges_with_the_others_edits():
    base = "The council met on Monday. The vote was close. The figures must be checked."
    both = base.replace("Monday", "Tuesday")
    mine = both.replace("close", "very close")

    assert merge.merge_text(base, mine, both) == mine
    assert merge.merge_text(base, both, mine) == mine


def test_one_sides_edit_inside_the_others_changed_sentence_is_a_conflict():
    """Mine changed a word; theirs changed the same word alike and one more, in the same
    sentence: the sentences differ, so a human decides (either way round)."""
    base = "The council met on Monday in the hall."
    mine = "The council met on Tuesday in the hall."
    theirs = "The council met on Tuesday in the old hall."

    assert merge.merge_text(base, mine, theirs) is None
    assert merge.merge_text(base, theirs, mine) is None
    assert merge.suggest_text_merge(base, mine, theirs) == theirs


def test_a_suggestion_keeps_both_edits_of_one_sentence_when_they_do_not_overlap():
    base = "The mayor announced on Monday that she will step down."
    mine = "The mayor announced on Monday that she will step down at the end of the month."
    theirs = "The mayor announced on Tuesday that she will step down."

    both = "The mayor announced on Tuesday that she will step down at the end of the month."
    assert merge.suggest_text_merge(base, mine, theirs) == both
    assert merge.suggest_text_merge(base, theirs, mine) == both


def test_a_sentence_one_side_deleted_and_the_other_edited_has_no_garbled_suggestion():
    """The trial's failure: the suggestion was "Alpha TWO edited. Gamma three.", which
    loses "one. Beta" and glues the deleted sentence's remains to its neighbour. There
    is nothing to combine (one editor removed what the other rewrote): a conflict with
    no suggestion, whichever editor pushes first; the editor takes mine or theirs."""
    base = "Alpha one. Beta two. Gamma three."
    mine = "Alpha one. Gamma three."
    theirs = "Alpha one. Beta TWO edited. Gamma three."

    for first, second in ((mine, theirs), (theirs, mine)):
        result = field_merge(base, first, second)
        assert set(result.conflicts) == {"body"} and result.values == {}
        assert result.conflicts["body"].suggestion is None


def test_a_suggestion_keeps_the_sentences_neither_side_changed_around_a_combined_one():
    base = "Alpha one. Beta two is here. Gamma three."
    mine = "Alpha one. Beta two is still here. Gamma three."
    theirs = "Alpha one. Beta TWO is here. Gamma three, edited."

    both = "Alpha one. Beta TWO is still here. Gamma three, edited."
    assert merge.suggest_text_merge(base, mine, theirs) == both
    assert merge.suggest_text_merge(base, theirs, mine) == both


def test_two_edits_of_one_word_have_no_suggestion():
    """Pieces of two spellings of one word are no word anyone wrote ("cort" of "cart" and
    "cot"): edits are combined word by word, never inside a word."""
    base = "The cat sat on the mat."
    mine = "The cart sat on the mat."
    theirs = "The cot sat on the mat."

    assert merge.suggest_text_merge(base, mine, theirs) is None
