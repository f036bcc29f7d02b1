"""A login the server no longer takes, end to end through the real command line.

Expired (unused too long, or too old): one line, exit 5, and nothing lost — the
next login in the same folder takes its categories back and the queue goes
out. Revoked (in the admin): the next contact removes everything of the server
from the folder, after writing the unsynced edits to set-aside files, and says
where. The in-process halves are tests/server/test_device_tokens.py."""

from __future__ import annotations

import json

ARTICLE = "news.article"
DEVICES = "from server_plugin.models import Device; "


def test_an_expired_login_keeps_the_queue_and_the_next_login_carries_on(central, editor1):
    editor1.run("checkout", "Politics")
    key = central.category_key("Politics")
    article = next(pk for (m, pk) in editor1.records(key) if m == ARTICLE)
    editor1.run("edit", "article", article, "--set", "title=Typed while the login ran out")
    central.shell(
        DEVICES + "from datetime import timedelta; from django.utils import timezone; "
        "Device.objects.filter(user__username='editor1').update("
        "created_at=timezone.now() - timedelta(days=200))"
    )

    expired = editor1.run("sync", check=False)

    (line,) = expired.stderr.strip().splitlines()
    assert expired.returncode == 5, expired.stdout + expired.stderr
    assert "login expired" in line and "older than 180 days" in line, line
    assert "Your 1 unsynced change(s) stay in this folder" in line, line
    assert f"fieldsync login {central.url} --username editor1" in line, line
    assert editor1.count("pendingchange") == 1

    editor1.login(central.url)
    synced = editor1.run("sync", check=False)

    assert synced.returncode == 0, synced.stdout + synced.stderr
    server = central.records(key)
    assert server[(ARTICLE, article)]["values"]["title"] == "Typed while the login ran out"
    assert editor1.count("pendingchange") == 0


def test_a_revoked_device_leaves_only_its_unsynced_edits_behind_in_set_aside_files(
    central, editor1
):
    editor1.run("checkout", "Politics")
    key = central.category_key("Politics")
    article = next(pk for (m, pk) in editor1.records(key) if m == ARTICLE)
    editor1.run("edit", "article", article, "--set", "title=Not yet sent")
    central.shell(
        DEVICES + "from server_plugin.access import revoke_devices; "
        "revoke_devices(Device.objects.filter(user__username='editor1'), None)"
    )

    revoked = editor1.run("sync", check=False)

    (line,) = revoked.stderr.strip().splitlines()
    assert revoked.returncode == 5, revoked.stdout + revoked.stderr
    set_aside = editor1.folder / "set-aside"
    assert "revoked" in line and f"unsynced edits of 1 record(s) are in {set_aside}" in line
    assert editor1.count("record") == 0 and editor1.count("pendingchange") == 0
    (kept,) = [json.loads(p.read_text()) for p in set_aside.glob("*.json")]
    assert kept["pk"] == article and kept["values"] == {"title": "Not yet sent"}
    assert "revoked" in kept["reason"]
    holders = central.api("GET", "categories", central.chief_token())["categories"]
    assert next(c for c in holders if c["id"] == key)["holders"] == [], "its checkout ended"
