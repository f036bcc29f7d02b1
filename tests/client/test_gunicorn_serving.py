"""The demo central site under gunicorn with several worker processes on one
PostgreSQL database (`fieldsync demo --server-only --workers 3`): requests are
answered by more than one worker, two editors pushing at once through
different workers both land, and SIGTERM stops every worker. Which worker
answered is read from gunicorn's access log (it names the worker's pid)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from tests.support.central import PG_DSN, PG_URL
from tests.support.editor import ROOT, Editor

pytestmark = pytest.mark.postgres

URL_LINE = re.compile(r"fieldsync demo central site: (http://\S+)")
ACCESS_LINE = re.compile(r'<(\d+)> "(\w+) (\S+) ')
WORKER_BOOTED = re.compile(r"Booting worker with pid: (\d+)")


@contextmanager
def throwaway_database():
    name = f"fieldsync_gunicorn_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(PG_DSN, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.format(name=name)
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def demo_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "fieldsync_tui", "demo", *args]


def client_env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith(("FIELDSYNC_", "DJANGO_"))}


class GunicornDemo:
    """`fieldsync demo --server-only --workers N` in its own session, until stopped."""

    def __init__(self, folder: Path, database_url: str, workers: int):
        self.folder = folder
        self.access_log = folder / "access.log"
        self.error_log = folder / "server.log"
        folder.mkdir(parents=True, exist_ok=True)
        command = demo_command("--server-only", "--workers", str(workers), "--port", "0",
                               "--data-dir", str(folder), "--database-url", database_url,
                               "--access-log", str(self.access_log))  # fmt: skip
        with open(self.error_log, "w") as errors:
            self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors,
                                            text=True, cwd=ROOT, env=client_env(),
                                            start_new_session=True)  # fmt: skip
        self.printed = []
        for line in self.process.stdout:
            self.printed.append(line)
            if match := URL_LINE.search(line):
                self.url = match.group(1).rstrip("/")
                return
        self.process.wait()
        raise AssertionError(f"the demo did not start:\n{self.error_log.read_text()[-3000:]}")

    def wait_for_workers(self, count: int) -> None:
        """The URL is printed once the arbiter listens; its workers boot just after."""
        deadline = time.monotonic() + 30
        while len(self.booted_workers()) < count and time.monotonic() < deadline:
            time.sleep(0.1)

    def answered(self) -> list[tuple[int, str, str]]:
        """(worker pid, method, path) of every request answered so far."""
        lines = self.access_log.read_text().splitlines() if self.access_log.exists() else []
        return [(int(m[1]), m[2], m[3]) for m in map(ACCESS_LINE.search, lines) if m]

    def booted_workers(self) -> set[int]:
        return {int(pid) for pid in WORKER_BOOTED.findall(self.error_log.read_text())}

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self.printed += self.process.stdout.readlines()
        return code

    def kill_leftovers(self) -> None:
        """After a failed test: end the session this test started, by its id."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def api(self, path: str, token: str | None = None, body=None) -> dict:
        request = urllib.request.Request(
            f"{self.url}/fieldsync/v1/{path}",
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json",
                     **({"Authorization": f"Bearer {token}"} if token else {})},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())


