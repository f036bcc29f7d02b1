"""No change can get stuck, in the local store alone (no server, fast): discarding,
deleting new records, take-mine on a record the server deleted, and the words
`checkin` uses. The end-to-end walk is test_stuck_changes.py."""

from __future__ import annotations

import json

import pytest

from tests.support import sample_store
from tests.support.sample_store import POLITICS

ARTICLE, PHOTO, TAG = "news.article", "news.photo", "news.tag"


@pytest.fixture
def store(local_store):
    return local_store  # one store per process (tests/client/conftest.py)


@pytest.fixture
def newsroom(store):
    """The sample newsroom: a queued edit (Budget vote delayed), a new photo (River
    crossing), a queued delete (Old polling station list), a conflict (Mayor resigns)."""
    import shutil

    from fieldsync_tui.store.schema import Schema
    from fieldsync_tui.store.set_aside import folder

    sample_store.fill()
    shutil.rmtree(folder(), ignore_errors=True)
    return Schema(sample_store.SCHEMA)


def record(title: str):
    from fieldsync_tui.store.models import Record

    return Record.objects.get(title=title)


def set_aside_files(store) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((store / "set-aside").glob("*.json"))]


def discard(schema, title: str):
    from fieldsync_tui.store.discard import discard_changes

    return discard_changes(schema, record(title).pk)


def fail(error, schema, title: str) -> str:
    with pytest.raises(error) as raised:
        discard(schema, title)
    return str(raised.value)


# -- discard -----------------------------------------------------------------------------


def test_discarding_a_queued_edit_puts_the_server_values_back_and_keeps_mine_in_a_file(
    store, newsroom
):
    budget = record("Budget vote delayed")
    base, mine = budget.base_values, budget.values

    done = discard(newsroom, "Budget vote delayed")

    after = record("Budget vote delayed")
    assert after.values == base and not after.pending and after.changes.count() == 0
    assert (done.removed, done.version, done.state) == (False, budget.base_version, "queued")
    (kept,) = set_aside_files(store)
    assert kept["values"] == {"status": mine["status"]} and kept["base_values"] == {
        "status": base["status"]
    }
    assert (kept["model"], kept["pk"], kept["title"]) == (ARTICLE, budget.object_pk, budget.title)
    assert "discarded a queued edit" in kept["reason"]
    assert str(done.set_aside) in done.summary() and done.set_aside.parent == store / "set-aside"


def test_discarding_a_new_record_removes_it_and_keeps_all_its_values(store, newsroom):
    from fieldsync_tui.store.models import PendingChange, Record

    photo = record("River crossing")

    done = discard(newsroom, "River crossing")

    assert done.removed and "gone from this store" in done.summary()
    assert not Record.objects.filter(pk=photo.pk).exists()
    assert not PendingChange.objects.filter(record_id=photo.pk).exists()
    (kept,) = set_aside_files(store)
    assert kept["values"] == photo.values and kept["change"] == "create"


def test_discarding_a_queued_delete_brings_the_record_back(store, newsroom):
    done = discard(newsroom, "Old polling station list")

    old = record("Old polling station list")
    assert not old.deleted and not old.pending and old.values == old.base_values
    assert done.op == "delete" and not done.removed


def test_discarding_a_conflict_takes_the_server_version_it_brought(store, newsroom):
    conflict = record("Mayor resigns").conflicts.get()

    done = discard(newsroom, "Mayor resigns")

    mayor = record("Mayor resigns")
    assert mayor.values == conflict.theirs == mayor.base_values
    assert mayor.base_version == conflict.theirs_version == done.version
    assert not mayor.conflicted and mayor.conflicts.filter(resolved_at=None).count() == 0
    (kept,) = set_aside_files(store)
    assert kept["values"] == {
        "body": sample_store.MAYOR_MINE,
        "status": "published",
    } and kept["state"] == ("conflict")


def test_a_record_with_nothing_waiting_is_refused_and_no_file_is_written(store, newsroom):
    from fieldsync_tui.store.edits import EditError

    assert "nothing to discard" in fail(EditError, newsroom, "Bridge reopens after repairs")
    assert set_aside_files(store) == []


def test_a_change_waiting_for_review_is_refused_and_stays(store, newsroom):
    from fieldsync_tui.store.edits import EditError
    from fieldsync_tui.store.models import PendingChange

    record("Budget vote delayed").changes.update(state=PendingChange.REVIEW, payload={})

    assert "chief editor" in fail(EditError, newsroom, "Budget vote delayed")
    assert record("Budget vote delayed").changes.count() == 1 and set_aside_files(store) == []


def test_a_change_is_found_by_its_queue_id(store, newsroom):
    from fieldsync_tui.store.discard import change_record
    from fieldsync_tui.store.edits import EditError

    entry = record("Budget vote delayed").changes.get()
    assert change_record(entry.pk).title == "Budget vote delayed"
    with pytest.raises(EditError, match="no change with id 9999"):
        change_record(9999)


