"""Hybrid logical clock stamps, shared by server and client (plain Python).

A stamp is ``"<ms since epoch, 13 digits>-<counter, 4 digits>-<node>"`` and
sorts in the order the edits happened, even when a device's clock is
behind: each new stamp is later than the last one the node saw. The
`last-writer` policy compares them; the editor's device makes the stamp when
the edit is made (not when it is synced), so a week-old offline edit loses to
yesterday's central one.

A pushed stamp is read by `parse` (its format, and at most `MAX_LENGTH`
characters: the column that keeps it); anything else is refused at the wire.
A stamp stored before stamps were checked may be unreadable: `tick` and
`order` treat it as no stamp, so it can never make a later write fail.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

MAX_LENGTH = 40  # TrackedRow.hlc: the column that keeps a row's last stamp
_STAMP = re.compile(r"([0-9]{13})-([0-9]{4,})-(.*)", re.S)


class StampError(ValueError):
    """Text that is not a clock stamp; the message says what one looks like."""


@dataclass(frozen=True, order=True)
class Stamp:
    physical: int  # milliseconds since the epoch
    counter: int  # edits made in that millisecond (or while the clock stood behind)
    node: str  # who made it: a device's name, or "central"

    def __str__(self) -> str:
        return f"{self.physical:013d}-{self.counter:04d}-{self.node}"


def parse(text: object) -> Stamp:
    """The stamp `text` spells; StampError when it is not one."""
    if not isinstance(text, str):
        raise StampError(f"must be a clock stamp (a string), not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise StampError(f"must be a clock stamp of at most {MAX_LENGTH} characters")
    match = _STAMP.fullmatch(text)
    if match is None:
        raise StampError(
            "must be a clock stamp like 1767225600000-0000-laptop "
            "(milliseconds, a counter, the device)"
        )
    physical, counter, node = match.groups()
    return Stamp(int(physical), int(counter), node)


def is_stamp(value: object) -> bool:
    try:
        parse(value)
    except StampError:
        return False
    return True


def order(text: str | None) -> tuple:
    """What two stored stamps are compared by: an unreadable or missing one is
    the earliest of all (as if the row had no stamp)."""
    try:
        stamp = parse(text)
    except StampError:
        return (0,)
    return (1, stamp.physical, stamp.counter, stamp.node)


def tick(last: str | None, node: str, now_ms: int | None = None) -> str:
    """A stamp later than `last` (and than the wall clock, if that is later).

    An unreadable `last` (stored before stamps were checked) is ignored.
    """
    physical = int(time.time() * 1000) if now_ms is None else now_ms
    counter = 0
    previous = parse(last) if is_stamp(last) else None
    if previous is not None and previous.physical >= physical:
        physical, counter = previous.physical, previous.counter + 1
    return str(Stamp(physical, counter, node))
