"""Choose a path on this computer: a file to attach, or where to save a copy.

Type it (completion as in a shell: → takes the suggestion) or pick it in the
folder tree below; enter chooses, esc cancels. The box opens on a folder: a name
typed after it is found there, and a "/" or "~" typed after its last "/" starts
a new path instead (widgets/path_input.py). The screen only answers with
the path: what is done with it (and every check) is the caller's, in a worker.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Footer, Input, Label

from ..widgets.path_input import PathInput

ATTACH, SAVE = "attach", "save"


class VisibleFolderTree(DirectoryTree):
    """The folder tree without hidden entries (type a "." to reach those)."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [path for path in paths if not path.name.startswith(".")]


class FilePathScreen(ModalScreen[Path | None]):
    DEFAULT_CSS = """
    FilePathScreen { align: center middle; }
    FilePathScreen > Vertical {
        width: 90; max-width: 100%; height: 80%; padding: 0 1;
        border: thick $primary; background: $surface;
    }
    FilePathScreen #path-title { margin: 1 0 0 0; text-style: bold; }
    FilePathScreen #path-hint { color: $text-muted; width: 1fr; }
    FilePathScreen DirectoryTree { height: 1fr; border: round $primary-muted; }
    FilePathScreen DirectoryTree:focus { border: round $primary; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="cancel_path"),
        Binding("enter", "choose", "Choose", id="choose_path", show=False),
    ]

    def __init__(self, title: str, start: Path | str, mode: str = ATTACH):
        super().__init__()
        self.title_text = title
        self.start = Path(start).expanduser()
        self.mode = mode

    def compose(self) -> ComposeResult:
        folder = self.start if self.start.is_dir() else self.start.parent
        typed = str(self.start) + ("/" if self.mode == ATTACH and self.start.is_dir() else "")
        with Vertical():
            yield Label(self.title_text, id="path-title")
            yield PathInput(typed, id="path", placeholder="a path: ~/Pictures/harbour.jpg")
            yield Label(
                "enter chooses · → completes · / or ~ starts anew · tab: the folders · esc cancels",
                id="path-hint",
            )
            yield VisibleFolderTree(folder if folder.is_dir() else Path.home(), id="folders")
        yield Footer()

    def on_mount(self) -> None:
        box = self.query_one("#path", Input)
        box.focus()
        box.cursor_position = len(box.value)

    @on(Input.Changed, "#path")
    def path_typed(self, event: Input.Changed) -> None:
        """The folders follow the folder being typed (not a pick in the tree itself)."""
        if not event.input.has_focus:
            return
        typed = Path(os.path.expanduser(event.value or "."))
        folder = typed if event.value.endswith(os.sep) else typed.parent
        tree = self.query_one(VisibleFolderTree)
        if folder != Path(tree.path) and folder.is_dir():
            tree.path = folder

    @on(Input.Submitted, "#path")
    def typed(self, event: Input.Submitted) -> None:
        self.action_choose()

    def action_choose(self) -> None:
        text = self.query_one("#path", Input).value.strip()
        if not text:
            self.notify("Type a path, or pick one in the folders.", severity="warning")
            return
        self.dismiss(Path(text).expanduser())

    @on(DirectoryTree.FileSelected)
    def file_picked(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        box = self.query_one("#path", Input)
        box.value = str(event.path)
        if self.mode == ATTACH:
            self.dismiss(Path(event.path))
        else:  # a file to overwrite? let the editor see it and choose with enter
            box.focus()

    @on(DirectoryTree.DirectorySelected)
    def folder_picked(self, event: DirectoryTree.DirectorySelected) -> None:
        event.stop()
        box = self.query_one("#path", Input)
        name = self.start.name if self.mode == SAVE and not self.start.is_dir() else ""
        box.value = str(Path(event.path) / name) if name else f"{event.path}/"
        box.cursor_position = len(box.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
