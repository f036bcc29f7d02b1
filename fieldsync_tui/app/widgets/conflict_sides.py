"""The conflict screen's three versions of the current field: base, mine, theirs.

Each side shows what it inserted and deleted against the base, scrolled to
its first change; a file field shows each side's file line and, for an image
that is here, a preview. A file is taken whole, so it is never diffed.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from ...client.conflict_view import ConflictView, FieldInConflict
from ..diff import ThreeWayDiff, first_mark
from .image_preview import ImagePreview
from .status_bar import when

SIDES = ("base", "mine", "theirs")
GONE = {"mine": "∅ deleted by you", "theirs": "∅ deleted on the server"}


class ConflictSides(Horizontal):
    def compose(self) -> ComposeResult:
        for side in SIDES:
            with VerticalScroll(id=f"{side}-pane", classes="side"):
                yield Static("", id=f"{side}-text", classes="side-text")
                yield Vertical(id=f"{side}-preview", classes="side-preview")

    def show(self, view: ConflictView, current: FieldInConflict | None) -> None:
        panes = {side: self.query_one(f"#{side}-pane") for side in SIDES}
        panes["base"].border_title = f"Base — v{view.base_version}, when you checked out"
        edited = f", {when(view.edited_at)}" if view.edited_at else ""
        panes["mine"].border_title = (
            "Mine — you deleted it" if view.deleted_here else f"Mine — your edit{edited}"
        )
        panes["theirs"].border_title = (
            f"Theirs — deleted on the server (v{view.theirs_version})"
            if view.deleted_on_server
            else f"Theirs — v{view.theirs_version}, on the server"
        )
        texts = {side: self.query_one(f"#{side}-text", Static) for side in SIDES}
        self._show_previews(current)
        if current is None:
            for text in texts.values():
                text.update(Content.styled("(no field values differ)", "italic $text-muted"))
            return
        if current.is_file:
            for side, text in texts.items():
                line = current.shown[side]
                text.update(Content.styled(GONE.get(side, ""), "bold $text-error")
                            if line is None else Content(line))  # fmt: skip
            return
        shown = current.shown
        diff = ThreeWayDiff(shown["base"] or "", shown["mine"], shown["theirs"])
        contents = {"base": or_empty(diff.base_content(), shown["base"])}
        for side in ("mine", "theirs"):
            contents[side] = (
                Content.styled(GONE[side], "bold $text-error")
                if shown[side] is None
                else or_empty(diff.side_content(side), shown[side])
            )
        for side, content in contents.items():
            texts[side].update(content)
            scroll_to_change(panes[side], texts[side], content)

    def _show_previews(self, current: FieldInConflict | None) -> None:
        """Each side's image under its file line (only for a file field in conflict)."""
        for side in SIDES:
            box = self.query_one(f"#{side}-preview", Vertical)
            box.remove_children()
            shown = (current.files or {}).get(side) if current is not None else None
            if shown is not None and shown.note and current.shown[side] is not None:
                box.mount(ImagePreview(current.label, shown))


def or_empty(content: Content, text: str | None) -> Content:
    return content if text else Content.styled("(empty)", "italic $text-muted")


def scroll_to_change(pane, text: Static, content: Content) -> None:
    """Scroll `pane` so the first change in `content` is in sight (once laid out)."""
    offset = first_mark(content)

    def scroll() -> None:
        width = text.content_region.width
        if offset is None or width <= 0:
            pane.scroll_home(animate=False)
            return
        row = rows_before(content, offset, width)
        pane.scroll_to(y=max(row - 1, 0), animate=False)

    pane.call_after_refresh(scroll)


def rows_before(content: Content, offset: int, width: int) -> int:
    """How many screen rows of `content` wrapped at `width` come before `offset`."""
    before = content.plain[:offset]
    lines = before.split("\n")
    rows = sum(max(len(Content(line).wrap(width)), 1) for line in lines[:-1])
    return rows + (max(len(Content(lines[-1]).wrap(width)), 1) - 1 if lines[-1] else 0)
