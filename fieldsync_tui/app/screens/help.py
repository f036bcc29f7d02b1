"""`?`: every key of every screen, from help.md beside this file.

The text is parsed once per process and drawn by one Static (Rich's Markdown
renderable), not by Textual's Markdown widget, which mounts a widget per
block and table and took up to a third of a second to first paint: help opens
at once, so keys typed right after `?` (`end`, `q`) already act on it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from rich.markdown import Markdown
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

HELP = Path(__file__).with_name("help.md")


@cache
def help_text() -> Markdown:
    """help.md, parsed (the file ships with the package and does not change while running)."""
    return Markdown(
        HELP.read_text(encoding="utf-8"), code_theme="ansi_dark", inline_code_lexer=None
    )


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 80; height: 90%; border: thick $primary; background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close", id="close")]
    filled = True  # drawn in full by its first paint (the benchmark asks)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-scroll"):
            yield Static(help_text(), id="help-text")
