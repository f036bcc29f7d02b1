"""What `show`, `edit`, `conflicts` and `resolve` tell an editor, in the local store alone
(no server, fast): keys in any spelling, values as the editor types them, edits that
change nothing, and conflicts and resolutions said in words.

The commands run in this process through `fieldsync_tui.cli.main`, on the one local
store of the process (conftest's `local_store`), over a small field survey: a find
with a UUID key, Decimal, JSON and choices; a box with an integer key.
"""

from __future__ import annotations

import pytest

from fieldsync_tui import cli

FIND, BOX = "survey.find", "survey.box"
BOWL = "e88d41a0-5a4b-4f43-9e2a-1c0d7b6a5e01"
LID = "0b7c3f4e-2d1a-4c5b-8e9f-a0b1c2d3e4f5"
PIN = "5f0e1d2c-3b4a-4968-8776-655443322110"
SHARD = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f0a1b2c3d"
EXPEDITION = "1"


def _field(name: str, type_: str, **extra) -> dict:
    return {"name": name, "type": type_, "verbose_name": name.replace("_", " "), **extra}


SCHEMA = {
    "protocol": 1,
    "category_model": "survey.expedition",
    "models": [
        {
            "label": FIND,
            "verbose_name": "find",
            "verbose_name_plural": "finds",
            "pk": {"name": "id", "type": "UUIDField"},
            "category_path": "expedition",
            "reference": False,
            "writable": True,
            "policy": "client",
            "display_field": "title",
            "fields": [
                _field(
                    "expedition",
                    "ForeignKey",
                    related_model="survey.expedition",
                    related_pk_type="BigAutoField",
                ),
                _field("title", "CharField", max_length=200),
                _field(
                    "status",
                    "CharField",
                    max_length=10,
                    choices=[["draft", "Draft"], ["checked", "Checked"]],
                    default="draft",
                ),
                _field(
                    "weight_g",
                    "DecimalField",
                    max_digits=8,
                    decimal_places=3,
                    null=True,
                    blank=True,
                ),
                _field("attributes", "JSONField", blank=True, default_callable="dict"),
                _field("found_on", "DateField", null=True, blank=True),
                _field("notes", "TextField", blank=True),
            ],
        },
        {
            "label": BOX,
            "verbose_name": "box",
            "verbose_name_plural": "boxes",
            "pk": {"name": "id", "type": "BigAutoField"},
            "category_path": "expedition",
            "reference": False,
            "writable": True,
            "policy": "client",
            "display_field": "label",
            "fields": [
                _field(
                    "expedition",
                    "ForeignKey",
                    related_model="survey.expedition",
                    related_pk_type="BigAutoField",
                ),
                _field("label", "CharField", max_length=50),
            ],
        },
    ],
}

BOWL_VALUES = {
    "expedition": 1,
    "title": "Glazed bowl",
    "status": "checked",
    "weight_g": "10.500",
    "attributes": ["pink", "juvenile"],
    "found_on": None,
    "notes": "",
}
LID_BASE = {**BOWL_VALUES, "title": "Lid", "status": "draft", "attributes": {}}
PIN_BASE = {**BOWL_VALUES, "title": "Copper pin", "weight_g": "3.000", "attributes": {}}


