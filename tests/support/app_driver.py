"""Driving the real fieldsync app with Textual's Pilot, without sleeping blind.

`settle()` waits until no worker runs (exclusive workers cancel each other,
so `workers.wait_for_complete()` would raise); `until()` waits for a state
the editor would see, with a deadline, and fails saying what it waited for.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path

SIZE = (140, 40)


class AppDriver:
    def __init__(self, folder: Path, token: str | None = None, **options):
        self.folder = folder
        self.token = token
        self.options = {"ping_interval": 0.5, **options}
        self.messages: list = []

    def make_app(self):
        from fieldsync_tui.app.app import FieldsyncApp

        return FieldsyncApp(self.folder, token=self.token, **self.options)

    @asynccontextmanager
    async def run(self, size=SIZE):
        app = self.make_app()
        async with app.run_test(
            size=size, notifications=True, message_hook=self.messages.append
        ) as pilot:
            pilot.app_under_test = app
            await settle(pilot)
            yield pilot


# Workers that wait for as long as their widget lives: a DirectoryTree's loader
# (the file picker) waits for folders to open.
LIFELONG_WORKERS = {"_loader"}


async def settle(pilot, timeout: float = 30.0) -> None:
    """Let every running worker finish and the screen catch up."""
    app = pilot.app
    deadline = time.monotonic() + timeout

    def busy() -> bool:
        return any(w.is_running and w.group not in LIFELONG_WORKERS for w in app.workers)

    await pilot.pause(0.05)
    while time.monotonic() < deadline:
        if not busy():
            await pilot.pause(0.05)
            if not busy():
                return
        await pilot.pause(0.05)
    raise AssertionError(f"workers still running after {timeout}s: {list(app.workers)}")


async def until(pilot, condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception:  # the widget may not exist yet
            pass
        await pilot.pause(0.1)
    raise AssertionError(f"waited {timeout}s for: {what}")


async def poll(
    condition: Callable[[], bool], what: str, timeout: float = 60.0, step: float = 0.002
) -> None:
    """`until` for the benchmarks: polls every `step` seconds, so a time taken when it
    returns is within a few milliseconds of the paint, and ends the run when the
    state never comes."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        try:
            if condition():
                return
        except Exception:  # not composed yet
            pass
        await asyncio.sleep(step)
    raise SystemExit(f"timed out waiting for {what}")


def notifications(app) -> list[str]:
    return [notification.message for notification in app._notifications]


def run(coro):
    return asyncio.run(coro)


# -- what an editor does and sees, for the app's tests -------------------------------


async def in_store(fn: Callable):
    """Run an ORM read or write off the event loop (Django refuses it on the loop)."""
    from django.db import connections

    def call():
        try:
            return fn()
        finally:
            connections.close_all()

    return await asyncio.to_thread(call)


def status_bar(app):
    from fieldsync_tui.app.widgets.status_bar import StatusBar

    return app.screen.query_one(StatusBar)


def table(app):
    from fieldsync_tui.app.widgets.records_table import RecordsTable

    return app.screen.query_one(RecordsTable)


async def online(pilot) -> None:
    app = pilot.app
    await until(pilot, lambda: status_bar(app).state_word == "ONLINE", "the status bar: ONLINE")
    await settle(pilot)


async def queued(pilot, count: int) -> None:
    bar = status_bar(pilot.app)
    await until(
        pilot,
        lambda: bar.status is not None and bar.status.queued == count,
        f"the status bar to count {count} queued",
    )


async def highlight_category(pilot, name: str) -> None:
    """Highlight a category in the categories pane, as the editor would with the arrows."""
    from fieldsync_tui.app.widgets.categories_list import CategoriesList

    app = pilot.app
    categories = app.screen.query_one(CategoriesList)
    categories.focus()
    await pilot.pause()
    names = [c["name"] for c in categories.categories]
    while categories.selected["name"] != name:
        before = categories.highlighted
        await pilot.press("down" if names.index(name) > before else "up")
        assert categories.highlighted != before, f"no category {name}"
    await settle(pilot)
    await until(pilot, lambda: name in table(app).border_title, f"the records of {name}")


async def open_records(pilot):
    """Focus the records of the highlighted category, loaded."""
    records = table(pilot.app)
    records.focus()
    await until(pilot, lambda: records.row_count > 0, "the records to load")
    await settle(pilot)
    return records


async def highlight_record(pilot, title: str) -> None:
    records = await open_records(pilot)
    titles = [row["title"] for row in records.rows_shown]
    records.move_cursor(row=titles.index(title))
    await settle(pilot)


async def screen_is(pilot, kind: type, what: str = "") -> None:
    await until(pilot, lambda: isinstance(pilot.app.screen, kind), what or f"{kind.__name__}")
    await pilot.pause(0.1)  # switching screens takes ~50 ms in Textual 8
    await settle(pilot)


def said(app, text: str) -> bool:
    return any(text in message for message in notifications(app))


async def sync_until_conflicted(pilot, conflicts: int = 1) -> None:
    from fieldsync_tui.app.widgets.categories_list import CategoriesList
    from fieldsync_tui.app.widgets.status_bar import StatusBar

    app = pilot.app
    await until(pilot, lambda: app.screen.query_one(StatusBar).state_word == "ONLINE",
                "the status bar to say ONLINE")  # fmt: skip
    categories = app.screen.query_one(CategoriesList)
    await until(pilot, lambda: categories.selected["name"] == "Politics",
                "Politics, checked out here, to be the highlighted category")  # fmt: skip
    await pilot.press("ctrl+s")
    await settle(pilot)
    bar = app.screen.query_one(StatusBar)
    await until(pilot, lambda: bar.status and bar.status.conflicts == conflicts,
                f"the status bar to count {conflicts} conflict(s)")  # fmt: skip


async def open_conflict_screen(pilot):
    from fieldsync_tui.app.screens.conflict import ConflictScreen

    await pilot.press("x")
    await settle(pilot)
    await until(pilot, lambda: isinstance(pilot.app.screen, ConflictScreen)
                and pilot.app.screen.loaded, "the conflict screen to load")  # fmt: skip
    return pilot.app.screen
