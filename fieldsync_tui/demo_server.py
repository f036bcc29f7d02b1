"""Starting the demo central site in its own process.

The client and a central site can never share a process (Django settings are
global), so the client runs ``python -m server_plugin.demo`` as a child,
reads the URL it prints, and stops it on exit.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def server_command(port: int, data_dir: Path, database_url: str | None = None) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "server_plugin.demo",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
    ]
    if database_url:
        command += ["--database-url", database_url]
    return command


def run_in_foreground(port: int, data_dir: Path, database_url: str | None = None) -> int:
    """Run the demo site until Ctrl+C or SIGTERM (forwarded to the child)."""
    import signal

    child = subprocess.Popen(server_command(port, data_dir, database_url))

    def forward(signum, frame):
        child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.send_signal(signal.SIGTERM)
        return child.wait()
