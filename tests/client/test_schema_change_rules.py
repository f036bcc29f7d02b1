"""Schema changes while editors are offline, without a server (fast): the pure
decisions of sync/schema_change.py, then the store carried over from one
schema to the next on the sample newsroom. The walk with a real central site
whose schema changes between syncs is test_schema_changes.py."""

from __future__ import annotations

import copy
import json

import pytest

from tests.support import sample_store

ARTICLE, PHOTO, TAG = "news.article", "news.photo", "news.tag"
SUBTITLE = {"name": "subtitle", "type": "CharField", "blank": True, "max_length": 200,
            "default": ""}  # fmt: skip
WORDS = {"name": "word_count", "type": "PositiveIntegerField", "blank": False, "default": 0}
LOCATION = {"name": "location", "type": "CharField", "blank": True, "max_length": 100}
EXTRAS = {"name": "extras", "type": "JSONField", "blank": True, "default_callable": "dict"}
STAMP = {"name": "stamp", "type": "UUIDField", "blank": False, "default_callable": "server"}


@pytest.fixture
def store(local_store):
    """The store open in this process: the module under test needs Django set up."""
    return local_store


def changed(schema: dict, label: str, *, drop=(), add=()) -> dict:
    """`schema` with fields of model `label` dropped and others added."""
    new = copy.deepcopy(schema)
    for model in new["models"]:
        if model["label"] == label:
            model["fields"] = [f for f in model["fields"] if f["name"] not in drop] + list(add)
    return new


def without_model(schema: dict, label: str) -> dict:
    new = copy.deepcopy(schema)
    new["models"] = [m for m in new["models"] if m["label"] != label]
    return new


OLD = sample_store.SCHEMA
NEW = without_model(
    changed(
        changed(OLD, ARTICLE, drop=["status"], add=[SUBTITLE, WORDS]),
        PHOTO,
        drop=["credit"],
        add=[LOCATION],
    ),
    TAG,
)


# -- what changed ------------------------------------------------------------------------


def test_the_diff_names_removed_and_added_fields_and_removed_models(store):
    from fieldsync_tui.sync.schema_change import schema_diff

    diff = schema_diff(OLD, NEW)

    assert [m["label"] for m in diff.removed_models] == [TAG]
    by_label = {change.label: change for change in diff.changed}
    assert set(by_label) == {ARTICLE, PHOTO}
    assert by_label[ARTICLE].removed_names == {"status"}
    assert by_label[ARTICLE].added_names == ("subtitle", "word_count")
    assert by_label[PHOTO].removed_names == {"credit"}
    assert not schema_diff(OLD, copy.deepcopy(OLD))  # nothing moved: nothing to do
    assert not schema_diff({}, NEW)  # the first schema a folder learns changes nothing


def test_a_field_of_another_type_under_the_same_name_is_noticed(store):
    from fieldsync_tui.sync.schema_change import schema_diff

    retyped = changed(OLD, ARTICLE, drop=["featured"],
                      add=[{"name": "featured", "type": "CharField", "blank": True}])  # fmt: skip

    (change,) = schema_diff(OLD, retyped).changed
    assert not change.removed and not change.added
    assert [(old["type"], new["type"]) for old, new in change.retyped] == [
        ("BooleanField", "CharField")
    ]


def test_models_that_gained_fields_are_the_ones_read_again(store):
    from fieldsync_tui.sync.engine import PULL_AGAIN, models_to_pull_again
    from fieldsync_tui.sync.schema_change import models_with_new_fields

    assert models_with_new_fields(OLD, NEW) == {ARTICLE, PHOTO}
    assert models_with_new_fields(OLD, changed(OLD, ARTICLE, drop=["status"])) == set()

    noted = models_to_pull_again(OLD, NEW, {"1": 40, "": 12})
    assert noted[PULL_AGAIN] == {"1": [ARTICLE, PHOTO]}  # neither is reference data


def test_a_removed_and_an_added_field_of_one_type_look_alike_but_are_not_merged(store):
    from fieldsync_tui.sync.schema_change import look_alike_pairs, schema_diff

    by_label = {c.label: c for c in schema_diff(OLD, NEW).changed}

    assert look_alike_pairs(by_label[ARTICLE]) == [("status", "subtitle")]  # both CharFields
    assert look_alike_pairs(by_label[PHOTO]) == [("credit", "location")]


