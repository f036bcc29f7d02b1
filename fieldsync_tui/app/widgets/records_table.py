"""The records of a category, paged from SQLite into a window of rows.

A DataTable measures every cell it holds, so it never holds more than one
page: moving past the last row loads the next page (keyset pagination on
title and id), past the first the previous one. A category of 100,000
records opens as fast as one of ten.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey


def mark(row: dict) -> str:
    if row["conflicted"]:
        return "⚠ conflict"
    if row["deleted"]:
        return "● deleted"
    if row["pending"]:
        return "● queued"
    return ""


class RecordsTable(DataTable):
    BINDINGS = [
        # DataTable's own enter binding is hidden, and a focused widget's binding
        # hides the screen's: name it here so the footer shows "enter Edit".
        Binding("enter", "select_cursor", "Edit", id="edit"),
        Binding("pagedown", "next_page", "Next page", show=False),
        Binding("pageup", "previous_page", "Previous page", show=False),
    ]

    def __init__(self, **kwargs):
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.rows_shown: list[dict] = []
        self.first_index = 0
        self.total = 0
        self.status_fields: dict[str, str] = {}  # model -> its first choice field

    def on_mount(self) -> None:
        self.add_column("", key="mark", width=10)
        self.add_column("Title", key="title", width=32)  # widened to fit by on_resize
        self.add_column("Model", key="model", width=8)
        self.add_column("Status", key="status", width=10)

    def on_resize(self) -> None:
        """Give the title column the width the other columns leave (a scrollbar's too)."""
        title = self.columns.get(ColumnKey("title"))
        if title is None:
            return
        others = sum(c.get_render_width(self) for c in self.columns.values() if c is not title)
        free = self.region.width - self.styles.gutter.width - others - 2 * self.cell_padding - 2
        if free >= 16 and free != title.width:
            title.width = free
            self._require_update_dimensions = True
            self.refresh()

    def show_page(self, rows: list[dict], first_index: int, total: int, cursor: str) -> None:
        """Replace the window; `cursor` is "first", "last" or "keep"."""
        keep = self.cursor_row
        self.rows_shown, self.first_index, self.total = rows, first_index, total
        self.clear()
        for row in rows:
            status_field = self.status_fields.get(row["model"])
            status = row["values"].get(status_field, "") if status_field else ""
            self.add_row(
                mark(row),
                row["title"] or f"({row['object_pk']})",
                row["model"].split(".")[-1],
                str(status),
                key=str(row["id"]),
            )
        if rows:
            target = {"first": 0, "last": len(rows) - 1}.get(cursor, min(keep, len(rows) - 1))
            self.move_cursor(row=max(target, 0))

    @property
    def current(self) -> dict | None:
        if not self.rows_shown or self.cursor_row >= len(self.rows_shown):
            return None
        return self.rows_shown[self.cursor_row]

    @property
    def range_text(self) -> str:
        if not self.total:
            return "no records here"
        last = self.first_index + len(self.rows_shown)
        return f"rows {self.first_index + 1:,}–{last:,} of {self.total:,}"

    @property
    def has_next(self) -> bool:
        return self.first_index + len(self.rows_shown) < self.total

    @property
    def has_previous(self) -> bool:
        return self.first_index > 0

    def action_cursor_down(self) -> None:
        if self.cursor_row >= len(self.rows_shown) - 1 and self.has_next:
            self.action_next_page()
            return
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.cursor_row == 0 and self.has_previous:
            self.action_previous_page()
            return
        super().action_cursor_up()

    def action_next_page(self) -> None:
        if self.has_next:
            self.screen.load_records(after=self.rows_shown[-1], cursor="first")

    def action_previous_page(self) -> None:
        if self.has_previous:
            self.screen.load_records(before=self.rows_shown[0], cursor="last")
