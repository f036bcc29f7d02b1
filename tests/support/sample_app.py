"""The real app over the sample store (no network, clock frozen), for the main
screen's tests: a short Politics (`short_store`) or one of 1,000 records
(`long_store`), and `run_app` to drive it once its records are shown."""

from __future__ import annotations

import asyncio

import pytest

from tests.support import sample_store
from tests.support.app_driver import settle, table, until

LONG = 1_000


@pytest.fixture
def short_store(empty_store):
    sample_store.fill()
    return empty_store


@pytest.fixture
def long_store(empty_store):
    sample_store.fill_large(LONG)
    return empty_store


def run_app(folder, scenario, size=sample_store.SIZE):
    """Run `scenario(pilot, app)` once the main screen shows its records."""

    async def main():
        from fieldsync_tui.app.screens.main import MainScreen

        with sample_store.frozen_clock():
            app = sample_store.make_app(folder)
            async with app.run_test(size=size, notifications=True) as pilot:
                await until(pilot, lambda: isinstance(app.screen, MainScreen)
                            and table(app).row_count > 0, "the main screen's records")  # fmt: skip
                await settle(pilot)
                await scenario(pilot, app)
            return app

    return asyncio.run(main())


def shown_range(app) -> str:
    """The line under the records: "rows 1–9 of 9", or why there are none."""
    return str(app.screen.query_one("#range").content)
