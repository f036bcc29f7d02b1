"""The audit's findings on the push path, each as the fuzzer met it, through the API.

A request that is not a push of this site's records is a 400 naming the part
(`where`) and writes nothing; a change is applied at most once whatever its
id's spelling; a clock stamp stored before stamps were checked never makes a
later write fail.
"""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType

from server_plugin import history, review
from server_plugin.demo.news.models import Article, Photo, Section
from server_plugin.models import ChangeReceipt, RecordVersion, ReviewItem, TrackedRow
from server_plugin.protocol import hlc

from .conftest import article_in, pulled, stored_state, update, version_of
from .test_admin import _admin_client, _change_form_data
from .test_policies import with_policy


@pytest.fixture
def politics(editor1, newsroom):
    """editor1 holds Politics and has pulled one of its articles."""
    editor1.checkout(newsroom)
    article = article_in(newsroom)
    return editor1, article, pulled(editor1, newsroom, article.pk)


def refused(api, *changes, raw: bytes | None = None) -> dict:
    """Push, expecting a 400 that wrote nothing; returns the answer."""
    before = stored_state()
    status, body = api.post("push", raw=raw) if raw is not None else api.push(*changes)
    assert status == 400, body
    assert body["error"] in ("bad_request", "malformed_json") and body["detail"]
    assert stored_state() == before
    return body


# -- 1. a bad clock stamp poisoned a row --------------------------------------------------


@pytest.mark.parametrize(
    "stamp",
    ["not-a-stamp", "1767225600000-0000-" + "x" * 100_000, "x" * 41, 1767225600000],
    ids=["not-a-stamp", "100000-characters", "41-characters", "a-number"],
)
def test_a_stamp_that_is_not_one_is_refused_and_stored_nowhere(politics, stamp):
    api, _article, record = politics
    body = refused(api, {**update(record, {"title": "Stamped"}), "hlc": stamp})
    assert body["where"] == "changes[0].hlc"


@pytest.fixture(params=["not-a-stamp", "z" * 40], ids=["not-a-stamp", "40-characters"])
def poisoned(request, politics):
    """An article whose side-table row holds a stamp that is not one, as a push
    stored it before stamps were checked."""
    api, article, record = politics
    rows = TrackedRow.objects.filter(
        content_type=ContentType.objects.get_for_model(Article), object_pk=str(article.pk)
    )
    assert rows.update(hlc=request.param) == 1
    return api, article, record


def test_the_admin_saves_a_row_holding_a_bad_stamp(poisoned, newsroom):
    api, article, _ = poisoned
    admin = _admin_client()
    url = f"/admin/news/article/{article.pk}/change/"
    data = {**_change_form_data(admin.get(url)), "title": "Saved by the chief"}

    response = admin.post(url, data)

    assert response.status_code == 302, response.content[:500]
    seen = pulled(api, newsroom, article.pk)
    assert seen["fields"]["title"] == "Saved by the chief"


def test_a_push_without_a_stamp_updates_a_row_holding_a_bad_one(poisoned):
    api, article, record = poisoned
    status, body = api.push(update(record, {"title": "Pushed without a stamp"}))
    assert status == 200 and body["results"][0]["status"] == "applied", body
    article.refresh_from_db()
    assert article.title == "Pushed without a stamp"


def test_last_writer_takes_any_real_stamp_as_later_than_a_bad_one(poisoned):
    api, article, record = poisoned
    article.title = "Central title"
    article.save()  # the central write gets a fresh stamp of its own
    rows = TrackedRow.objects.filter(object_pk=str(article.pk))
    rows.update(hlc="not-a-stamp")
    stamp = hlc.tick(None, "laptop", now_ms=946684800000)  # older than any central write
    with with_policy("last-writer"):
        _, body = api.push({**update(record, {"title": "Offline title"}), "hlc": stamp})
    assert body["results"][0]["status"] == "merged", body
    article.refresh_from_db()
    assert article.title == "Offline title"


