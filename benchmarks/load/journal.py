"""Markers and journals: what every writer of the load run did, honestly kept.

Every edit puts a unique marker (``m:<writer>:<n>``) into an article's body as a
sentence of its own, inserted at a sentence boundary: text merges keep both sides'
sentences, so a marker survives every later edit unless a person chose the
other side of a conflict (or deleted the record). A writer journals each action
twice, each line fsync'd: ``intent`` before it touches its store, ``done`` after
the store committed it. An editor killed between the two settles the intent on
restart by looking at its store (``done`` if the marker is there, else
``aborted``), so the journal never claims an edit that was not made, nor omits
one that was.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from pathlib import Path

MARKER = re.compile(r"m:[a-z0-9]+:\d+")
# Where a sentence ends and the next may begin: after ". " (or ! ?) or a line break.
_BOUNDARY = re.compile(r"(?<=[.!?] )|(?<=\n)")


def marker(writer: str, number: int) -> str:
    return f"m:{writer}:{number}"


def markers_in(*texts) -> set[str]:
    found: set[str] = set()
    for text in texts:
        if isinstance(text, str):
            found.update(MARKER.findall(text))
    return found


def with_marker(body: str, mark: str, rng: random.Random) -> str:
    """`body` with the sentence "Filed <mark>. " inserted at a random sentence start."""
    starts = [0] + [m.start() for m in _BOUNDARY.finditer(body) if m.start() < len(body)]
    at = rng.choice(starts)
    return body[:at] + f"Filed {mark}. " + body[at:]


class Journal:
    """Append-only JSON lines, each written and fsync'd before the call returns."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a", encoding="utf-8")

    def write(self, **entry) -> None:
        entry.setdefault("t", time.time())
        self._file.write(json.dumps(entry, sort_keys=True) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()


def read_journal(path: Path) -> list[dict]:
    """Every complete line (a kill may leave half a line at the end: ignored)."""
    if not Path(path).exists():
        return []
    entries = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return entries


def settled(entries: list[dict]) -> dict[int, dict]:
    """Action number -> its intent merged with how it ended ("state": done/aborted/open)."""
    actions: dict[int, dict] = {}
    for entry in entries:
        number = entry.get("n")
        if number is None:
            continue
        if entry["kind"] == "intent":
            actions[number] = {**entry, "state": "open"}
        elif number in actions:
            actions[number].update({k: v for k, v in entry.items() if k not in ("kind", "t")})
            actions[number]["state"] = entry["kind"]
            actions[number]["t_end"] = entry["t"]
    return actions
