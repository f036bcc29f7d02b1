"""Opening the terminal app: ``fieldsync`` (no command) and ``fieldsync demo``."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from .demo import run_server_in_foreground, start_server


def launch_app(folder: Path, token: str | None = None) -> int:
    from ..store.database import open_database

    open_database(folder)
    from ..app.app import FieldsyncApp

    interval = float(os.environ.get("FIELDSYNC_PING_SECONDS", "5"))
    FieldsyncApp(folder, token=token, ping_interval=interval).run()
    return 0


def launch_demo_app(folder: Path, site_dir: Path, port: int, database_url: str | None) -> int:
    """The demo central site in a child process, editor1 logged in, the app open.

    The demo needs no keyring: its token lives in memory for this run only.
    """
    from ..store.database import open_database

    child, url = start_server(port, site_dir, database_url)
    try:
        editor_dir = folder / "editor1"
        editor_dir.mkdir(parents=True, exist_ok=True)
        open_database(editor_dir)
        from ..sync.engine import SyncEngine
        from ..sync.transport import Transport

        transport = Transport(url)
        token = SyncEngine.login(transport, "editor1", "demo-password",
                                 f"{socket.gethostname()}:demo")  # fmt: skip
        engine = SyncEngine(transport)
        engine.refresh_schema()
        engine.refresh_categories()
        print(f"Demo central site at {url} (admin: {url}/admin/, chief / demo-password)")
        return launch_app(editor_dir, token=token)
    finally:
        child.terminate()
        child.wait(timeout=30)


__all__ = ["launch_app", "launch_demo_app", "run_server_in_foreground"]
