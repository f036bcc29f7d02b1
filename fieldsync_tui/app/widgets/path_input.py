"""An input for a path on this computer that completes what is typed, as a shell does.

The completion is Textual's suggestion (shown dimmed after the cursor; → or
end takes it): the first entry of the folder typed so far whose name starts
with the last part, a folder with its "/" so the next part completes next.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from textual.suggester import Suggester
from textual.widgets import Input

SHOWN_ENTRIES = 2000  # a huge folder is not listed whole for one suggestion


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
