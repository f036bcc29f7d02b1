"""Bad input gets a clear 4xx with a JSON body naming the problem, and changes nothing."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from django.test import override_settings

from server_plugin.demo.news.models import Section

from .conftest import article_in, pulled, update


@pytest.fixture
def ready(editor1, newsroom):
    """editor1 holds Politics and has one good change ready to push."""
    editor1.checkout(newsroom)
    record = pulled(editor1, newsroom, article_in(newsroom).pk)
    return editor1, update(record, {"title": "A good change"})


def test_malformed_json_is_400(ready, nothing_written):
    api, _ = ready
    status, body = api.post("push", raw=b'{"changes": [')
    assert status == 400 and body["error"] == "malformed_json"


def test_body_that_is_not_an_object_is_400(ready, nothing_written):
    api, _ = ready
    status, body = api.post("push", raw=b"[1, 2]")
    assert status == 400 and "JSON object" in body["detail"]


@pytest.mark.parametrize(
    ("broken", "where"),
    [
        ({"base_version": "three"}, "changes[1].base_version"),
        ({"op": "upsert"}, "changes[1].op"),
        ({"id": "not-a-uuid"}, "changes[1].id"),
        ({"values": ["title"]}, "changes[1].values"),
        ({"pk": True}, "changes[1].pk"),
    ],
)
def test_wrong_types_in_a_change_are_400_naming_the_place(ready, nothing_written, broken, where):
    api, good = ready
    status, body = api.push(good, {**good, "id": str(uuid.uuid4()), **broken})
    assert status == 400 and body["where"] == where


def test_unknown_model_is_400(ready, nothing_written):
    api, good = ready
    status, body = api.push(good, {**good, "id": str(uuid.uuid4()), "model": "news.comment"})
    assert (
        status == 400 and "news.comment" in body["detail"] and body["where"] == "changes[1].model"
    )


def test_unknown_field_is_400(ready, nothing_written):
    api, good = ready
    status, body = api.push({**good, "values": {"title": "x", "headline": "y"}})
    assert status == 400 and "'headline'" in body["detail"]


def test_field_left_out_of_sync_is_unknown_too(ready, nothing_written):
    api, good = ready
    status, body = api.push({**good, "values": {"updated_at": "2026-01-01T00:00:00Z"}})
    assert status == 400 and "'updated_at'" in body["detail"]


@override_settings(FIELDSYNC={**settings.FIELDSYNC, "MAX_BODY_BYTES": 2000})
def test_oversize_body_is_413(ready, nothing_written):
    api, good = ready
    status, body = api.push({**good, "values": {"body": "x" * 5000}})
    assert status == 413 and body["error"] == "too_large" and "2000" in body["detail"]


def test_too_many_changes_in_one_push_is_400(ready, nothing_written):
    api, good = ready
    changes = [{**good, "id": str(uuid.uuid4())} for _ in range(1001)]
    status, body = api.push(*changes)
    assert status == 400 and "at most 1000" in body["detail"]


def test_push_to_a_category_this_device_has_not_checked_out_is_409(ready, nothing_written):
    api, good = ready
    culture = Section.objects.get(name="Culture")
    other = pulled(api, culture, article_in(culture).pk)
    status, body = api.push(good, update(other, {"title": "Not mine to edit"}))
    assert (
        status == 409 and body["error"] == "not_checked_out" and body["category"] == str(culture.pk)
    )
    assert body["detail"] == (
        "Culture is not checked out by this device: check it out again and sync, and the "
        "same changes go through."
    )


def test_moving_a_record_into_a_category_not_checked_out_is_409(ready, nothing_written):
    api, good = ready
    culture = Section.objects.get(name="Culture")
    status, body = api.push({**good, "values": {"section": culture.pk}})
    assert status == 409 and body["error"] == "not_checked_out"


def test_push_into_a_category_held_by_another_editor_is_409(ready, editor2, nothing_written):
    _, good = ready
    status, body = editor2.push(good)
    assert status == 409 and body["error"] == "not_checked_out"


def test_invalid_query_parameters_are_400(editor1, newsroom):
    status, body = editor1.get(f"categories/{newsroom.pk}/changes", since="yesterday")
    assert status == 400 and "since" in body["detail"]
    status, body = editor1.get(f"categories/{newsroom.pk}/changes", limit="-5")
    assert status == 400


def test_wrong_http_method_is_405_with_json(editor1):
    status, body = editor1.get("push")
    assert status == 405 and body["error"] == "method_not_allowed"


def test_login_with_missing_fields_is_400(db):
    from .conftest import Api

    status, body = Api().post("auth/token", {"username": "editor1"})
    assert status == 400 and body["where"] == "password"


def test_unknown_category_is_403_like_a_foreign_one(editor1):
    status, body = editor1.checkout(Section(pk=999999))
    assert status == 403


def test_unknown_path_under_the_api_is_a_json_404(db):
    from .conftest import Api

    status, body = Api().get("categoriez")
    assert status == 404 and body["error"] == "not_found"
