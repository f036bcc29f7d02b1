"""The sync queue: every change waiting to go, its age, tries and last error,
with a progress bar (and counts) while a sync runs."""

from __future__ import annotations

from datetime import UTC, datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, ProgressBar

from ...store import queries
from ..app import in_store_thread
from ..messages import QueueLoaded, StatusLoaded, SyncFailed, SyncFinished, SyncProgressed
from ..widgets.status_bar import StatusBar


def age(moment: datetime) -> str:
    seconds = (datetime.now(UTC) - moment).total_seconds()
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


class QueueScreen(Screen):
    CSS_PATH = "queue.tcss"
    BINDINGS = [
        Binding("ctrl+s", "app.sync", "Sync now", id="sync"),
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("question_mark", "app.help", "Help", id="help"),
    ]

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Label("Sync queue", id="queue-title")
        yield DataTable(id="queue", cursor_type="row", zebra_stripes=True)
        yield ProgressBar(id="progress", show_eta=False)
        yield Label("", id="progress-label")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for title, width in (("Op", 7), ("Model", 10), ("Record", 36), ("Age", 7), ("Tries", 5),
                             ("State", 9), ("Last error", 40)):  # fmt: skip
            table.add_column(title, width=width)
        self.query_one("#progress").display = False
        self.query_one("#progress-label").display = False
        below = [s for s in self.app.screen_stack if s is not self and s.query(StatusBar)]
        if below:  # the account line the main screen already read from the store
            self.query_one(StatusBar).account_line = below[-1].query_one(StatusBar).account_line
        if self.app.last_status is not None:
            self.show_status(self.app.last_status)
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue")
    @in_store_thread
    def load(self) -> None:
        self.post_message(QueueLoaded(queries.queue()))

    @on(QueueLoaded)
    def queue_loaded(self, message: QueueLoaded) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for entry in message.entries:
            title = entry["title"] or entry["pk"]
            if entry["op"] == "create" and str(entry["pk"]).startswith("tmp:"):
                title = f"(new) {title}"
            table.add_row(
                entry["op"],
                entry["model"].split(".")[-1],
                title,
                age(entry["created_at"]),
                str(entry["attempts"]),
                entry["state"],
                entry["last_error"],
                key=str(entry["id"]),
            )
        waiting = len(message.entries)
        self.query_one("#queue-title", Label).update(
            f"Sync queue · {waiting} waiting" if waiting else "Sync queue · nothing waiting"
        )

    def show_status(self, status: StatusLoaded) -> None:
        self.query_one(StatusBar).show(status=status, online=self.app.online)

    @on(SyncProgressed)
    def progressed(self, message: SyncProgressed) -> None:
        bar = self.query_one("#progress", ProgressBar)
        bar.display = self.query_one("#progress-label").display = True
        bar.update(total=message.total, progress=message.done)
        verb = "Pulling" if message.phase == "pull" else "Pushing"
        total = f"{message.total:,}" if message.total is not None else "?"
        self.query_one("#progress-label", Label).update(
            f"{verb} {message.label}: {message.done:,} / {total}"
        )

    @on(SyncFinished)
    @on(SyncFailed)
    def ended(self, message) -> None:
        self.query_one("#progress").display = False
        self.query_one("#progress-label").display = False
        self.load()