def test_restoring_a_row_holding_a_bad_stamp_works(poisoned):
    api, article, record = poisoned
    api.push(update(record, {"title": "Regrettable title"}))
    TrackedRow.objects.filter(object_pk=str(article.pk)).update(hlc="not-a-stamp")
    kept = RecordVersion.objects.get(object_pk=str(article.pk))

    history.restore(kept, User.objects.get(username="chief"))

    article.refresh_from_db()
    assert article.title == record["fields"]["title"]


def test_accepting_a_queued_update_of_a_row_holding_a_bad_stamp_works(poisoned):
    api, article, record = poisoned
    with with_policy("review"):
        _, body = api.push(update(record, {"title": "Waiting for the chief"}))
        assert body["results"][0]["status"] == "review", body
        result = review.accept(ReviewItem.objects.get(), User.objects.get(username="chief"))
    assert result["status"] == "applied"
    article.refresh_from_db()
    assert article.title == "Waiting for the chief"


# -- 2. the same change applied again under other spellings of its id ----------------------


def spellings(change_id: uuid.UUID) -> list[str]:
    text = str(change_id)
    return [
        text.upper(),
        change_id.hex,
        change_id.hex.upper(),
        "{" + text + "}",
        "urn:uuid:" + text,
    ]


def test_one_change_under_six_spellings_of_its_id_is_applied_once(politics):
    api, article, record = politics
    change_id = uuid.uuid4()
    change = update(record, {"title": "Once"}, change_id=str(change_id))
    status, first = api.push(change)
    assert status == 200 and first["results"][0]["status"] == "applied"
    version = version_of(article)

    for spelling in spellings(change_id):
        body = refused(api, {**change, "id": spelling})
        assert body["where"] == "changes[0].id" and str(change_id) in body["detail"]

    assert api.push(change) == (200, first)  # the one spelling: answered from its receipt
    assert version_of(article) == version
    assert ChangeReceipt.objects.count() == 1


def test_another_devices_change_id_is_refused_whatever_its_spelling(politics, editor2):
    api, _article, record = politics
    change_id = uuid.uuid4()
    api.push(update(record, {"title": "editor1's"}, change_id=str(change_id)))
    culture = Section.objects.get(name="Culture")
    editor2.checkout(culture)
    theirs = update(pulled(editor2, culture, article_in(culture).pk), {"title": "editor2's"})

    before = stored_state()
    status, body = editor2.push({**theirs, "id": str(change_id)})
    assert (status, body["error"], body["where"]) == (409, "duplicate_change_id", "changes[0].id")
    for spelling in spellings(change_id):
        assert refused(editor2, {**theirs, "id": spelling})["where"] == "changes[0].id"
    assert stored_state() == before


def test_a_new_change_with_a_hex_id_is_refused_not_a_500(politics):
    api, _article, record = politics
    body = refused(api, update(record, {"title": "Hex"}, change_id=uuid.uuid4().hex))
    assert body["where"] == "changes[0].id"


def test_review_outcomes_are_asked_by_the_one_spelling_too(politics):
    api, _article, record = politics
    with with_policy("review"):
        change = update(record, {"title": "Queued"})
        api.push(change)
    status, body = api.post("reviews", {"ids": [change["id"]]})
    assert status == 200 and body["outcomes"][change["id"]]["status"] == "pending"
    status, body = api.post("reviews", {"ids": [change["id"], change["id"].upper()]})
    assert (status, body["where"]) == (400, "ids[1]")


# -- 3. other 500s --------------------------------------------------------------------------


def test_json_nested_five_thousand_deep_is_refused(politics):
    api, _, _ = politics
    body = refused(api, raw=b'{"changes": ' + b"[" * 5000 + b"]" * 5000 + b"}")
    assert "nested more than" in body["detail"]


def test_a_five_thousand_digit_integer_is_refused(politics):
    api, _, record = politics
    raw = b'{"changes": [{"id": "%s", "op": "update", "model": "news.photo", "pk": %s}]}' % (
        str(uuid.uuid4()).encode(),
        b"7" * 5000,
    )
    assert "digits" in refused(api, raw=raw)["detail"]


