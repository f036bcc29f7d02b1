"""The main screen's keys, as in the best terminal apps (issue 11, problem 5).

`j`/`k` move, `g`/`G` go to the first/last row, `PageUp`/`PageDown` move one
screen of rows (a short list: to its end), `Home`/`End` go to the first/last
row of the whole category, paging in what they need, `q` quits; the cursor
stays on the edited row after a save; the category list never wraps. The app
runs over the sample store (no network): a short Politics, or 1,000 records.
"""

from __future__ import annotations

from textual.widgets import Input

from tests.support import sample_store
from tests.support.app_driver import screen_is, settle, table, until
from tests.support.sample_app import LONG as COUNT
from tests.support.sample_app import long_store, run_app, short_store, shown_range

__all__ = ["long_store", "short_store"]  # fixtures


def test_j_k_g_and_shift_g_move_in_the_records(short_store):
    async def scenario(pilot, app):
        records = table(app)
        records.focus()
        await pilot.press("j", "j")
        assert records.cursor_row == 2
        await pilot.press("k")
        assert records.cursor_row == 1
        await pilot.press("G")
        await settle(pilot)
        assert records.cursor_row == records.row_count - 1
        await pilot.press("g")
        await settle(pilot)
        assert records.cursor_row == 0

    run_app(short_store, scenario)


def test_pagedown_in_a_short_list_goes_to_its_last_row(short_store):
    async def scenario(pilot, app):
        records = table(app)
        records.focus()
        await pilot.press("pagedown")
        await settle(pilot)
        assert records.cursor_row == records.row_count - 1
        await pilot.press("pageup")
        await settle(pilot)
        assert records.cursor_row == 0

    run_app(short_store, scenario)


def test_pagedown_in_a_long_category_moves_one_screen_of_rows(long_store):
    title = sample_store.large_title

    async def scenario(pilot, app):
        records = table(app)
        records.focus()
        screen_rows = records.scrollable_content_region.height - records.header_height
        await pilot.press("pagedown")
        await settle(pilot)
        assert records.current["title"] == title(1 + screen_rows), "one screen, not 200 rows"
        for _ in range(200 // screen_rows + 1):  # across the end of the first window
            await pilot.press("pagedown")
            await settle(pilot)
        moved = 200 // screen_rows + 2
        assert records.current["title"] == title(1 + moved * screen_rows)
        assert len(records.rows_shown) <= 200
        await pilot.press("pageup")
        await settle(pilot)
        assert records.current["title"] == title(1 + (moved - 1) * screen_rows)

    run_app(long_store, scenario)


def test_end_and_home_go_to_the_ends_of_the_whole_category(long_store):
    title = sample_store.large_title

    async def scenario(pilot, app):
        records = table(app)
        records.focus()
        await pilot.press("end")
        await until(pilot, lambda: records.current["title"] == title(COUNT), "the last record")
        assert shown_range(app) == f"rows 801–1,000 of {COUNT:,}"
        assert records.scroll_x == 0, "End does not scroll sideways"
        await pilot.press("home")
        await until(pilot, lambda: records.current["title"] == title(1), "the first record")
        assert shown_range(app) == f"rows 1–200 of {COUNT:,}"
        await pilot.press("G")
        await until(pilot, lambda: records.current["title"] == title(COUNT), "G: the last record")
        await pilot.press("g")
        await until(pilot, lambda: records.current["title"] == title(1), "g: the first record")

    run_app(long_store, scenario)


def test_the_category_list_never_wraps_around(short_store):
    from fieldsync_tui.app.widgets.categories_list import CategoriesList

    async def scenario(pilot, app):
        categories = app.screen.query_one(CategoriesList)
        categories.focus()
        await pilot.press("g")
        await settle(pilot)
        assert categories.highlighted == 0
        await pilot.press("up", "k")
        await settle(pilot)
        assert categories.highlighted == 0, "up on the first category stays there"
        await pilot.press("G")
        await settle(pilot)
        last = len(categories.categories) - 1
        assert categories.highlighted == last
        await pilot.press("down", "j")
        await settle(pilot)
        assert categories.highlighted == last, "down on the last category stays there"
        await pilot.press("k")
        assert categories.highlighted == last - 1

    run_app(short_store, scenario)


def test_q_quits_from_the_main_screen(long_store):
    async def scenario(pilot, app):
        table(app).focus()
        await pilot.press("q")
        await until(pilot, lambda: app._exit, "the app to quit")

    run_app(long_store, scenario)


def test_the_cursor_stays_on_the_edited_row_after_a_save(long_store):
    title = sample_store.large_title

    async def scenario(pilot, app):
        from fieldsync_tui.app.screens.main import MainScreen
        from fieldsync_tui.app.screens.record_form import RecordFormScreen

        records = table(app)
        records.focus()
        await pilot.press("end")
        await until(pilot, lambda: records.current["title"] == title(COUNT), "the last record")
        await pilot.press("k", "k")
        await settle(pilot)
        edited = records.current["title"]
        await pilot.press("enter")
        await screen_is(pilot, RecordFormScreen)
        day = app.screen.query_one("#field-published_on", Input)
        day.value = "2026-03-01"
        await pilot.press("ctrl+s")
        await screen_is(pilot, MainScreen)
        await until(pilot, lambda: table(app).current["pending"], "the edit to be queued")
        assert table(app).current["title"] == edited
        assert shown_range(app) == f"rows 801–1,000 of {COUNT:,}"

    run_app(long_store, scenario)


def test_a_keymap_in_the_config_file_remaps_a_binding_by_id(short_store, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('[keymap]\n"records.last" = "e"\n"records.down" = "ctrl+n,j"\n')
    monkeypatch.setenv("FIELDSYNC_CONFIG", str(config))

    async def scenario(pilot, app):
        records = table(app)
        records.focus()
        await pilot.press("e")
        await settle(pilot)
        assert records.cursor_row == records.row_count - 1, "e: the last row"
        await pilot.press("g", "ctrl+n", "j")
        await settle(pilot)
        assert records.cursor_row == 2

    run_app(short_store, scenario)


def test_a_broken_keymap_is_a_notification_naming_the_problem(short_store, tmp_path, monkeypatch):
    from tests.support.app_driver import said

    config = tmp_path / "config.toml"
    config.write_text('[keymap]\n"records.last" = 3\n"records.first" = "home,g"\nbroken = \n')
    monkeypatch.setenv("FIELDSYNC_CONFIG", str(config))

    async def scenario(pilot, app):
        await until(pilot, lambda: said(app, "is not valid TOML"), "the keymap's problem")
        assert said(app, str(config))
        records = table(app)
        records.focus()
        await pilot.press("G")
        await settle(pilot)
        assert records.cursor_row == records.row_count - 1, "the default keys still work"

    run_app(short_store, scenario)


def test_keymap_entries_that_are_not_keys_are_named_and_the_rest_kept():
    from fieldsync_tui.app.keymap import parse_keymap

    keymap, problems = parse_keymap('[keymap]\nquit = "ctrl+x"\nsync = 3\nfind = " "\n', "c.toml")
    assert keymap == {"quit": "ctrl+x"}
    assert len(problems) == 2 and all(p.startswith("c.toml: keymap entry") for p in problems)
    assert parse_keymap("keymap = 1", "c.toml")[1] == [
        'c.toml: [keymap] must be a table of binding id = "keys"'
    ]
    assert parse_keymap("", "c.toml") == ({}, [])
