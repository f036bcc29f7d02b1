"""`fieldsync demo` continues where it stopped: started again on the same folder
(its central site's database kept, the site on a new port even), editor1 is the
same device, its checkout still its own, its queue and its conflict where they
were, and they go through. `--fresh` starts afresh. Each start of the demo's
editor runs in a process of its own, as `make demo` twice would."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys

from fieldsync_tui.cli.demo import start_afresh
from tests.support.central import CentralSite
from tests.support.editor import ROOT, Editor

OPEN_EDITOR = (
    "import sys; from pathlib import Path; "
    "from fieldsync_tui.cli.app_launch import open_demo_editor; "
    "open_demo_editor(Path(sys.argv[1]), sys.argv[2])"
)


def start_demo_editor(folder, url: str, keyring_home) -> str:
    """What `fieldsync demo` does before it opens the app: its printout."""
    env = Editor("editor1", folder, keyring_home).environment()
    done = subprocess.run([sys.executable, "-c", OPEN_EDITOR, str(folder), url], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def demo_editor(folder, keyring_home) -> Editor:
    """The command line on the demo's editor folder, with the token the demo keeps."""
    kept = json.loads((folder / "editor1" / "demo-credentials.json").read_text())
    (token,) = [t for name, t in kept["fieldsync"].items() if "signing key" not in name]
    return Editor("editor1", folder / "editor1", keyring_home, env={"FIELDSYNC_TOKEN": token})


def first_demo(site_template, folder, keyring_home) -> str:
    """A first demo's day, then its site stopped (database kept): Politics checked out,
    a conflict (the chief's title met the editor's) and one change left queued.
    Returns what the demo printed when it started."""
    site = CentralSite(site_template, folder / "central").start()
    try:
        said = start_demo_editor(folder, site.url, keyring_home)
        editor = demo_editor(folder, keyring_home)
        editor.run("checkout", "Politics")
        first, second = editor.json("records", "Politics", "--model", "article")[:2]
        site.shell(
            "from server_plugin.demo.news.models import Article\n"
            f"a = Article.objects.get(pk={second['pk']!r}); a.title = 'Chief title'; a.save()"
        )
        editor.run("edit", "article", second["pk"], "--set", "title=Editor title")
        editor.run("sync", check=False)
        editor.run("edit", "article", first["pk"], "--set", "title=Queued before the restart")
        site.stop()
    finally:
        site.close()
    return said


def test_a_second_demo_continues_the_first(site_template, tmp_path, keyring_home):
    folder = tmp_path / "demo"
    said = first_demo(site_template, folder, keyring_home)
    assert "A new demo" in said and "--fresh" in said
    device = _device_id(folder)

    again = CentralSite(site_template, folder / "central", fresh=False).start()  # a new port
    try:
        said = start_demo_editor(folder, again.url, keyring_home)
        editor = demo_editor(folder, keyring_home)
        state = editor.json("status")
        (conflict,) = editor.json("conflicts")

        assert "Continuing the demo" in said and "--fresh" in said
        assert state["checked_out"] == ["Politics"] and state["queued"] == 1
        assert state["server"] == again.url
        assert conflict["title"] == "Editor title"
        assert _device_id(folder) == device, "the same device as before"
        assert _device_names(again) == [f"{socket.gethostname()}:demo"], "no second login"
        editor.run("resolve", str(conflict["id"]), "--take", "mine")
        synced = editor.json("sync")
        assert synced["pushed"] == {"applied": 2} and not synced["problems"], synced
    finally:
        again.close()


def _device_id(folder) -> int:
    with sqlite3.connect(folder / "editor1" / "store.sqlite3") as db:
        return db.execute("SELECT device_id FROM fieldsync_store_account").fetchone()[0]


def _device_names(site) -> list[str]:
    """editor1's devices that were ever logged in on the site."""
    return site.shell(
        "from server_plugin.models import Device\n"
        "print('\\n'.join(d.name for d in Device.objects.filter(user__username='editor1')))"
    ).split()


def test_starting_afresh_removes_the_editor_and_the_central_site(tmp_path):
    folder = tmp_path / "demo"
    for part in ("editor1", "central"):
        (folder / part).mkdir(parents=True)
        (folder / part / "store.sqlite3").write_text("kept from an earlier demo")
    (folder / "notes.txt").write_text("not the demo's")

    said = start_afresh(folder)

    assert not (folder / "editor1").exists() and not (folder / "central").exists()
    assert (folder / "notes.txt").exists()
    assert str(folder) in said
