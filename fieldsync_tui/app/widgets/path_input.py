"""An input for a path on this computer that completes what is typed, as a shell does.

The completion is Textual's suggestion (shown dimmed after the cursor; → or
end takes it): the first entry of the folder typed so far whose name starts
with the last part, a folder with its "/" so the next part completes next.

A "/" or "~" typed (or pasted) at the end, where a new part of the path would
start, begins a new path and drops what was before it, as in a file dialog's
location bar or Emacs's minibuffer: the box may open on a folder, and typing an
absolute path over it just works (never "folder//home/me/photo.jpg").
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from textual.suggester import Suggester
from textual.widgets import Input

SHOWN_ENTRIES = 2000  # a huge folder is not listed whole for one suggestion
SEPARATORS = tuple(sep for sep in (os.sep, os.altsep) if sep)
NEW_PATH_STARTS = (*SEPARATORS, "~")


def begins_new_path(before: str, text: str) -> bool:
    """Whether `text`, typed after `before`, starts a path of its own: it begins with
    "/" or "~" and `before` ends with a separator (where a new part would start)."""
    return bool(before) and before.endswith(SEPARATORS) and text.startswith(NEW_PATH_STARTS)


def complete_path(text: str) -> str | None:
    """`text` completed by the first matching entry of its folder, or None.

    "~" stays as typed; hidden entries only when the part starts with ".".
    """
    if not text:
        return None
    head, sep, part = text.rpartition(os.sep)
    typed_folder = head + sep
    folder = Path(os.path.expanduser(typed_folder or "."))
    try:
        with os.scandir(folder) as entries:
            names = []
            for count, entry in enumerate(entries):
                if count >= SHOWN_ENTRIES:
                    break
                if entry.name.startswith(part) and (part.startswith(".") or entry.name[0] != "."):
                    names.append((entry.name, _is_folder(entry)))
    except OSError:
        return None
    for name, is_folder in sorted(names, key=lambda item: item[0].lower()):
        completed = typed_folder + name + (os.sep if is_folder else "")
        if completed != text:
            return completed
    return None


def _is_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


class PathSuggester(Suggester):
    """Suggests the completion of a path, read off the event loop."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)  # folders change; names are exact

    async def get_suggestion(self, value: str) -> str | None:
        return await asyncio.to_thread(complete_path, value)


class PathInput(Input):
    """An Input for a path, completing as it is typed."""

    def __init__(self, value: str = "", **kwargs) -> None:
        super().__init__(value, suggester=PathSuggester(), **kwargs)

    def replace(self, text: str, start: int, end: int) -> None:
        """Typing and pasting come through here: an absolute or home path typed at the
        end, after a separator, replaces what was typed before it."""
        if end >= len(self.value) and begins_new_path(self.value[:start], text):
            start = 0
        super().replace(text, start, end)
