"""A push that meets a row the central site deleted while the editor was offline.

Each such change is answered on its own, in Django's words, as rejected or as
a conflict; never a 5xx, and never at the cost of the other changes of its
batch (the trial on a wildlife site: a sighting created offline at a station
deleted centrally stopped every change of its editor with HTTP 500).
"""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import override_settings

from server_plugin.demo.news.models import Article, Photo, Section
from server_plugin.models import CategoryGrant, ChangeReceipt, ReviewItem
from tests.museum_site.models import Artefact, Note, Trench

from .conftest import pulled, update

CREATE, DELETE = "create", "delete"


def create(model: str, values: dict, *, pk=None, category=None) -> dict:
    change = {"id": str(uuid.uuid4()), "op": CREATE, "model": model, "values": values}
    change["pk"] = pk if pk is not None else f"tmp:{uuid.uuid4()}"
    if category is not None:
        change["category"] = category
    return change


def delete(record: dict) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "op": DELETE,
        "model": record["model"],
        "pk": record["pk"],
        "base_version": record["version"],
    }


def statuses(body: dict) -> list[str]:
    return [result["status"] for result in body["results"]]


@pytest.fixture
def politics(editor1, newsroom):
    """editor1 holds Politics: an article with photos, and another article."""
    status, body = editor1.checkout(newsroom)
    assert status == 200, body
    pictured = Article.objects.filter(section=newsroom, photos__isnull=False).first()
    other = Article.objects.filter(section=newsroom).exclude(pk=pictured.pk).first()
    return editor1, pictured, other


def test_photo_created_offline_for_an_article_deleted_centrally_is_rejected_alone(politics):
    """The design's own case: the client sends this when the article was deleted
    centrally while it was offline."""
    api, gone, other = politics
    other_record = pulled(api, gone.section, other.pk)
    gone_pk = str(gone.pk)
    gone.delete()  # centrally, photos and all

    status, body = api.push(
        create(
            "news.photo",
            {"article": gone_pk, "caption": "Taken offline", "credit": ""},
            category=str(gone.section_id),
        ),  # fmt: skip
        update(other_record, {"title": "Still pushed"}),
    )

    assert status == 200, body
    rejected, applied = body["results"]
    assert (rejected["status"], applied["status"]) == ("rejected", "applied")
    assert rejected["errors"] == {
        "article": [f"article instance with id {uuid.UUID(gone_pk)!r} is not a valid choice."]
    }
    assert rejected["message"].startswith("article: article instance with id")
    assert not Photo.objects.filter(caption="Taken offline").exists()
    assert Article.objects.get(pk=other.pk).title == "Still pushed"


def test_the_answer_to_such_a_change_is_kept_for_a_retry(politics):
    api, gone, _ = politics
    gone_pk = str(gone.pk)
    gone.delete()
    change = create("news.photo", {"article": gone_pk, "caption": "Taken offline", "credit": ""})

    _, first = api.push(change)
    status, again = api.push(change)

    assert status == 200 and again == first and statuses(first) == ["rejected"]
    assert ChangeReceipt.objects.get(change_id=change["id"]).status == "rejected"


@pytest.fixture
def two_photos(politics):
    """A photo of another article, pushed before the delete (so the batch has read
    every photo it touches by then), and a photo of the article deleted."""
    api, pictured, other = politics
    section = pictured.section
    earlier = Photo.objects.create(article=other, caption="Another scene")
    photo = pictured.photos.order_by("pk").first()
    return api, pulled(api, section, earlier.pk), pulled(api, section, pictured.pk), photo


def test_update_of_a_photo_whose_article_an_earlier_change_deleted_is_a_conflict(two_photos):
    """Deleting the article in the batch cascades to its photos: a later change of
    one of them finds it gone (a conflict saying so), not a stale copy."""
    api, earlier, article_record, photo = two_photos
    photo_record = pulled(api, photo.article.section, photo.pk)

    status, body = api.push(
        update(earlier, {"caption": "Pushed first"}),
        delete(article_record),
        update(photo_record, {"caption": "Edited after the delete"}),
    )

    assert status == 200, body
    assert statuses(body) == ["applied", "applied", "conflict"]
    assert body["results"][2]["deleted"] is True
    assert not Photo.objects.filter(pk=photo.pk).exists()
    assert Photo.objects.get(pk=earlier["pk"]).caption == "Pushed first"


def test_delete_of_a_photo_whose_article_an_earlier_change_deleted_is_applied(two_photos):
    api, earlier, article_record, photo = two_photos
    photo_record = pulled(api, photo.article.section, photo.pk)

    status, body = api.push(
        update(earlier, {"caption": "Pushed first"}), delete(article_record), delete(photo_record)
    )

    assert status == 200, body
    assert statuses(body) == ["applied"] * 3  # already gone: deleting twice is fine
    assert body["results"][2]["deleted"] is True


