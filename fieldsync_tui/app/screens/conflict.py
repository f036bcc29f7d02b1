"""Placeholder until the conflict screen lands: lists the open conflicts."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static


class ConflictScreen(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="back")]

    def __init__(self, schema=None):
        super().__init__()
        self.schema = schema

    def compose(self) -> ComposeResult:
        yield Static("Conflicts: use `fieldsync conflicts` and `fieldsync resolve` for now.")
        yield Footer()
