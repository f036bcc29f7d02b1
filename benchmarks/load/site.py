"""The central site of the load run: a fresh PostgreSQL database, the demo migrated
and seeded once, extra editor users with grants, served by gunicorn with several
worker processes (no state in process memory: every worker sees the same site).

Run as a module (with the demo's settings in the environment) it does the setup
step: ``python -m benchmarks.load.site setup --articles N --editors N``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
PG_URL = "postgres://postgres@127.0.0.1:5432/{name}"
PASSWORD = "demo-password"
# The status in a line of the demo's access log: '%(h)s %(p)s "%(r)s" %(s)s %(b)s %(M)sms'.
_STATUS = re.compile(r'" (\d{3}) ')
SECTIONS_PER_EDITOR = 2


def editor_names(count: int) -> list[str]:
    return [f"load{number:02d}" for number in range(1, count + 1)]


def grants_of(index: int, sections: list[int]) -> list[int]:
    """Editor `index`'s sections: two neighbours on a ring, so every section is
    shared by two editors or more and their edits meet."""
    return [sections[(index + step) % len(sections)] for step in range(SECTIONS_PER_EDITOR)]


def pg_execute(statement: str) -> None:
    import psycopg

    with psycopg.connect(PG_DSN, autocommit=True) as connection:
        connection.execute(statement)


def pg_query(database: str, query: str, params=()) -> list[tuple]:
    import psycopg

    dsn = PG_DSN.replace("dbname=postgres", f"dbname={database}")
    with psycopg.connect(dsn, autocommit=True) as connection:
        cursor = connection.execute(query, params)
        return cursor.fetchall() if cursor.description else []


class Site:
    """The database, the data folder and the gunicorn master of one run."""

    def __init__(self, folder: Path, workers: int, port: int):
        self.folder = folder  # the demo's folder is its parent (fieldsync demo --data-dir)
        self.workers = workers
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.database = f"fieldsync_load_{os.getpid()}_{int(time.time())}"
        self.database_url = PG_URL.format(name=self.database)
        self.access_log = folder / "access.log"
        self.error_log = folder / "server.log"
        self.process: subprocess.Popen | None = None
        self.sections: list[dict] = []

    def env(self) -> dict:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "server_plugin.demo.settings",
            "FIELDSYNC_DEMO_DATA_DIR": str(self.folder),
            "FIELDSYNC_DEMO_DATABASE_URL": self.database_url,
            # Several editors hold one section at once, each warned: their edits meet.
            "FIELDSYNC_DEMO_CHECKOUT_MODE": "advisory",
            "PYTHONPATH": str(ROOT),
        }

    def create(self, articles: int, editors: int) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        pg_execute(f'CREATE DATABASE "{self.database}"')
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.load.site",
                "setup",
                "--articles",
                str(articles),
                "--editors",
                str(editors),
            ],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=900,
        )
        if result.returncode != 0:
            raise RuntimeError(f"site setup failed:\n{result.stderr[-4000:]}")
        self.sections = json.loads(result.stdout.strip().splitlines()[-1])["sections"]

    def start(self) -> None:
        """`fieldsync demo --server-only --workers W`: gunicorn's gthread workers, forked
        once the demo's parent process found the site migrated and seeded (by `create`)."""
        command = [
            sys.executable, "-m", "fieldsync_tui", "demo", "--server-only",
            "--workers", str(self.workers), "--port", str(self.port),
            "--data-dir", str(self.folder.parent), "--database-url", self.database_url,
            "--access-log", str(self.access_log),
        ]  # fmt: skip
        env = {k: v for k, v in self.env().items() if k != "DJANGO_SETTINGS_MODULE"}
        log = open(self.error_log, "a")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/fieldsync/v1/ping", timeout=2):
                    return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.3)
        raise RuntimeError(f"the demo site did not start:\n{self.error_log.read_text()[-3000:]}")

    def server_pids(self) -> list[int]:
        """The demo's processes: the command, gunicorn's arbiter and its workers."""
        if self.process is None:
            return []
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            try:
                todo += [
                    int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
                ]
            except OSError:
                pass
        return found

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def drop(self) -> None:
        pg_execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def deadlocks(self) -> int:
        """Deadlocks PostgreSQL detected in this database (each aborts one transaction:
        a push batch is then run again by server_plugin/push/batch.py)."""
        rows = pg_query(
            "postgres",
            "SELECT deadlocks FROM pg_stat_database WHERE datname = %s",
            (self.database,),
        )
        return int(rows[0][0]) if rows else 0

    def _statuses(self) -> list[tuple[str, str]]:
        """(status, line) of each request in the access log."""
        if not self.access_log.exists():
            return []
        found = []
        for line in self.access_log.read_text().splitlines():
            match = _STATUS.search(line)
            if match:
                found.append((match.group(1), line))
        return found

    def requests(self) -> Counter:
        """Requests by status class ("2xx", "5xx"...), from gunicorn's access log."""
        return Counter(status[0] + "xx" for status, _ in self._statuses())

    def failures(self) -> list[str]:
        return [line for status, line in self._statuses() if status.startswith("5")]

    def refusals(self) -> Counter:
        """4xx answers by status and request (method and path without the query)."""
        found: Counter = Counter()
        for status, line in self._statuses():
            if status.startswith("4"):
                request = line.split('"')[1].split("?")[0].rsplit(" ", 1)[0]
                found[f"{status} {request}"] += 1
        return found

    def cleanup(self, keep: bool) -> None:
        self.stop()
        if not keep:
            self.drop()
            shutil.rmtree(self.folder, ignore_errors=True)


# -- the setup step, in a process with the demo's settings -------------------------


def setup(articles: int, editors: int) -> dict:
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from server_plugin.demo.news.models import Section
    from server_plugin.models import CategoryGrant

    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo", articles=articles, image_size="48x32", verbosity=0)
    template = User.objects.get(username="editor1")
    sections = list(Section.objects.order_by("pk").values_list("pk", flat=True))
    for index, name in enumerate(editor_names(editors)):
        user, _ = User.objects.get_or_create(username=name)
        user.set_password(PASSWORD)
        user.save()
        user.user_permissions.set(template.user_permissions.all())
        for key in grants_of(index, sections):
            CategoryGrant.objects.get_or_create(user=user, category_key=str(key))
    named = dict(Section.objects.values_list("pk", "name"))
    return {"sections": [{"key": str(pk), "name": named[pk]} for pk in sections]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load.site")
    parser.add_argument("step", choices=["setup"])
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--editors", type=int, default=3)
    args = parser.parse_args(argv)
    print(json.dumps(setup(args.articles, args.editors)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
