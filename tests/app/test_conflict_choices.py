"""The conflict screen's choice logic, in plain Python: no app, no store, no site."""

from __future__ import annotations

from fieldsync_tui.app.conflict_choices import (
    EDITED,
    MERGE,
    MINE,
    THEIRS,
    Choice,
    combine,
    edit_start,
    field_choice,
    ready_to_accept,
    undecided,
    whole_record_choices,
)
from fieldsync_tui.client.conflict_view import ConflictView, FieldInConflict


def item(name: str, base, mine, theirs, suggestion=None) -> FieldInConflict:
    values = {"base": base, "mine": mine, "theirs": theirs, "suggestion": suggestion}
    shown = {side: None if value is None else str(value) for side, value in values.items()}
    return FieldInConflict(name, name.title(), **values, shown=shown)


def view(*fields: FieldInConflict, deleted_on_server=False, deleted_here=False) -> ConflictView:
    return ConflictView(
        id=1, model="news.article", model_name="article", pk="a1", title="Mayor resigns",
        deleted_on_server=deleted_on_server, deleted_here=deleted_here, base_version=3,
        theirs_version=5, edited_at=None, fields=list(fields),
    )  # fmt: skip


BODY = item("body", "on Monday", "on Monday evening", "on Tuesday", "on Tuesday evening")
STATUS = item("status", "review", "published", "draft")


def test_a_key_takes_that_sides_value_and_its_shown_text():
    assert field_choice(BODY, MINE) == Choice(MINE, "on Monday evening", "on Monday evening")
    assert field_choice(BODY, THEIRS).value == "on Tuesday"
    assert field_choice(BODY, MERGE) == Choice(MERGE, "on Tuesday evening", "on Tuesday evening")


def test_the_same_choice_for_every_field_is_that_take():
    conflict = view(BODY, STATUS)
    choices = {"body": field_choice(BODY, MINE), "status": field_choice(STATUS, MINE)}
    assert combine(conflict, choices) == (MINE, None)


def test_mixed_choices_start_from_theirs_with_the_others_as_edits():
    conflict = view(BODY, STATUS)
    choices = {"body": field_choice(BODY, MERGE), "status": field_choice(STATUS, THEIRS)}
    assert combine(conflict, choices) == (THEIRS, {"body": "on Tuesday evening"})


def test_an_edited_result_is_always_sent_as_an_edit():
    conflict = view(STATUS)
    choices = {"status": Choice(EDITED, "published", "published")}
    assert combine(conflict, choices) == (THEIRS, {"status": "published"})


def test_a_suggestion_is_never_chosen_for_the_editor():
    conflict = view(BODY, STATUS)
    assert not ready_to_accept(conflict, {})
    choices = {"body": field_choice(BODY, MERGE)}
    assert [f.name for f in undecided(conflict, choices)] == ["status"]
    assert not ready_to_accept(conflict, choices)
    choices["status"] = field_choice(STATUS, THEIRS)
    assert ready_to_accept(conflict, choices)


def test_a_record_deleted_on_the_server_is_kept_or_let_go_as_a_whole():
    conflict = view(STATUS, deleted_on_server=True)
    kept = whole_record_choices(conflict, MINE)
    assert kept["status"].shown == "published"
    gone = whole_record_choices(conflict, THEIRS)
    assert gone["status"].shown is None  # the record goes
    assert combine(conflict, gone) == (THEIRS, None)
    assert ready_to_accept(conflict, gone) and not ready_to_accept(conflict, {})


def test_a_delete_refused_with_no_fields_is_still_one_choice():
    conflict = view(deleted_here=True)
    assert whole_record_choices(conflict, MINE) == {"": Choice(MINE, None, None)}
    assert combine(conflict, whole_record_choices(conflict, THEIRS)) == (THEIRS, None)


def test_editing_starts_from_the_choice_then_the_suggestion_then_mine():
    assert edit_start(BODY, Choice(THEIRS, "on Tuesday", "on Tuesday")) == "on Tuesday"
    assert edit_start(BODY, None) == "on Tuesday evening"
    assert edit_start(STATUS, None) == "published"
