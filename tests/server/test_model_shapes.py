"""Every model shape syncs end to end or is refused at start-up by a system check
that names the model and the reason (docs/model-shapes.md).

Supported shapes are pushed and pulled in process on the museum site
(tests/museum_site: ``Painting(Artefact)``, the UUID key ``note_id``, the
natural key of ``Material``) and on the small models of tests/shapes_app;
refused ones are registered in an overridden ``FIELDSYNC`` and must come out
of Django's system checks as an Error whose object is the model.
"""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import pre_save

from server_plugin.checks import TAG
from server_plugin.models import TrackedRow
from server_plugin.registry import build_registry, get_registry
from server_plugin.schema import describe
from tests.museum_site.models import Artefact, Material, Note, Painting, Person, Trench
from tests.museum_site.settings import FIELDSYNC as MUSEUM
from tests.shapes_app.models import (
    Board,
    Crew,
    Find,
    FragileArtefact,
    GenericallyPlaced,
    Placard,
    Scan,
    Segment,
    Survey,
    Tagged,
    Team,
    TeamMembership,
)

from .conftest import update
from .museum import end_of, feed_changes, latest, pulled


def museum_with(**models) -> dict:
    """The museum's FIELDSYNC with these registrations added (None removes one)."""
    registered = {**MUSEUM["MODELS"], **models}
    return {**MUSEUM, "MODELS": {k: v for k, v in registered.items() if v is not None}}


def allow(*models) -> None:
    """Give the museum's editors every permission on these models."""
    content_types = [ContentType.objects.get_for_model(m, for_concrete_model=False) for m in models]
    permissions = Permission.objects.filter(content_type__in=content_types)
    for editor in User.objects.filter(username__in=["editor1", "editor2"]):
        editor.user_permissions.add(*permissions)


def create(model: str, values: dict, pk=None) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "op": "create",
        "model": model,
        "pk": pk or f"tmp:{uuid.uuid4()}",
        "values": values,
    }


def delete(record: dict) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "op": "delete",
        "model": record["model"],
        "pk": record["pk"],
        "base_version": record["version"],
        "base_values": record["fields"],
        "values": {},
    }


def pushed(api, *changes) -> list[dict]:
    status, body = api.push(*changes)
    assert status == 200, body
    for result in body["results"]:
        assert result["status"] in ("applied", "merged"), result
    return body["results"]


def entries(model: type, pk) -> list[tuple[str, bool]]:
    """The side table's entries of one row under `model`: (category, deleted)."""
    rows = TrackedRow.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_pk=str(pk)
    )
    return sorted((row.category_key, row.deleted) for row in rows)


def editor_user() -> User:
    return User.objects.get(username="editor1")


def fieldsync_errors() -> list[checks.CheckMessage]:
    return [m for m in checks.run_checks(tags=[TAG]) if m.id.startswith("fieldsync.")]


def refused_by_check(settings, fieldsync: dict, model: type, check_id: str) -> checks.Error:
    """Register `fieldsync` and return the one Error the checks give about `model`."""
    settings.FIELDSYNC = fieldsync
    found = [e for e in fieldsync_errors() if e.obj is model]
    assert len(found) == 1, found
    (error,) = found
    assert error.level == checks.ERROR and error.id == check_id
    assert model._meta.label in error.msg and error.hint
    assert model._meta.label in str(error)  # Django prints the model first
    assert get_registry().for_model(model) is None or model._meta.proxy, "left out"
    return error


# -- multi-table inheritance: Painting(Artefact) -----------------------------------


