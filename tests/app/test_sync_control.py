"""A running sync can be cancelled from the app (issue 11, problem 3): what was
pushed stays pushed, the rest stays queued, and the status line stops syncing."""

from __future__ import annotations

import asyncio

from tests.support.app_driver import notifications, settle, status_bar, until
from tests.support.proxy import FlakyProxy
from tests.support.sample_app import short_store  # noqa: F401  (fixture)


def test_ctrl_g_cancels_a_running_sync_after_its_current_request(
    driver, central, politics, monkeypatch
):
    from fieldsync_tui.store import edits
    from fieldsync_tui.store.models import Account, PendingChange, Record
    from fieldsync_tui.store.schema import Schema
    from fieldsync_tui.sync import engine as engine_module

    schema = Schema(Account.objects.get().schema)
    for n, record in enumerate(Record.objects.filter(model="news.article")[:2]):
        edits.update_record(schema, record.model, record.object_pk, {"title": f"Cancel {n}"})
    monkeypatch.setattr(engine_module, "PUSH_BATCH", 1)  # two pushes: cancel lands between

    with FlakyProxy(central.url) as link:
        Account.objects.update(server_url=link.url)
        link.inject("push", "slow", "slow")

        async def scenario():
            driver.options["auto_sync"] = False  # the sync under test is the editor's
            async with driver.run() as pilot:
                app = pilot.app
                await settle(pilot)
                assert "Cancel sync" not in _footer(app)  # nothing to cancel yet
                await pilot.press("ctrl+s")
                await until(pilot, lambda: app.syncing.is_set(), "the sync to start")
                await until(pilot, lambda: "Cancel sync" in _footer(app), "the cancel key shown")
                await pilot.press("ctrl+g")
                await until(pilot, lambda: not app.syncing.is_set(), "the sync to stop")
                await settle(pilot)
                assert any("before it stopped" in text for text in notifications(app))
                assert "syncing" not in str(status_bar(app).render())
                assert "Cancel sync" not in _footer(app)

        asyncio.run(scenario())

    assert PendingChange.objects.count() == 1, "one pushed before the cancel, one left queued"


def _footer(app) -> str:
    from textual.widgets import Footer

    footer = app.screen.query_one(Footer)
    return " ".join(str(key.render()) for key in footer.children)


def test_a_sync_that_fails_offline_shows_a_try_and_its_error_on_every_queued_change(
    short_store,  # noqa: F811
):
    """Problem 3's second half: after a failed sync the queue said 0 tries, no error."""
    from textual.widgets import DataTable

    from tests.support.sample_app import run_app

    async def scenario(pilot, app):
        from fieldsync_tui.app.screens.queue import QueueScreen

        await pilot.press("ctrl+s")  # every request fails: offline
        await until(pilot, lambda: any("no network" in t for t in notifications(app)),
                    "the failed sync's toast")  # fmt: skip
        await settle(pilot)
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen), "the queue")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        queued = [row for row in rows if row[5] == "queued"]
        assert queued, rows
        for row in queued:
            assert int(row[4]) >= 1, f"no try counted: {row}"
            assert "no network" in row[6], f"no error shown: {row}"

    run_app(short_store, scenario)
