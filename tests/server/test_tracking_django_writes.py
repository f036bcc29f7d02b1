"""Writes Django makes on its own reach the editors: the host's signals during a
push, ``on_delete`` SET_NULL / SET_DEFAULT / SET() and cascades, the admin's
bulk delete. On the museum site (tests/museum_site)."""

from __future__ import annotations

import uuid

from django.db.models.signals import post_save

from server_plugin.feed import read_feed
from tests.museum_site.models import Artefact, Note
from tests.museum_site.signals import CONSERVATION_NOTE

from .conftest import Api, update


def feed_changes(user, expedition, since: int = 0) -> list[dict]:
    changes, cursor = [], since
    while True:
        page = read_feed(user, str(expedition.pk), since=cursor, limit=100)
        changes += page["changes"]
        cursor = page["cursor"]
        if not page["more"]:
            return changes


def latest(changes: list[dict], model: str, pk) -> dict:
    """The last entry of a record in a run of feed changes."""
    found = [c for c in changes if c["model"] == model and str(c["pk"]) == str(pk)]
    assert found, f"{model} {pk} not in the feed"
    return found[-1]


def pulled(api: Api, expedition, model: str, pk) -> dict:
    """A record as the editor's device pulls it (the museum's pks repeat across models)."""
    status, page = api.changes(expedition, limit=1000)
    assert status == 200, page
    return latest(page["changes"], model, pk)


# -- the host's signals during a push ---------------------------------------------


def test_pushing_editor_receives_what_the_sites_signal_wrote(museum, museum_editor, root):
    museum_editor.checkout(museum)
    bowl = Artefact.objects.get(title="Glazed bowl")
    record = pulled(museum_editor, museum, "museum.artefact", bowl.pk)
    assert record["fields"]["status"] == "recorded"

    status, body = museum_editor.push(update(record, {"condition": "damaged"}))

    assert status == 200, body
    (result,) = body["results"]
    assert result["status"] == "applied"
    assert result["values"]["status"] == "needs-conservation"  # the signal's write
    assert result["values"]["condition"] == "damaged"
    feed = latest(feed_changes(root, museum), "museum.artefact", bowl.pk)
    assert feed["version"] == result["version"]
    assert feed["fields"] == result["values"]  # the pusher holds what every other editor pulls


def test_a_note_the_sites_signal_writes_during_a_push_reaches_the_feed(museum, museum_editor, root):
    museum_editor.checkout(museum)
    bowl = Artefact.objects.get(title="Glazed bowl")
    record = pulled(museum_editor, museum, "museum.artefact", bowl.pk)
    _, before = museum_editor.changes(museum, limit=1000)

    museum_editor.push(update(record, {"condition": "damaged"}))

    (note,) = Note.objects.filter(artefact=bowl, text=CONSERVATION_NOTE)
    status, page = museum_editor.changes(museum, since=before["cursor"])
    assert status == 200, page
    arrived = latest(page["changes"], "museum.note", note.pk)
    assert arrived["version"] == 1 and arrived["fields"]["artefact"] == bowl.pk


def test_a_record_created_damaged_comes_back_with_what_save_and_signal_made(
    museum, museum_editor, root
):
    museum_editor.checkout(museum)
    trench = museum.trenches.get(name="South trench")
    create = {
        "id": str(uuid.uuid4()),
        "op": "create",
        "model": "museum.artefact",
        "pk": f"tmp:{uuid.uuid4()}",
        "values": {"trench": trench.pk, "title": "Cracked lamp", "condition": "damaged"},
    }

    status, body = museum_editor.push(create)

    assert status == 200, body
    (result,) = body["results"]
    assert result["status"] == "applied", result
    stored = Artefact.objects.get(pk=result["pk"])
    assert result["values"]["status"] == stored.status == "needs-conservation"
    assert result["values"]["catalogue_code"] == stored.catalogue_code != ""
    feed = latest(feed_changes(root, museum), "museum.artefact", stored.pk)
    assert (feed["version"], feed["fields"]) == (result["version"], result["values"])


def test_a_signal_writing_a_row_of_another_expedition_during_a_push_reaches_its_feed(
    museum, valley, museum_editor, root
):
    museum_editor.checkout(museum)
    ridge = valley.trenches.get(name="Ridge trench")
    valley_end = read_feed(root, str(valley.pk), since=0, limit=1000)["cursor"]

    def rename_ridge(sender, instance, **kwargs):
        if sender is Artefact and instance.title == "Bronze pin, cleaned":
            ridge.name = "Ridge trench (pin compared)"
            ridge.save()

    post_save.connect(rename_ridge, dispatch_uid="test_rename_ridge")
    try:
        pin = Artefact.objects.get(title="Bronze pin")
        record = pulled(museum_editor, museum, "museum.artefact", pin.pk)
        status, body = museum_editor.push(update(record, {"title": "Bronze pin, cleaned"}))
    finally:
        post_save.disconnect(dispatch_uid="test_rename_ridge")

    assert status == 200 and body["results"][0]["status"] == "applied", body
    (moved,) = feed_changes(root, valley, since=valley_end)
    assert moved["model"] == "museum.trench" and moved["pk"] == ridge.pk
    assert moved["fields"]["name"] == "Ridge trench (pin compared)"