def test_a_painting_travels_with_its_artefact_fields_and_an_integer_key(museum, museum_editor):
    museum_editor.checkout(museum)
    painting = Painting.objects.get(title="Harbour at dusk")

    record = pulled(museum_editor, museum, "museum.painting", painting.pk)

    assert record["pk"] == painting.pk
    assert record["fields"]["title"] == "Harbour at dusk"  # inherited
    assert record["fields"]["trench"] == painting.trench_id  # the path's first hop, inherited
    assert record["fields"]["weight_kg"] == "4.200"
    assert record["fields"]["materials"] == ["pigment", "wood"]  # an inherited many-to-many
    assert record["fields"]["catalogue_code"] == painting.catalogue_code != ""
    assert (record["fields"]["artist"], record["fields"]["medium"]) == (
        "Unknown, delta school",
        "tempera",
    )
    (schema,) = [
        m for m in describe(editor_user()).get("models") if m["label"] == "museum.painting"
    ]
    assert schema["pk"] == {"name": "artefact_ptr", "type": "AutoField"}
    assert schema["parents"] == ["museum.artefact"]


def test_an_editor_edits_a_paintings_inherited_and_own_fields(
    museum, museum_editor, museum_editor2
):
    museum_editor.checkout(museum)
    painting = Painting.objects.get(title="Harbour at dusk")
    record = pulled(museum_editor, museum, "museum.painting", painting.pk)

    (result,) = pushed(
        museum_editor, update(record, {"title": "Harbour at night", "artist": "M. Sá"})
    )

    painting.refresh_from_db()
    assert (painting.title, painting.artist) == ("Harbour at night", "M. Sá")
    assert result["values"]["title"] == "Harbour at night"
    theirs = pulled(museum_editor2, museum, "museum.painting", painting.pk)
    assert (theirs["version"], theirs["fields"]) == (result["version"], result["values"])


def test_an_editor_creates_a_painting_and_receives_its_permanent_id_and_derived_code(
    museum, museum_editor, museum_editor2, root
):
    museum_editor.checkout(museum)
    trench = museum.trenches.get(name="North trench")
    temp = f"tmp:{uuid.uuid4()}"
    end = end_of(museum)

    (result,) = pushed(
        museum_editor,
        create(
            "museum.painting",
            {"trench": trench.pk, "title": "Reed boats", "medium": "fresco"},
            temp,
        ),
    )

    painting = Painting.objects.get(title="Reed boats")
    assert result["temp_pk"] == temp and result["pk"] == painting.pk
    assert Artefact.objects.filter(pk=painting.pk, title="Reed boats").exists()  # the parent row
    # save() derives the catalogue code: it comes back to the editor who created it...
    assert result["values"]["catalogue_code"] == painting.catalogue_code != ""
    # ...and reaches the other editors, as one record: a painting, not also an artefact.
    changes = feed_changes(root, museum, since=end)
    assert [(c["model"], c["pk"]) for c in changes] == [("museum.painting", painting.pk)]
    theirs = pulled(museum_editor2, museum, "museum.painting", painting.pk)
    assert theirs["fields"]["catalogue_code"] == painting.catalogue_code


def test_a_note_on_a_painting_created_in_the_same_push_names_it_by_its_temporary_id(
    museum, museum_editor
):
    museum_editor.checkout(museum)
    trench = museum.trenches.get(name="North trench")
    temp = f"tmp:{uuid.uuid4()}"
    note_id = str(uuid.uuid4())

    painting_result, note_result = pushed(
        museum_editor,
        create("museum.painting", {"trench": trench.pk, "title": "Kiln scene"}, temp),
        create("museum.note", {"artefact": temp, "text": "Pigment flaking."}, note_id),
    )

    note = Note.objects.get(pk=note_id)
    assert note.artefact_id == painting_result["pk"]
    assert note_result["values"]["artefact"] == painting_result["pk"]


def test_a_write_through_the_artefact_class_reaches_the_paintings_record_only(museum, root):
    painting = Painting.objects.get(title="Harbour at dusk")
    end = end_of(museum)

    as_artefact = Artefact.objects.get(pk=painting.pk)
    as_artefact.title = "Harbour, restored"
    as_artefact.save()
    as_artefact.materials.remove("wood")

    changes = feed_changes(root, museum, since=end)
    assert {c["model"] for c in changes} == {"museum.painting"}
    arrived = latest(changes, "museum.painting", painting.pk)
    assert arrived["fields"]["title"] == "Harbour, restored"
    assert arrived["fields"]["materials"] == ["pigment"]
    assert entries(Artefact, painting.pk) == []