def descendants(pid: int) -> set[int]:
    """Every living process below `pid`, read from /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def server_titles(demo: GunicornDemo, token: str, category: str) -> dict[str, str]:
    """pk -> title of the category's articles, as the server's change feed has them."""
    (key,) = [c["id"] for c in demo.api("categories", token)["categories"] if c["name"] == category]
    titles, cursor = {}, 0
    while True:
        page = demo.api(f"categories/{key}/changes?since={cursor}&limit=5000", token)
        for change in page["changes"]:
            if change["model"].endswith("article") and not change.get("deleted"):
                titles[str(change["pk"])] = change["fields"]["title"]
        cursor = page["cursor"]
        if not page["more"]:
            return titles


def test_three_gunicorn_workers_share_the_editors_and_stop_together(tmp_path, keyring_home):
    with throwaway_database() as database_url:
        demo = GunicornDemo(tmp_path / "demo", database_url, workers=3)
        try:
            demo.wait_for_workers(3)
            with ThreadPoolExecutor(6) as pool:  # each on a connection of its own
                list(pool.map(lambda _: demo.api("ping"), range(30)))
            pinged_by = {pid for pid, _, path in demo.answered() if path.endswith("/ping")}

            chief = demo.api(
                "auth/token", body={"username": "chief", "password": "demo-password", "device": "t"}
            )
            token = chief["token"]
            # Each editor its own keyring file: the two log in at once, and a file keyring
            # rewritten by two processes at once keeps only one of their tokens.
            editors = {  # name -> (editor, category, the article it edits)
                name: (Editor(name, tmp_path / f"{name}-data", keyring_home / name), category,
                       min(server_titles(demo, token, category)))
                for name, category in (("editor1", "Politics"), ("editor2", "Culture"))
            }  # fmt: skip

            def check_out(name: str) -> None:
                editor, category, _ = editors[name]
                editor.login(demo.url)
                editor.run("checkout", category)

            def edit_and_sync(name: str, title: str):
                editor, _, pk = editors[name]
                editor.run("edit", "article", pk, "--set", f"title={title}")
                return editor.run("sync")

            with ThreadPoolExecutor(2) as pool:
                list(pool.map(check_out, editors))
            pushes_by, wanted = [], {}
            for attempt in range(5):  # until the two pushes meet different workers
                seen = len(demo.answered())
                wanted = {name: f"{name}, pushed at the same time ({attempt})" for name in editors}
                with ThreadPoolExecutor(2) as pool:
                    syncs = list(pool.map(edit_and_sync, wanted, wanted.values()))
                assert all(sync.returncode == 0 for sync in syncs)
                round_pushes = [pid for pid, m, path in demo.answered()[seen:] if "/push" in path]
                pushes_by.append(round_pushes)
                if len(set(round_pushes)) == 2:
                    break

            landed = {name: server_titles(demo, token, category)[pk]
                      for name, (_, category, pk) in editors.items()}  # fmt: skip
            answered_by = {pid for pid, _, _ in demo.answered()}
            booted = demo.booted_workers()
            running = descendants(demo.process.pid)  # the arbiter and its workers
            code = demo.stop()
            left = {pid for pid in running | booted if alive(pid)}
        finally:
            demo.kill_leftovers()

    assert len(booted) == 3 and booted < running, (booted, running)
    assert len(pinged_by) > 1, f"every ping answered by one worker: {pinged_by}"
    assert answered_by <= booted
    assert any(len(set(pushes)) == 2 for pushes in pushes_by), pushes_by
    assert landed == wanted
    assert "".join(demo.printed).count("Seeded") == 1  # once, before the workers started
    assert code == 0 and "central site stopped." in demo.printed[-1]
    assert left == set(), f"still running after SIGTERM: {left}"


@pytest.mark.parametrize(
    "options, says",
    [
        (["--server-only", "--workers", "0"], "--workers must be 1 or more"),
        (["--workers", "2"], "--workers needs --server-only"),
        (["--server-only", "--workers", "2", "--database-url", "nosuch://x/y"],
         "cannot use the database URL"),
    ],
)  # fmt: skip
def test_wrong_demo_server_options_say_so_in_one_line(tmp_path, options, says):
    done = subprocess.run(demo_command(*options, "--port", "0", "--data-dir", str(tmp_path)),
                          capture_output=True, text=True, cwd=ROOT, env=client_env(),
                          timeout=60)  # fmt: skip
    (line,) = done.stderr.strip().splitlines()
    assert done.returncode == 2 and says in line, done.stderr
    assert not (tmp_path / "central" / "central.sqlite3").exists()