def test_what_the_editor_typed_is_compared_by_value(store):
    from fieldsync_tui.sync.schema_change import typed_values
    from server_plugin.protocol.fields import field_type

    types = {"weight": field_type("DecimalField"), "note": field_type("TextField")}
    base = {"weight": "12.500", "note": "old"}

    same_weight = typed_values(3, base, {"weight": "12.5", "note": "new"}, {"weight", "note"},
                               types)  # fmt: skip
    created = typed_values(None, {}, {"weight": "1.0", "note": ""}, {"weight", "note"}, types)

    assert same_weight == {"note": "new"}  # 12.5 is 12.500: not the editor's
    assert created == {"weight": "1.0"}  # a new record's values are all the editor's but blanks


def test_a_frozen_change_loses_the_removed_fields_and_an_empty_update_says_nothing(store):
    from fieldsync_tui.sync.schema_change import says_nothing, without_fields

    update = {"id": "c1", "op": "update", "values": {"status": "draft", "title": "T"},
              "base_values": {"status": "review", "title": "S"}, "base_version": 4}  # fmt: skip
    only_status = {**update, "values": {"status": "draft"}, "base_values": {"status": "review"}}
    create = {"id": "c2", "op": "create", "values": {"status": "draft", "title": "T"}}

    assert without_fields(update, {"status"}) == {
        **update, "values": {"title": "T"}, "base_values": {"title": "S"}
    }  # fmt: skip
    assert says_nothing(without_fields(only_status, {"status"}))
    assert not says_nothing(without_fields(update, {"status"}))
    assert without_fields(create, {"status"}) == {**create, "values": {"title": "T"}}
    assert without_fields({"id": "c3", "op": "delete", "base_version": 2}, {"status"}) == {
        "id": "c3", "op": "delete", "base_version": 2
    }  # fmt: skip


def test_a_refusal_is_the_schema_s_only_when_it_names_nothing_but_removed_fields(store):
    from fieldsync_tui.sync.schema_change import refused_only_for

    assert refused_only_for({}, "news.article has no synced field 'status'", {"status"})
    assert refused_only_for({}, "news.article has no synced field 'a', 'b'", {"a", "b"})
    assert not refused_only_for({}, "news.article has no synced field 'a', 'b'", {"a"})
    assert refused_only_for({"status": ["Bad."]}, "rejected", {"status"})
    assert not refused_only_for({"title": ["Bad."]}, "rejected", {"status"})
    assert not refused_only_for({}, "You have no grant for category 3.", {"status"})


def test_new_fields_of_a_new_record_take_their_defaults_but_not_the_server_s(store):
    from fieldsync_tui.sync.schema_change import new_record_defaults

    made = new_record_defaults([SUBTITLE, WORDS, LOCATION, EXTRAS, STAMP])

    assert made == {"subtitle": "", "word_count": 0, "location": "", "extras": {}}


def test_a_look_alike_pair_is_told_as_both_facts_with_the_file(store, tmp_path):
    from fieldsync_tui.sync.schema_change import ModelOutcome, describe, schema_diff

    change = {c.label: c for c in schema_diff(OLD, NEW).changed}[ARTICLE]
    kept = tmp_path / "20260302-news.article-1.json"

    told = ModelOutcome(change, ARTICLE, "article", files=[kept], files_of={"status": [kept]})
    (pair, gained) = describe([told], tmp_path)

    assert pair.startswith(f"Article: “status” was removed and “subtitle” added; “status”'s "
                           f"values were set aside in {kept}")  # fmt: skip
    assert gained == "Article has a new field “word_count”."


# -- the store follows -------------------------------------------------------------------


@pytest.fixture
def newsroom(store):
    """The sample newsroom: a queued edit of status (Budget vote delayed), a new photo
    (River crossing), a queued delete, a conflict on body and status (Mayor resigns)."""
    import shutil

    from fieldsync_tui.store.set_aside import folder

    sample_store.fill()
    shutil.rmtree(folder(), ignore_errors=True)


