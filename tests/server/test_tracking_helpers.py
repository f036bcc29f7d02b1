"""Writes that send no signal (``QuerySet.update()``, ``bulk_create()``,
``bulk_update()``) reach the editors through the documented helpers `track`
and `track_queryset`, and, as docs/settings.md warns, not without them."""

from __future__ import annotations

from decimal import Decimal

from server_plugin.models import FeedCounter, TrackedRow
from server_plugin.tracking import acting_as, track, track_queryset
from tests.museum_site.models import Artefact, Material

from .museum import feed_changes, latest


def end_of(expedition) -> int:
    counter = FeedCounter.objects.filter(category_key=str(expedition.pk)).first()
    return counter.last_position if counter else 0


def finds_in(expedition):
    """The expedition's artefacts that are not paintings (a painting travels as
    itself, a multi-table child: tests/server of model shapes cover that)."""
    return Artefact.objects.filter(trench__expedition=expedition, painting__isnull=True)


def new_finds(trench, count: int) -> list[Artefact]:
    """Artefacts made as bulk_create makes them: no save(), so the derived code is set here."""
    return [
        Artefact(trench=trench, title=f"Sherd {n}", catalogue_code=f"BULK-{trench.pk}-{n}",
                 weight_kg=Decimal("0.100"))
        for n in range(count)
    ]  # fmt: skip


def test_queryset_update_reaches_the_feed_through_track_queryset(museum, root):
    pks = list(finds_in(museum).values_list("pk", flat=True))
    end = end_of(museum)

    Artefact.objects.filter(pk__in=pks).update(status=Artefact.CATALOGUED)
    versions = track_queryset(Artefact.objects.filter(pk__in=pks).select_related("trench"))

    changes = feed_changes(root, museum, since=end)
    for pk in pks:
        change = latest(changes, "museum.artefact", pk)
        assert change["fields"]["status"] == "catalogued"
        assert change["version"] == versions[("museum.artefact", str(pk))]


def test_queryset_update_without_the_helper_never_reaches_the_feed(museum, root):
    end = end_of(museum)

    changed = Artefact.objects.filter(trench__expedition=museum).update(status="catalogued")

    assert changed > 0
    assert feed_changes(root, museum, since=end) == []  # what docs/settings.md warns of


def test_bulk_create_reaches_the_feed_through_track(museum, root):
    trench = museum.trenches.get(name="South trench")
    end = end_of(museum)

    made = Artefact.objects.bulk_create(new_finds(trench, 3))
    through = Artefact.materials.through
    through.objects.bulk_create([through(artefact_id=a.pk, material_id="ceramic") for a in made])
    track(made)

    changes = feed_changes(root, museum, since=end)
    assert {c["fields"]["title"] for c in changes} == {"Sherd 0", "Sherd 1", "Sherd 2"}
    assert all(c["version"] == 1 and c["fields"]["materials"] == ["ceramic"] for c in changes)


def test_bulk_create_without_the_helper_never_reaches_the_feed(museum, root):
    trench = museum.trenches.get(name="South trench")
    end = end_of(museum)

    made = Artefact.objects.bulk_create(new_finds(trench, 2))

    assert len(made) == 2 and feed_changes(root, museum, since=end) == []


def test_bulk_update_reaches_the_feed_through_track_with_its_author(museum, root):
    finds = list(finds_in(museum).select_related("trench"))
    for find in finds:
        find.pieces += 1
    end = end_of(museum)

    Artefact.objects.bulk_update(finds, ["pieces"])
    with acting_as(root):
        track(finds)

    changes = feed_changes(root, museum, since=end)
    for find in finds:
        assert latest(changes, "museum.artefact", find.pk)["fields"]["pieces"] == find.pieces
    row = TrackedRow.objects.get(object_pk=str(finds[0].pk), content_type__model="artefact")
    assert row.changed_by == root


def test_reference_data_written_in_bulk_reaches_the_reference_feed(museum, root):
    made = Material.objects.bulk_create([Material(code="iron", name="Iron")])

    track(made)

    changes = feed_changes(root, "", since=0)
    assert latest(changes, "museum.material", "iron")["fields"]["name"] == "Iron"