def test_article_created_offline_in_a_section_deleted_centrally_is_rejected_alone(politics):
    """The category itself is gone: no checkout can be taken again, so the change is
    answered on its own, not the batch refused with 409."""
    api, _, other = politics
    other_record = pulled(api, other.section, other.pk)
    closed = Section.objects.create(name="Closed desk")
    CategoryGrant.objects.create(user=User.objects.get(username="editor1"), category_key=closed.pk)
    assert api.checkout(closed)[0] == 200
    closed_pk = closed.pk
    api.post(f"categories/{closed_pk}/checkin")
    closed.delete()

    status, body = api.push(
        create(
            "news.article",
            {"section": closed_pk, "title": "Orphan", "body": "Text."},
            pk=str(uuid.uuid4()),
            category=str(closed_pk),
        ),  # fmt: skip
        update(other_record, {"title": "Still pushed"}),
    )

    assert status == 200, body
    assert statuses(body) == ["rejected", "applied"]
    assert body["results"][0]["errors"] == {
        "section": [f"section instance with id {closed_pk} is not a valid choice."]
    }


def _photos_under_review():
    models = {**settings.FIELDSYNC["MODELS"]}
    models["news.Photo"] = {**models["news.Photo"], "policy": "review"}
    return override_settings(FIELDSYNC={**settings.FIELDSYNC, "MODELS": models})


def test_photo_for_a_deleted_article_is_rejected_before_it_waits_for_review(politics):
    api, gone, _ = politics
    gone_pk = str(gone.pk)
    gone.delete()

    with _photos_under_review():
        status, body = api.push(
            create("news.photo", {"article": gone_pk, "caption": "Taken offline", "credit": ""})
        )

    assert status == 200, body
    assert statuses(body) == ["rejected"]
    assert "article" in body["results"][0]["errors"]
    assert not ReviewItem.objects.exists()


# -- the museum: a two-hop path through integer keys -----------------------------------


NOTE = "2b7c1a52-4a1e-4d6b-9f6e-0c3d2e1f4a60"


def test_note_created_offline_on_an_artefact_deleted_centrally_is_rejected_alone(
    museum, museum_editor
):
    assert museum_editor.checkout(museum)[0] == 200
    trench = museum.trenches.order_by("pk").first()
    artefact = Artefact.objects.filter(trench=trench).order_by("pk").first()
    gone = artefact.pk
    artefact.delete()

    status, body = museum_editor.push(
        create("museum.note", {"artefact": gone, "text": "Seen in the field"}, pk=NOTE),
        create("museum.trench", {"expedition": museum.pk, "name": "New trench"}),
    )

    assert status == 200, body
    assert statuses(body) == ["rejected", "applied"]
    assert body["results"][0]["errors"] == {
        "artefact": [f"artefact instance with id {gone} is not a valid choice."]
    }
    assert not Note.objects.filter(text="Seen in the field").exists()
    assert Trench.objects.filter(name="New trench").exists()


def test_artefact_re_created_under_a_trench_deleted_centrally_is_rejected(museum, museum_editor):
    """What `resolve --take mine` sends for an artefact deleted centrally with its trench."""
    assert museum_editor.checkout(museum)[0] == 200
    trench = museum.trenches.order_by("pk").first()
    gone = trench.pk
    trench.delete()

    status, body = museum_editor.push(
        create("museum.artefact", {"trench": gone, "title": "Kept from the field"})
    )

    assert status == 200, body
    assert statuses(body) == ["rejected"]
    assert body["results"][0]["errors"]["trench"] == [
        f"trench instance with id {gone} is not a valid choice."
    ]


def test_a_part_whose_parent_an_earlier_change_deleted_keeps_the_parent_gone(museum, museum_editor):
    """Deleting a find sets its parts' parent to null (SET_NULL, an UPDATE with no
    signal); a later change of a part in the batch merges with that, instead of
    writing its stale copy back with a key to the deleted row."""
    from django.contrib.auth.models import User

    from .museum import feed_changes, latest

    assert museum_editor.checkout(museum)[0] == 200
    trench = museum.trenches.order_by("pk").first()
    jar = Artefact.objects.create(trench=trench, title="Jar")
    lid = Artefact.objects.create(trench=trench, title="Lid", parent=jar)
    other = Artefact.objects.create(trench=trench, title="Sherd")
    pulled_now = feed_changes(User.objects.get(username="editor1"), museum)
    jar_record, lid_record, other_record = (
        latest(pulled_now, "museum.artefact", obj.pk) for obj in (jar, lid, other)
    )

    status, body = museum_editor.push(
        update(other_record, {"title": "Sherd, rim"}),  # the batch reads every artefact here
        delete(jar_record),
        update(lid_record, {"title": "Lid, glazed"}),
    )

    assert status == 200, body
    assert statuses(body) == ["applied", "applied", "merged"]
    lid.refresh_from_db()
    assert (lid.title, lid.parent_id) == ("Lid, glazed", None)
    assert body["results"][2]["values"]["parent"] is None
