"""A pulled page lands in the store exactly as the server sent it, in the local store
alone (no server): new records (written in bulk), a record the same page names
twice, records already held, reference data. What the editor then reads is what
the feed said, value for value."""

from __future__ import annotations

import pytest

from tests.support import sample_store
from tests.support.sample_store import POLITICS

ARTICLE, TAG = "news.article", "news.tag"


@pytest.fixture
def schema(local_store):
    from fieldsync_tui.store.models import Conflict, PendingChange, Record
    from fieldsync_tui.store.schema import Schema

    sample_store.fill()
    PendingChange.objects.all().delete()
    Conflict.objects.all().delete()
    Record.objects.all().delete()
    return Schema(sample_store.SCHEMA)


def article(pk: str, version: int, title: str, **more) -> dict:
    fields = {"section": 1, "title": title, "body": "Body of " + title, "status": "draft",
              "published_on": None, "featured": False, "author": None, "tags": []}  # fmt: skip
    fields.update(more)
    return {"model": ARTICLE, "pk": pk, "version": version, "fields": fields}


def apply(schema, changes: list[dict]) -> dict:
    from django.db import transaction

    from fieldsync_tui.store.models import Category
    from fieldsync_tui.sync.apply import apply_feed_page

    category = Category.objects.get(key=POLITICS)
    with transaction.atomic():
        return apply_feed_page(schema, category, {"changes": changes, "cursor": 9, "more": False})


def held(pk: str, model: str = ARTICLE):
    from fieldsync_tui.store.models import Record

    return Record.objects.get(model=model, object_pk=pk)


def test_new_records_hold_the_values_the_page_sent(schema):
    odd = {"body": "Ünïcödé \"quoted\" \\ and\nlines \u2028 😀", "tags": [3, 1, 2],
           "published_on": "2026-03-02T10:45:00.123456+00:00", "featured": True}  # fmt: skip
    counts = apply(schema, [article("a1", 4, "First"), article("a2", 7, "Second", **odd)])

    assert counts == {"new": 2, "updated": 0, "deleted": 0, "conflicts": 0}
    second = held("a2")
    assert second.values == article("a2", 7, "Second", **odd)["fields"]
    assert second.base_values == second.values
    assert (second.base_version, second.title, second.category_key) == (7, "Second", POLITICS)
    assert not (second.pending or second.conflicted or second.deleted)
    assert second.updated_at is not None
    assert held("a1").values["title"] == "First"


def test_a_record_named_twice_in_one_page_ends_at_the_later_version(schema):
    counts = apply(schema, [article("a1", 4, "First"), article("a1", 6, "First, again")])

    record = held("a1")
    assert (record.base_version, record.title) == (6, "First, again")
    assert record.values["title"] == record.base_values["title"] == "First, again"
    assert counts["new"] == 1 and counts["updated"] == 1


def test_a_new_record_then_its_deletion_in_one_page_leaves_nothing(schema):
    from fieldsync_tui.store.models import Record

    apply(schema, [article("a1", 4, "First"), {"model": ARTICLE, "pk": "a1", "version": 5,
                                                 "deleted": True}])  # fmt: skip
    assert not Record.objects.filter(object_pk="a1").exists()


def test_reference_records_belong_to_no_category(schema):
    apply(schema, [{"model": TAG, "pk": 3, "version": 2, "fields": {"name": "Harbour"}}])

    tag = held("3", TAG)
    assert (tag.category_key, tag.title, tag.values) == (None, "Harbour", {"name": "Harbour"})


def test_a_held_record_with_local_edits_is_merged_not_overwritten(schema):
    from fieldsync_tui.store import edits

    apply(schema, [article("a1", 4, "First")])
    edits.update_record(schema, ARTICLE, "a1", {"body": "Mine"})
    apply(schema, [article("a1", 5, "Their title", body="Body of First")])

    record = held("a1")
    assert record.values["body"] == "Mine" and record.values["title"] == "Their title"
    assert record.base_values == article("a1", 5, "Their title", body="Body of First")["fields"]
    assert record.pending and record.base_version == 5


def test_a_record_deleted_then_made_again_in_one_page_is_held_again(schema):
    apply(schema, [article("a1", 4, "First")])
    apply(schema, [{"model": ARTICLE, "pk": "a1", "version": 5, "deleted": True},
                   article("a1", 6, "Made again")])  # fmt: skip

    record = held("a1")
    assert (record.base_version, record.title) == (6, "Made again")
    assert record.values["title"] == record.base_values["title"] == "Made again"
