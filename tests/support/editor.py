"""A field editor driving the real ``fieldsync`` command line in subprocesses.

Each editor has its own data folder; the keyring is a file-based backend in
a folder of the test's own (never the user's keyring), outside the data
folder, so a test can prove no token ever lands in the data folder.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class Editor:
    def __init__(self, name: str, folder: Path, keyring_home: Path, env: dict | None = None):
        self.name = name
        self.folder = folder
        self.keyring_home = keyring_home
        self.env = dict(env or {})

    def environment(self, extra: dict | None = None) -> dict:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("FIELDSYNC_", "DJANGO_"))
        }
        env.update(
            PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
            XDG_DATA_HOME=str(self.keyring_home),
            COLUMNS="200",
        )
        env.update(self.env)
        env.update(extra or {})
        return {key: value for key, value in env.items() if value is not None}  # None: unset

    def run(self, *args: str, stdin: str | None = None, env: dict | None = None, check=True):
        result = subprocess.run(
            [sys.executable, "-m", "fieldsync_tui", "--data-dir", str(self.folder), *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=self.environment(env),
            timeout=300,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"fieldsync {' '.join(args)} exited {result.returncode}:\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    def json(self, *args: str, env: dict | None = None):
        result = self.run(*args, "--json", env=env, check=False)
        if result.returncode not in (0, 3):
            raise AssertionError(f"fieldsync {' '.join(args)}: {result.stderr}")
        return json.loads(result.stdout)

    def login(self, url: str, password: str = "demo-password"):
        return self.run("login", url, "--username", self.name, "--password-stdin",
                        stdin=password + "\n")  # fmt: skip

    # -- reading the store file directly, as a second witness ---------------------

    def records(self, category_key: str) -> dict:
        """(model, pk) -> {"version", "values"} of the live records held locally."""
        with sqlite3.connect(self.folder / "store.sqlite3") as db:
            rows = db.execute(
                'SELECT model, object_pk, base_version, "values" FROM fieldsync_store_record '
                "WHERE category_key = ? AND deleted = 0",
                (category_key,),
            ).fetchall()
        return {
            (model, pk): {"version": version, "values": json.loads(values)}
            for model, pk, version, values in rows
        }

    def count(self, table: str, where: str = "1=1") -> int:
        with sqlite3.connect(self.folder / "store.sqlite3") as db:
            return db.execute(
                f"SELECT COUNT(*) FROM fieldsync_store_{table} WHERE {where}"
            ).fetchone()[0]
