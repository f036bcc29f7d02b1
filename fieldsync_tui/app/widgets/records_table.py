"""The records of a category, paged from SQLite into a window of rows.

A DataTable measures every cell it holds, so it never holds more than one
page: moving past the last row loads the next page (keyset pagination on
title and id), past the first the previous one; Home and End load the
category's first and last page. A category of 100,000 records opens as fast
as one of ten.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

MIN_TITLE = 16  # the title column never shrinks below this; the others fit their content
ROOMY_TITLE = 32  # below this the marks shrink to their signs, to leave the title room


def mark(row: dict, compact: bool = False) -> str:
    """The row's state in words ("⚠ conflict"), or as a sign alone where room is short."""
    if row["conflicted"]:
        return "⚠" if compact else "⚠ conflict"
    if row.get("rejected"):
        return "⊘" if compact else "⊘ rejected"
    if row["deleted"]:
        return "✗" if compact else "✗ deleted"
    if row["pending"]:
        return "●" if compact else "● queued"
    return ""


def column_widths(available: int, contents: dict[str, list[str]], padding: int) -> dict[str, int]:
    """Each column's width for `available` cells: mark, model and status as wide as
    their widest cell (a blank mark column takes no room), the title the rest."""
    widths = {key: max(map(cell_len, cells), default=0) for key, cells in contents.items()}
    fixed = sum(widths[key] + 2 * padding for key in widths if key != "title")
    widths["title"] = max(MIN_TITLE, available - fixed - 2 * padding)
    return widths


def marks_compact(available: int, contents: dict[str, list[str]], padding: int) -> bool:
    """Whether the marks must shrink to signs for the title to keep ROOMY_TITLE cells."""
    return column_widths(available, contents, padding)["title"] < ROOMY_TITLE


def page_move(cursor: int, rows_shown: int, screen_rows: int, step: int) -> int | None:
    """Where one screen's move (`step` -1 or 1) puts the cursor in the window; None when
    it leaves the window (the caller pages in more rows if there are any)."""
    target = cursor + step * screen_rows
    return target if 0 <= target < rows_shown else None