def test_a_painting_saved_where_only_artefacts_sync_reaches_the_artefact_feed(
    museum, settings, root
):
    settings.FIELDSYNC = museum_with(**{"museum.Painting": None})
    painting = Painting.objects.get(title="Harbour at dusk")
    end = end_of(museum)

    painting.title = "Harbour, relined"
    painting.save()

    changes = feed_changes(root, museum, since=end)
    assert [(c["model"], c["pk"]) for c in changes] == [("museum.artefact", painting.pk)]
    assert changes[0]["fields"]["title"] == "Harbour, relined"
    assert "artist" not in changes[0]["fields"]


def test_a_painting_registered_alone_hears_of_writes_through_the_artefact_class(
    museum, settings, root
):
    settings.FIELDSYNC = museum_with(**{"museum.Artefact": None})
    painting = Painting.objects.get(title="Harbour at dusk")
    bowl = Artefact.objects.get(title="Glazed bowl")
    end = end_of(museum)

    as_artefact = Artefact.objects.get(pk=painting.pk)
    as_artefact.title = "Harbour, cleaned"
    as_artefact.save()
    bowl.title = "Glazed bowl, cleaned"
    bowl.save()  # a plain artefact: no registered model holds it

    changes = feed_changes(root, museum, since=end)
    assert [(c["model"], c["pk"]) for c in changes] == [("museum.painting", painting.pk)]
    assert changes[0]["fields"]["title"] == "Harbour, cleaned"


def test_an_artefact_entry_left_for_a_painting_becomes_a_tombstone(museum, settings, root):
    """A site that synced artefacts before it registered paintings: editors hold
    the painting's row as an artefact. Its next write makes that a tombstone,
    and the row travels as the painting it is."""
    settings.FIELDSYNC = museum_with(**{"museum.Painting": None})
    painting = Painting.objects.get(title="Harbour at dusk")
    painting.save()
    assert entries(Artefact, painting.pk) == [(str(museum.pk), False)]
    settings.FIELDSYNC = MUSEUM
    end = end_of(museum)

    painting.artist = "Delta workshop"
    painting.save()

    changes = feed_changes(root, museum, since=end)
    assert latest(changes, "museum.artefact", painting.pk)["deleted"] is True
    assert latest(changes, "museum.painting", painting.pk)["fields"]["artist"] == "Delta workshop"
    assert entries(Artefact, painting.pk) == [(str(museum.pk), True)]


def test_a_stale_edit_of_a_painting_held_as_an_artefact_is_a_conflict(
    museum, settings, museum_editor
):
    """The editor's copy from before paintings were registered: the push of it
    must not write the row as a second record; the editor is told it is gone."""
    settings.FIELDSYNC = museum_with(**{"museum.Painting": None})
    painting = Painting.objects.get(title="Harbour at dusk")
    painting.save()
    museum_editor.checkout(museum)
    stale = pulled(museum_editor, museum, "museum.artefact", painting.pk)
    settings.FIELDSYNC = MUSEUM
    painting.save()

    status, body = museum_editor.push(update(stale, {"title": "From an old copy"}))

    assert status == 200, body
    (result,) = body["results"]
    assert (result["status"], result["deleted"]) == ("conflict", True)
    painting.refresh_from_db()
    assert painting.title == "Harbour at dusk"


@pytest.mark.parametrize("through", [Painting, Artefact], ids=["as-painting", "as-artefact"])
def test_deleting_a_painting_deletes_both_rows_and_leaves_one_tombstone(museum, root, through):
    painting = Painting.objects.get(title="Harbour at dusk")
    note = Note.objects.get(artefact=painting)
    end = end_of(museum)

    through.objects.get(pk=painting.pk).delete()

    assert not Artefact.objects.filter(pk=painting.pk).exists()
    changes = feed_changes(root, museum, since=end)
    assert latest(changes, "museum.painting", painting.pk)["deleted"] is True
    assert latest(changes, "museum.note", note.pk)["deleted"] is True
    assert not [c for c in changes if c["model"] == "museum.artefact"]
    assert entries(Painting, painting.pk) == [(str(museum.pk), True)]


