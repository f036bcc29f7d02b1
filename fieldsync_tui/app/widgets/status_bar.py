"""The always-visible line: where we are, online or not, last sync, queue, conflicts.

Each state has a word and a glyph as well as a colour, so it reads on a
monochrome terminal and for colour-blind editors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from textual.content import Content
from textual.markup import escape
from textual.widgets import Static


def when(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    local = moment.astimezone()
    if local.date() == datetime.now().astimezone().date():
        return local.strftime("%H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class Part:
    """One piece of the line: its forms, longest first, and how soon it gives way.

    `yields` orders the shortening: the lowest number shortens first; None
    never shortens (online/offline, queued, conflicts).
    """

    forms: tuple[str, ...]
    yields: int | None = None


def cells(markup: str) -> int:
    return Content.from_markup(markup).cell_length


def abbreviate(parts: list[Part], width: int) -> list[str]:
    """The markup of each part, shortened in `yields` order until the line fits.

    A part whose last form is "" disappears once it gets there; parts that
    never yield are kept whole even if the line still overflows.
    """
    chosen = [0] * len(parts)

    def total() -> int:
        return sum(cells(part.forms[i]) for part, i in zip(parts, chosen, strict=True))

    order = sorted(
        (index for index, part in enumerate(parts) if part.yields is not None),
        key=lambda index: parts[index].yields,
    )
    for index in order:
        while total() > width and chosen[index] < len(parts[index].forms) - 1:
            chosen[index] += 1
    return [part.forms[i] for part, i in zip(parts, chosen, strict=True) if part.forms[i]]


class StatusBar(Static):
    """Watches the app's `online`, `status`, `sync_running` and `account_line`.

    `account_line` given here replaces the app's (the conflict screen says
    "Conflicts" where the others name the account).
    """

    DEFAULT_CSS = """
    StatusBar { height: 1; width: 1fr; background: $panel; padding: 0 1; }
    """

    WATCHED = ("online", "status", "sync_running", "account_line")

    def __init__(self, account_line: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.own_account_line = account_line

    def on_mount(self) -> None:
        for name in self.WATCHED:
            self.watch(self.app, name, self.redraw, init=False)
        self.redraw()

    def redraw(self) -> None:
        self.update(self.status_content())

    @property
    def account_line(self) -> str:
        return self.own_account_line or self.app.account_line

    @property
    def online(self) -> bool | None:
        return self.app.online

    @property
    def status(self):
        return self.app.status

    @property
    def syncing(self) -> str:
        return "syncing…" if self.app.sync_running else ""

    @property
    def state_word(self) -> str:
        if self.online is None:
            return "CHECKING"
        return "ONLINE" if self.online else "OFFLINE"

    def on_resize(self) -> None:
        self.redraw()

    def status_parts(self) -> list[Part]:
        """The pieces of the line, each with its shorter forms for narrow terminals."""
        account = escape(self.account_line)
        parts = [Part((f"[b]{account}[/b]   ", ""), yields=0)]
        if self.online is None:
            parts.append(Part(("[dim]◌ CHECKING…[/dim]",)))
        elif self.online:
            parts.append(Part(("[b $success]● ONLINE[/]",)))
        else:
            parts.append(Part(("[b $text-warning on $warning-muted]○ OFFLINE[/]",)))
        status = self.status
        if status is not None:
            synced = "synced" if self.online else "last synced"
            moment = when(status.last_sync_at)
            parts.append(Part((f" · {synced} {moment}", f" · {moment}", ""), yields=2))
            parts.append(Part((f" · {status.queued} queued",)))
            if status.rejected:
                parts.append(Part((f" · [b $text-error]✗ {status.rejected} rejected[/]",)))
            if status.conflicts:
                plural = "s" if status.conflicts > 1 else ""
                parts.append(Part((f" · [b $text-error]⚠ {status.conflicts} conflict{plural}[/]",)))
            else:
                parts.append(Part((" · [dim]no conflicts[/dim]", ""), yields=1))
        if self.syncing:
            parts.append(
                Part((f" · [b $accent]⟳ {escape(self.syncing)}[/]", " · [b $accent]⟳[/]"), yields=3)
            )
        return parts

    def status_content(self) -> Content:
        """Theme colours ($success, $warning, $error) plus a glyph and a word.

        Shortened to the widget's width (less its padding) rather than cut.
        """
        width = self.content_size.width if self.size.width else 10_000
        return Content.from_markup("".join(abbreviate(self.status_parts(), width)))
