"""Opening the terminal app (fieldsync with no command, and fieldsync demo)."""

from __future__ import annotations

from pathlib import Path

from .demo import run_server_in_foreground
from .output import error


def launch_app(folder: Path) -> int:
    error("the terminal app is not built yet; use the commands (fieldsync --help)")
    return 1


def launch_demo_app(folder: Path, site_dir: Path, port: int, database_url: str | None) -> int:
    # Until the app exists, the demo is the central site alone.
    return run_server_in_foreground(port, site_dir, database_url)
