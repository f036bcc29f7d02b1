"""Writing a bundle file so that a crash never leaves half of one behind."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path: Path, write) -> object:
    """`write(out)` into a ``.partial`` file beside `path`, synced, then renamed into
    place; returns what `write` returns. Nothing is left at `path` if it raises."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    try:
        with open(partial, "wb") as file:
            written = write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return written
