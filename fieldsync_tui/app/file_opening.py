"""Opening a file with the program this computer uses for it (xdg-open, open, start).

The content under its hash is shared by every record that names it, so a
program never gets that file: it gets a copy under the file's own name (which
also tells the opener what kind of file it is), in a folder of the system's
temporary files. `FIELDSYNC_OPENER` names another command (e.g. ``feh`` or
``eog``) where the system has none or the editor prefers one.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..store import files

OPENER_VARIABLE = "FIELDSYNC_OPENER"
WAIT_SECONDS = 10  # an opener that fails says so at once; one still running has opened it


class NoOpener(LookupError):
    """No program to open files with; the message says what to do instead."""


def opener_command(
    platform: str = sys.platform,
    environ: Mapping[str, str] = os.environ,
    which: Callable[[str], str | None] = shutil.which,
) -> list[str]:
    """The command that opens a file here, without the file; NoOpener when there is none."""
    chosen = environ.get(OPENER_VARIABLE, "").strip()
    if chosen:
        return shlex.split(chosen)
    if platform == "darwin":
        return ["open"]
    if platform.startswith("win"):
        return ["cmd", "/c", "start", ""]
    if which("xdg-open"):
        return ["xdg-open"]
    raise NoOpener(
        f"no program opens files here (xdg-open is not installed): set {OPENER_VARIABLE} "
        "to one (e.g. eog, feh), or save a copy with w"
    )


def viewing_copy(value: Any) -> Path:
    """A copy of the content under its own name, for a program to open (content here)."""
    ref = files.ref_of(value)
    folder = Path(tempfile.gettempdir()) / "fieldsync-open" / ref.sha256[:16]
    folder.mkdir(parents=True, exist_ok=True)
    return files.save_copy(value, folder)


def open_with_system(path: Path, command: list[str]) -> None:
    """Start the opener on `path`; raise OSError with its words if it fails at once."""
    with tempfile.TemporaryFile() as errors:  # never a pipe: a viewer left running would fill it
        process = subprocess.Popen(
            [*command, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            start_new_session=True,  # it outlives the app, and ctrl+c in the app spares it
        )
        try:
            code = process.wait(timeout=WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            return  # still running: a viewer that opened it
        if code == 0:
            return
        errors.seek(0)
        said = errors.read().decode(errors="replace").strip().splitlines()
    reason = said[-1] if said else f"it ended with status {code}"
    raise OSError(f"{command[0]} could not open {path.name}: {reason}")