@pytest.fixture
def survey(local_store, monkeypatch):
    """The survey in the store: Bowl (synced), Lid (deleted here, edited on the server:
    a conflict), Pin (retitled on both sides: a conflict), Shard (edited here, deleted on
    the server: a conflict), box 7 and a new box."""
    from django.db import transaction

    from fieldsync_tui.store.models import Account, Category, Conflict, PendingChange, Record
    from fieldsync_tui.store.schema import Schema

    monkeypatch.setenv("FIELDSYNC_TOKEN", "a-token-for-tests")  # nothing here goes online
    with transaction.atomic():
        for model in (Conflict, PendingChange, Record, Category, Account):
            model.objects.all().delete()
        Account.objects.create(
            server_url="http://127.0.0.1:9", username="editor1", device_name="tent", schema=SCHEMA
        )
        Category.objects.create(key=EXPEDITION, name="Delta survey", checked_out=True)

        def synced(model, pk, values, **extra):
            return Record.objects.create(
                model=model, object_pk=pk, category_key=EXPEDITION, values=values,
                base_version=3, base_values=values, title=values.get("title", ""), **extra,
            )  # fmt: skip

        synced(FIND, BOWL, BOWL_VALUES)
        synced(BOX, "7", {"expedition": 1, "label": "Box 7"})
        Record.objects.create(
            model=BOX, object_pk="tmp:" + LID, category_key=EXPEDITION,
            values={"expedition": 1, "label": "New box"}, base_version=None, pending=True,
        )  # fmt: skip
        lid = synced(FIND, LID, LID_BASE, deleted=True, conflicted=True)
        Conflict.objects.create(
            record=lid, op=PendingChange.DELETE, base_version=3, base_values=LID_BASE,
            mine=LID_BASE, theirs={**LID_BASE, "title": "Lid (cracked)", "status": "checked"},
            theirs_version=4, fields={},
        )  # fmt: skip
        pin_mine = {**PIN_BASE, "title": "Copper pin, bent"}
        pin_theirs = {**PIN_BASE, "title": "Bronze pin"}
        pin = synced(FIND, PIN, PIN_BASE, conflicted=True)
        Record.objects.filter(pk=pin.pk).update(values=pin_mine)
        Conflict.objects.create(
            record=pin, op=PendingChange.UPDATE, base_version=3, base_values=PIN_BASE,
            mine=pin_mine, theirs=pin_theirs, theirs_version=5,
            fields={"title": {"base": "Copper pin", "mine": "Copper pin, bent",
                              "theirs": "Bronze pin", "suggestion": None}},
        )  # fmt: skip
        shard_base = {**PIN_BASE, "title": "Shard"}
        shard = synced(FIND, SHARD, shard_base, conflicted=True)
        Record.objects.filter(pk=shard.pk).update(values={**shard_base, "notes": "Rim piece"})
        Conflict.objects.create(
            record=shard, op=PendingChange.UPDATE, base_version=3, base_values=shard_base,
            mine={**shard_base, "notes": "Rim piece"}, theirs=None, theirs_version=None,
            fields={"notes": {"base": "", "mine": "Rim piece", "theirs": None,
                              "suggestion": None}},
        )  # fmt: skip
    return Schema(SCHEMA)


def fieldsync(store, capsys, *args: str) -> tuple[int, str, str]:
    """Run one command line in this process: (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = cli.main(["--data-dir", str(store), *args])
    out, err = capsys.readouterr()
    return code, out, err


def bowl():
    from fieldsync_tui.store.models import Record

    return Record.objects.get(model=FIND, object_pk=BOWL)


def queued() -> int:
    """Queue entries waiting to be sent."""
    from fieldsync_tui.store.models import PendingChange

    return PendingChange.objects.filter(state=PendingChange.QUEUED).count()


# -- keys in any spelling -----------------------------------------------------------


@pytest.mark.parametrize(
    "spelling", [BOWL.upper(), "{" + BOWL + "}", "{" + BOWL.upper() + "}", BOWL.replace("-", "")]
)
def test_a_uuid_key_in_capitals_or_braces_finds_its_record(survey, local_store, capsys, spelling):
    from fieldsync_tui.store import edits

    assert edits.find_record(survey, "find", spelling).object_pk == BOWL
    code, out, err = fieldsync(local_store, capsys, "show", "find", spelling)
    assert (code, err) == (0, "") and "Glazed bowl" in out
    code, out, err = fieldsync(local_store, capsys, "edit", "find", spelling, "--set", "notes=Rim")
    assert (code, err) == (0, "") and bowl().values["notes"] == "Rim"


def test_integer_keys_and_temporary_ids_are_found_as_before(survey):
    from fieldsync_tui.store import edits

    assert edits.find_record(survey, "box", "7").values["label"] == "Box 7"
    assert edits.find_record(survey, "box", 7).values["label"] == "Box 7"
    assert edits.find_record(survey, "box", "tmp:" + LID).values["label"] == "New box"


def test_listings_read_as_sentences(survey, local_store, capsys):
    """A new user's trial: "1 records", and lines padded with spaces to 150 columns."""
    code, out, _ = fieldsync(local_store, capsys, "records", "Delta survey")
    assert code == 0 and out and all(line == line.rstrip() for line in out.splitlines())


