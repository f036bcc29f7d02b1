"""After a failed save the editor is taken to the first bad field, and its message
goes once the value is right (issue 11, problem 10). Over the sample store."""

from __future__ import annotations

from textual.widgets import Input, Label

from tests.support.app_driver import settle
from tests.support.sample_app import run_app, short_store  # noqa: F401  (fixture)
from tests.support.sample_store import form_ready


def test_a_failed_save_focuses_the_bad_field_and_fixing_it_clears_the_message(
    short_store,  # noqa: F811
):
    async def scenario(pilot, app):
        from fieldsync_tui.app.screens.record_form import RecordFormScreen

        await form_ready(pilot)
        form = app.screen
        title = form.query_one("#field-title", Input)
        title.value = ""
        form.query_one("#field-body").focus()  # the editor moved on before saving
        await pilot.press("ctrl+s")
        await settle(pilot)
        error = form.query_one("#error-title", Label)
        assert isinstance(app.screen, RecordFormScreen), "nothing saved: the form stays"
        assert str(error.content), "the title's message is shown"
        assert app.screen.focused is title, f"focus on {app.screen.focused}, not the title"
        await pilot.press(*"Fixed")
        await settle(pilot)
        assert str(error.content) == "", f"message left after the value was fixed: {error.content}"
        assert "nothing saved" not in str(form.query_one("#form-error", Label).content)

    run_app(short_store, scenario)


def test_keys_typed_while_the_form_opens_go_to_its_first_text_field_and_replace_nothing(
    short_store,  # noqa: F811
    monkeypatch,
):
    """Problem 6: an `X` typed while the form took focus replaced a date. The store is
    made slow here (a busy machine): the form's fields arrive after the keys."""
    import time

    from fieldsync_tui.store import queries

    record = queries.record
    monkeypatch.setattr(queries, "record", lambda row_id: time.sleep(0.5) or record(row_id))

    async def scenario(pilot, app):
        from tests.support.app_driver import table

        row = table(app).current
        app.screen.query_one("#records").focus()
        await pilot.press("enter", "X", "Y")  # at once, while the form fills in
        await settle(pilot)
        form = app.screen
        values = {w.id: w.value for w in form.query(Input)}
        assert values["field-title"] == row["title"] + "XY", values
        untouched = {k: v for k, v in values.items() if k != "field-title" and "XY" in v}
        assert not untouched, f"typed text landed elsewhere: {untouched}"
        assert form.focused is form.query_one("#field-title"), form.focused

    run_app(short_store, scenario)


def test_a_yes_no_field_is_not_marked_as_required(short_store):  # noqa: F811
    """A new user's trial: "On loan *" read as a field to fill in, but a switch always
    holds yes or no; fields that can be left empty and switches carry no star."""

    async def scenario(pilot, app):
        await form_ready(pilot)
        labels = [str(label.content) for label in app.screen.query(".field-label")]
        assert "Featured" in labels, labels
        assert "Title *" in labels, labels

    run_app(short_store, scenario)
