"""The conflict screen's Result pane: exactly what accepting will keep.

Undecided, it says which keys choose (and shows a suggested merge as a
suggestion, never as chosen); decided, it shows the chosen value marked
against the base; while the editor writes the result by hand it is a text
area, `ctrl+s` keeping and `esc` dropping what was typed (the screen's actions).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static, TextArea

from ...client.conflict_view import ConflictView, FieldInConflict
from ..conflict_choices import EDITED, MERGE, MINE, THEIRS, Choice
from ..diff import render_result, use_words
from .conflict_sides import scroll_to_change

RESULT_TITLES = {
    MERGE: "Result — suggested merge (a machine's guess: read it before you accept)",
    MINE: "Result — mine (your edit)",
    THEIRS: "Result — theirs (the server's version)",
    EDITED: "Result — edited by you ✓",
}
SUGGESTED_TITLE = "Result — not chosen yet · a suggested merge, for you to read: g takes it"


class ResultEditor(TextArea):
    """`ctrl+s` keeps the typed result, `esc` drops it (the screen's actions).

    For a one-line field (a title, a date, a number) `enter` keeps it too, as it
    would in the record form's one-line input: it never types a line break.
    """

    BINDINGS = [
        Binding("ctrl+s", "screen.keep_edit", "Keep edit", id="keep_edit"),
        Binding("escape", "screen.discard_edit", "Discard edit", id="discard_edit"),
    ]
    one_line = False

    async def _on_key(self, event) -> None:
        if self.one_line and event.key == "enter":
            event.stop()
            event.prevent_default()
            await self.run_action("screen.keep_edit")
            return
        await super()._on_key(event)


class ResultPane(Vertical):
    def compose(self) -> ComposeResult:
        with VerticalScroll(id="result-view"):
            yield Static("", id="result-text")
        yield ResultEditor("", id="result-editor", soft_wrap=True)

    def on_mount(self) -> None:
        self.query_one("#result-editor").display = False

    @property
    def text(self) -> str:
        """The pane's text, exactly as shown."""
        return self.query_one("#result-text", Static).visual.plain

    @property
    def typed(self) -> str:
        return self.query_one("#result-editor", ResultEditor).text

    def show(
        self, view: ConflictView, current: FieldInConflict | None, choice: Choice | None
    ) -> None:
        text = self.query_one("#result-text", Static)
        self.set_class(choice is None, "-undecided")
        if choice is None:
            self._show_undecided(view, current, text)
            return
        if view.whole_record:
            self.border_title = whole_record_title(view, choice.take)
        else:
            self.border_title = RESULT_TITLES[choice.take]
        if choice.shown is None:
            text.update(Content.styled("∅ the record is deleted", "bold $text-error"))
            return
        if current is not None and current.is_file:
            text.update(Content(choice.shown))
            return
        base = (current.shown["base"] or "") if current else ""
        content = render_result(base, choice.shown, words=use_words(base, choice.shown))
        text.update(content if choice.shown else Content.styled("(empty)", "italic $text-muted"))
        scroll_to_change(self.query_one("#result-view"), text, content)

    def _show_undecided(self, view, current, text: Static) -> None:
        self.border_title = "Result — not chosen yet"
        suggested = not view.whole_record and current and current.suggestion is not None
        keys = (
            "m keep yours · t accept the deletion"
            if view.deleted_on_server
            else "m delete it anyway · t keep the server's version"
            if view.deleted_here
            else "m take mine · t take theirs · e edit"
            + (" · g take the suggestion below" if suggested else "")
        )
        prompt = Content.styled(f"Choose: {keys}", "italic $text-muted")
        if not suggested:
            text.update(prompt)
            return
        self.border_title = SUGGESTED_TITLE
        base, shown = current.shown["base"] or "", current.shown["suggestion"]
        content = render_result(base, shown, words=use_words(base, shown))
        text.update(Content.assemble(prompt, "\n\n", content))

    def start_editing(self, label: str, start: str, one_line: bool) -> None:
        editor = self.query_one("#result-editor", ResultEditor)
        editor.one_line = one_line
        editor.load_text(start)
        editor.move_cursor((0, 0))
        self.query_one("#result-view").display = False
        editor.display = True
        keep = "enter or ctrl+s keep" if one_line else "ctrl+s keep"
        self.border_title = f"Result — editing {label}: {keep} · esc discard"
        self.set_class(True, "-editing")
        editor.focus()

    def stop_editing(self) -> None:
        self.query_one("#result-editor").display = False
        view = self.query_one("#result-view")
        view.display = True
        self.set_class(False, "-editing")
        view.focus()


def whole_record_title(view: ConflictView, take: str) -> str:
    if view.deleted_on_server:
        return (
            "Result — accept the deletion ✓"
            if take == THEIRS
            else "Result — keep yours ✓ (created again on the server)"
        )
    return (
        "Result — delete it anyway ✓ (the server's changes go too)"
        if take == MINE
        else "Result — keep the server's version ✓"
    )
