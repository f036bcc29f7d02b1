"""No change can get stuck: every queued, rejected or conflicting change can be
fixed by a new edit, resolved, deleted or discarded, and `checkin` says which
records block it and how to get past them. End to end, on the real command
line against a real central site; few tests, each walking several steps."""

from __future__ import annotations

import json
from pathlib import Path

from .test_sync_end_to_end import assert_converged

ARTICLE, PHOTO = "news.article", "news.photo"


def _shell_delete(central, model: str, pk) -> None:
    central.shell(
        f"from server_plugin.demo.news.models import {model}\n"
        f"{model}.objects.get(pk={pk!r}).delete()"
    )


def test_take_mine_on_records_deleted_centrally_creates_them_again(central, editor1):
    editor1.run("checkout", "Politics")
    key = central.category_key("Politics")
    local = editor1.records(key)
    photo_pk = next(pk for (model, pk) in local if model == PHOTO)
    pictured = {str(r["values"]["article"]) for (m, _), r in local.items() if m == PHOTO}
    article_pk = next(pk for (m, pk) in local if m == ARTICLE and pk not in pictured)

    editor1.run("edit", "photo", photo_pk, "--set", "caption=Caption kept from the field")
    editor1.run("edit", "article", article_pk, "--set", "title=Title kept from the field")
    _shell_delete(central, "Photo", int(photo_pk))  # an integer key
    _shell_delete(central, "Article", article_pk)  # a UUID key
    assert editor1.run("sync", check=False).returncode == 3
    conflicts = editor1.json("conflicts")
    assert sorted(c["model"] for c in conflicts) == [ARTICLE, PHOTO]
    assert all(c["deleted_on_server"] for c in conflicts)

    blocked = editor1.run("checkin", "Politics", check=False)
    assert blocked.returncode == 1
    for words in ('photo "Caption kept from the field"', 'article "Title kept from the field"',
                  "deleted on the server", "fieldsync resolve", "fieldsync discard"):  # fmt: skip
        assert words in blocked.stderr, blocked.stderr

    for conflict in conflicts:
        editor1.run("resolve", str(conflict["id"]), "--take", "mine")
    assert editor1.run("sync", check=False).returncode == 0

    server = central.records(key)
    assert server[(ARTICLE, article_pk)]["values"]["title"] == "Title kept from the field"
    remade = [
        pk for (m, pk), r in server.items()
        if m == PHOTO and r["values"]["caption"] == "Caption kept from the field"
    ]  # fmt: skip
    assert len(remade) == 1 and remade[0] != photo_pk  # a new photo, with a new id
    assert editor1.json("status")["rejected"] == 0
    assert_converged(central, editor1)
    editor1.run("checkin", "Politics")


def _new_article(editor, title: str, tag: int) -> dict:
    return editor.json("new", "article", "--category", "Politics", "--set", f"title={title}",
                       "--set", "body=Text.", "--set", f"tags={tag}")  # fmt: skip


def test_rejected_changes_are_listed_then_fixed_deleted_or_discarded(central, editor1):
    tags = "from server_plugin.demo.news.models import Tag; "
    central.shell(tags + "Tag.objects.create(name='doomed')")
    editor1.run("checkout", "Politics")
    key = central.category_key("Politics")
    tag = int(central.shell(tags + "print(Tag.objects.get(name='doomed').pk)").split()[-1])
    existing_pk = next(pk for (m, pk) in editor1.records(key) if m == ARTICLE)
    before = editor1.json("show", "article", existing_pk)["values"]
    fixed = _new_article(editor1, "Fixed later", tag)
    dropped = _new_article(editor1, "Deleted later", tag)
    editor1.run("edit", "article", existing_pk, "--set", f"tags={tag}")
    _shell_delete(central, "Tag", tag)  # the server will refuse all three

    assert editor1.run("sync", check=False).returncode == 3
    rejected = editor1.json("rejected")
    assert editor1.json("status")["rejected_changes"] == rejected
    by_pk = {entry["pk"]: entry for entry in rejected}
    assert set(by_pk) == {fixed["pk"], dropped["pk"], existing_pk}
    assert by_pk[fixed["pk"]]["op"] == "create" and by_pk[existing_pk]["op"] == "update"
    assert by_pk[fixed["pk"]]["title"] == "Fixed later"
    assert all("tags" in entry["errors"] for entry in rejected), rejected

    blocked = editor1.run("checkin", "Politics", check=False)
    assert blocked.returncode == 1
    for words in ('article "Fixed later"', 'article "Deleted later"', "rejected",
                  "tags", f"fieldsync discard {by_pk[existing_pk]['id']}"):  # fmt: skip
        assert words in blocked.stderr, blocked.stderr

    # a new edit replaces a rejected change
    editor1.run("edit", "article", fixed["pk"], "--set", "tags=")
    assert fixed["pk"] not in {entry["pk"] for entry in editor1.json("rejected")}

    # deleting a rejected new record removes it here, and tells the server nothing
    deleted = editor1.run("delete", "article", dropped["pk"])
    assert "never" in deleted.stdout
    assert editor1.count("record", f"object_pk = '{dropped['pk']}'") == 0

    # discarding a rejected update puts the server's values back, its own set aside
    discarded = editor1.run("discard", str(by_pk[existing_pk]["id"]))
    (aside,) = (editor1.folder / "set-aside").glob("*.json")
    assert str(aside) in discarded.stdout
    kept = json.loads(Path(aside).read_text())
    assert (kept["model"], kept["pk"], kept["values"]) == (ARTICLE, existing_pk, {"tags": [tag]})
    assert "tags" in kept["reason"]
    shown = editor1.json("show", "article", existing_pk)
    assert shown["values"] == before and shown["state"] == ""
    again = editor1.run("discard", str(by_pk[existing_pk]["id"]), check=False)
    assert again.returncode == 1 and "no change" in again.stderr
    assert editor1.json("rejected") == []

    assert editor1.run("sync", check=False).returncode == 0
    titles = {r["values"]["title"] for (m, _), r in central.records(key).items() if m == ARTICLE}
    assert "Fixed later" in titles and "Deleted later" not in titles
    assert_converged(central, editor1)
    editor1.run("checkin", "Politics")
