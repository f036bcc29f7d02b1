"""A second `fieldsync demo` on the same folder opens the app where the first left
it (issue 11, acceptance): editor1's checkout still its own in the categories pane,
its queued change in the queue, its conflict counted on the status line.

The first demo's work is done through the command line; the site is stopped and
started again (on a new port) with its database kept; then a process of its own
does what `fieldsync demo` does (open_demo_editor) and opens the app on the
editor's folder under Pilot, and says what the editor sees."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.client.test_demo_restart import first_demo
from tests.support.central import CentralSite
from tests.support.editor import ROOT, Editor

SECOND_DEMO = """
import asyncio, json, sys
from pathlib import Path
from fieldsync_tui.cli.app_launch import DEMO_EDITOR, open_demo_editor
from tests.support.app_driver import AppDriver, online, screen_is, status_bar

folder = Path(sys.argv[1])
token = open_demo_editor(folder, sys.argv[2])

async def look():
    from fieldsync_tui.app.screens.queue import QueueScreen
    from fieldsync_tui.app.widgets.categories_list import CategoriesList, describe
    from textual.widgets import DataTable

    # auto_sync off: what the restart kept is looked at before any sync moves it
    async with AppDriver(folder / DEMO_EDITOR, token=token, auto_sync=False).run() as pilot:
        await online(pilot)
        app = pilot.app
        bar = status_bar(app)
        categories = app.screen.query_one(CategoriesList).categories
        seen = {
            "status": bar.status_content().plain,
            "categories": {c["name"]: describe(c).plain for c in categories},
        }
        await pilot.press("u")
        await screen_is(pilot, QueueScreen)
        table = app.screen.query_one(DataTable)
        seen["queue"] = [" ".join(map(str, table.get_row_at(i))) for i in range(table.row_count)]
        return seen

print("SEEN " + json.dumps(asyncio.run(look())))
"""


def second_demo_in_the_app(folder, url: str, keyring_home) -> dict:
    env = Editor("editor1", folder, keyring_home).environment()
    done = subprocess.run([sys.executable, "-c", SECOND_DEMO, str(folder), url], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=180)  # fmt: skip
    assert done.returncode == 0, done.stderr
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("SEEN ")]
    assert "Continuing the demo" in done.stdout
    return json.loads(line.removeprefix("SEEN "))


def test_a_second_demo_opens_the_app_with_the_checkout_queue_and_conflict(site_template, tmp_path):
    folder, keyring_home = tmp_path / "demo", tmp_path / "keyring"
    first_demo(site_template, folder, keyring_home)

    again = CentralSite(site_template, folder / "central", fresh=False).start()
    try:
        seen = second_demo_in_the_app(folder, again.url, keyring_home)
    finally:
        again.close()

    assert seen["categories"]["Politics"].endswith("(you)"), seen["categories"]
    assert "1 queued" in seen["status"] and "1 conflict" in seen["status"], seen["status"]
    assert any("Queued before the restart" in row for row in seen["queue"]), seen["queue"]
