"""The floors sync_speed.py divides by: what a checkout or a start-up cannot go below.

- **checkout floor**: the exact feed pages the server sent for the checkout
  (checkout_pages.py), already in memory, each ``json.loads``-ed, then one
  ``executemany`` of one row per record into an empty SQLite table of the
  store's own shape (its ``fieldsync_store_record`` DDL and indexes, WAL,
  ``synchronous=NORMAL`` as pulled pages use), one commit. The record's
  values are encoded once (``json.dumps``) and that text stored in both the
  ``values`` and ``base_values`` columns: a store must hold its values as text.
- **start-up floor**: ``python -c "import django; django.setup()"`` with
  floor_settings.py (the client store's settings without its app).
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent


def store_ddl(store_file: Path) -> list[str]:
    """CREATE statements of the store's record table and its indexes."""
    connection = sqlite3.connect(store_file)
    try:
        rows = connection.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'fieldsync_store_record'"
            " AND sql IS NOT NULL ORDER BY type DESC"  # the table before its indexes
        ).fetchall()
    finally:
        connection.close()
    if not rows:
        raise RuntimeError(f"no fieldsync_store_record table in {store_file}")
    return [sql for (sql,) in rows]


def checkout_floor_once(pages: list[bytes], ddl: list[str], category_key: str) -> float:
    with tempfile.TemporaryDirectory(prefix="fieldsync-floor-") as folder:
        connection = sqlite3.connect(Path(folder) / "floor.sqlite3", isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        for statement in ddl:
            connection.execute(statement)
        now = datetime.now(UTC).isoformat(" ")
        started = time.perf_counter()
        rows = []
        for body in pages:
            for change in json.loads(body)["changes"]:
                fields = change["fields"]
                text = json.dumps(fields)
                rows.append((change["model"], str(change["pk"]), category_key, text,
                             change["version"], text, fields.get("title", ""), False, False,
                             False, now))  # fmt: skip
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(
            'INSERT INTO fieldsync_store_record (model, object_pk, category_key, "values",'
            " base_version, base_values, title, deleted, pending, conflicted, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        connection.execute("COMMIT")
        seconds = time.perf_counter() - started
        count = connection.execute("SELECT count(*) FROM fieldsync_store_record").fetchone()[0]
        connection.close()
    if count != len(rows):
        raise RuntimeError(f"the floor stored {count} rows of {len(rows)}")
    return seconds


def checkout_floor(pages_dir: Path, store_file: Path, category_key: str, repeat: int = 3):
    """(median seconds, runs, records) of the checkout floor over the saved pages."""
    pages = [path.read_bytes() for path in sorted(pages_dir.glob("page-*.json"))]
    records = sum(len(json.loads(body)["changes"]) for body in pages)
    ddl = store_ddl(store_file)
    runs = [checkout_floor_once(pages, ddl, category_key) for _ in range(repeat)]
    return statistics.median(runs), runs, records, sum(len(b) for b in pages)


def startup_floor_command(pycache: Path | None = None) -> tuple[list[str], dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIELDSYNC_", "DJANGO_"))}
    if pycache is not None:  # as the client runs (sync_speed.client_env)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env["DJANGO_SETTINGS_MODULE"] = "floor_settings"
    env["PYTHONPATH"] = str(HERE)
    return [sys.executable, "-c", "import django; django.setup()"], env
