"""A category of 100,000 local records opens on its first window and pages from SQLite.

The records table never holds more than one page (200 rows): the first screen
shows rows 1–200 of 100,000 in title order, moving past the window's end
loads the next one, and End and Home load the last and the first. How long
this takes and the memory it needs are measured by
`benchmarks/app_first_screen.py`, not asserted here.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.support import sample_store
from tests.support.app_driver import settle, until

COUNT = 100_000


@pytest.fixture
def large_store(empty_store):
    sample_store.fill_large(COUNT)
    yield empty_store
    from fieldsync_tui.store.models import Record

    Record.objects.all().delete()  # leave no 100,000 rows to the next test's clean-up


def test_a_category_of_100000_records_opens_on_its_first_window_and_pages(large_store):
    title = sample_store.large_title

    async def scenario():
        from fieldsync_tui.app.screens.main import MainScreen
        from fieldsync_tui.app.widgets.records_table import RecordsTable

        with sample_store.frozen_clock():
            app = sample_store.make_app(large_store)
            async with app.run_test(size=sample_store.SIZE) as pilot:
                await until(pilot, lambda: isinstance(app.screen, MainScreen)
                            and app.screen.query(RecordsTable), "the main screen")  # fmt: skip
                table = app.screen.query_one(RecordsTable)
                range_label = app.screen.query_one("#range")

                def shown(first: int, last: int) -> bool:
                    return str(range_label.content) == f"rows {first:,}–{last:,} of {COUNT:,}"

                await until(pilot, lambda: shown(1, 200), "rows 1–200 of 100,000")
                await settle(pilot)
                assert table.row_count == 200, "one window of rows, never the whole category"
                assert [r["title"] for r in table.rows_shown[:5]] == [title(n) for n in range(1, 6)]
                assert [str(table.get_cell_at((i, 1))) for i in range(3)] == [
                    title(1), title(2), title(3)
                ]  # fmt: skip
                assert "Politics" in table.border_title

                table.focus()
                await pilot.press("end")  # the last row of the whole category, paged in
                await until(pilot, lambda: shown(COUNT - 199, COUNT), "the last window after end")
                assert table.current["title"] == title(COUNT)
                await pilot.press("home")
                await until(pilot, lambda: shown(1, 200), "the first window after home")
                table.move_cursor(row=199)
                await settle(pilot)
                await pilot.press("down")
                await until(pilot, lambda: shown(201, 400), "rows 201–400 after down at the end")
                assert table.rows_shown[0]["title"] == title(201)
                assert table.cursor_row == 0 and table.row_count == 200

                table.move_cursor(row=199)
                await settle(pilot)
                assert table.current["title"] == title(400)
                await pilot.press("down")
                await until(pilot, lambda: shown(401, 600), "rows 401–600 after down at the end")
                assert table.current["title"] == title(401)

                await pilot.press("up")
                await until(pilot, lambda: shown(201, 400), "back to rows 201–400 with up")
                assert table.current["title"] == title(400), "the cursor stays on the next row"
                assert table.row_count == 200
                await settle(pilot)

    asyncio.run(scenario())
