"""Writes Django makes on its own reach the editors: the host's signals during a
push, ``on_delete`` SET_NULL / SET_DEFAULT / SET() and cascades, the admin's
bulk delete. On the museum site (tests/museum_site)."""

from __future__ import annotations

import uuid

from django.db.models.signals import post_save
from django.test import Client

from server_plugin.feed import read_feed
from server_plugin.models import TrackedRow
from server_plugin.registry import REFERENCE_KEY
from tests.museum_site.models import (
    UNKNOWN_PERSON_CODE,
    Artefact,
    Material,
    Note,
    Painting,
    Person,
    Trench,
)
from tests.museum_site.signals import CONSERVATION_NOTE

from .conftest import update
from .museum import end_of, feed_changes, latest, pulled

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


# -- on_delete: SET_NULL, SET_DEFAULT, SET(), CASCADE --------------------------------


def test_deleting_a_person_reaches_every_artefact_that_named_them(museum, root):
    """finder (SET_NULL) and recorded_by (SET_NULL through to_field="code"):
    Django clears them with QuerySet.update(), which sends no signal."""
    ada = Person.objects.get(code="AO")
    found = set(Artefact.objects.filter(finder=ada).values_list("pk", flat=True))
    recorded = set(Artefact.objects.filter(recorded_by=ada).values_list("pk", flat=True))
    assert found and recorded and found != recorded
    end = end_of(museum)

    ada.delete()

    changes = feed_changes(root, museum, since=end)
    for pk in found | recorded:
        model = "museum.painting" if Painting.objects.filter(pk=pk).exists() else "museum.artefact"
        change = latest(changes, model, pk)
        assert change["version"] >= 2
        if pk in found:
            assert change["fields"]["finder"] is None
        if pk in recorded:
            assert change["fields"]["recorded_by"] is None


def test_deleting_a_parent_artefact_reaches_its_parts(museum, root):
    bowl = Artefact.objects.get(title="Glazed bowl")
    lid = Artefact.objects.get(title="Bowl lid")
    assert lid.parent_id == bowl.pk
    bowl_pk, end = bowl.pk, end_of(museum)

    bowl.delete()

    changes = feed_changes(root, museum, since=end)
    assert latest(changes, "museum.artefact", bowl_pk)["deleted"] is True
    assert latest(changes, "museum.artefact", lid.pk)["fields"]["parent"] is None


def test_deleting_a_supervisor_reaches_their_trench_set_to_its_default(museum, root):
    ada = Person.objects.get(code="AO")
    north = museum.trenches.get(name="North trench")
    assert north.supervisor_id == ada.pk
    end = end_of(museum)

    ada.delete()

    change = latest(feed_changes(root, museum, since=end), "museum.trench", north.pk)
    assert change["fields"]["supervisor"] is None


def test_deleting_a_notes_author_reaches_the_note_given_to_the_unknown_person(museum, root):
    bruno = Person.objects.get(code="BL")
    (note,) = Note.objects.filter(author=bruno)
    bruno_pk, end, reference_end = bruno.pk, end_of(museum), end_of(REFERENCE_KEY)

    bruno.delete()

    unknown = Person.objects.get(code=UNKNOWN_PERSON_CODE)
    change = latest(feed_changes(root, museum, since=end), "museum.note", note.pk)
    assert change["fields"]["author"] == unknown.pk
    reference = feed_changes(root, REFERENCE_KEY, since=reference_end)
    assert latest(reference, "museum.person", unknown.pk)["fields"]["name"] == "Unknown"
    assert latest(reference, "museum.person", bruno_pk)["deleted"] is True


def test_deleting_a_material_reaches_the_artefacts_made_of_it(museum, root):
    """The many-to-many rows go with the material, and no m2m_changed is sent."""
    pigment = Material.objects.get(code="pigment")
    bowl = Artefact.objects.get(title="Glazed bowl")
    end = end_of(museum)

    pigment.delete()

    change = latest(feed_changes(root, museum, since=end), "museum.artefact", bowl.pk)
    assert change["fields"]["materials"] == ["ceramic"]


def test_deleting_a_trench_leaves_tombstones_for_its_artefacts_and_their_notes(museum, root):
    north = museum.trenches.get(name="North trench")
    artefacts = set(Artefact.objects.filter(trench=north).values_list("pk", flat=True))
    notes = {
        str(pk) for pk in Note.objects.filter(artefact__trench=north).values_list("pk", flat=True)
    }
    assert artefacts and notes
    north_pk, end = north.pk, end_of(museum)

    north.delete()

    gone = {
        (c["model"], str(c["pk"]))
        for c in feed_changes(root, museum, since=end)
        if c.get("deleted")
    }
    assert gone == {
        ("museum.trench", str(north_pk)),
        *(("museum.artefact", str(pk)) for pk in artefacts),
        *(("museum.note", pk) for pk in notes),
    }


