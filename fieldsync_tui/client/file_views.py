"""File values as the app shows them: one line (name, size, here or not) and, for an
image whose content is here, a small picture to preview.

Plain Python (Pillow when it is installed, never Textual): it runs in workers,
so a screen only draws what was read and shrunk off the event loop. Nothing
here raises for a file it cannot read: it says so in the note instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..store import files
from ..store.files import FileInfo

PREVIEW_PIXELS = (480, 480)  # the most a preview keeps: enough for sixel, cheap for cells
NONE_TEXT = "(none)"


@dataclass(frozen=True)
class FileShown:
    """A file value ready to draw: its line, and a picture or why there is none."""

    info: FileInfo | None
    line: str  # "harbour.jpg · 340 KB · here"
    picture: Any = None  # a small PIL image, RGB, when one can be shown
    note: str = ""  # "1280 × 853 JPEG", or why there is no preview


def file_line(info: FileInfo | None) -> str:
    """The line of a file value: "harbour.jpg · 340 KB · here", "… · not downloaded", "(none)"."""
    if info is None:
        return NONE_TEXT
    where = "here" if info.here else "not downloaded"
    return f"{info.base_name} · {info.size_text} · {where}"


def show_file(value: Any, *, image: bool) -> FileShown:
    """A file value for display; with `image`, a preview when its content is here."""
    info = files.describe(value)
    line = file_line(info)
    if info is None or not image:
        return FileShown(info, line)
    if not info.here:
        return FileShown(info, line, note="not downloaded yet: o in the record form opens it")
    picture, note = picture_of(info.path)
    return FileShown(info, line, picture, note)


def picture_of(path: Path) -> tuple[Any, str]:
    """(a small RGB copy of the image, "W × H FORMAT"), or (None, why not)."""
    try:
        from PIL import Image, ImageOps
    except ImportError:
        return None, "no preview: Pillow is not installed"
    try:
        with Image.open(path) as image:
            size, kind = image.size, image.format or "image"
            image.draft("RGB", PREVIEW_PIXELS)  # JPEG: decode at a fraction of the size
            small = ImageOps.exif_transpose(image)
            small.thumbnail(PREVIEW_PIXELS)
            small = small.convert("RGB")
    except Exception:  # not an image Pillow reads, or a damaged one
        return None, "no preview: Pillow cannot read this file as an image"
    return small, f"{size[0]} × {size[1]} {kind}"