def record(title: str):
    from fieldsync_tui.store.models import Record

    return Record.objects.get(title=title)


def set_aside_files(store) -> dict[str, dict]:
    """title -> the set-aside file of that record."""
    found = {}
    for path in sorted((store / "set-aside").glob("*.json")):
        entry = json.loads(path.read_text())
        found[entry["title"]] = {**entry, "path": str(path)}
    return found


def carry_over(new: dict) -> list[str]:
    from django.db import transaction

    from fieldsync_tui.store.models import Account
    from fieldsync_tui.sync.schema_change import carry_over

    with transaction.atomic():
        old = Account.objects.get().schema
        notices = carry_over(old, new)
        Account.objects.update(schema=new)
    return notices


def test_removed_fields_leave_records_queue_and_conflicts_and_typed_values_are_set_aside(
    store, newsroom
):
    from server_plugin.protocol import merge

    notices = carry_over(NEW)

    kept = set_aside_files(store)
    assert set(kept) == {"Budget vote delayed", "Mayor resigns", "River crossing"}
    assert kept["Budget vote delayed"]["values"] == {"status": "draft"}
    assert kept["Budget vote delayed"]["base_values"] == {"status": "review"}
    assert kept["Mayor resigns"]["values"] == {"status": "published"}
    assert kept["River crossing"]["values"] == {"credit": "E. Tanaka"}
    assert "no longer has the field “status” of news.article" in kept["Mayor resigns"]["reason"]

    from fieldsync_tui.store.models import Record

    for held in Record.objects.filter(model=ARTICLE):
        assert "status" not in held.values and "status" not in held.base_values
    budget = record("Budget vote delayed")
    assert merge.changed_fields(budget.base_values, budget.values, {}) == {}  # nothing left
    mayor = record("Mayor resigns")
    conflict = mayor.conflicts.get()
    assert set(conflict.fields) == {"body"} and "status" not in conflict.mine
    assert "status" not in conflict.theirs and mayor.conflicted  # body still conflicts

    assert any("“status” was removed and “subtitle” added" in n for n in notices)
    assert any(str(store / "set-aside") in n for n in notices)  # where the values went


def test_a_new_record_not_yet_sent_takes_the_new_fields_defaults(store, newsroom):
    photo_schema = changed(OLD, PHOTO, add=[LOCATION, STAMP])
    synced_before = record("Budget vote delayed").values

    notices = carry_over(photo_schema)

    photo = record("River crossing")
    assert photo.values["location"] == "" and "stamp" not in photo.values  # the server's
    assert record("Budget vote delayed").values == synced_before  # rows the server has: read
    assert notices == [
        "Photo has new fields “location” and “stamp”; your new record starts from their defaults."
    ]


def test_a_removed_model_leaves_the_store_and_its_unsent_work_is_set_aside(store, newsroom):
    from fieldsync_tui.store.models import PendingChange, Record

    photo = record("River crossing")

    (notice,) = carry_over(without_model(OLD, PHOTO))

    assert not Record.objects.filter(model=PHOTO).exists()
    assert not PendingChange.objects.filter(record_id=photo.pk).exists()
    (kept,) = set_aside_files(store).values()
    assert kept["values"] == {"article": photo.values["article"], "caption": "River crossing",
                              "credit": "E. Tanaka", "image": photo.values["image"]}  # fmt: skip
    assert kept["change"] == "create" and kept["pk"] == photo.object_pk
    assert notice.startswith("The central site no longer lists photo (news.photo) for you")
    assert kept["path"] in notice


def test_a_sent_change_keeps_its_id_and_loses_the_field(store, newsroom):
    from fieldsync_tui.store.schema import Schema
    from fieldsync_tui.sync.apply import freeze

    budget = record("Budget vote delayed")
    budget.values = {**budget.values, "title": "Budget vote delayed again"}
    budget.save()
    entry = budget.changes.get()
    entry.payload = freeze(Schema(OLD), entry)
    entry.save()
    change_id = entry.change_id

    carry_over(NEW)

    entry.refresh_from_db()
    assert entry.change_id == change_id
    assert entry.payload["values"] == {"title": "Budget vote delayed again"}
    assert set(entry.payload["base_values"]) == {"title"}


