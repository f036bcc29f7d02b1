"""The app fits 80x24, 120x40 and 200x60 (issue 11, "Layout that fits").

Pilot assertions are the real check: at 80 columns the categories pane hides
behind `b` and the detail pane hides, the status line fits its width, and
every footer shows its most important keys and `?`. The snapshots fix the look
at the three sizes (the lead refreshes the baselines once the keys settle).
"""

from __future__ import annotations

import asyncio
import functools

import pytest
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tests.support import sample_store
from tests.support.app_driver import settle, until
from tests.support.sample_store import (
    conflict_ready,
    form_ready,
    main_screen_ready,
    queue_ready,
)

NARROW, MEDIUM, WIDE = (80, 24), (120, 40), (200, 60)


def in_loop(test):
    """Run an async test body in its own event loop (the suite has no async plugin)."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        asyncio.run(test(*args, **kwargs))

    return run


@pytest.fixture
def sample_app(empty_store):
    sample_store.fill()
    with sample_store.frozen_clock():
        yield sample_store.make_app(empty_store)


def visible_footer_keys(app) -> list[str]:
    """The key descriptions an editor can read in the footer, left to right.

    The palette key is docked at the right and covers keys that run under it.
    """
    footer = app.screen.query_one(Footer)
    keys = [key for key in footer.query(FooterKey) if key.display and key.region.width]
    palette = [key for key in keys if key.has_class("-command-palette")]
    edge = palette[0].region.x if palette else app.size.width
    seen = [key for key in keys if key not in palette and key.region.right <= edge]
    return [key.description for key in sorted(seen, key=lambda key: key.region.x)]


def status_text(app) -> str:
    from fieldsync_tui.app.widgets.status_bar import StatusBar

    return app.screen.query_one(StatusBar).status_content().plain


async def help_ready(pilot) -> None:
    from fieldsync_tui.app.screens.help import HelpScreen

    await main_screen_ready(pilot)
    await pilot.press("question_mark")
    await until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen), "the help screen")
    await settle(pilot)


@in_loop
async def test_at_80_columns_the_records_keep_the_width(sample_app):
    async with sample_app.run_test(size=NARROW) as pilot:
        await main_screen_ready(pilot)
        screen = pilot.app.screen
        categories, detail = screen.query_one("#categories"), screen.query_one("#detail")
        assert not categories.display and not detail.display
        assert screen.query_one("#records").size.width >= 70
        status = status_text(pilot.app)
        assert len(status) <= 78, status
        assert "ONLINE" in status and "queued" in status and "conflict" in status, status
        await pilot.press("b")
        await settle(pilot)
        assert categories.display and categories.region.width
        await pilot.press("b")
        await settle(pilot)
        assert not categories.display


@pytest.mark.parametrize("size", [MEDIUM, WIDE])
@in_loop
async def test_wider_terminals_show_all_three_panes(sample_app, size):
    async with sample_app.run_test(size=size) as pilot:
        await main_screen_ready(pilot)
        screen = pilot.app.screen
        assert screen.query_one("#categories").display and screen.query_one("#detail").display
        assert "editor" in status_text(pilot.app) or "fieldsync" in status_text(pilot.app)


MAIN_KEYS = ["Sync", "Check out", "Edit", "Queue", "Conflicts", "Find", "Categories", "Help"]


@pytest.mark.parametrize(
    "ready, needed",
    [
        (main_screen_ready, MAIN_KEYS),
        (form_ready, ["Help"]),
        (queue_ready, ["Help"]),
        (conflict_ready, ["Take mine", "Take theirs", "Accept", "Back", "Help"]),
    ],
    ids=["main", "form", "queue", "conflict"],
)
@pytest.mark.parametrize("size", [NARROW, MEDIUM], ids=["80", "120"])
@in_loop
async def test_every_footer_shows_its_keys_and_help(sample_app, ready, needed, size):
    async with sample_app.run_test(size=size) as pilot:
        await ready(pilot)
        footer = pilot.app.screen.query_one(Footer)
        shown = [
            key.description
            for key in footer.query(FooterKey)
            if key.display and not key.has_class("-command-palette")
        ]
        visible = visible_footer_keys(pilot.app)
        assert visible == shown, f"cut from the footer: {shown[len(visible) :]}"
        for key in needed:
            assert key in visible, (key, visible)


def test_main_screen_80x24(snap_compare, sample_app):
    assert snap_compare(sample_app, terminal_size=NARROW, run_before=main_screen_ready)


def test_main_screen_120x40(snap_compare, sample_app):
    assert snap_compare(sample_app, terminal_size=MEDIUM, run_before=main_screen_ready)


def test_main_screen_200x60(snap_compare, sample_app):
    assert snap_compare(sample_app, terminal_size=WIDE, run_before=main_screen_ready)


def test_record_form_80x24(snap_compare, sample_app):
    assert snap_compare(sample_app, terminal_size=NARROW, run_before=form_ready)


def test_conflict_screen_80x24(snap_compare, sample_app):
    assert snap_compare(sample_app, terminal_size=NARROW, run_before=conflict_ready)


def test_help_80x24(snap_compare, sample_app):
    async def help_open(pilot):
        from fieldsync_tui.app.screens.help import HelpScreen

        await main_screen_ready(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen), "help")
        await settle(pilot)

    assert snap_compare(sample_app, terminal_size=NARROW, run_before=help_open)


def test_sync_queue_80x24(snap_compare, sample_app):
    assert snap_compare(sample_app, terminal_size=NARROW, run_before=queue_ready)


def test_queue_columns_fit_the_width_and_leave_the_error_to_the_detail_when_narrow():
    from fieldsync_tui.app.screens.queue import queue_columns

    for width in (76, 96, 116, 196):
        columns = queue_columns(width)
        assert sum(w + 2 for _, w in columns) <= width, (width, columns)
        assert [t for t, _ in columns][:6] == ["Op", "Model", "Record", "Age", "Tries", "State"]
    assert "Last error" not in dict(queue_columns(76))
    assert dict(queue_columns(116))["Last error"] >= 20
    assert dict(queue_columns(196))["Last error"] > dict(queue_columns(116))["Last error"]


@in_loop
async def test_the_queue_at_80_columns_shows_every_column_it_has(sample_app):
    from textual.widgets import DataTable

    async with sample_app.run_test(size=NARROW) as pilot:
        await queue_ready(pilot)
        table = pilot.app.screen.query_one(DataTable)
        assert table.virtual_size.width <= table.scrollable_content_region.width, "scrolls sideways"
        assert [str(c.label) for c in table.columns.values()][-1] == "State"
        await pilot.press("down")  # the create that failed once: its error below the table
        await settle(pilot)
        detail = str(pilot.app.screen.query_one("#queue-detail").render())
        assert "River crossing" in detail and "timed out" in detail, detail


@in_loop
async def test_at_80_columns_the_keys_move_in_the_records_from_the_start(sample_app):
    """A new user's trial: at 80x24 nothing had the focus (the hidden categories pane
    had it), so j and the arrows did nothing and enter opened the first record."""
    from fieldsync_tui.app.screens.main import MainScreen
    from fieldsync_tui.app.widgets.categories_list import CategoriesList
    from fieldsync_tui.app.widgets.records_table import RecordsTable

    async with sample_app.run_test(size=NARROW) as pilot:
        app = pilot.app
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, MainScreen)
                and app.screen.query_one(RecordsTable).row_count == 9
            ),
            "the records",
        )
        await settle(pilot)
        table = app.screen.query_one(RecordsTable)
        assert app.focused is table, app.focused
        await pilot.press("j", "down")
        assert table.cursor_row == 2
        await pilot.press("b")  # the categories pane shows, and takes the keys
        await settle(pilot)
        assert isinstance(app.focused, CategoriesList)
        await pilot.press("b")  # hidden again: the records have them back
        await settle(pilot)
        assert app.focused is table
