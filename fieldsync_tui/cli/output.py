"""How the command line speaks: one-line errors, JSON for scripts, progress bars."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager


def emit_json(data) -> None:
    print(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def error(message: str) -> None:
    print(f"fieldsync: {message}", file=sys.stderr)


@contextmanager
def progress_bar(enabled: bool):
    """A callback for the engine that draws a bar with counts on a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield lambda progress: None
        return
    # Imported here: scripts (--json, pipes) should not pay for drawing.
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, transient=True, console=Console(stderr=True)) as bar:
        tasks: dict[tuple, int] = {}

        def update(progress) -> None:
            key = (progress.phase, progress.label)
            if key not in tasks:
                verb = "Pulling" if progress.phase == "pull" else "Pushing"
                tasks[key] = bar.add_task(f"{verb} {progress.label}", total=progress.total)
            bar.update(tasks[key], completed=progress.done, total=progress.total)

        yield update
