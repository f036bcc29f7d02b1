"""The app's state (online, syncing, progress, status) is the app's, watched by every
screen's widgets (issue 11, structure): a screen opened while a sync runs shows it
at once, and a sync started under an open screen shows there too."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.app_driver import settle, until
from tests.support.proxy import FlakyProxy


def _line(screen) -> str:
    from fieldsync_tui.app.widgets.status_bar import StatusBar

    return str(screen.query_one(StatusBar).render())


def _progress_label(screen) -> str:
    from textual.widgets import Label

    label = screen.query_one("#progress-label", Label)
    return str(label.render()) if label.display else ""


@pytest.fixture
def two_slow_pushes(driver, central, politics, monkeypatch):
    """Two edits queued, each pushed on its own and answered a second late (time to
    look at the screens while the sync runs); the app does not sync by itself."""
    from fieldsync_tui.store import edits
    from fieldsync_tui.store.models import Account, Record
    from fieldsync_tui.store.schema import Schema
    from fieldsync_tui.sync import engine as engine_module

    schema = Schema(Account.objects.get().schema)
    for n, record in enumerate(Record.objects.filter(model="news.article")[:2]):
        edits.update_record(schema, record.model, record.object_pk, {"title": f"State {n}"})
    monkeypatch.setattr(engine_module, "PUSH_BATCH", 1)
    driver.options["auto_sync"] = False  # the sync under test is the editor's
    with FlakyProxy(central.url) as link:
        Account.objects.update(server_url=link.url)
        link.inject("push", "slow", "slow")
        yield driver


def test_the_queue_opened_during_a_sync_shows_the_sync_and_its_progress(two_slow_pushes):
    from fieldsync_tui.app.screens.queue import QueueScreen

    async def scenario():
        async with two_slow_pushes.run() as pilot:
            app = pilot.app
            await pilot.press("ctrl+s")
            await until(pilot, lambda: "Pushing" in _progress_label(app.screen),
                        "the main screen's progress")  # fmt: skip
            await pilot.press("u")
            await until(pilot, lambda: isinstance(app.screen, QueueScreen), "the queue")
            await pilot.pause(0.1)
            assert app.syncing.is_set(), "the sync ended before the queue was looked at"
            assert "⟳" in _line(app.screen), _line(app.screen)
            assert "Pushing" in _progress_label(app.screen)
            await until(pilot, lambda: not app.syncing.is_set(), "the sync to end")
            await settle(pilot)
            assert "⟳" not in _line(app.screen)
            assert _progress_label(app.screen) == ""

    asyncio.run(scenario())


def test_a_sync_started_under_the_queue_shows_in_the_queues_status_line(two_slow_pushes):
    from fieldsync_tui.app.screens.queue import QueueScreen

    async def scenario():
        async with two_slow_pushes.run() as pilot:
            app = pilot.app
            await pilot.press("u")
            await until(pilot, lambda: isinstance(app.screen, QueueScreen), "the queue")
            await settle(pilot)
            await pilot.press("ctrl+s")
            await until(pilot, lambda: "⟳" in _line(app.screen), "⟳ on the queue's line")
            await until(pilot, lambda: not app.syncing.is_set(), "the sync to end")
            await settle(pilot)
            assert "⟳" not in _line(app.screen)
            assert "0 queued" in _line(app.screen), _line(app.screen)

    asyncio.run(scenario())


def test_when_coming_online_starts_a_sync():
    from fieldsync_tui.app.state import auto_sync_notice

    assert auto_sync_notice(False, True, 0) == "Back online: syncing."
    assert "3 queued" in auto_sync_notice(None, True, 3)  # the first answer, work waiting
    assert auto_sync_notice(None, True, 0) == ""  # the first answer, nothing waiting
    assert auto_sync_notice(True, True, 3) == ""  # still online: the timer, not a change
    assert auto_sync_notice(None, False, 3) == auto_sync_notice(True, False, 3) == ""
