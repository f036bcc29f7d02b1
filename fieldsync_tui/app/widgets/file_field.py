"""A file field in the record form: what it holds, and the keys that change or use it.

It shows the file's name, size and whether its content is here (or "(none)"),
and holds the value the form saves: the reference of the file, or "". Its
keys act on the focused field through the screen (attach, clear, open, save a
copy), so they show in the footer and the command palette while it is focused.
A file attached here is part of the form like any typed value: nothing is
saved until ctrl+s.
"""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.content import Content
from textual.widgets import Static

from ...client.file_views import file_line
from ...store.files import FileInfo
from ...store.schema import FieldSchema


class FileField(Static, can_focus=True):
    DEFAULT_CSS = """
    FileField {
        height: 3; width: 1fr; padding: 0 1;
        border: tall $border-blurred; background: $surface;
    }
    FileField:focus { border: tall $border; background-tint: $foreground 5%; }
    """
    BINDINGS = [
        Binding("a", "screen.attach_file", "Attach file", id="attach_file"),
        Binding("x", "screen.clear_file", "Clear file", id="clear_file"),
        Binding("o", "screen.open_file", "Open file", id="open_file"),
        Binding("w", "screen.save_file_copy", "Save a copy", id="save_file_copy"),
    ]

    def __init__(self, field: FieldSchema, value: Any, info: FileInfo | None, **kwargs):
        super().__init__(**kwargs)
        self.field = field
        self.value = value or ""  # the reference dict, or "" for no file
        self.info = info
        self.changed = False  # attached or cleared here, not saved yet

    def on_mount(self) -> None:
        self._show()

    def hold(self, value: Any, info: FileInfo | None) -> None:
        """A file attached or cleared in the form (saved with the form)."""
        self.value, self.info, self.changed = value or "", info, True
        self._show()

    def content_arrived(self, info: FileInfo) -> None:
        """The content was downloaded: it is here now."""
        if self.info is not None and info.sha256 == self.info.sha256:
            self.info = info
            self._show()

    @property
    def line(self) -> str:
        return file_line(self.info)

    def _show(self) -> None:
        hint = "a attach · x clear · o open · w save a copy" if self.info else "a attaches a file"
        parts = [Content(self.line)]
        if self.changed:
            parts.append(Content.styled("  · changed, saved with ctrl+s", "$text-warning"))
        parts.append(Content.styled(f"   {hint}", "$text-muted"))
        self.update(Content.assemble(*parts))
