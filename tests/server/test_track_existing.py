"""``manage.py fieldsync_track_existing`` brings rows the feeds never heard of
(made before the plugin, by raw SQL or ``loaddata``) into them, once."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection

from server_plugin.management.commands.fieldsync_track_existing import needs_tracking
from server_plugin.models import TrackedRow
from tests.museum_site.models import Artefact, Material, Painting, Trench

from .museum import end_of, feed_changes, latest


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("fieldsync_track_existing", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def untracked_finds(trench: Trench, count: int, start: int = 0) -> list[Artefact]:
    """Artefacts written as a data migration or an import would: no signal."""
    return Artefact.objects.bulk_create(
        Artefact(trench=trench, title=f"Old find {n}", catalogue_code=f"OLD-{n}")
        for n in range(start, start + count)
    )


def entries() -> list[tuple]:
    return sorted(
        TrackedRow.objects.values_list(
            "content_type_id", "object_pk", "category_key", "version", "deleted", "position"
        )
    )


# -- the decision ---------------------------------------------------------------


def test_a_row_tracked_live_in_its_own_feed_is_left_alone():
    assert not needs_tracking("1", [("1", False)])
    assert not needs_tracking("1", [("1", False), ("2", True)])
    assert not needs_tracking(None, [("1", True)])
    assert not needs_tracking(None, [])


def test_a_row_unknown_moved_or_back_after_its_delete_is_tracked():
    assert needs_tracking("1", [])
    assert needs_tracking("1", [("2", False)])  # moved by raw SQL
    assert needs_tracking("1", [("1", True)])  # deleted, then loaded again
    assert needs_tracking(None, [("1", False)])  # now in no category: a tombstone


# -- the command -------------------------------------------------------------------


def test_rows_written_without_signals_reach_the_feed(museum, root):
    trench = museum.trenches.get(name="North trench")
    made = untracked_finds(trench, 5)
    end = end_of(museum)
    assert feed_changes(root, museum, since=end) == []

    out, err = run()

    changes = feed_changes(root, museum, since=end)
    assert {c["pk"] for c in changes} == {a.pk for a in made}
    assert all(c["version"] == 1 for c in changes)
    assert "museum.artefact: 10 rows, tracked 5, 0 tombstones" in out  # 5 seeded, 5 new
    assert "5 tracked" in err and "[" in err  # the progress bar, with counts


def test_a_second_run_changes_nothing(museum):
    untracked_finds(museum.trenches.get(name="South trench"), 3)
    run()
    before = entries()

    out, _ = run()

    assert entries() == before  # no version bumped, no position moved
    assert "tracked 0, 0 tombstones" in out


def test_it_walks_in_batches_and_a_seeded_site_needs_nothing(museum):
    before = entries()

    out, err = run("--batch-size", "2")

    assert entries() == before
    assert "museum.artefact: 5 rows, tracked 0" in out  # the painting travels as itself
    assert "museum.painting: 1 rows, tracked 0" in out


def test_model_limits_it_to_one_model(museum):
    untracked_finds(museum.trenches.get(name="South trench"), 2)
    Material.objects.bulk_create([Material(code="iron", name="Iron")])

    out, _ = run("--model", "museum.material")

    assert out.strip() == "museum.material: 6 rows, tracked 1, 0 tombstones for rows that are gone."
    assert not TrackedRow.objects.filter(object_pk="iron", content_type__model="artefact")


def test_an_unknown_model_is_refused_naming_the_synced_ones(museum):
    with pytest.raises(CommandError, match="museum.coin is not a synced model.*museum.artefact"):
        run("--model", "museum.coin")


def test_dry_run_counts_and_writes_nothing(museum):
    untracked_finds(museum.trenches.get(name="South trench"), 2)
    before = entries()

    out, _ = run("--dry-run", "--model", "museum.artefact")

    assert entries() == before
    assert "would track 2" in out


def test_a_row_moved_and_a_row_deleted_by_raw_sql_are_put_right(museum, valley, root):
    pin = Artefact.objects.get(title="Bronze pin")
    lid = Artefact.objects.get(title="Bowl lid")
    ridge = valley.trenches.get(name="Ridge trench")
    table = Artefact._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET trench_id = %s WHERE id = %s", [ridge.pk, pin.pk])
        cursor.execute(
            f"DELETE FROM {Artefact.materials.through._meta.db_table} WHERE artefact_id = %s",
            [lid.pk],
        )
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [lid.pk])
    delta_end, valley_end = end_of(museum), end_of(valley)

    out, _ = run("--model", "museum.artefact")

    delta = feed_changes(root, museum, since=delta_end)
    assert latest(delta, "museum.artefact", pin.pk)["deleted"] is True
    assert latest(delta, "museum.artefact", lid.pk)["deleted"] is True
    arrived = latest(feed_changes(root, valley, since=valley_end), "museum.artefact", pin.pk)
    assert arrived["fields"]["trench"] == ridge.pk
    assert "tracked 1, 1 tombstones" in out


def test_a_painting_made_before_the_plugin_is_tracked_as_a_painting(museum, root):
    trench = museum.trenches.get(name="South trench")
    painting = Painting.objects.create(trench=trench, title="Old canvas")
    painting_type = ContentType.objects.get_for_model(Painting)
    TrackedRow.objects.filter(content_type=painting_type, object_pk=str(painting.pk)).delete()
    end = end_of(museum)

    run()

    changes = feed_changes(root, museum, since=end)
    assert [(c["model"], c["pk"]) for c in changes] == [("museum.painting", painting.pk)]
    assert not TrackedRow.objects.filter(
        content_type=ContentType.objects.get_for_model(Artefact), object_pk=str(painting.pk)
    ).exists()


def test_loaddata_tracks_its_rows_and_the_command_those_with_forward_references(
    museum, root, tmp_path, caplog
):
    """loaddata saves with signals; a note listed before the artefact it belongs
    to cannot find its expedition yet, so it waits for the command (and the log
    says so) instead of failing the load."""
    trench = museum.trenches.get(name="South trench")
    note_pk = "2b7c1a52-4a1e-4d6b-9f6e-0c3d2e1f4a5b"
    fixture = tmp_path / "finds.json"
    fixture.write_text(
        json.dumps(
            [
                {
                    "model": "museum.note",
                    "pk": note_pk,
                    "fields": {"artefact": 901, "text": "Early."},
                },
                {
                    "model": "museum.artefact",
                    "pk": 901,
                    "fields": {
                        "trench": trench.pk,
                        "title": "Loaded find",
                        "catalogue_code": "L-901",
                        "reference": "2b7c1a52-4a1e-4d6b-9f6e-0c3d2e1f4a5c",
                    },
                },
            ]
        )
    )
    end = end_of(museum)

    call_command("loaddata", str(fixture), verbosity=0)

    assert {(c["model"], str(c["pk"])) for c in feed_changes(root, museum, since=end)} == {
        ("museum.artefact", "901")
    }
    assert "fieldsync_track_existing --model museum.note" in caplog.text
    run()
    assert ("museum.note", note_pk) in {
        (c["model"], str(c["pk"])) for c in feed_changes(root, museum, since=end)
    }