def test_a_painting_deleted_keeping_its_artefact_row_becomes_an_artefact(museum, root):
    painting = Painting.objects.get(title="Harbour at dusk")
    pk, end = painting.pk, end_of(museum)

    painting.delete(keep_parents=True)

    changes = feed_changes(root, museum, since=end)
    assert latest(changes, "museum.painting", pk)["deleted"] is True
    kept = latest(changes, "museum.artefact", pk)
    assert kept["fields"]["title"] == "Harbour at dusk" and "artist" not in kept["fields"]


def test_the_notes_of_a_painting_follow_it_to_another_expedition(museum, valley, root):
    painting = Painting.objects.get(title="Harbour at dusk")
    note = Note.objects.get(artefact=painting)
    ridge = Trench.objects.get(name="Ridge trench")
    delta_end, valley_end = end_of(museum), end_of(valley)

    painting.trench = ridge
    painting.save()

    assert latest(feed_changes(root, museum, since=delta_end), "museum.note", note.pk)["deleted"]
    moved = latest(feed_changes(root, valley, since=valley_end), "museum.note", note.pk)
    assert moved["fields"]["artefact"] == painting.pk


# -- proxies -------------------------------------------------------------------------


def test_a_registered_proxy_syncs_every_row_of_its_concrete_model(
    museum, settings, museum_editor, root
):
    settings.FIELDSYNC = museum_with(
        **{"museum.Artefact": None, "shapes.FragileArtefact": {"category": "trench__expedition"}}
    )
    allow(FragileArtefact)
    museum_editor.checkout(museum)
    bowl = Artefact.objects.get(title="Glazed bowl")
    end = end_of(museum)

    bowl.title = "Glazed bowl (fragile)"
    bowl.save()  # saved through the concrete class: the proxy's record hears of it

    changes = feed_changes(root, museum, since=end)
    assert [(c["model"], c["pk"]) for c in changes] == [("shapes.fragileartefact", bowl.pk)]
    record = pulled(museum_editor, museum, "shapes.fragileartefact", bowl.pk)
    (result,) = pushed(museum_editor, update(record, {"fragile": False}))
    bowl.refresh_from_db()
    assert bowl.fragile is False and result["values"]["fragile"] is False


def test_a_proxy_registered_beside_its_concrete_model_is_refused(museum_settings, settings):
    error = refused_by_check(
        settings,
        museum_with(**{"shapes.FragileArtefact": {"category": "trench__expedition"}}),
        FragileArtefact,
        "fieldsync.E103",
    )

    assert "proxy of museum.Artefact" in error.msg and "twice" in error.msg
    assert get_registry().get("shapes.fragileartefact") is None
    assert get_registry().get("museum.artefact") is not None  # the concrete model still syncs


# -- abstract bases, natural and renamed keys ------------------------------------------


def test_fields_of_an_abstract_base_sync_like_the_models_own(museum, settings, museum_editor):
    settings.FIELDSYNC = museum_with(**{"shapes.Find": {"category": "expedition"}})
    allow(Find)
    museum_editor.checkout(museum)

    (result,) = pushed(
        museum_editor,
        create(
            "shapes.find",
            {
                "expedition": museum.pk,
                "title": "Loom weight",
                "recorded_by_name": "Ada",
                "checked": True,
            },
        ),
    )

    find = Find.objects.get(pk=result["pk"])
    assert (find.recorded_by_name, find.checked) == ("Ada", True)
    assert get_registry().get("shapes.find").field_names == (
        "recorded_by_name", "checked", "expedition", "title", "material",
    )  # fmt: skip


