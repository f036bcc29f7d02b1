"""The push decision (server_plugin/push/decide.py): a pure function, tested without
a database. Given what the editor did, the record as the server holds it and the
policy, it says what to write, what is a conflict, and what lost and is kept."""

from __future__ import annotations

import pytest

from server_plugin.protocol import fields, hlc, wire
from server_plugin.push.decide import Edit, Server, decide

TYPES = {
    "title": fields.field_type("CharField"),
    "body": fields.field_type("TextField"),
    "tags": fields.type_of("ManyToManyField", "BigAutoField"),
}
BASE = {"title": "Budget vote", "body": "The vote is on Monday. Turnout is low.", "tags": [1]}
EARLY, LATE = (
    hlc.tick(None, "laptop", now_ms=946684800000),
    hlc.tick(None, "laptop", now_ms=4102444800000),
)


def edit(values: dict, *, op=wire.UPDATE, base_version=3, **extra) -> Edit:
    return Edit(op, values, base_version, {k: BASE[k] for k in values}, **extra)


def server(version=3, **values) -> Server:
    return Server({**BASE, **values}, version, hlc=hlc.tick(None, "central", now_ms=1767268800000))


def test_an_edit_at_the_servers_version_is_applied_as_sent():
    outcome = decide(edit({"title": "Vote delayed"}), server(), wire.POLICY_CLIENT, TYPES)
    assert (outcome.status, outcome.to_write) == (wire.APPLIED, {"title": "Vote delayed"})


def test_edits_of_different_fields_merge():
    moved = server(4, body="The vote is on Tuesday. Turnout is low.")
    outcome = decide(edit({"title": "Vote delayed"}), moved, wire.POLICY_CLIENT, TYPES)
    assert outcome.status == wire.MERGED and outcome.to_write["title"] == "Vote delayed"


def test_edits_of_different_sentences_of_one_text_merge():
    moved = server(4, body="The vote is on Tuesday. Turnout is low.")
    mine = edit({"body": "The vote is on Monday. Turnout is high."})
    outcome = decide(mine, moved, wire.POLICY_CLIENT, TYPES)
    assert outcome.to_write["body"] == "The vote is on Tuesday. Turnout is high."


def test_many_to_many_edits_merge_as_sets():
    outcome = decide(edit({"tags": [1, 2]}), server(4, tags=[1, 3]), wire.POLICY_CLIENT, TYPES)
    assert outcome.status == wire.MERGED and sorted(outcome.to_write["tags"]) == [1, 2, 3]


def test_both_changing_a_title_is_a_conflict_for_the_editor_under_client():
    outcome = decide(edit({"title": "Mine"}), server(4, title="Theirs"), wire.POLICY_CLIENT, TYPES)
    assert outcome.status == wire.CONFLICT and outcome.to_write is None
    assert outcome.conflicts["title"]["mine"] == "Mine"
    assert outcome.conflicts["title"]["theirs"] == "Theirs"


def test_direct_applies_mine_and_notes_why():
    outcome = decide(edit({"title": "Mine"}), server(4, title="Theirs"), wire.POLICY_DIRECT, TYPES)
    assert outcome.status == wire.MERGED and outcome.to_write["title"] == "Mine"
    assert "directly" in outcome.note and outcome.lost is None


@pytest.mark.parametrize(("stamp", "winner"), [(LATE, "Mine"), (EARLY, "Theirs"), (None, "Theirs")])
def test_last_writer_lets_the_later_stamp_win_and_keeps_the_loser(stamp, winner):
    outcome = decide(
        edit({"title": "Mine"}, hlc=stamp),
        server(4, title="Theirs"),
        wire.POLICY_LAST_WRITER,
        TYPES,
    )
    assert outcome.status == wire.MERGED
    assert outcome.to_write.get("title", "Theirs") == winner  # theirs: nothing to write
    if winner == "Theirs":
        assert outcome.lost["title"] == "Mine" and outcome.lost_fields == ("title",)
        assert "later one" in outcome.told


def test_last_writer_reads_a_stored_unreadable_stamp_as_none():
    poisoned = Server({**BASE, "title": "Theirs"}, 4, hlc="not-a-stamp")
    outcome = decide(edit({"title": "Mine"}, hlc=EARLY), poisoned, wire.POLICY_LAST_WRITER, TYPES)
    assert outcome.to_write["title"] == "Mine"


@pytest.mark.parametrize(
    ("mine", "theirs", "expected"),
    [("major", "minor", "Mine"), ("minor", "", "Theirs"), ("major", "", None)],
)
def test_major_minor_lets_a_major_edit_win_and_asks_on_a_tie(mine, theirs, expected):
    moved = Server({**BASE, "title": "Theirs"}, 4, edit_kind=theirs)
    outcome = decide(edit({"title": "Mine"}, edit_kind=mine), moved, wire.POLICY_MAJOR_MINOR, TYPES)
    if expected is None:
        assert outcome.status == wire.CONFLICT
    else:
        assert outcome.to_write.get("title", "Theirs") == expected


def test_an_update_of_a_record_deleted_on_the_server_is_a_conflict_naming_each_field():
    gone = Server(None, 5)
    outcome = decide(edit({"title": "Mine"}), gone, wire.POLICY_DIRECT, TYPES)
    assert outcome.status == wire.CONFLICT
    assert outcome.conflicts["title"] == {
        "base": "Budget vote", "mine": "Mine", "theirs": None, "suggestion": None,
    }  # fmt: skip


def test_an_update_of_a_record_this_site_never_had_is_rejected():
    assert decide(edit({"title": "x"}), Server(None, 0), wire.POLICY_CLIENT, TYPES).status == (
        wire.REJECTED
    )


def test_a_delete_at_the_servers_version_is_applied_and_a_stale_one_asks():
    delete = edit({}, op=wire.DELETE)
    assert decide(delete, server(), wire.POLICY_CLIENT, TYPES).status == wire.APPLIED
    stale = decide(delete, server(4), wire.POLICY_CLIENT, TYPES)
    assert (stale.status, stale.conflicts) == (wire.CONFLICT, {})
    assert decide(delete, server(4), wire.POLICY_DIRECT, TYPES).status == wire.APPLIED


def test_deleting_a_record_already_gone_is_done():
    assert decide(edit({}, op=wire.DELETE), Server(None, 5), wire.POLICY_CLIENT, TYPES).status == (
        wire.APPLIED
    )


def test_a_create_is_applied_with_its_values():
    created = decide(edit({"title": "New"}, op=wire.CREATE, base_version=None), Server(None),
                     wire.POLICY_CLIENT, TYPES)  # fmt: skip
    assert (created.status, created.to_write) == (wire.APPLIED, {"title": "New"})
