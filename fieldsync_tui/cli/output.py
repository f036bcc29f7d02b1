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
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    class Amount(ProgressColumn):
        """Records as "12/40"; file content in bytes, "1.2/4.0 MiB"."""

        counts, sizes = MofNCompleteColumn(), DownloadColumn(binary_units=True)

        def render(self, task):
            return (self.sizes if task.fields.get("in_bytes") else self.counts).render(task)

    columns = (TextColumn("{task.description}"), BarColumn(), Amount(), TimeElapsedColumn())
    with Progress(*columns, transient=True, console=Console(stderr=True)) as bar:
        tasks: dict[tuple, int] = {}

        def update(progress) -> None:
            key = (progress.phase, progress.label)
            if key not in tasks:
                verb = _VERBS.get(progress.phase, "Pushing")
                tasks[key] = bar.add_task(
                    f"{verb} {progress.label}",
                    total=progress.total,
                    in_bytes=progress.phase in ("upload", "download"),
                )
            bar.update(tasks[key], completed=progress.done, total=progress.total)

        yield update


_VERBS = {"pull": "Pulling", "push": "Pushing", "upload": "Uploading", "download": "Downloading"}
