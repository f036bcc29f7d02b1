"""A real central site in a subprocess, on a loopback port, for end-to-end tests.

The demo site (or another site: a settings module and a seed command, e.g.
tests.flatpages_site) is migrated and seeded once per test session into a
template (a SQLite file, or a PostgreSQL template database); each test gets a fresh
copy in milliseconds and its own process. `stop()` and `start()` keep the
port, so a client sees the same URL go away and come back.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
PG_URL = "postgres://postgres@127.0.0.1:5432/{name}"
URL_MARK = "fieldsync demo central site: "
DEMO_SETTINGS = "server_plugin.demo.settings"
DEMO_SEED = "seed_demo"
# The test sites that are not the newsroom: their settings module and seed command.
MUSEUM = {"settings_module": "tests.museum_site.settings", "seed_command": "seed_museum"}
FLATPAGES = {"settings_module": "tests.flatpages_site.settings", "seed_command": "seed_flatpages"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_execute(statement: str) -> None:
    with psycopg.connect(PG_DSN, autocommit=True) as connection:
        connection.execute(statement)


class SiteTemplate:
    """A migrated, seeded site to copy from: the demo newsroom unless another
    settings module and seed command are named (e.g. the flat-pages test site)."""

    def __init__(
        self,
        backend: str,
        folder: Path,
        articles: int = 6,
        *,
        settings_module: str = DEMO_SETTINGS,
        seed_command: str = DEMO_SEED,
    ):
        self.backend = backend
        self.folder = folder
        self.articles = articles
        self.settings_module = settings_module
        self.seed_command = seed_command
        self.pg_name = f"fieldsync_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"

    def build(self) -> SiteTemplate:
        if self.backend == "postgres":
            _pg_execute(f'CREATE DATABASE "{self.pg_name}"')
        site = CentralSite(self, self.folder, fresh=False)
        site.start()
        site.stop()
        return self

    def database_url(self) -> str | None:
        return PG_URL.format(name=self.pg_name) if self.backend == "postgres" else None

    def drop(self) -> None:
        if self.backend == "postgres":
            _pg_execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


class CentralSite:
    def __init__(self, template: SiteTemplate, folder: Path, *, fresh: bool = True, env=None):
        self.template = template
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(env or {})
        self.process: subprocess.Popen | None = None
        self.log = folder / "site.log"
        self.pg_name = None
        if fresh:
            self._copy_template()

    def _copy_template(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for name in ("central.sqlite3", "secret_key"):
            source = self.template.folder / name
            if source.exists():
                shutil.copy(source, self.folder / name)
        media = self.template.folder / "media"  # the files the seed saved (photos' images)
        if media.is_dir():
            shutil.copytree(media, self.folder / "media")
        if self.template.backend == "postgres":
            self.pg_name = f"fieldsync_site_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            _pg_execute(f'CREATE DATABASE "{self.pg_name}" TEMPLATE "{self.template.pg_name}"')

    @property
    def database_url(self) -> str | None:
        if self.template.backend != "postgres":
            return None
        return PG_URL.format(name=self.pg_name or self.template.pg_name)

    def site_env(self) -> dict:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": self.template.settings_module,
            **self.env,
            "FIELDSYNC_DEMO_DATA_DIR": str(self.folder),
        }
        if self.database_url:
            env["FIELDSYNC_DEMO_DATABASE_URL"] = self.database_url
        return env

    def start(self) -> CentralSite:
        command = [
            sys.executable, "-m", "server_plugin.demo", "--port", str(self.port),
            "--data-dir", str(self.folder), "--articles", str(self.template.articles),
            "--seed-command", self.template.seed_command,
        ]  # fmt: skip
        if self.database_url:
            command += ["--database-url", self.database_url]
        self.folder.mkdir(parents=True, exist_ok=True)
        log = open(self.log, "a")
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT, env=self.site_env()
        )
        for line in self.process.stdout:
            if line.startswith(URL_MARK):
                break
        else:
            self.process.wait()
            raise RuntimeError(f"the central site did not start:\n{self.log.read_text()[-3000:]}")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None

    def close(self) -> None:
        self.stop()
        if self.pg_name:
            _pg_execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')

    # -- the central side's own view, for assertions -------------------------------

    def shell(self, code: str) -> str:
        """Run Python in a Django shell of the site: a write "through the shell"."""
        result = subprocess.run(
            [sys.executable, "-m", "django", "shell", "--no-imports", "-c", code],
            cwd=ROOT,
            env=self.site_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(result.stderr[-3000:])
        return result.stdout

    def api(self, method: str, path: str, token: str | None = None, body=None) -> dict:
        request = urllib.request.Request(
            f"{self.url}/fieldsync/v1/{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"},
        )
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def chief_token(self) -> str:
        if not hasattr(self, "_chief"):
            self._chief = self.api(
                "POST",
                "auth/token",
                body={"username": "chief", "password": "demo-password", "device": "tests"},
            )["token"]
        return self._chief

    def records(self, category_key: str) -> dict:
        """Every live record of a category as the server holds it: (model, pk) -> record."""
        found, cursor = {}, 0
        while True:
            page = self.api(
                "GET",
                f"categories/{category_key}/changes?since={cursor}&limit=5000",
                self.chief_token(),
            )
            for change in page["changes"]:
                key = (change["model"], str(change["pk"]))
                if change.get("deleted"):
                    found.pop(key, None)
                else:
                    found[key] = {"version": change["version"], "values": change["fields"]}
            cursor = page["cursor"]
            if not page["more"]:
                return found

    def category_key(self, name: str) -> str:
        for category in self.api("GET", "categories", self.chief_token())["categories"]:
            if category["name"] == name:
                return category["id"]
        raise KeyError(name)


@contextmanager
def built_template(backend: str, folder: Path, **site) -> Iterator[SiteTemplate]:
    """A site template for a session or a module, dropped at the end."""
    template = SiteTemplate(backend, folder, **site).build()
    try:
        yield template
    finally:
        template.drop()


@contextmanager
def running_site(template: SiteTemplate, folder: Path, env=None) -> Iterator[CentralSite]:
    """A fresh copy of the template, served for one test, gone at the end."""
    site = CentralSite(template, folder, env=env).start()
    try:
        yield site
    finally:
        site.close()


@contextmanager
def second_app_server(site: CentralSite, folder: Path) -> Iterator[CentralSite]:
    """Another app server of `site`: its own process and port, the same PostgreSQL
    database (as several gunicorn machines behind one balancer). Stopping it leaves
    the database to `site`."""
    if site.template.backend != "postgres":
        raise ValueError("app servers share a PostgreSQL database; this site is on SQLite")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(site.folder / "secret_key", folder / "secret_key")  # one site, one key
    other = CentralSite(site.template, folder, fresh=False, env=site.env)
    other.pg_name = site.pg_name
    other.start()
    try:
        yield other
    finally:
        other.stop()  # never close(): that would drop the database `site` owns
