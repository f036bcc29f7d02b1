"""Hybrid logical clock stamps, shared by server and client (plain Python).

A stamp is ``"<ms since epoch, 13 digits>-<counter, 4 digits>-<node>"`` and
sorts as text in the order the edits happened, even when a device's clock is
behind: each new stamp is later than the last one the node saw. The
`last-writer` policy compares them; the editor's device makes the stamp when
the edit is made (not when it is synced), so a week-old offline edit loses to
yesterday's central one.
"""

from __future__ import annotations

import time


def _parse(stamp: str) -> tuple[int, int]:
    physical, counter, _node = stamp.split("-", 2)
    return int(physical), int(counter)


def tick(last: str | None, node: str, now_ms: int | None = None) -> str:
    """A stamp later than `last` (and than the wall clock, if that is later)."""
    physical = int(time.time() * 1000) if now_ms is None else now_ms
    counter = 0
    if last:
        last_physical, last_counter = _parse(last)
        if last_physical >= physical:
            physical, counter = last_physical, last_counter + 1
    return f"{physical:013d}-{counter:04d}-{node}"


def is_stamp(value) -> bool:
    try:
        _parse(value)
        return True
    except (AttributeError, ValueError):
        return False
