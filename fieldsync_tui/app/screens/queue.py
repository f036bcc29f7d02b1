"""The sync queue: every change waiting to go, its age, tries and last error,
with a progress bar (and counts) while a sync runs. The changes the server
refused and the open conflicts are listed too, each with its reasons, and any
of them can be discarded here (its values are set aside in a file first)."""

from __future__ import annotations

from datetime import UTC, datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Static

from ...store import queries
from ...store.set_aside import folder as set_aside_folder
from ..app import in_store_thread
from ..messages import (
    ActionFailed,
    ChangeDiscarded,
    QueueLoaded,
    SyncFailed,
    SyncFinished,
)
from ..widgets.status_bar import StatusBar
from ..widgets.sync_progress import SyncProgress

_OP_WORDS = {"create": "new record", "update": "edit", "delete": "deletion"}


def age(moment: datetime) -> str:
    seconds = (datetime.now(UTC) - moment).total_seconds()
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


FIXED_COLUMNS = {"Op": 7, "Model": 10, "Age": 7, "Tries": 5, "State": 9}
RECORD_WIDTH, ERROR_MIN = 36, 20
PADDING = 2  # a DataTable cell's padding, one each side


def queue_columns(width: int) -> list[tuple[str, int]]:
    """The columns for a table `width` cells wide, each with its width.

    The record's title takes what the fixed columns leave, up to 36; the last
    error gets the rest when at least 20 are left, else it shows only in the
    detail under the table (for the highlighted change).
    """
    fixed = sum(w + PADDING for w in FIXED_COLUMNS.values())
    left = width - fixed - (RECORD_WIDTH + PADDING)
    record = RECORD_WIDTH if left >= ERROR_MIN + PADDING else max(width - fixed - PADDING, 12)
    columns = [("Op", 7), ("Model", 10), ("Record", record), ("Age", 7), ("Tries", 5),
               ("State", 9)]  # fmt: skip
    if left >= ERROR_MIN + PADDING:
        columns.append(("Last error", left - PADDING))
    return columns


def row_key(entry: dict) -> str:
    return f"{entry['kind']}-{entry['id']}"


def discard_question(entry: dict, folder) -> str:
    """What the confirmation says: what is dropped, what comes back, where mine goes."""
    name = f"{entry['model'].split('.')[-1]} “{entry['title'] or entry['pk']}”"
    what = f"the {entry['state']} {_OP_WORDS.get(entry['op'], entry['op'])} of {name}"
    if entry["op"] == "create":
        after = "It never reached the server, so it goes away."
    elif entry["kind"] == "conflict" and "deleted on the server" in entry["reasons"]:
        after = "The server deleted it, so it goes away here too."
    else:
        after = "The server's values come back."
    return f"Discard {what}? {after} Your values are saved first in {folder}/."


class QueueScreen(Screen):
    CSS_PATH = "queue.tcss"
    BINDINGS = [
        Binding("ctrl+s", "app.sync", "Sync now", id="sync"),
        Binding("d", "discard", "Discard", id="discard"),
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("question_mark", "app.help", "Help", id="help"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[str, dict] = {}
        self.columns: list[tuple[str, int]] = []  # as the table's width allows (queue_columns)

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Label("Sync queue", id="queue-title")
        yield DataTable(id="queue", cursor_type="row", zebra_stripes=True)
        yield Static("", id="queue-detail")
        yield SyncProgress()
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    def on_resize(self) -> None:
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Columns for the table's width now; the rows again when they changed."""
        table = self.query_one(DataTable)
        columns = queue_columns(table.scrollable_content_region.width or self.size.width - 4)
        if columns == self.columns:
            return
        self.columns = columns
        table.clear(columns=True)
        for title, width in columns:
            table.add_column(title, width=width)
        self._fill(table)

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue")
    @in_store_thread
    def load(self) -> None:
        self.post_message(QueueLoaded(queries.queue()))

    @on(QueueLoaded)
    def queue_loaded(self, message: QueueLoaded) -> None:
        self.entries = {row_key(entry): entry for entry in message.entries}
        if not self.columns:
            self._fit_columns()  # fills too
        else:
            self._fill(self.query_one(DataTable))
        waiting = len(message.entries)
        self.query_one("#queue-title", Label).update(
            f"Sync queue · {waiting} waiting" if waiting else "Sync queue · nothing waiting"
        )
        self.show_detail(self.selected())

    def _fill(self, table: DataTable) -> None:
        table.clear()
        shown = len(self.columns)
        for key, entry in self.entries.items():
            title = entry["title"] or entry["pk"]
            if entry["op"] == "create" and str(entry["pk"]).startswith("tmp:"):
                title = f"(new) {title}"
            cells = (
                entry["op"],
                entry["model"].split(".")[-1],
                title,
                age(entry["created_at"]),
                str(entry["attempts"]),
                entry["state"],
                "; ".join(entry["reasons"]),
            )
            table.add_row(*cells[:shown], key=key)

    def selected(self) -> dict | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return self.entries.get(key.value)

    @on(DataTable.RowHighlighted, "#queue")
    def row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        self.show_detail(self.entries.get(message.row_key.value))

    def show_detail(self, entry: dict | None) -> None:
        """The highlighted change's reasons, one line per field, and the way out."""
        detail = self.query_one("#queue-detail", Static)
        if entry is None or entry["state"] == "queued" and not entry["reasons"]:
            detail.update("")
            detail.display = False
            return
        name = f"{entry['model'].split('.')[-1]} “{entry['title'] or entry['pk']}”"
        lines = [f"{name} · {entry['state']}"]
        lines += [f"  {reason}" for reason in entry["reasons"]]
        if entry["state"] == "review":
            lines.append("A chief editor decides; the next sync tells.")
        else:
            lines.append("Edit the record again to replace it, or press d to discard it.")
        detail.update("\n".join(lines))
        detail.display = True

    def action_discard(self) -> None:
        from .confirm import ConfirmScreen

        entry = self.selected()
        if entry is None:
            self.notify("Nothing to discard.", severity="warning")
            return
        if entry["state"] == "review":
            self.notify(
                "It waits for a chief editor's review on the server; it cannot be taken back "
                "from here.",
                severity="warning",
            )
            return
        self.app.push_screen(
            ConfirmScreen(discard_question(entry, set_aside_folder()), "Discard"),
            lambda yes: yes and self.discard(entry["record_id"]),
        )

    @work(thread=True, exit_on_error=False, group="discard")
    @in_store_thread
    def discard(self, record_id: int) -> None:
        from ...store.discard import discard_changes
        from ...store.edits import EditError

        try:
            done = discard_changes(self.app.engine().schema, record_id)
        except EditError as error:
            self.app.post_message(ActionFailed("Discard", str(error)))
            return
        self.app.post_message(
            ChangeDiscarded(done.model, done.pk, done.summary(), str(done.set_aside))
        )

    @on(ChangeDiscarded)
    def discarded(self, message: ChangeDiscarded) -> None:
        self.notify(message.summary, title="Discarded", timeout=10)
        self.load()
        self.app.refresh_status()

    @on(SyncFinished)
    @on(SyncFailed)
    def ended(self, message) -> None:
        self.load()
