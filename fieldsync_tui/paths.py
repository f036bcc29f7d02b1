"""Where a client keeps its data: one folder per editor.

Platform conventions by default (platformdirs); ``--data-dir`` or
``FIELDSYNC_HOME`` choose another, so several editors can work side by side
on one machine.
"""

from __future__ import annotations

import os
from pathlib import Path


def data_dir(explicit: str | Path | None = None) -> Path:
    chosen = explicit or os.environ.get("FIELDSYNC_HOME")
    if not chosen:
        import platformdirs  # only when no folder was named (a few ms of start-up)

        chosen = platformdirs.user_data_dir("fieldsync")
    path = Path(chosen)
    path = path.expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path
