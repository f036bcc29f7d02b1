"""An edit the editor's rights do not allow is refused offline, in one line, before
anything is queued (the schema's `may`): the wildlife trial queued them all and
the sync then stopped on the server's refusal. In the local store alone (fast)."""

from __future__ import annotations

import copy

import pytest

from tests.support import sample_store
from tests.support.sample_store import POLITICS

ARTICLE, PHOTO = "news.article", "news.photo"


@pytest.fixture
def store(local_store):
    return local_store  # one store per process (tests/client/conftest.py)


def schema_where(**may):
    """The sample newsroom's schema, the user holding only `may` on the models named."""
    from fieldsync_tui.store.schema import Schema

    data = copy.deepcopy(sample_store.SCHEMA)
    for model in data["models"]:
        name = model["label"].split(".")[-1]
        model["may"] = may.get(name, ["view", "add", "change", "delete"])
    return Schema(data)


@pytest.fixture
def newsroom(store):
    sample_store.fill()


def queued() -> list[tuple]:
    from fieldsync_tui.store.models import PendingChange

    return list(PendingChange.objects.values_list("record__title", "op").order_by("id"))


def record(title: str):
    from fieldsync_tui.store.models import Record

    return Record.objects.get(title=title)


def refused(edit, *args) -> str:
    from fieldsync_tui.store.edits import EditError

    before = queued()
    with pytest.raises(EditError) as raised:
        edit(*args)
    assert queued() == before, "nothing is queued when the edit is refused"
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_creating_without_the_add_right_is_refused_before_anything_is_queued(store, newsroom):
    from fieldsync_tui.store.edits import create_record

    schema = schema_where(article=["view", "change"])
    values = {"title": "Made offline", "body": "Text."}

    message = refused(create_record, schema, ARTICLE, values, POLITICS)

    from fieldsync_tui.store.models import Record

    assert message == "You may not create articles (news.article)."
    assert not Record.objects.filter(title="Made offline").exists()


def test_editing_without_the_change_right_is_refused(store, newsroom):
    from fieldsync_tui.store.edits import update_record

    schema = schema_where(article=["view", "add", "delete"])
    mayor = record("Bridge reopens after repairs")

    message = refused(update_record, schema, ARTICLE, mayor.object_pk, {"title": "New title"})

    assert message == "You may not update articles (news.article)."
    assert record("Bridge reopens after repairs").values == mayor.values


def test_deleting_without_the_delete_right_is_refused(store, newsroom):
    from fieldsync_tui.store.edits import delete_record

    schema = schema_where(article=["view", "add", "change"])
    bridge = record("Bridge reopens after repairs")

    message = refused(delete_record, schema, ARTICLE, bridge.object_pk)

    assert message == "You may not delete articles (news.article)."
    assert not record("Bridge reopens after repairs").deleted


def test_a_new_record_is_edited_with_the_add_right_and_removed_without_the_delete_right(
    store, newsroom
):
    """A record the server never saw: editing it still sends a create, and
    deleting it only removes it here, so neither needs `change` or `delete`."""
    from fieldsync_tui.store.edits import create_record, delete_record, update_record

    schema = schema_where(photo=["view", "add"])
    photo = record("River crossing")

    update_record(schema, PHOTO, photo.object_pk, {"caption": "River crossing at dawn"})
    assert ("River crossing at dawn", "create") in queued()
    assert delete_record(schema, PHOTO, photo.object_pk) is None

    schema = schema_where(photo=["view", "change"])
    values = {"article": record("Mayor resigns").object_pk, "caption": "Another"}
    message = refused(create_record, schema, PHOTO, values)
    assert message == "You may not create photos (news.photo)."


def test_read_only_reference_data_is_refused_as_such_whatever_the_rights(store, newsroom):
    from fieldsync_tui.store.edits import create_record

    message = refused(create_record, schema_where(author=["view"]), "news.author", {"name": "X"})

    assert message == "news.author is read-only reference data"


def test_a_schema_that_does_not_say_leaves_the_decision_to_the_server(store, newsroom):
    from fieldsync_tui.store.edits import update_record
    from fieldsync_tui.store.schema import Schema

    bridge = record("Bridge reopens after repairs")

    update_record(Schema(sample_store.SCHEMA), ARTICLE, bridge.object_pk, {"title": "Renamed"})

    assert ("Renamed", "update") in queued()


# -- what check-in says of a change the server rejected ----------------------------------


def test_checkin_offers_a_new_edit_or_discard_for_a_rejected_change_never_another_sync(
    store, newsroom
):
    from fieldsync_tui.store.models import PendingChange
    from fieldsync_tui.sync import blockers

    photo = record("River crossing").changes.get()
    photo.state = PendingChange.REJECTED
    photo.errors = {"article": ["article instance with id 7 is not a valid choice."]}
    photo.save()
    old = record("Old polling station list").changes.get()
    old.state = PendingChange.REJECTED
    old.errors = {"__all__": ["You may not delete articles (news.article)."]}
    old.save()

    lines = blockers.describe("Politics", blockers.blocking(POLITICS)).splitlines()

    by_title = {line.split('"')[1]: line for line in lines[1:]}
    crossing, polling = by_title["River crossing"], by_title["Old polling station list"]
    assert "rejected (article: article instance with id 7 is not a valid choice.)" in crossing
    assert f"--set article=VALUE`, or drop it with `fieldsync discard {photo.pk}`" in crossing
    assert "rejected (You may not delete articles (news.article).)" in polling
    assert polling.endswith(f"drop it with `fieldsync discard {old.pk}`")
    assert not any("fieldsync sync" in line for line in (crossing, polling))


def test_a_record_for_a_category_not_checked_out_here_is_refused_naming_it(store, newsroom):
    from fieldsync_tui.store.edits import create_record
    from fieldsync_tui.store.models import Category

    culture = Category.objects.get(name="Culture").key
    values = {"title": "Made offline", "body": "Text."}

    message = refused(create_record, schema_where(), ARTICLE, values, culture)

    assert message == "Culture is not checked out on this device: check it out first"