class RecordsTable(DataTable):
    BINDINGS = [
        # DataTable's own enter binding is hidden, and a focused widget's binding
        # hides the screen's: name it here so the footer shows "enter Edit".
        Binding("enter", "select_cursor", "Edit", id="edit"),
        Binding("j", "cursor_down", "Down", id="records.down", show=False),
        Binding("k", "cursor_up", "Up", id="records.up", show=False),
        Binding("pagedown", "page_down", "Screen down", id="records.page_down", show=False),
        Binding("pageup", "page_up", "Screen up", id="records.page_up", show=False),
        Binding("home,g", "first_row", "First", id="records.first", show=False),
        Binding("end,G", "last_row", "Last", id="records.last", show=False),
    ]

    def __init__(self, **kwargs):
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.rows_shown: list[dict] = []
        self.first_index = 0
        self.total = 0
        self.status_fields: dict[str, str] = {}  # model -> its first choice field
        self.model_names: dict[str, str] = {}  # model label -> its verbose name
        self.compact_marks = False

    def on_mount(self) -> None:
        self.add_column("", key="mark", width=0)
        self.add_column("Title", key="title", width=MIN_TITLE)  # the rest: fit_columns
        self.add_column("Model", key="model", width=5)
        self.add_column("Status", key="status", width=6)

    def on_resize(self) -> None:
        if self._compact_fits() != self.compact_marks:  # the marks change: draw them again
            self.show_page(self.rows_shown, self.first_index, self.total, "keep")
        else:
            self.fit_columns()

    def cells(self, row: dict, compact: bool | None = None) -> tuple[str, str, str, str]:
        status_field = self.status_fields.get(row["model"])
        status = row["values"].get(status_field, "") if status_field else ""
        model = self.model_names.get(row["model"]) or row["model"].split(".")[-1]
        compact = self.compact_marks if compact is None else compact
        title = row["title"] or f"({row['object_pk']})"
        return mark(row, compact), title, model, str(status or "")

    def _contents(self, compact: bool) -> dict[str, list[str]]:
        shown = [self.cells(row, compact) for row in self.rows_shown]
        return {
            "mark": [c[0] for c in shown],
            "title": [],
            "model": ["Model", *(c[2] for c in shown)],
            "status": ["Status", *(c[3] for c in shown)],
        }

    def _available(self) -> int:
        scrollbar = self.styles.scrollbar_size_vertical if self._rows_overflow() else 0
        return self.size.width - scrollbar

    def _compact_fits(self) -> bool:
        return marks_compact(self._available(), self._contents(False), self.cell_padding)

    def fit_columns(self) -> None:
        """Columns sized to the window's content; the title takes what the others leave
        (the scrollbar's room too, when the rows overflow), so nothing scrolls sideways."""
        if not self.columns:
            return
        contents = self._contents(self.compact_marks)
        for key, width in column_widths(self._available(), contents, self.cell_padding).items():
            self.columns[ColumnKey(key)].width = width
        self._require_update_dimensions = True
        self.refresh()

    def _rows_overflow(self) -> bool:
        return len(self.rows_shown) + (1 if self.show_header else 0) > self.size.height

    def show_page(
        self, rows: list[dict], first_index: int, total: int, cursor: str | int | dict
    ) -> None:
        """Replace the window. `cursor`: "first", "last", "keep" (the same row if it is
        still shown, else the same place), an index (negative: from the end), or
        {"id": row id} (that row, else as "keep")."""
        keep_index = self.cursor_row
        keep_id = self.current["id"] if self.current else None
        self.rows_shown, self.first_index, self.total = rows, first_index, total
        self.compact_marks = self._compact_fits()
        self.clear()
        for row in rows:
            self.add_row(*self.cells(row), key=str(row["id"]))
        self.fit_columns()
        if rows:
            self.move_cursor(row=self._cursor_target(rows, cursor, keep_index, keep_id))

    @staticmethod
    def _cursor_target(rows, cursor, keep_index: int, keep_id) -> int:
        ids = [row["id"] for row in rows]
        if isinstance(cursor, dict):
            keep_id, cursor = cursor.get("id"), "keep"
        if cursor == "first":
            return 0
        if cursor == "last":
            return len(rows) - 1
        if isinstance(cursor, int):  # a negative index counts from the window's end
            target = cursor if cursor >= 0 else len(rows) + cursor
            return max(0, min(target, len(rows) - 1))
        if keep_id in ids:
            return ids.index(keep_id)
        return max(0, min(keep_index, len(rows) - 1))

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

    @property
    def screen_rows(self) -> int:
        """How many rows one screen of the table shows."""
        header = self.header_height if self.show_header else 0
        return max(1, self.scrollable_content_region.height - header)

    def action_cursor_down(self) -> None:
        if self.cursor_row >= len(self.rows_shown) - 1 and self.has_next:
            self.screen.load_records(after=self.rows_shown[-1], cursor="first")
            return
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.cursor_row == 0 and self.has_previous:
            self.screen.load_records(before=self.rows_shown[0], cursor="last")
            return
        super().action_cursor_up()

    def action_page_down(self) -> None:
        """One screen down; past the window, the rows after the cursor's are paged in
        with the cursor one screen on (a short list: its last row)."""
        if not self.rows_shown:
            return
        rows = self.screen_rows
        target = page_move(self.cursor_row, len(self.rows_shown), rows, 1)
        if target is not None:
            self.move_cursor(row=target)
        elif self.has_next:
            self.screen.load_records(after=self.rows_shown[self.cursor_row], cursor=rows - 1)
        else:
            self.move_cursor(row=len(self.rows_shown) - 1)

    def action_page_up(self) -> None:
        if not self.rows_shown:
            return
        rows = self.screen_rows
        target = page_move(self.cursor_row, len(self.rows_shown), rows, -1)
        if target is not None:
            self.move_cursor(row=target)
        elif self.has_previous:
            before = self.rows_shown[self.cursor_row]
            self.screen.load_records(before=before, cursor=-rows)
        else:
            self.move_cursor(row=0)

    def action_first_row(self) -> None:
        """The category's first row, paging it in if the window starts later."""
        if self.has_previous:
            self.screen.load_records(cursor="first")
        elif self.rows_shown:
            self.move_cursor(row=0)

    def action_last_row(self) -> None:
        """The category's last row (never a sideways scroll, as DataTable's End does)."""
        if self.has_next:
            self.screen.load_records(at_end=True, cursor="last")
        elif self.rows_shown:
            self.move_cursor(row=len(self.rows_shown) - 1)