def test_a_key_that_names_no_record_is_refused_in_one_line(survey, local_store, capsys):
    code, out, err = fieldsync(local_store, capsys, "show", "find", "not-a-uuid")
    assert code == 1 and out == ""
    assert err == "fieldsync: no survey.find with id not-a-uuid in this store\n"


# -- values as the editor types them --------------------------------------------------


def test_show_prints_each_value_as_the_editor_types_it(survey, local_store, capsys):
    """Not Python's repr (['pink', 'juvenile'], None): what `--set` would take back."""
    code, out, _ = fieldsync(local_store, capsys, "show", "find", BOWL)

    lines = {
        line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip()
        for line in out.splitlines()[1:]
    }
    assert code == 0
    assert lines["Attributes"] == '["pink", "juvenile"]'
    assert lines["Weight g"] == "10.500"
    assert lines["Status"] == "Checked"
    assert lines["Found on"] == "" and "None" not in out and "['" not in out
    assert lines["Expedition"] == "1 (Delta survey)", "the id --set takes, then its name"


# -- edits that change nothing ---------------------------------------------------------


def test_an_edit_equal_by_value_changes_nothing_and_queues_nothing(survey, local_store, capsys):
    """--set weight_g=10.50 against 10.500: said so, nothing queued, the spelling kept."""
    code, out, err = fieldsync(
        local_store, capsys, "edit", "find", BOWL, "--set", "weight_g=10.50",
        "--set", 'attributes=[ "pink","juvenile" ]',
    )  # fmt: skip

    assert (code, err) == (0, "")
    assert out == "Nothing changed: find “Glazed bowl” already holds these values.\n"
    after = bowl()
    assert after.values == BOWL_VALUES and not after.pending and queued() == 0


def test_only_the_values_that_differ_are_changed(survey):
    from fieldsync_tui.store import edits

    record = edits.update_record(survey, FIND, BOWL, {"weight_g": "10.5", "title": "Bowl"})

    assert record.values == {**BOWL_VALUES, "title": "Bowl"}  # 10.500 as the server spells it
    assert bowl().values == record.values and queued() == 1


def test_an_edit_back_to_the_servers_values_takes_the_change_out_of_the_queue(
    survey, local_store, capsys
):
    from fieldsync_tui.store import edits
    from fieldsync_tui.sync.engine import SyncEngine
    from fieldsync_tui.sync.transport import Transport

    edits.update_record(survey, FIND, BOWL, {"weight_g": "12", "title": "Bowl"})
    assert queued() == 1 and bowl().pending

    code, out, _ = fieldsync(
        local_store, capsys, "edit", "find", BOWL, "--set", "weight_g=10.5",
        "--set", "title=Glazed bowl",
    )  # fmt: skip

    after = bowl()
    assert after.values == BOWL_VALUES and not after.pending and queued() == 0
    assert code == 0 and "back to the server's values; nothing to send" in out
    assert SyncEngine(Transport("http://127.0.0.1:9")).status().queued == 0  # as `status` counts


