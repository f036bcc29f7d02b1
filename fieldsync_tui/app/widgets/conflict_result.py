"""The conflict screen's Result pane while the editor writes the result by hand."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import TextArea


class ResultEditor(TextArea):
    """`ctrl+s` keeps the typed result, `esc` drops it (the screen's actions)."""

    BINDINGS = [
        Binding("ctrl+s", "screen.keep_edit", "Keep edit", id="keep_edit"),
        Binding("escape", "screen.discard_edit", "Discard edit", id="discard_edit"),
    ]
