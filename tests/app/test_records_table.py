"""The records table spends its width on what an editor reads (issue 11, problem 9):
columns sized to their content, the model's verbose name, a marks column only as
wide as the marks shown, Status on screen at 120 columns, nothing to scroll
sideways. The sample store, no network."""

from __future__ import annotations

import os

from tests.support.app_driver import table
from tests.support.sample_app import long_store, run_app, short_store

__all__ = ["long_store", "short_store"]  # fixtures


def column_width(records, key: str) -> int:
    from textual.widgets.data_table import ColumnKey

    return records.columns[ColumnKey(key)].get_render_width(records)


def visible_cells(records, row: int) -> list[str]:
    return [str(cell) for cell in records.get_row_at(row)]


def shot(app, name: str) -> None:
    folder = os.environ.get("FIELDSYNC_SHOTS")
    if folder:
        app.save_screenshot(filename=f"{name}.svg", path=folder)


def fitted(records) -> dict[str, int]:
    widths = {key: column_width(records, key) for key in ("mark", "title", "model", "status")}
    assert sum(widths.values()) <= records.scrollable_content_region.width, (
        f"Status off-screen: {widths} in {records.scrollable_content_region.width}"
    )
    assert records.max_scroll_x == 0, "nothing to scroll sideways"
    return widths


def test_columns_fit_their_content_and_status_shows_at_120_columns(short_store):
    async def scenario(pilot, app):
        records = table(app)
        shot(app, "records-120")
        widths = fitted(records)
        models = {visible_cells(records, i)[2] for i in range(records.row_count)}
        assert models == {"Article", "Photo"}, "the model's verbose name, whole"
        assert "published" in {visible_cells(records, i)[3] for i in range(records.row_count)}
        marks = {visible_cells(records, i)[0] for i in range(records.row_count)}
        assert marks == {"", "●", "⚠", "✗"}, "signs alone where the pane is narrow"
        assert widths["mark"] == 1 + 2 * records.cell_padding
        assert widths["title"] >= 24, "the room goes to the titles"

    run_app(short_store, scenario, size=(120, 40))


def test_marks_are_words_where_there_is_room(short_store):
    async def scenario(pilot, app):
        records = table(app)
        shot(app, "records-200")
        widths = fitted(records)
        assert "⚠ conflict" in {visible_cells(records, i)[0] for i in range(records.row_count)}
        assert widths["mark"] == len("⚠ conflict") + 2 * records.cell_padding

    run_app(short_store, scenario, size=(200, 60))


def test_a_blank_marks_column_takes_no_room(long_store):
    async def scenario(pilot, app):
        records = table(app)
        fitted(records)
        assert column_width(records, "mark") == 2 * records.cell_padding

    run_app(long_store, scenario, size=(120, 40))


def test_after_creating_a_record_the_cursor_is_on_it(short_store):  # noqa: F811
    """The editor sees the record they just made, wherever its title sorts."""

    async def scenario(pilot, app):
        from textual.widgets import Input, TextArea

        from fieldsync_tui.app.screens.main import MainScreen
        from fieldsync_tui.app.screens.record_form import RecordFormScreen
        from tests.support.app_driver import settle, table, until

        app.screen.query_one("#records").focus()
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, RecordFormScreen)
                    and app.screen.query("#field-title"), "the new record's form")  # fmt: skip
        await settle(pilot)
        app.screen.query_one("#field-title", Input).value = "Zebra crossing repainted"
        app.screen.query_one("#field-body", TextArea).text = "Written in the field."
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "back to the list")
        await until(pilot, lambda: (table(app).current or {}).get("title")
                    == "Zebra crossing repainted", "the cursor on the new record")  # fmt: skip

    run_app(short_store, scenario)