def test_a_uuid_key_named_note_id_is_created_edited_and_deleted(museum, museum_editor):
    museum_editor.checkout(museum)
    bowl = Artefact.objects.get(title="Glazed bowl")
    note_id = str(uuid.uuid4())

    (created,) = pushed(
        museum_editor, create("museum.note", {"artefact": bowl.pk, "text": "Rim chip."}, note_id)
    )
    record = pulled(museum_editor, museum, "museum.note", note_id)
    (edited,) = pushed(museum_editor, update(record, {"text": "Rim chip, 2 mm."}))
    assert Note.objects.get(note_id=note_id).text == "Rim chip, 2 mm."
    record = pulled(museum_editor, museum, "museum.note", note_id)
    pushed(museum_editor, delete(record))

    assert created["pk"] == note_id and edited["version"] == created["version"] + 1
    assert not Note.objects.filter(note_id=note_id).exists()
    assert latest(museum_editor.changes(museum, limit=1000)[1]["changes"], "museum.note", note_id)[
        "deleted"
    ]


def test_a_natural_char_key_is_created_edited_referenced_and_deleted(
    museum, settings, museum_editor
):
    settings.FIELDSYNC = museum_with(
        **{"museum.Material": {"writable": True}, "shapes.Find": {"category": "expedition"}}
    )
    allow(Material, Find)
    museum_editor.checkout(museum)
    bowl = Artefact.objects.get(title="Glazed bowl")
    bowl_record = pulled(museum_editor, museum, "museum.artefact", bowl.pk)

    material, _, find = pushed(
        museum_editor,
        create("museum.material", {"name": "Obsidian"}, "obsidian"),
        update(bowl_record, {"materials": [*bowl_record["fields"]["materials"], "obsidian"]}),
        create("shapes.find", {"expedition": museum.pk, "title": "Blade", "material": "obsidian"}),
    )

    assert material["pk"] == "obsidian" and "temp_pk" not in material
    assert "obsidian" in set(bowl.materials.values_list("code", flat=True))
    assert Find.objects.get(pk=find["pk"]).material_id == "obsidian"
    status, reference = museum_editor.get("reference/changes")
    record = latest(reference["changes"], "museum.material", "obsidian")
    (renamed,) = pushed(museum_editor, update(record, {"name": "Obsidian (volcanic glass)"}))
    assert Material.objects.get(pk="obsidian").name == "Obsidian (volcanic glass)"

    status, reference = museum_editor.get("reference/changes")
    pushed(museum_editor, delete(latest(reference["changes"], "museum.material", "obsidian")))

    assert not Material.objects.filter(pk="obsidian").exists()
    _, page = museum_editor.changes(museum, limit=1000)
    assert (
        "obsidian" not in latest(page["changes"], "museum.artefact", bowl.pk)["fields"]["materials"]
    )
    assert latest(page["changes"], "shapes.find", find["pk"])["fields"]["material"] is None


def test_a_natural_key_already_taken_is_a_conflict_not_overwritten(museum, settings, museum_editor):
    """A natural key names the record: one created offline under a key the server holds
    is that record, met as a conflict on the fields set differently (the editor decides;
    a refusal left nothing to decide but to discard)."""
    settings.FIELDSYNC = museum_with(**{"museum.Material": {"writable": True}})
    allow(Material)

    status, body = museum_editor.push(create("museum.material", {"name": "Not bronze"}, "bronze"))

    assert status == 200, body
    (result,) = body["results"]
    assert result["status"] == "conflict" and set(result["conflicts"]) == {"name"}, result
    assert result["values"]["name"] == "Bronze"
    assert Material.objects.get(pk="bronze").name == "Bronze"


