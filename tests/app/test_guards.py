"""Typed work is never lost without a word (issue 11, problem 2): esc on a changed
form asks, and quitting with a changed form or with changes queued while offline
says what is pending and asks. Over the sample store: no network needed."""

from __future__ import annotations

from textual.widgets import Input

from tests.support.app_driver import in_store, settle, until
from tests.support.sample_app import run_app, short_store  # noqa: F401  (fixture)


async def _open_form(pilot, app):
    from fieldsync_tui.app.screens.record_form import RecordFormScreen

    app.screen.query_one("#records").focus()
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, RecordFormScreen)
                and app.screen.query("#field-title"), "the record form")  # fmt: skip
    await settle(pilot)
    return app.screen


async def _type_title(pilot, form, text: str) -> None:
    box = form.query_one("#field-title", Input)
    box.focus()
    await pilot.press("end", *text)


def _question(app) -> str:
    from fieldsync_tui.app.screens.choice import ChoiceScreen

    assert isinstance(app.screen, ChoiceScreen), f"no question asked: {app.screen}"
    return app.screen.question


def test_esc_on_a_changed_form_asks_and_keep_editing_keeps_the_text(short_store):  # noqa: F811
    async def scenario(pilot, app):
        from fieldsync_tui.app.screens.record_form import RecordFormScreen

        form = await _open_form(pilot, app)
        await _type_title(pilot, form, " (typed)")
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert "unsaved changes" in _question(app)
        await pilot.press("k")  # keep editing
        await pilot.pause(0.2)
        assert isinstance(app.screen, RecordFormScreen)
        assert app.screen.query_one("#field-title", Input).value.endswith(" (typed)")

    run_app(short_store, scenario)


def test_esc_then_save_queues_the_edit_and_discard_drops_it(short_store):  # noqa: F811
    from fieldsync_tui.store.models import PendingChange

    async def scenario(pilot, app):
        from fieldsync_tui.app.screens.main import MainScreen

        form = await _open_form(pilot, app)
        await _type_title(pilot, form, " (saved)")
        await pilot.press("escape")
        await pilot.pause(0.2)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "back to the list")
        await settle(pilot)
        titles = await in_store(
            lambda: list(PendingChange.objects.values_list("record__title", flat=True))
        )
        assert any(t and t.endswith(" (saved)") for t in titles), titles

        form = await _open_form(pilot, app)
        await _type_title(pilot, form, " (dropped)")
        await pilot.press("escape")
        await pilot.pause(0.2)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "back to the list")
        await settle(pilot)
        titles = await in_store(
            lambda: list(PendingChange.objects.values_list("record__title", flat=True))
        )
        assert not any(t and "(dropped)" in t for t in titles)

    run_app(short_store, scenario)


def test_esc_on_an_unchanged_form_closes_at_once(short_store):  # noqa: F811
    async def scenario(pilot, app):
        from fieldsync_tui.app.screens.main import MainScreen

        await _open_form(pilot, app)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "back to the list")

    run_app(short_store, scenario)


def test_quitting_from_a_changed_form_asks_and_stay_keeps_it(short_store):  # noqa: F811
    async def scenario(pilot, app):
        from fieldsync_tui.app.screens.record_form import RecordFormScreen

        form = await _open_form(pilot, app)
        await _type_title(pilot, form, " (typed)")
        await pilot.press("ctrl+q")
        await pilot.pause(0.2)
        assert "unsaved changes" in _question(app)
        await pilot.press("escape")  # the safe answer: stay
        await pilot.pause(0.2)
        assert isinstance(app.screen, RecordFormScreen)
        assert app.is_running

    run_app(short_store, scenario)


def test_quitting_offline_with_changes_queued_says_they_stay_queued(short_store):  # noqa: F811
    async def scenario(pilot, app):
        app.online = False
        await pilot.press("q")
        await pilot.pause(0.2)
        question = _question(app)
        assert "queued" in question and "offline" in question, question
        await pilot.press("q")  # quit anyway
        await pilot.pause(0.3)
        assert not app.is_running

    run_app(short_store, scenario)


def test_quitting_online_with_nothing_typed_quits_at_once(short_store):  # noqa: F811
    async def scenario(pilot, app):
        app.online = True
        await pilot.press("q")
        await pilot.pause(0.3)
        assert not app.is_running

    run_app(short_store, scenario)