def test_deleting_an_expedition_leaves_tombstones_at_every_level(museum, root):
    expected = {
        ("museum.trench", str(pk))
        for pk in Trench.objects.filter(expedition=museum).values_list("pk", flat=True)
    }
    expected |= {
        ("museum.artefact", str(pk))
        for pk in Artefact.objects.filter(
            trench__expedition=museum, painting__isnull=True
        ).values_list("pk", flat=True)
    }
    expected |= {
        ("museum.painting", str(p.pk)) for p in Painting.objects.filter(trench__expedition=museum)
    }
    expected |= {
        ("museum.note", str(pk))
        for pk in Note.objects.filter(artefact__trench__expedition=museum).values_list(
            "pk", flat=True
        )
    }
    key = str(museum.pk)

    museum.delete()

    live = TrackedRow.objects.filter(category_key=key, deleted=False)
    assert list(live) == []
    tombstones = {
        (f"museum.{row.content_type.model}", row.object_pk)
        for row in TrackedRow.objects.filter(category_key=key, deleted=True)
    }
    assert expected <= tombstones


def test_a_painting_whose_finder_is_deleted_travels_as_a_painting_only(museum, root):
    """A multi-table child is tracked as itself, as its own saves are: the
    parent's relation must not add a second copy of it as an artefact."""
    painting = Painting.objects.get(title="Harbour at dusk")
    end = end_of(museum)

    painting.finder.delete()

    changes = feed_changes(root, museum, since=end)
    assert latest(changes, "museum.painting", painting.pk)["fields"]["finder"] is None
    assert not [c for c in changes if c["model"] == "museum.artefact" and c["pk"] == painting.pk]


# -- the admin's bulk delete ---------------------------------------------------------


def test_the_admins_delete_selected_leaves_tombstones_for_the_rows_and_their_notes(
    museum, museum_editor
):
    """The chief (staff with the museum's permissions) uses "Delete selected
    artefacts" on the changelist; the editor's next pull removes them."""
    museum_editor.checkout(museum)
    _, before = museum_editor.changes(museum, limit=1000)
    chosen = list(Artefact.objects.filter(title__in=["Glazed bowl", "Bronze pin"]))
    pks = {a.pk for a in chosen}
    notes = {
        str(pk) for pk in Note.objects.filter(artefact__in=chosen).values_list("pk", flat=True)
    }
    admin = Client()
    assert admin.login(username="chief", password="demo-password")

    response = admin.post(
        "/admin/museum/artefact/",
        {"action": "delete_selected", "_selected_action": sorted(pks), "post": "yes"},
    )

    assert response.status_code == 302
    assert not Artefact.objects.filter(pk__in=pks).exists()
    status, page = museum_editor.changes(museum, since=before["cursor"], limit=1000)
    assert status == 200, page
    gone = {(c["model"], str(c["pk"])) for c in page["changes"] if c.get("deleted")}
    assert {("museum.artefact", str(pk)) for pk in pks} <= gone
    assert {("museum.note", pk) for pk in notes} <= gone
    lid = Artefact.objects.get(title="Bowl lid")  # its parent was deleted: SET_NULL
    assert latest(page["changes"], "museum.artefact", lid.pk)["fields"]["parent"] is None


def test_a_pushed_delete_reaches_the_parts_it_set_to_null(museum, museum_editor):
    museum_editor.checkout(museum)
    bowl = Artefact.objects.get(title="Glazed bowl")
    lid = Artefact.objects.get(title="Bowl lid")
    record = pulled(museum_editor, museum, "museum.artefact", bowl.pk)
    lid_before = pulled(museum_editor, museum, "museum.artefact", lid.pk)
    _, page = museum_editor.changes(museum, limit=1000)
    delete = {
        "id": str(uuid.uuid4()), "op": "delete", "model": "museum.artefact", "pk": bowl.pk,
        "base_version": record["version"], "base_values": record["fields"], "values": {},
    }  # fmt: skip

    status, body = museum_editor.push(delete)

    assert status == 200 and body["results"][0]["status"] == "applied", body
    _, after = museum_editor.changes(museum, since=page["cursor"], limit=1000)
    lid_after = latest(after["changes"], "museum.artefact", lid.pk)
    assert lid_after["fields"]["parent"] is None
    assert lid_after["version"] == lid_before["version"] + 1