def test_a_natural_key_taken_while_the_push_runs_is_rejected_not_overwritten(
    museum, settings, museum_editor
):
    """Another writer takes the key after the push checked it, before it saves:
    the create must fail on the key, not update that writer's row."""
    settings.FIELDSYNC = museum_with(**{"museum.Material": {"writable": True}})
    allow(Material)

    def taken_meanwhile(sender, instance, **kwargs):
        if instance.pk == "jet" and instance._state.adding:
            Material.objects.bulk_create([Material(code="jet", name="Jet (central)")])

    pre_save.connect(taken_meanwhile, sender=Material)
    try:
        status, body = museum_editor.push(create("museum.material", {"name": "Jet"}, "jet"))
    finally:
        pre_save.disconnect(taken_meanwhile, sender=Material)

    assert status == 200, body
    (result,) = body["results"]
    assert result["status"] == "rejected" and "the database refused it" in result["message"]


# -- generic relations, many-to-many through a model -------------------------------------


def test_a_generic_foreign_key_syncs_as_reference_data(museum, settings, museum_editor):
    settings.FIELDSYNC = museum_with(**{"shapes.Tagged": {}})
    allow(Tagged)
    bowl = Artefact.objects.get(title="Glazed bowl")
    tag = Tagged.objects.create(expedition=museum, label="photographed", target=bowl)

    status, reference = museum_editor.get("reference/changes")

    assert status == 200, reference
    record = latest(reference["changes"], "shapes.tagged", tag.pk)
    assert record["fields"]["content_type"] == ContentType.objects.get_for_model(Artefact).pk
    assert record["fields"]["object_id"] == bowl.pk
    status, body = museum_editor.push(update(record, {"object_id": 999}))
    assert status == 200 and body["results"][0]["status"] == "rejected", body  # read-only
    assert Tagged.objects.get(pk=tag.pk).object_id == bowl.pk


def test_a_writable_model_with_a_generic_foreign_key_is_refused(museum_settings, settings):
    error = refused_by_check(
        settings,
        museum_with(**{"shapes.Tagged": {"category": "expedition"}}),
        Tagged,
        "fieldsync.E106",
    )

    assert "shapes.Tagged.target is a GenericForeignKey" in error.msg
    assert "'exclude': ['content_type', 'object_id']" in error.hint


def test_a_writable_model_leaving_out_its_generic_pair_syncs(museum_settings, settings):
    settings.FIELDSYNC = museum_with(
        **{"shapes.Tagged": {"category": "expedition", "exclude": ["content_type", "object_id"]}}
    )

    assert get_registry().get("shapes.tagged").field_names == ("expedition", "label")
    assert not fieldsync_errors()


def test_naming_a_generic_foreign_key_in_fields_names_its_pair_instead():
    with pytest.raises(ImproperlyConfigured) as raised:
        build_registry(museum_with(**{"shapes.Tagged": {"fields": ["label", "target"]}}))

    assert "FIELDSYNC['MODELS']['shapes.Tagged']['fields'] names target" in str(raised.value)
    assert "a GenericForeignKey; name its pair 'content_type' and 'object_id'" in str(raised.value)


def test_a_many_to_many_through_a_model_with_a_required_field_is_refused(museum_settings, settings):
    error = refused_by_check(
        settings, museum_with(**{"shapes.Crew": {"category": "expedition"}}), Crew, "fieldsync.E104"
    )

    assert "shapes.Crew.members goes through shapes.CrewMembership, whose role has no default" in (
        error.msg
    )
    assert "'exclude': ['members']" in error.hint


def test_a_many_to_many_through_a_model_with_defaults_syncs_and_direct_rows_count(
    museum, settings, museum_editor, root
):
    settings.FIELDSYNC = museum_with(**{"shapes.Team": {"category": "expedition"}})
    allow(Team)
    museum_editor.checkout(museum)
    ada, bruno = (Person.objects.get(code=code) for code in ("AO", "BL"))

    (result,) = pushed(
        museum_editor,
        create("shapes.team", {"expedition": museum.pk, "name": "Survey", "members": [ada.pk]}),
    )
    team = Team.objects.get(pk=result["pk"])
    assert TeamMembership.objects.get(team=team).role == "member"  # the through model's default
    end = end_of(museum)

    TeamMembership.objects.create(team=team, person=bruno, role="lead")  # no m2m_changed

    arrived = latest(feed_changes(root, museum, since=end), "shapes.team", team.pk)
    assert arrived["fields"]["members"] == sorted([ada.pk, bruno.pk])
    end = end_of(museum)
    TeamMembership.objects.filter(person=ada).delete()
    arrived = latest(feed_changes(root, museum, since=end), "shapes.team", team.pk)
    assert arrived["fields"]["members"] == [bruno.pk]


