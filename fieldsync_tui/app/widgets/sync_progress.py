"""The progress of the running sync (or check-out, check-in): a bar with counts.

It watches the app's `progress`, so every screen that has one shows the same
work, from the moment it opens.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, ProgressBar


class SyncProgress(Vertical):
    DEFAULT_CSS = """
    SyncProgress { height: auto; display: none; }
    SyncProgress.-running { display: block; }
    """

    def compose(self) -> ComposeResult:
        yield ProgressBar(id="progress", show_eta=False)
        yield Label("", id="progress-label")

    def on_mount(self) -> None:
        self.watch(self.app, "progress", self.show)

    def show(self, progress) -> None:
        self.set_class(progress is not None, "-running")
        label = self.query_one("#progress-label", Label)
        label.display = progress is not None  # tests and the editor read the label alone
        if progress is None:
            label.update("")
            return
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=progress.total, progress=progress.done)
        label.update(progress.text())
