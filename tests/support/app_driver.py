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


async def settle(pilot, timeout: float = 30.0) -> None:
    """Let every running worker finish and the screen catch up."""
    app = pilot.app
    deadline = time.monotonic() + timeout
    await pilot.pause(0.05)
    while time.monotonic() < deadline:
        if not any(worker.is_running for worker in app.workers):
            await pilot.pause(0.05)
            if not any(worker.is_running for worker in app.workers):
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


def notifications(app) -> list[str]:
    return [notification.message for notification in app._notifications]


def run(coro):
    return asyncio.run(coro)