# -- deleting new records --------------------------------------------------------------


def _new_article_with_a_photo(schema):
    from fieldsync_tui.store import edits

    article = edits.create_record(
        schema, ARTICLE, {"title": "Made here", "body": "Text."}, category=POLITICS
    )
    edits.create_record(schema, PHOTO, {"article": article.object_pk, "caption": "Its photo"})
    return article


def test_a_new_record_others_point_at_is_neither_deleted_nor_discarded(store, newsroom):
    from fieldsync_tui.store import edits

    article = _new_article_with_a_photo(newsroom)

    with pytest.raises(edits.EditError, match="photo “Its photo”"):
        edits.delete_record(newsroom, ARTICLE, article.object_pk)
    assert "photo “Its photo”" in fail(edits.EditError, newsroom, "Made here")
    assert record("Made here").changes.count() == 1


def test_deleting_a_rejected_new_record_removes_it_and_sends_nothing(store, newsroom):
    from fieldsync_tui.store import edits
    from fieldsync_tui.store.models import PendingChange, Record

    photo = record("River crossing")
    photo.changes.update(state=PendingChange.REJECTED, payload={"op": "create"})

    assert edits.delete_record(newsroom, PHOTO, photo.object_pk) is None
    assert not Record.objects.filter(pk=photo.pk).exists()
    assert not PendingChange.objects.filter(record_id=photo.pk).exists()


def test_deleting_a_new_record_sent_without_an_answer_waits_for_the_answer(store, newsroom):
    from fieldsync_tui.store import edits

    photo = record("River crossing")
    photo.changes.update(payload={"op": "create"})  # sent; the answer was lost

    edits.delete_record(newsroom, PHOTO, photo.object_pk)

    assert record("River crossing").deleted
    assert [c.op for c in photo.changes.order_by("id")] == ["create", "delete"]


def test_a_refused_creation_of_a_record_deleted_meanwhile_takes_its_delete_along(store, newsroom):
    """The server wrote nothing: the queued delete has nothing to delete, and sending it
    (with no base version) would only be refused in its turn."""
    from fieldsync_tui.store import edits
    from fieldsync_tui.store.models import PendingChange, Record
    from fieldsync_tui.sync.apply import apply_push_result

    photo = record("River crossing")
    photo.changes.update(payload={"op": "create"})  # sent; the answer was lost
    edits.delete_record(newsroom, PHOTO, photo.object_pk)
    create = PendingChange.objects.get(record_id=photo.pk, op="create")

    status = apply_push_result(
        newsroom, create, {"status": "rejected", "errors": {"caption": ["too long"]}}
    )

    assert status == "rejected"
    assert not Record.objects.filter(pk=photo.pk).exists()
    assert not PendingChange.objects.filter(record_id=photo.pk).exists()


def test_a_new_edit_replaces_a_rejected_change(store, newsroom):
    from fieldsync_tui.store import edits
    from fieldsync_tui.store.models import PendingChange

    budget = record("Budget vote delayed")
    budget.changes.update(state=PendingChange.REJECTED, payload={"op": "update"})

    edits.update_record(newsroom, ARTICLE, budget.object_pk, {"status": "published"})

    (entry,) = budget.changes.all()
    assert entry.state == PendingChange.QUEUED and entry.payload is None


# -- take mine on a record the server deleted ----------------------------------------------


def _deleted_on_the_server(title: str):
    """The record's local edits met its deletion on the server: a conflict."""
    from fieldsync_tui.store.models import Conflict

    found = record(title)
    found.changes.all().delete()
    found.conflicted, found.pending = True, False
    found.save()
    return Conflict.objects.create(
        record=found, op="update", base_version=found.base_version,
        base_values=found.base_values, mine=found.values, theirs=None,
        theirs_version=(found.base_version or 0) + 1, fields={},
    )  # fmt: skip


def test_take_mine_on_an_integer_key_deleted_on_the_server_creates_it_under_a_temporary_id(
    store, newsroom
):
    from fieldsync_tui.store import edits
    from fieldsync_tui.sync.apply import freeze
    from fieldsync_tui.sync.conflicts import resolve

    edits.update_record(newsroom, TAG, "2", {"name": "city hall"})
    edits.update_record(newsroom, ARTICLE, record("Council approves new bus routes").object_pk,
                        {"tags": [1, 2]})  # fmt: skip
    conflict = _deleted_on_the_server("city hall")

    tag = resolve(newsroom, conflict.pk, "mine")

    assert tag.object_pk.startswith("tmp:") and tag.values["name"] == "city hall"
    (entry,) = tag.changes.all()
    assert entry.op == "create" and freeze(newsroom, entry)["pk"] == tag.object_pk
    # the editor's own work follows the record to its new id ...
    assert record("Council approves new bus routes").values["tags"] == [1, tag.object_pk]
    assert record("Mayor resigns").conflicts.get().mine["tags"] == [tag.object_pk]
    # ... a record the editor did not touch keeps the server's values
    assert record("Bridge reopens after repairs").values["tags"] == [2]


