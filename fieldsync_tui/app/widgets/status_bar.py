"""The always-visible line: where we are, online or not, last sync, queue, conflicts.

Each state has a word and a glyph as well as a colour, so it reads on a
monochrome terminal and for colour-blind editors.
"""

from __future__ import annotations

from datetime import datetime

from textual.content import Content
from textual.markup import escape
from textual.widgets import Static

from ..messages import StatusLoaded


def when(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    local = moment.astimezone()
    if local.date() == datetime.now().astimezone().date():
        return local.strftime("%H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; width: 1fr; background: $panel; padding: 0 1; }
    """

    def __init__(self, account_line: str = "fieldsync", **kwargs):
        super().__init__(**kwargs)
        self.account_line = account_line
        self.status: StatusLoaded | None = None
        self.online: bool | None = None
        self.syncing = ""

    def show(
        self,
        status: StatusLoaded | None = None,
        online: bool | None = None,
        syncing: str | None = None,
    ) -> None:
        if status is not None:
            self.status = status
        if online is not None:
            self.online = online
        if syncing is not None:
            self.syncing = syncing
        self.update(self.status_content())

    @property
    def state_word(self) -> str:
        if self.online is None:
            return "CHECKING"
        return "ONLINE" if self.online else "OFFLINE"

    def status_content(self) -> Content:
        """Theme colours ($success, $warning, $error) plus a glyph and a word."""
        parts = [f"[b]{escape(self.account_line)}[/b]   "]
        if self.online is None:
            parts.append("[dim]◌ CHECKING…[/dim]")
        elif self.online:
            parts.append("[b $success]● ONLINE[/]")
        else:
            parts.append("[b $text-warning on $warning-muted]○ OFFLINE[/]")
        status = self.status
        if status is not None:
            synced = "synced" if self.online else "last synced"
            parts.append(f" · {synced} {when(status.last_sync_at)} · {status.queued} queued")
            if status.rejected:
                parts.append(f" · [b $text-error]✗ {status.rejected} rejected[/]")
            if status.conflicts:
                plural = "s" if status.conflicts > 1 else ""
                parts.append(f" · [b $text-error]⚠ {status.conflicts} conflict{plural}[/]")
            else:
                parts.append(" · [dim]no conflicts[/dim]")
        if self.syncing:
            parts.append(f" · [b $accent]⟳ {escape(self.syncing)}[/]")
        return Content.from_markup("".join(parts))
