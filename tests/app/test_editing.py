"""The editor's main path in the real app: check out, open a record, edit, save."""

from __future__ import annotations

import asyncio

from textual.widgets import Input

from tests.support.app_driver import notifications, settle, until


def test_check_out_edit_and_save_queues_the_change(driver, central):
    async def scenario():
        async with driver.run() as pilot:
            app = pilot.app
            from fieldsync_tui.app.widgets.status_bar import StatusBar

            await until(pilot, lambda: app.screen.query_one(StatusBar).state_word == "ONLINE",
                        "the status bar to say ONLINE")  # fmt: skip
            await pilot.press("down", "down")  # Politics (Business, Culture, Politics…)
            await settle(pilot)
            await pilot.press("c")
            await pilot.pause(0.2)
            await pilot.press("y")
            await settle(pilot)
            assert any("checked out" in text for text in notifications(app))
            await pilot.press("tab")
            await pilot.press("enter")
            await settle(pilot)
            title = app.screen.query_one("#field-title", Input)
            title.value = "Edited in the app"
            await pilot.press("ctrl+s")
            await settle(pilot)
            status = app.screen.query_one(StatusBar)
            await until(pilot, lambda: status.status and status.status.queued == 1,
                        "the queue count to go up to 1")  # fmt: skip

    asyncio.run(scenario())
