"""An image's preview where the terminal can draw one, with its size in words always.

Pictures are drawn by textual-image (the optional extra ``fieldsync[images]``):
sixel or the kitty graphics protocol where the terminal answers that it has
them, else coloured half-cells, which any colour terminal (and a screenshot)
shows. Without textual-image or Pillow, or for content that is not here, the
preview is its line of text (dimensions, or why there is no picture).
`FIELDSYNC_IMAGES` chooses otherwise where a terminal misleads: ``cells``
(half-cells always) or ``off`` (text only; the terminal is not even asked).

Import this module before the app runs: textual-image asks the terminal what
it can draw when it is imported, which it can no longer do once Textual owns
the terminal (app.py imports it).
"""

from __future__ import annotations

import os

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.markup import escape
from textual.widgets import Label

from ...client.file_views import FileShown

MODE = os.environ.get("FIELDSYNC_IMAGES", "auto").strip().lower()  # auto, cells or off
Picture = None
if MODE != "off":
    try:  # optional: the preview falls back to text
        from textual_image.renderable import Image as _BestRenderable
        from textual_image.renderable import UnicodeImage as _UnicodeRenderable
        from textual_image.widget import HalfcellImage as _HalfcellPicture
        from textual_image.widget import Image as _BestPicture

        # Not a terminal (or one that says nothing), or asked: half-cells keep the colours.
        cells = MODE == "cells" or _BestRenderable is _UnicodeRenderable
        Picture = _HalfcellPicture if cells else _BestPicture
    except Exception:  # not installed, or the terminal's answer could not be read
        Picture = None


def can_draw_pictures() -> bool:
    return Picture is not None


class ImagePreview(Vertical):
    """One image field's preview: its label and note, then the picture if there is one."""

    DEFAULT_CSS = """
    ImagePreview { height: auto; margin-top: 1; }
    ImagePreview .preview-note { color: $text-muted; }
    ImagePreview .preview-picture { width: auto; height: auto; max-height: 24; }
    """

    def __init__(self, label: str, shown: FileShown, **kwargs):
        super().__init__(**kwargs)
        self.label = label
        self.shown = shown

    @property
    def note(self) -> str:
        note = self.shown.note
        if self.shown.picture is not None and Picture is None:
            note += (" · previews are off (FIELDSYNC_IMAGES)" if MODE == "off"
                     else " · no preview: install fieldsync[images] (textual-image)")  # fmt: skip
        return note

    @property
    def drawn(self) -> bool:
        """A picture is drawn (not only its note)."""
        return self.shown.picture is not None and Picture is not None

    def compose(self) -> ComposeResult:
        yield Label(f"[b]{escape(self.label)}[/b] [dim]{escape(self.note)}[/dim]",
                    classes="preview-note")  # fmt: skip
        if self.drawn:
            yield Picture(self.shown.picture, classes="preview-picture")
