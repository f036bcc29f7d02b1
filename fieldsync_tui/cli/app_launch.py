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
    child, url = start_server(port, site_dir, database_url)
    try:
        print(f"Demo central site at {url} (admin: {url}/admin/, chief / demo-password)")
        token = open_demo_editor(folder, url)
        launch_app(folder / DEMO_EDITOR, token=token)
        print(f"The demo stays in {folder}: `fieldsync demo` continues it, "
              "`fieldsync demo --fresh` starts afresh.")  # fmt: skip
        return 0
    finally:
        child.terminate()
        child.wait(timeout=30)


DEMO_EDITOR = "editor1"  # the demo's editor, and its folder in the demo's folder
DEMO_DEVICE = f"{socket.gethostname()}:demo"


def open_demo_editor(folder: Path, url: str) -> str:
    """editor1's store in FOLDER/editor1 opened and logged in to the demo site at `url`
    (the device it was before, when the demo was run there already); its token."""
    from ..store.database import open_database

    editor_dir = folder / DEMO_EDITOR
    continued = (editor_dir / "store.sqlite3").exists()
    editor_dir.mkdir(parents=True, exist_ok=True)
    open_database(editor_dir)
    token = log_in_demo_editor(editor_dir, url)
    if continued:
        print(
            f"Continuing the demo in {folder}: editor1's device, checkouts, queue and "
            "conflicts are as you left them (`fieldsync demo --fresh` starts afresh)."
        )
    else:
        print(f"A new demo in {folder}; the next `fieldsync demo` continues it "
              "(`--fresh` starts afresh).")  # fmt: skip
    return token


def log_in_demo_editor(editor_dir: Path, url: str) -> str:
    """editor1 logged in to the demo site, with no keyring needed: the demo's secrets
    (token, bundle signing key) go to a file in its own folder that only its owner can
    read, and the screen says so. The store of `editor_dir` is open.

    The token kept from an earlier run is used again while the site takes it, so the
    editor stays the same device (its checkouts its own), even when the site now
    listens on another port; only a token the site no longer takes means a new login.
    """
    from .. import credentials
    from ..client.login import log_in
    from ..store import queries
    from ..sync.engine import SyncEngine
    from ..sync.transport import AuthFailed, Transport

    credentials.keep_in_folder(editor_dir)
    account = queries.account()
    account = account if account is not None and account.username == DEMO_EDITOR else None
    token = None
    if account is not None:
        if account.server_url != url:  # the same demo site, on another port
            credentials.move_entries(account.server_url, url, account.username,
                                     account.device_name)  # fmt: skip
            queries.move_account(url)
        token = credentials.load_token(url, account.username, account.device_name)
    transport = Transport(url, token)
    engine = SyncEngine(transport)
    if token:
        try:
            engine.refresh_schema()  # the site still takes it: the same device
        except AuthFailed:
            token = None
    if token:
        engine.refresh_categories()
    else:
        login = log_in(transport, DEMO_EDITOR, "demo-password", DEMO_DEVICE,
                       credentials.save_token, credentials.save_signing_key)  # fmt: skip
        token = login.token
        for note in login.resumed:  # a folder that held some: take them again
            print(f"warning: {note}")
    print(f"The demo keeps editor1's token in {credentials.demo_file()} (only you can read "
          "it), not in a keyring: its password is published.")  # fmt: skip
    return token


__all__ = [
    "launch_app",
    "launch_demo_app",
    "log_in_demo_editor",
    "open_demo_editor",
    "run_server_in_foreground",
]