def test_a_sent_update_of_removed_fields_only_is_dropped(store, newsroom):
    from fieldsync_tui.store.schema import Schema
    from fieldsync_tui.sync.apply import freeze

    budget = record("Budget vote delayed")
    entry = budget.changes.get()
    entry.payload = freeze(Schema(OLD), entry)  # status only
    entry.save()

    carry_over(NEW)

    budget = record("Budget vote delayed")
    assert budget.changes.count() == 0 and not budget.pending
    assert set_aside_files(store)["Budget vote delayed"]["values"] == {"status": "draft"}


def test_a_change_refused_for_a_removed_field_is_queued_again_under_a_new_id(store, newsroom):
    from fieldsync_tui.store.models import PendingChange
    from fieldsync_tui.store.schema import Schema
    from fieldsync_tui.sync.apply import freeze

    budget = record("Budget vote delayed")
    budget.values = {**budget.values, "title": "Budget vote delayed again"}
    budget.save()
    entry = budget.changes.get()
    entry.payload = freeze(Schema(OLD), entry)
    entry.state = PendingChange.REJECTED
    entry.last_error = "news.article has no synced field 'status'"
    entry.save()
    refused_id = entry.change_id

    notices = carry_over(NEW)

    entry.refresh_from_db()
    assert entry.state == PendingChange.QUEUED and entry.payload is None  # open again
    assert entry.change_id != refused_id and entry.last_error == ""
    assert freeze(Schema(NEW), entry)["values"] == {"title": "Budget vote delayed again"}
    assert "Article: 1 change the central site refused for a field it no longer has is " \
           "queued again without it." in notices  # fmt: skip


def test_a_conflict_only_about_a_removed_field_is_merged(store, newsroom):
    from fieldsync_tui.store.models import PendingChange

    mayor = record("Mayor resigns")
    conflict = mayor.conflicts.get()
    conflict.theirs = {**conflict.theirs, "body": sample_store.MAYOR_BASE}
    conflict.fields = {"status": conflict.fields["status"]}  # body: only mine changed it
    conflict.save()

    notices = carry_over(NEW)

    mayor = record("Mayor resigns")
    assert not mayor.conflicted and mayor.pending
    assert mayor.values["body"] == sample_store.MAYOR_MINE
    assert mayor.changes.get().op == PendingChange.UPDATE
    assert set_aside_files(store)["Mayor resigns"]["values"] == {"status": "published"}
    assert any(
        n.startswith("The conflict on article “Mayor resigns” was only about") for n in notices
    )


def test_nothing_moved_costs_nothing_and_writes_nothing(store, newsroom):
    before = record("Budget vote delayed").values

    assert carry_over(copy.deepcopy(OLD)) == []

    assert record("Budget vote delayed").values == before
    assert set_aside_files(store) == {}


def test_an_answer_kept_from_before_the_change_brings_no_removed_field_back(store, newsroom):
    """A change sent before the field went, answered again from the server's receipt
    after: the answer carries the field; the record takes the rest."""
    from fieldsync_tui.store.schema import Schema
    from fieldsync_tui.sync.apply import apply_push_results, freeze

    budget = record("Budget vote delayed")
    budget.values = {**budget.values, "title": "Budget vote delayed again"}
    budget.save()
    entry = budget.changes.get()
    entry.payload = freeze(Schema(OLD), entry)
    entry.save()
    carry_over(changed(OLD, ARTICLE, drop=["status"]))  # the sent change keeps its id
    entry.refresh_from_db()
    budget.refresh_from_db()
    answer = {**budget.base_values, "title": "Budget vote delayed again", "status": "draft"}

    apply_push_results(
        Schema(changed(OLD, ARTICLE, drop=["status"])),
        [entry],
        [{"id": str(entry.change_id), "status": "applied", "version": 9, "values": answer}],
    )

    budget.refresh_from_db()
    assert budget.base_version == 9 and not budget.pending
    assert "status" not in budget.values and "status" not in budget.base_values
