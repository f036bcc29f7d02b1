"""Rights that widen later: a model permission or a category grant added after
a device pulled. The feed leaves out what the user may not view and says so
(``withheld``); once allowed, the device fetches those models from position 0
(``models=``) without reading the rest again. On the museum site."""

from __future__ import annotations

from django.contrib.auth.models import Permission, User

from server_plugin.models import CategoryGrant
from tests.museum_site.models import Material, Note

from .conftest import Api


def allow(username: str, codename: str) -> None:
    user = User.objects.get(username=username)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="museum", codename=codename)
    )


def forbid(username: str, codename: str) -> None:
    user = User.objects.get(username=username)
    user.user_permissions.remove(
        Permission.objects.get(content_type__app_label="museum", codename=codename)
    )


def read_all(api: Api, path: str, since: int = 0, **params) -> tuple[list[dict], int, set]:
    """Every change of a feed after `since`: (changes, final cursor, models withheld)."""
    changes, withheld, cursor = [], set(), since
    while True:
        status, page = api.get(path, since=cursor, limit=2, **params)
        assert status == 200, page
        changes += page["changes"]
        withheld |= set(page.get("withheld", ()))
        cursor = page["cursor"]
        if not page["more"]:
            return changes, cursor, withheld


def schema_models(api: Api) -> set[str]:
    status, schema = api.get("schema")
    assert status == 200, schema
    return {model["label"] for model in schema["models"]}


def test_a_model_permission_added_later_delivers_the_rows_the_feed_withheld(museum, museum_editor):
    forbid("editor1", "view_note")
    museum_editor.checkout(museum)
    path = f"categories/{museum.pk}/changes"
    changes, cursor, withheld = read_all(museum_editor, path)
    assert "museum.note" not in {c["model"] for c in changes}
    assert withheld == {"museum.note"}
    assert "museum.note" not in schema_models(museum_editor)

    allow("editor1", "view_note")

    assert "museum.note" in schema_models(museum_editor)
    assert read_all(museum_editor, path, since=cursor)[0] == []  # the cursor moved past them
    notes, _, withheld = read_all(museum_editor, path, models="museum.note")
    expected = {
        str(pk)
        for pk in Note.objects.filter(artefact__trench__expedition=museum).values_list(
            "pk", flat=True
        )
    }
    assert {c["pk"] for c in notes} == expected
    assert {c["model"] for c in notes} == {"museum.note"} and not withheld


def test_reference_data_allowed_later_comes_from_the_reference_feed(museum, museum_editor):
    forbid("editor1", "view_material")
    changes, _, withheld = read_all(museum_editor, "reference/changes")
    assert {c["model"] for c in changes} == {"museum.person"}
    assert withheld == {"museum.material"}

    allow("editor1", "view_material")

    materials, _, _ = read_all(museum_editor, "reference/changes", models="museum.material")
    assert {c["pk"] for c in materials} == set(Material.objects.values_list("pk", flat=True))


def test_models_restricts_a_page_and_its_count(museum, museum_editor):
    museum_editor.checkout(museum)

    status, page = museum_editor.get(
        f"categories/{museum.pk}/changes", models="museum.trench,museum.painting", count="true"
    )

    assert status == 200, page
    assert {c["model"] for c in page["changes"]} == {"museum.trench", "museum.painting"}
    assert page["remaining"] == len(page["changes"]) == 3


def test_a_bad_models_parameter_is_refused_naming_it(museum, museum_editor):
    path = f"categories/{museum.pk}/changes"
    cases = {
        "museum.coin": "unknown model 'museum.coin'",
        "museum.material": "museum.material is not in this feed but in the reference feed",
        " , ": "'models' must name at least one model",
    }
    for value, detail in cases.items():
        status, body = museum_editor.get(path, models=value)
        assert (status, body["where"]) == (400, "models"), body
        assert detail in body["detail"]
    status, body = museum_editor.get("reference/changes", models="museum.artefact")
    assert status == 400 and "in category feeds" in body["detail"]


def test_a_category_granted_later_is_listed_and_delivers_all_its_rows(
    museum, valley, museum_editor
):
    CategoryGrant.objects.filter(user__username="editor1", category_key=str(valley.pk)).delete()
    status, listed = museum_editor.get("categories")
    assert str(valley.pk) not in {c["id"] for c in listed["categories"]}
    assert museum_editor.checkout(valley)[0] == 403

    CategoryGrant.objects.create(
        user=User.objects.get(username="editor1"), category_key=str(valley.pk)
    )

    status, listed = museum_editor.get("categories")
    (entry,) = [c for c in listed["categories"] if c["id"] == str(valley.pk)]
    assert museum_editor.checkout(valley)[0] == 200
    changes, _, _ = read_all(museum_editor, f"categories/{valley.pk}/changes")
    assert len(changes) == entry["records"] > 0
    assert "Bone comb" in {c["fields"].get("title") for c in changes}