@pytest.mark.parametrize("pk", [2**63, 2**63 - 1, -(2**63)])
def test_a_key_beyond_its_column_is_refused_naming_it(politics, pk):
    api, _, _ = politics
    photo = Photo.objects.first()
    change = {
        "id": str(uuid.uuid4()), "op": "update", "model": "news.photo", "pk": pk,
        "base_version": 1, "base_values": {"credit": photo.credit}, "values": {"credit": "x"},
    }  # fmt: skip
    status, body = api.push(change)
    if pk == 2**63:  # beyond every 64-bit column: the wire refuses it
        assert (status, body["where"]) == (400, "changes[0].pk")
    else:  # a 64-bit key of no photo
        assert status == 200 and body["results"][0]["status"] == "rejected", body


def test_a_key_of_the_wrong_type_for_its_model_is_refused_naming_it(politics):
    api, _, record = politics
    assert refused(api, {**update(record, {"title": "x"}), "pk": 12})["where"] == "changes[0].pk"
    photo = Photo.objects.first()
    change = {"id": str(uuid.uuid4()), "op": "delete", "model": "news.photo",
              "pk": str(photo.pk), "base_version": 1}  # fmt: skip
    assert refused(api, change)["where"] == "changes[0].pk"


@pytest.mark.parametrize("ids", [[2**63], [-1, 2**63 - 1], ["1"]])
def test_a_many_to_many_id_beyond_its_column_rejects_the_change_naming_the_field(politics, ids):
    api, article, record = politics
    before = stored_state()
    status, body = api.push(update(record, {"tags": ids}))
    (result,) = body["results"]
    assert status == 200 and result["status"] == "rejected" and "tags" in result["errors"]
    after = stored_state()
    assert after.pop("fieldsync.ChangeReceipt") != before.pop("fieldsync.ChangeReceipt")
    assert after == before  # the answer is recorded; nothing else is written


@pytest.mark.parametrize(
    ("name", "value"),
    [("since", str(2**63)), ("since", "9" * 5000), ("limit", "１２"), ("since", "1e3")],
)
def test_feed_parameters_beyond_a_position_are_refused_renewing_nothing(politics, name, value):
    api, article, _ = politics
    before = stored_state()
    status, body = api.get(f"categories/{article.section_id}/changes", **{name: value})
    assert (status, body["where"]) == (400, name)
    assert stored_state() == before  # the checkout was not renewed either


# -- 4. accepted though invalid ---------------------------------------------------------------


def test_a_negative_base_version_is_refused(politics):
    api, _, record = politics
    body = refused(api, {**update(record, {"title": "x"}), "base_version": -1})
    assert body["where"] == "changes[0].base_version"


@pytest.mark.parametrize(
    "temp",
    ["tmp:" + "x" * 100_000, "tmp:photo-1", "tmp:3F2C8A1E-0D4B-4C1E-9A7F-0A1B2C3D4E5F"],
    ids=["100000-characters", "not-a-uuid", "upper-case"],
)
def test_a_temporary_id_that_is_not_tmp_and_a_uuid_is_refused(politics, temp):
    api, article, _ = politics
    change = {
        "id": str(uuid.uuid4()), "op": "create", "model": "news.photo", "pk": temp,
        "values": {"article": str(article.pk), "caption": "River", "credit": ""},
    }  # fmt: skip
    assert refused(api, change)["where"] == "changes[0].pk"


def test_a_reference_to_a_malformed_temporary_id_rejects_the_change_naming_the_field(politics):
    api, article, _ = politics
    change = {
        "id": str(uuid.uuid4()), "op": "create", "model": "news.photo",
        "pk": f"tmp:{uuid.uuid4()}", "values": {"article": "tmp:" + "x" * 1000, "caption": "c"},
    }  # fmt: skip
    status, body = api.push(change)
    (result,) = body["results"]
    assert status == 200 and result["status"] == "rejected" and "article" in result["errors"]


def test_a_key_a_change_does_not_have_is_refused_by_name(politics):
    api, _, record = politics
    body = refused(api, {**update(record, {"title": "x"}), "base_verison": 3})
    assert body["where"] == "changes[0].base_verison"
