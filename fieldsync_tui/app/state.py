"""The app's state that every screen shows: kept once, on the app, as reactives.

Widgets watch these (`StatusBar`, `SyncProgress`); handlers on the app set them
from the workers' messages. A screen opened at any moment shows the state as
it is, without being told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class StoreStatus:
    """What the store holds that the status line counts."""

    last_sync_at: datetime | None
    queued: int
    rejected: int
    conflicts: int


@dataclass(frozen=True)
class Progress:
    """Where a running sync, check-out or check-in is."""

    phase: str  # "pull" or "push"
    label: str
    done: int
    total: int | None

    def text(self) -> str:
        verb = "Pulling" if self.phase == "pull" else "Pushing"
        total = f"{self.total:,}" if self.total is not None else "?"
        return f"{verb} {self.label}: {self.done:,} / {total} records"


def auto_sync_notice(was_online: bool | None, online: bool, queued: int) -> str:
    """Why a sync starts by itself now, in words; "" when none should.

    Coming back online syncs; so does the server's first answer after the app
    starts when changes wait (queued while offline before the last quit).
    """
    if not online or was_online:
        return ""
    if was_online is False:
        return "Back online: syncing."
    return f"{queued:,} queued change(s) waiting from before: syncing." if queued else ""
