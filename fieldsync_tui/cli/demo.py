"""``fieldsync demo``: a demo central site in a child process, and the app on it.

The client and a central site can never share a process (Django settings are
global), so the site runs as ``python -m server_plugin.demo`` in a child; the
URL it prints tells us where it listens. It stops when we do.

The demo's folder is kept between runs (the site's database in ``central/``,
editor1's store, device and token in ``editor1/``), so a second ``fieldsync
demo`` continues the first; ``--fresh`` starts afresh.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import platformdirs

URL_LINE = re.compile(r"fieldsync demo central site: (http://\S+)")
PARTS = ("central", "editor1")  # what the demo keeps in its folder, and --fresh removes


def default_demo_dir() -> Path:
    return Path(platformdirs.user_data_dir("fieldsync")) / "demo"


def server_command(
    port: int,
    folder: Path,
    database_url: str | None = None,
    workers: int | None = None,
    access_log: str | None = None,
) -> list[str]:
    command = [sys.executable, "-m", "server_plugin.demo", "--port", str(port),
               "--data-dir", str(folder)]  # fmt: skip
    if database_url:
        command += ["--database-url", database_url]
    if workers is not None:
        command += ["--workers", str(workers)]
    if access_log:
        command += ["--access-log", access_log]
    return command


def refusal(args) -> str | None:
    """What is wrong with the options, in one line; None when they make sense."""
    if args.workers is not None and args.workers < 1:
        return f"--workers must be 1 or more (not {args.workers})"
    if args.workers is not None and not args.server_only:
        return "--workers needs --server-only (the demo with the app runs one server process)"
    if args.access_log and args.workers is None:
        return "--access-log needs --workers (it is gunicorn's access log)"
    return None


def start_afresh(folder: Path) -> str:
    """Remove what an earlier demo kept in `folder` (its site, its editor); says so.
    Anything else in the folder stays."""
    for part in PARTS:
        shutil.rmtree(folder / part, ignore_errors=True)
    return f"Starting the demo afresh in {folder}: the earlier demo's site and editor are gone."


def run_demo(args) -> int:
    problem = refusal(args)
    if problem:
        print(f"fieldsync demo: {problem}", file=sys.stderr)
        return 2
    folder = (args.demo_dir or default_demo_dir()).expanduser().resolve()
    site_dir = folder / "central"
    if args.fresh:
        print(start_afresh(folder))
    if args.server_only:
        return run_server_in_foreground(
            args.port, site_dir, args.database_url, args.workers, args.access_log
        )
    from .app_launch import launch_demo_app

    return launch_demo_app(folder, site_dir, args.port, args.database_url)


def run_server_in_foreground(
    port: int,
    site_dir: Path,
    database_url: str | None = None,
    workers: int | None = None,
    access_log: str | None = None,
) -> int:
    """Run the demo site until Ctrl+C or SIGTERM (forwarded to the child, which stops
    its workers); its exit code is ours."""
    child = subprocess.Popen(server_command(port, site_dir, database_url, workers, access_log))

    def forward(signum, frame):
        child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.send_signal(signal.SIGTERM)
        return child.wait()


def start_server(port: int, site_dir: Path, database_url: str | None = None):
    """Start the demo site in the background; returns (process, URL) once it listens."""
    child = subprocess.Popen(
        server_command(port, site_dir, database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen = []
    for line in child.stdout:
        seen.append(line)
        match = URL_LINE.search(line)
        if match:
            return child, match.group(1).rstrip("/")
    child.wait()
    raise RuntimeError("the demo site did not start:\n" + "".join(seen[-20:]))