def test_an_edit_back_to_the_base_while_a_change_is_on_its_way_stays_queued(survey):
    """The sent change may be applied: the way back must follow it to the server."""
    from fieldsync_tui.store import edits
    from fieldsync_tui.store.models import PendingChange

    edits.update_record(survey, FIND, BOWL, {"title": "Bowl"})
    PendingChange.objects.update(payload={"sent": True})  # sent; no answer yet

    edits.update_record(survey, FIND, BOWL, {"title": "Glazed bowl"})

    assert bowl().pending and queued() == 2


def test_a_change_back_to_the_base_drops_a_rejected_change_it_replaces(survey):
    from fieldsync_tui.store import edits
    from fieldsync_tui.store.models import PendingChange

    edits.update_record(survey, FIND, BOWL, {"weight_g": "99999.999"})
    PendingChange.objects.update(state=PendingChange.REJECTED, payload={"sent": True})

    edits.update_record(survey, FIND, BOWL, {"weight_g": "10.5"})

    assert bowl().values == BOWL_VALUES and not bowl().pending
    assert not PendingChange.objects.exists()


# -- conflicts and resolutions in words --------------------------------------------------


def test_conflicts_names_what_the_server_changed_on_a_record_deleted_here(
    survey, local_store, capsys
):
    code, out, _ = fieldsync(local_store, capsys, "conflicts")

    (lid,) = [line for line in out.splitlines() if LID in line]
    assert code == 3 and lid.endswith("deleted here; changed on the server: title, status")
    _, listing, _ = fieldsync(local_store, capsys, "conflicts", "--json")
    assert '"changed_on_server": [\n      "title",\n      "status"\n    ]' in listing


def test_resolving_by_taking_theirs_says_nothing_is_queued(survey, local_store, capsys):
    from fieldsync_tui.store.models import Conflict

    pin_conflict = Conflict.objects.get(record__object_pk=PIN).pk

    code, out, _ = fieldsync(local_store, capsys, "resolve", str(pin_conflict), "--take", "theirs")

    assert code == 0 and queued() == 0
    assert "queued" not in out
    assert out == (
        f"Resolved conflict {pin_conflict}: kept the server's version of "
        "find “Bronze pin”; nothing to send.\n"
    )


def test_resolving_by_taking_mine_says_the_result_is_queued(survey, local_store, capsys):
    from fieldsync_tui.store.models import Conflict

    pin_conflict = Conflict.objects.get(record__object_pk=PIN).pk

    code, out, _ = fieldsync(local_store, capsys, "resolve", str(pin_conflict), "--take", "mine")

    assert code == 0 and queued() == 1
    assert out == (
        f"Resolved conflict {pin_conflict} (mine): find “Copper pin, bent” is queued "
        "for the next sync.\n"
    )


def test_taking_theirs_on_a_record_deleted_here_keeps_the_servers_record(
    survey, local_store, capsys
):
    """The lid was deleted here and edited there; taking theirs keeps the server's lid."""
    from fieldsync_tui.store.models import Conflict, Record

    lid_conflict = Conflict.objects.get(record__object_pk=LID).pk

    code, out, _ = fieldsync(local_store, capsys, "resolve", str(lid_conflict), "--take", "theirs")

    lid = Record.objects.get(object_pk=LID)
    assert code == 0 and not lid.deleted and not lid.pending and queued() == 0
    assert out == (
        f"Resolved conflict {lid_conflict}: kept the server's version of "
        "find “Lid (cracked)”; nothing to send.\n"
    )


def test_taking_the_servers_deletion_says_the_record_is_gone(survey, local_store, capsys):
    from fieldsync_tui.store.models import Conflict, Record

    shard_conflict = Conflict.objects.get(record__object_pk=SHARD).pk

    code, out, _ = fieldsync(
        local_store, capsys, "resolve", str(shard_conflict), "--take", "theirs"
    )

    assert code == 0 and not Record.objects.filter(object_pk=SHARD).exists() and queued() == 0
    assert out == (
        f"Resolved conflict {shard_conflict}: find “Shard” was deleted on the server, "
        "and is removed here too; nothing to send.\n"
    )
