"""A question with a few named answers, each on its own key; esc gives the safe one.

Used where a yes/no would hide a choice the editor must see: leaving a changed
form (save, discard, keep editing), quitting with work pending (quit, stay).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label


@dataclass(frozen=True)
class Answer:
    id: str
    label: str
    key: str  # one letter, shown in the button


class ChoiceScreen(ModalScreen[str]):
    DEFAULT_CSS = """
    ChoiceScreen { align: center middle; }
    ChoiceScreen > Vertical {
        width: 70; max-width: 100%; height: auto; padding: 1 2;
        border: thick $warning; background: $surface;
    }
    ChoiceScreen Label { width: 1fr; margin-bottom: 1; }
    ChoiceScreen Horizontal { height: auto; align-horizontal: right; }
    ChoiceScreen Button { margin-left: 1; min-width: 10; }
    """

    def __init__(self, question: str, answers: list[Answer], *, safe: str, default: str = ""):
        super().__init__()
        self.question = question
        self.answers = answers
        self.safe = safe  # what esc answers: never the one that loses work
        self.default = default or safe

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            with Horizontal():
                for answer in self.answers:
                    variant = "primary" if answer.id == self.default else "default"
                    yield Button(f"{answer.label} ({answer.key})", id=f"answer-{answer.id}",
                                 variant=variant)  # fmt: skip

    def on_mount(self) -> None:
        self.query_one(f"#answer-{self.default}", Button).focus()

    def on_key(self, event) -> None:
        if event.key == "escape":
            event.stop()
            self.dismiss(self.safe)
            return
        for answer in self.answers:
            if event.key == answer.key:
                event.stop()
                self.dismiss(answer.id)
                return

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id.removeprefix("answer-"))
