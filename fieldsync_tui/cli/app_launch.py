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
    """The demo central site in a child process, editor1 logged in, the app open."""
    from ..store.database import open_database

    child, url = start_server(port, site_dir, database_url)
    try:
        editor_dir = folder / "editor1"
        editor_dir.mkdir(parents=True, exist_ok=True)
        open_database(editor_dir)
        print(f"Demo central site at {url} (admin: {url}/admin/, chief / demo-password)")
        token = log_in_demo_editor(editor_dir, url)
        return launch_app(editor_dir, token=token)
    finally:
        child.terminate()
        child.wait(timeout=30)


def log_in_demo_editor(editor_dir: Path, url: str) -> str:
    """editor1 logged in to the demo site, with no keyring needed: the demo's secrets
    (token, bundle signing key) go to a file in its own folder that only its owner can
    read, and the screen says so. The store of `editor_dir` is open."""
    from .. import credentials
    from ..store.models import Account
    from ..sync.engine import SyncEngine
    from ..sync.transport import Transport

    credentials.keep_in_folder(editor_dir)
    transport = Transport(url)
    device = f"{socket.gethostname()}:demo"
    token = SyncEngine.login(transport, "editor1", "demo-password", device,
                             credentials.save_signing_key)  # fmt: skip
    account = Account.objects.get()
    credentials.save_token(account.server_url, account.username, device, token)
    engine = SyncEngine(transport)
    engine.refresh_schema()
    engine.refresh_categories()
    print(f"The demo keeps editor1's token in {credentials.demo_file()} (only you can read "
          "it), not in a keyring: its password is published.")  # fmt: skip
    return token


__all__ = ["launch_app", "launch_demo_app", "log_in_demo_editor", "run_server_in_foreground"]