def test_take_mine_on_a_uuid_key_deleted_on_the_server_creates_it_with_its_id(store, newsroom):
    from fieldsync_tui.sync.apply import freeze
    from fieldsync_tui.sync.conflicts import resolve

    pk = record("Budget vote delayed").object_pk
    conflict = _deleted_on_the_server("Budget vote delayed")

    article = resolve(newsroom, conflict.pk, "mine")

    assert article.object_pk == pk
    (entry,) = article.changes.all()
    assert entry.op == "create" and freeze(newsroom, entry)["pk"] == pk


# -- what the editor reads ------------------------------------------------------------------


def test_checkin_names_each_blocking_record_with_its_way_out(store, newsroom):
    from fieldsync_tui.store.models import PendingChange
    from fieldsync_tui.sync import blockers

    budget = record("Budget vote delayed").changes.get()
    budget.state, budget.errors = PendingChange.REJECTED, {"status": ["Not a valid choice."]}
    budget.save()
    conflict = record("Mayor resigns").conflicts.get()

    rows = blockers.blocking(POLITICS)
    message = blockers.describe("Politics", rows)
    in_app = blockers.describe("Politics", rows, app=True)

    lines = message.splitlines()
    assert lines[0] == (
        "Politics cannot be checked in: 4 records have changes the server has not taken."
    )
    assert sorted(line.split(":")[0].strip() for line in lines[1:]) == [
        'article "Budget vote delayed"', 'article "Mayor resigns"',
        'article "Old polling station list"', 'photo "River crossing"',
    ]  # fmt: skip
    by_title = {line.split('"')[1]: line for line in lines[1:]}
    assert "rejected (status: Not a valid choice.)" in by_title["Budget vote delayed"]
    assert f"fieldsync discard {budget.pk}`" in by_title["Budget vote delayed"]
    mayor = by_title["Mayor resigns"]
    assert f"fieldsync resolve {conflict.pk} --take mine|theirs|merge" in mayor
    assert f"fieldsync discard {ARTICLE} {conflict.record.object_pk}`" in mayor
    assert "cannot reach the server" in by_title["River crossing"]
    assert "fieldsync " not in in_app and "(u, then d)" in in_app and "resolve it (x)" in in_app


def test_rejected_changes_list_each_field_with_its_reason(store, newsroom):
    from fieldsync_tui.store import queries
    from fieldsync_tui.store.models import PendingChange

    budget = record("Budget vote delayed").changes.get()
    budget.state = PendingChange.REJECTED
    budget.errors = {"status": ["Not a valid choice."], "title": ["Too long.", "Taken."]}
    budget.save()

    (listed,) = queries.rejected_changes()

    assert (listed["id"], listed["op"], listed["model"], listed["title"]) == (
        budget.pk, "update", ARTICLE, "Budget vote delayed",
    )  # fmt: skip
    assert listed["reasons"] == ["status: Not a valid choice.", "title: Too long. Taken."]


def test_each_set_aside_is_its_own_file_and_is_read_back(store, newsroom):
    from fieldsync_tui.store.set_aside import entries, set_aside

    budget = record("Budget vote delayed")
    first = set_aside(budget, {"status": "draft"}, "a field the site removed")
    second = set_aside(budget, {"status": "draft"}, "a field the site removed")

    assert first != second and first.parent == second.parent == store / "set-aside"
    assert [e["reason"] for e in entries()] == ["a field the site removed"] * 2


def test_a_record_with_a_rejected_change_takes_the_servers_next_version(store, newsroom):
    """The load run: once the server changed a record whose change it had refused, every
    sync of the folder failed ("has a change sent but unanswered; push first"), as the
    refused change's kept payload was taken for one on its way: the folder was stuck.
    The server's version is merged in like under any unsent edit, the refusal stays."""
    from fieldsync_tui.store.models import Category, PendingChange
    from fieldsync_tui.sync.apply import apply_feed_page

    budget = record("Budget vote delayed")
    budget.changes.update(state=PendingChange.REJECTED, payload={"op": "update"})
    theirs = {**budget.base_values, "title": "Budget vote delayed again"}
    page = {"changes": [{"model": ARTICLE, "pk": budget.object_pk,
                         "version": budget.base_version + 1, "fields": theirs}]}  # fmt: skip

    counts = apply_feed_page(newsroom, Category.objects.get(key=POLITICS), page)

    after = record("Budget vote delayed again")
    assert counts["updated"] == 1 and after.base_version == budget.base_version + 1
    assert after.values["status"] == budget.values["status"], "the editor's value kept"
    assert after.changes.get().state == PendingChange.REJECTED
