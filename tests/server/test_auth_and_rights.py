"""Tokens and rights: who may reach which endpoint and which category."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection

from server_plugin.demo.news.models import Article, Author, Section
from server_plugin.models import CategoryGrant, Device, hash_token

from .conftest import Api, article_in, login, pulled, update

PROTECTED = [
    ("get", "auth/me"),
    ("get", "schema"),
    ("get", "categories"),
    ("post", "categories/1/checkout"),
    ("post", "categories/1/checkin"),
    ("get", "categories/1/changes"),
    ("get", "reference/changes"),
    ("post", "push"),
]


def _call(api: Api, method: str, path: str):
    return api.get(path) if method == "get" else api.post(path, {"changes": []})


def test_ping_needs_no_token(db):
    status, body = Api().get("ping")
    assert status == 200 and body["ok"] is True and body["protocol"] == 1


def test_login_gives_a_device_token_that_the_server_stores_only_hashed(newsroom):
    status, body = Api().post(
        "auth/token", {"username": "editor1", "password": "demo-password", "device": "tablet"}
    )

    assert status == 201
    device = Device.objects.get(name="tablet")
    assert device.token_hash == hash_token(body["token"])
    with connection.cursor() as cursor:  # the token itself is nowhere in the database
        cursor.execute("SELECT token_hash FROM fieldsync_device")
        assert all(body["token"] not in row[0] for row in cursor.fetchall())
    status, me = Api(body["token"]).get("auth/me")
    assert status == 200 and me["user"]["username"] == "editor1"


def test_wrong_password_is_401_and_makes_no_device(newsroom):
    status, body = Api().post(
        "auth/token", {"username": "editor1", "password": "guess", "device": "tablet"}
    )

    assert status == 401 and body["error"] == "invalid_credentials"
    assert not Device.objects.filter(name="tablet").exists()


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_missing_token_is_401(newsroom, method, path):
    status, body = _call(Api(), method, path)
    assert status == 401 and body["error"] == "not_authenticated"


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_forged_token_is_401(newsroom, method, path):
    status, body = _call(Api("forged-" + "x" * 40), method, path)
    assert status == 401 and body["error"] == "invalid_token"


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_revoked_device_is_401(editor1, method, path):
    Device.objects.update(revoked_at="2026-01-01T00:00Z")
    status, body = _call(editor1, method, path)
    assert status == 401 and body["error"] == "device_revoked"


def test_logout_revokes_the_devices_token(editor1):
    status, _ = editor1.delete("auth/token")
    assert status == 200
    status, body = editor1.get("categories")
    assert status == 401 and body["error"] == "device_revoked"


def test_user_sees_only_the_categories_granted_to_them(editor1, newsroom):
    CategoryGrant.objects.filter(user__username="editor1").exclude(
        category_key=str(newsroom.pk)
    ).delete()

    _, body = editor1.get("categories")

    assert [c["name"] for c in body["categories"]] == ["Politics"]


def test_category_without_a_grant_is_403_everywhere_and_shows_nothing(editor1, newsroom):
    culture = Section.objects.get(name="Culture")
    CategoryGrant.objects.filter(user__username="editor1", category_key=str(culture.pk)).delete()

    for status, body in (
        editor1.checkout(culture),
        editor1.changes(culture),
        editor1.post(f"categories/{culture.pk}/checkin"),
    ):
        assert status == 403, body
        assert body["error"] == "forbidden"
        assert "Culture" not in body["detail"]


def test_push_into_a_category_without_a_grant_is_rejected_and_writes_nothing(editor1, newsroom):
    editor1.checkout(newsroom)
    record = pulled(editor1, newsroom, article_in(newsroom).pk)
    CategoryGrant.objects.filter(user__username="editor1", category_key=str(newsroom.pk)).delete()

    status, body = editor1.push(update(record, {"title": "Sneaky"}))

    assert status == 200 and body["results"][0]["status"] == "rejected", body
    assert body["results"][0]["message"] == "You have no grant for the category this record is in."
    assert Article.objects.get(pk=record["pk"]).title == record["fields"]["title"]


def test_user_without_the_models_change_permission_is_rejected_and_nothing_written(
    editor1, newsroom
):
    editor1.checkout(newsroom)
    record = pulled(editor1, newsroom, article_in(newsroom).pk)
    User.objects.get(username="editor1").user_permissions.remove(
        Permission.objects.get(codename="change_article")
    )

    status, body = editor1.push(update(record, {"title": "Not allowed"}))

    assert status == 200 and body["results"][0]["status"] == "rejected", body
    assert body["results"][0]["errors"] == {
        "__all__": ["You may not update articles (news.article)."]
    }
    assert Article.objects.get(pk=record["pk"]).title == record["fields"]["title"]


def test_user_without_view_permission_does_not_see_the_model_in_schema_or_feed(editor1, newsroom):
    User.objects.get(username="editor1").user_permissions.remove(
        Permission.objects.get(codename="view_photo")
    )

    _, schema = editor1.get("schema")
    _, feed = editor1.changes(newsroom)

    assert "news.photo" not in [m["label"] for m in schema["models"]]
    assert "news.article" in [m["label"] for m in schema["models"]]
    assert {c["model"] for c in feed["changes"]} == {"news.article"}


def test_reference_data_is_read_only_unless_configured(editor1, newsroom):
    status, body = editor1.push(
        {
            "id": str(uuid.uuid4()),
            "op": "create",
            "model": "news.author",
            "pk": f"tmp:{uuid.uuid4()}",
            "values": {"name": "Someone"},
        }
    )
    assert status == 200 and body["results"][0]["status"] == "rejected", body
    assert not Author.objects.filter(name="Someone").exists()


def test_token_is_never_echoed_in_error_answers(editor1, newsroom):
    Device.objects.update(revoked_at="2026-01-01T00:00Z")
    status, body = editor1.get("categories")
    assert status == 401 and editor1.token not in str(body)


def test_second_login_makes_a_second_device(newsroom):
    first, second = login("editor1", "a"), login("editor1", "b")
    assert first.token != second.token
    assert Device.objects.filter(user__username="editor1").count() == 2
