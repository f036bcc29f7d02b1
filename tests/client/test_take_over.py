"""One editor, two folders (a laptop and a desktop): a category held on the other
device reads "held by you on DEVICE since …", `checkout --take-over` moves it after
saying what becomes of that device's unsynced changes, and the laptop's next sync
sets them aside and removes its copy, saying so. Through the real command line."""

from __future__ import annotations

import json
import socket

from tests.support.editor import Editor

HOST = socket.gethostname()


def test_an_editor_takes_over_their_own_checkout_from_their_other_device(
    central, tmp_path, keyring_home
):
    laptop = Editor("editor1", tmp_path / "laptop", keyring_home)
    desktop = Editor("editor1", tmp_path / "desktop", keyring_home)
    laptop.login(central.url)
    desktop.login(central.url)
    laptop.run("checkout", "Politics")
    (article, *_) = laptop.json("records", "Politics", "--model", "article")
    laptop.run("edit", "article", article["pk"], "--set", "title=Typed on the laptop")

    held = desktop.run("checkout", "Politics", check=False)
    listed = desktop.run("categories").stdout
    asked = desktop.run("checkout", "Politics", "--take-over", check=False)

    assert held.returncode == 1
    assert f"Politics is held by you on {HOST}:laptop since " in held.stderr
    assert "fieldsync checkout Politics --take-over" in held.stderr
    assert f"held by you on {HOST}:laptop since" in listed
    assert asked.returncode == 1, "no terminal to ask: nothing is taken without --yes"
    assert f"Take Politics over from {HOST}:laptop?" in asked.stderr
    assert "set aside" in asked.stderr and "--yes" in asked.stderr

    taken = desktop.run("checkout", "Politics", "--take-over", "--yes")

    assert f"taken over from your device {HOST}:laptop" in taken.stdout
    assert "Checked out Politics" in taken.stdout

    synced = laptop.run("sync", check=False)

    assert synced.returncode == 3, synced.stderr
    (told,) = [line for line in synced.stdout.splitlines() if line.startswith("withdrawn: ")]
    assert f"Politics: you took it over on {HOST}:desktop" in told
    assert "your unsynced edits of 1 record(s) are in" in told
    (kept,) = (tmp_path / "laptop" / "set-aside").glob("*.json")
    assert json.loads(kept.read_text())["values"] == {"title": "Typed on the laptop"}
    state = laptop.json("status")
    assert state["checked_out"] == [] and state["queued"] == 0
    assert laptop.count("record", "category_key IS NOT NULL") == 0
    assert f"held by you on {HOST}:desktop since" in laptop.run("categories").stdout
