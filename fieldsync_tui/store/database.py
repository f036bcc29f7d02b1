"""Configuring Django for the client: settings made by the package, not the user.

The client's store is a Django app over one SQLite file in the data folder.
Settings are global to a process, so a process opens one store, once; the
central site always runs in another process.
"""

from __future__ import annotations

from pathlib import Path

import django
from django.conf import settings

STORE_FILE = "store.sqlite3"

_opened: Path | None = None


class StoreAlreadyOpen(RuntimeError):
    pass


def open_database(folder: Path) -> None:
    """Configure Django on `folder`'s store and bring its tables up to date."""
    global _opened
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if _opened is not None:
        if _opened == folder:
            return
        raise StoreAlreadyOpen(f"this process already uses the store in {_opened}")
    settings.configure(
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(folder / STORE_FILE),
                "OPTIONS": {
                    # One writer at a time; others wait rather than fail.
                    "transaction_mode": "IMMEDIATE",
                    "timeout": 30,
                    # WAL lets the app read while the sync worker writes; FULL makes
                    # every committed edit survive a power cut, not just a crash.
                    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
                },
            }
        },
        INSTALLED_APPS=["fieldsync_tui.store"],
        USE_TZ=True,
        TIME_ZONE="UTC",
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        LOGGING_CONFIG=None,
    )
    django.setup()
    _migrate()
    _opened = folder


def _migrate() -> None:
    """Bring the store's tables up to date. The usual case, every migration of the
    store already applied, is told by one query against the names of the migration
    files, without loading the migration framework (a start-up cost of every
    command); anything else goes through `migrate`."""
    if not _migrations_pending():
        return
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _migrations_pending() -> bool:
    from django.db import DatabaseError, connection

    from .apps import StoreConfig

    # The store's app is the only one with migrations in the client's settings.
    files = {path.stem for path in MIGRATIONS.glob("*.py") if not path.stem.startswith("_")}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM django_migrations WHERE app = %s",
                           [StoreConfig.label])  # fmt: skip
            applied = {name for (name,) in cursor.fetchall()}
    except DatabaseError:  # a new store: no table of migrations yet
        return True
    return not files <= applied


MIGRATIONS = Path(__file__).with_name("migrations")


def closing_connection(work_fn):
    """For a function run in a thread of its own (an app worker): its database
    connection is closed when it ends (Django opens one per thread)."""
    from functools import wraps

    from django.db import connections

    @wraps(work_fn)
    def wrapped(*args, **kwargs):
        try:
            return work_fn(*args, **kwargs)
        finally:
            connections.close_all()

    return wrapped