# -- keys, paths and field types that cannot sync ----------------------------------------


def test_a_composite_primary_key_is_refused(museum_settings, settings):
    error = refused_by_check(
        settings,
        museum_with(**{"shapes.Segment": {"category": "expedition"}}),
        Segment,
        "fieldsync.E102",
    )

    assert "CompositePrimaryKey (trench_code, number)" in error.msg


@pytest.mark.parametrize(
    ("model", "path", "detail"),
    [
        (Placard, "expedition", "a foreign key to museum.Expedition.name (to_field)"),
        (GenericallyPlaced, "place", "shapes.GenericallyPlaced.place is a GenericForeignKey"),
    ],
    ids=["to-field", "generic-foreign-key"],
)
def test_a_model_with_no_usable_category_path_is_refused(
    museum_settings, settings, model, path, detail
):
    error = refused_by_check(
        settings, museum_with(**{model._meta.label: {"category": path}}), model, "fieldsync.E105"
    )

    assert "has no usable category path" in error.msg and detail in error.msg


def test_a_generated_field_named_in_fields_is_read_only_and_comes_back_computed(
    museum, settings, museum_editor
):
    settings.FIELDSYNC = museum_with(
        **{
            "shapes.Board": {
                "category": "expedition",
                "fields": ["expedition", "name", "width", "height", "area"],
            }
        }
    )
    allow(Board)
    museum_editor.checkout(museum)
    (described,) = [m for m in describe(editor_user())["models"] if m["label"] == "shapes.board"]
    area = next(f for f in described["fields"] if f["name"] == "area")
    assert area["editable"] is False

    (created,) = pushed(
        museum_editor,
        create("shapes.board", {"expedition": museum.pk, "name": "Grid", "width": 3, "height": 4}),
    )
    record = pulled(museum_editor, museum, "shapes.board", created["pk"])
    (widened,) = pushed(museum_editor, update(record, {"width": 5}))

    assert created["values"]["area"] == 12 and record["fields"]["area"] == 12
    assert widened["values"]["area"] == 20 == Board.objects.get(pk=created["pk"]).area


def test_fields_not_editable_stay_out_of_all(museum_settings, settings):
    settings.FIELDSYNC = museum_with(
        **{"shapes.Board": {"category": "expedition"}, "shapes.Scan": {"category": "expedition"}}
    )

    assert "area" not in get_registry().get("shapes.board").field_names  # a GeneratedField
    assert "data" not in get_registry().get("shapes.scan").field_names  # a BinaryField
    assert not fieldsync_errors()


@pytest.mark.parametrize(
    ("model", "options", "detail"),
    [
        (Scan, {"fields": ["expedition", "name", "data"]}, "shapes.Scan.data is a BinaryField"),
        (Survey, {}, "shapes.Survey.layers is a CommaListField (CommaListField)"),
    ],
    ids=["binary-field-named-in-fields", "array-like-field-type"],
)
def test_a_field_type_the_table_does_not_know_is_refused(
    museum_settings, settings, model, options, detail
):
    error = refused_by_check(
        settings,
        museum_with(**{model._meta.label: {"category": "expedition", **options}}),
        model,
        "fieldsync.E101",
    )

    assert detail in error.msg and "cannot carry exactly" in error.msg
    assert "'exclude'" in error.hint


def test_the_museum_registers_without_a_check_error(museum_settings):
    assert fieldsync_errors() == []
