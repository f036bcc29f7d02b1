"""The categories pane: mine, free, or held by someone (named; "you on DEVICE" when it
is the editor's own other device, which `c` can take over).

Moving never wraps from the last category to the first: an editor who holds
`down` must not land on, and check out, the wrong category.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.markup import escape
from textual.widgets import OptionList
from textual.widgets.option_list import Option


def describe(category: dict) -> Content:
    name = escape(category["name"])
    if category["checked_out"]:
        return Content.from_markup(f"[b $success]✎  {name}[/]  [dim](you)[/dim]")
    if category.get("mine_elsewhere"):
        held = escape(category["held_by"])
        return Content.from_markup(f"⇄  {name}  [dim]held by {held}[/dim]")
    if category["holders"]:
        holder = escape(category["holders"][0]["user"])
        return Content.from_markup(f"🔒 {name}  [dim]({holder})[/dim]")
    return Content.from_markup(f"·  {name}  [dim]free[/dim]")


class CategoriesList(OptionList):
    BORDER_TITLE = "Categories"
    BINDINGS = [
        Binding("j", "cursor_down", "Down", id="categories.down", show=False),
        Binding("k", "cursor_up", "Up", id="categories.up", show=False),
        Binding("home,g", "first", "First", id="categories.first", show=False),
        Binding("end,G", "last", "Last", id="categories.last", show=False),
    ]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.categories: list[dict] = []

    def show(self, categories: list[dict]) -> None:
        highlighted = self.selected_key
        self.categories = categories
        self.clear_options()
        self.add_options([Option(describe(c), id=c["key"]) for c in categories])
        keys = [c["key"] for c in categories]
        if highlighted in keys:
            self.highlighted = keys.index(highlighted)
        elif categories:
            mine = [i for i, c in enumerate(categories) if c["checked_out"]]
            self.highlighted = mine[0] if mine else 0

    def action_cursor_down(self) -> None:
        self._step(1)

    def action_cursor_up(self) -> None:
        self._step(-1)

    def _step(self, direction: int) -> None:
        """One category on, stopping at either end (OptionList's own wraps around)."""
        if self.highlighted is None:
            self.action_first() if direction > 0 else self.action_last()
            return
        following = self.highlighted + direction
        if 0 <= following < self.option_count:  # categories are never disabled
            self.highlighted = following

    @property
    def selected_key(self) -> str | None:
        if self.highlighted is None or not self.categories:
            return None
        return self.get_option_at_index(self.highlighted).id

    @property
    def selected(self) -> dict | None:
        key = self.selected_key
        return next((c for c in self.categories if c["key"] == key), None)
