"""Rights that changed while an editor was offline: each change they touch is
answered on its own, with the reason, and the others of its batch still apply.

Only a lease the device lost on the category a change says it is in refuses the
whole batch (409): checking the category out again lets the same changes through.
The schema tells the client what the user may do per model, so it can refuse
offline instead of queueing what the server will refuse.
"""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import Permission, User

from server_plugin.demo.news.models import Article, Photo, Section
from server_plugin.models import CategoryGrant, ChangeReceipt, Checkout

from .conftest import article_in, pulled, update


def take_away(codename: str, username: str = "editor1") -> None:
    User.objects.get(username=username).user_permissions.remove(
        Permission.objects.get(codename=codename)
    )


def in_category(change: dict, section: Section) -> dict:
    """The change as the client sends it: with the category it holds the record in."""
    return {**change, "category": str(section.pk)}


@pytest.fixture
def holding(editor1, newsroom):
    """editor1 holds Politics and has pulled two of its articles and a photo."""
    assert editor1.checkout(newsroom)[0] == 200
    first, second = Article.objects.filter(section=newsroom).order_by("title")[:2]
    photo = Photo.objects.filter(article__section=newsroom).order_by("pk").first()
    records = [pulled(editor1, newsroom, obj.pk) for obj in (first, second, photo)]
    return editor1, newsroom, records


def _new_photo(article_pk, section: Section) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "op": "create",
        "model": "news.photo",
        "pk": f"tmp:{uuid.uuid4()}",
        "values": {"article": str(article_pk), "caption": "Made offline", "credit": ""},
        "category": str(section.pk),
    }


def _delete(record: dict, section: Section) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "op": "delete",
        "model": record["model"],
        "pk": record["pk"],
        "base_version": record["version"],
        "category": str(section.pk),
    }


def test_rights_narrowed_offline_reject_those_changes_alone_with_the_reason(holding):
    api, politics, (first, second, photo) = holding
    take_away("add_photo")
    take_away("delete_photo")

    status, body = api.push(
        _new_photo(first["pk"], politics),
        in_category(update(first, {"title": "Still pushed"}), politics),
        _delete(photo, politics),
    )

    assert status == 200, body
    made, edited, deleted = body["results"]
    assert [r["status"] for r in body["results"]] == ["rejected", "applied", "rejected"]
    assert made["errors"] == {"__all__": ["You may not create photos (news.photo)."]}
    assert made["message"] == "You may not create photos (news.photo)."
    assert deleted["message"] == "You may not delete photos (news.photo)."
    assert Article.objects.get(pk=first["pk"]).title == "Still pushed"
    assert Photo.objects.filter(pk=photo["pk"]).exists()
    assert not Photo.objects.filter(caption="Made offline").exists()
    # The answer is the change's for good: a retry gets the same.
    assert ChangeReceipt.objects.get(change_id=made["id"]).status == "rejected"


def test_a_grant_lost_offline_rejects_that_categorys_changes_and_not_the_others(holding):
    api, politics, (first, _, _) = holding
    culture = Section.objects.get(name="Culture")
    assert api.checkout(culture)[0] == 200
    theirs = pulled(api, culture, article_in(culture).pk)
    CategoryGrant.objects.filter(user__username="editor1", category_key=str(culture.pk)).delete()

    status, body = api.push(
        in_category(update(theirs, {"title": "Not any more"}), culture),
        in_category(update(first, {"title": "Still pushed"}), politics),
    )

    assert status == 200, body
    lost, kept = body["results"]
    assert (lost["status"], kept["status"]) == ("rejected", "applied")
    assert lost["message"] == "You have no grant for the category this record is in."
    assert Article.objects.get(pk=theirs["pk"]).title == theirs["fields"]["title"]


def test_a_record_moved_centrally_to_a_category_not_held_is_rejected_alone(holding):
    """Not a 409 for the batch: checking out the editor's own category again
    would not help, and the editor may not be able to take the other one."""
    api, politics, (first, second, _) = holding
    culture = Section.objects.get(name="Culture")
    moved = Article.objects.get(pk=first["pk"])
    moved.section = culture  # by the chief, centrally
    moved.save()

    status, body = api.push(
        in_category(update(first, {"title": "Edited where it was"}), politics),
        in_category(update(second, {"title": "Still pushed"}), politics),
    )

    assert status == 200, body
    assert [r["status"] for r in body["results"]] == ["rejected", "applied"]
    assert body["results"][0]["message"] == (
        "this article is now in Culture on the central site, which this device has not "
        "checked out: check Culture out to edit it there"
    )


def test_a_lease_lost_on_the_category_the_changes_are_in_refuses_the_batch_until_taken_again(
    holding,
):
    api, politics, (first, second, _) = holding
    Checkout.objects.filter(category_key=str(politics.pk)).delete()  # staff broke it
    batch = [
        in_category(update(first, {"title": "Waits for the lease"}), politics),
        in_category(update(second, {"title": "Also waits"}), politics),
    ]

    status, body = api.push(*batch)

    assert status == 409 and body["error"] == "not_checked_out", body
    assert not ChangeReceipt.objects.exists()  # nothing answered: the same batch may come back
    assert api.checkout(politics)[0] == 200
    status, body = api.push(*batch)
    assert status == 200 and [r["status"] for r in body["results"]] == ["applied", "applied"]


def test_schema_tells_what_the_user_may_do_with_each_model(editor1, newsroom):
    take_away("delete_photo")

    status, schema = editor1.get("schema")

    assert status == 200
    may = {model["label"]: model["may"] for model in schema["models"]}
    assert may["news.article"] == ["view", "add", "change", "delete"]
    assert may["news.photo"] == ["view", "add", "change"]
    assert may["news.author"] == ["view"]
    assert may["news.tag"] == ["view", "add", "change"]
