"""The conflict screen's summary: each field in conflict with its choice, and what merged."""

from __future__ import annotations

from textual.content import Content
from textual.markup import escape
from textual.widgets import Static

from ...client.conflict_view import ConflictView
from ..conflict_choices import EDITED, MERGE, MINE, THEIRS, Choice

CHOICE_WORDS = {
    MERGE: "suggestion (read it)",
    MINE: "mine ✓",
    THEIRS: "theirs ✓",
    EDITED: "edited ✓",
}


class ConflictSummary(Static):
    """One line of fields in conflict (the current one marked), then the merged fields."""

    def show(self, view: ConflictView, choices: dict[str, Choice], field_index: int) -> None:
        lines = []
        if view.fields:
            items = []
            for number, item in enumerate(view.fields):
                choice = choices.get(item.name)
                word = CHOICE_WORDS[choice.take] if choice else "not chosen ?"
                if view.whole_record and choice:
                    word = f"{choice.take} ✓"
                entry = f"{escape(item.label)}: {word}"
                if number == field_index:
                    entry = f"[reverse]▶ {entry}[/reverse]"
                elif choice is None:
                    entry = f"[$text-warning]{entry}[/]"
                items.append(entry)
            lines.append("[b]In conflict[/b]       " + "   ".join(items))
        if view.merged:
            for number, item in enumerate(view.merged):
                head = "[b]Merged, no conflict[/b]" if number == 0 else " " * 20
                value = escape(" ".join(item.shown.split()))
                lines.append(f"{head}  ✓ {escape(item.label)} · [dim]{item.source}[/dim] · {value}")
        if view.unchanged:
            plural = "s" if view.unchanged > 1 else ""
            head = " " * 20 if view.merged else "[b]Merged, no conflict[/b]"
            if not view.merged:
                lines.append(f"{head}  [dim]nothing else changed[/dim]")
                head = " " * 20
            lines.append(f"{head}  [dim]{view.unchanged} other field{plural} unchanged[/dim]")
        self.update(Content.from_markup("\n".join(lines)))
