"""Every field type travels exactly, on a site that is not the newsroom (the museum).

The feed writes each value by its row of the field table (microseconds kept,
decimals as text, JSON as JSON); a push reads each value back by the same row,
refusing what is not of the field's wire form with the field named; values
equal by value never make a conflict.
"""

from __future__ import annotations

import datetime
import hashlib
import uuid
from decimal import Decimal

from django.core.files.base import ContentFile

from tests.museum_site.models import Artefact, Material, Person

from .conftest import update
from .museum import pulled

UTC = datetime.UTC


def bowl_record(api, museum) -> dict:
    return pulled(api, museum, "museum.artefact", Artefact.objects.get(title="Glazed bowl").pk)


def test_the_feed_carries_every_value_in_its_wire_form(museum, museum_editor):
    museum_editor.checkout(museum)
    fields = bowl_record(museum_editor, museum)["fields"]
    people = {p.code: p.pk for p in Person.objects.all()}

    assert fields["weight_kg"] == "12.500"
    assert fields["length_cm"] == 31.75
    assert fields["inventory_number"] == 9_007_199_254_740_993  # exact, beyond a double
    assert fields["fragile"] is True and fields["on_display"] is None
    assert fields["found_on"] == "2026-03-14"
    assert fields["recorded_at"] == "2026-03-14T09:26:53.589793+00:00", "microseconds kept"
    assert fields["opens_at"] == "09:30:15.250000"
    assert fields["exposure"] == "P2DT03H04M05.000006S"
    assert fields["reference"] == "6f1c2a4e-8b3d-4f7a-9c21-0d5e6b7a8c90"
    assert fields["attributes"] == {"glaze": "green", "marks": ["x", 2, None],
                                    "kiln": {"temp_c": 1180.5}}  # fmt: skip
    assert fields["scanner_ip"] == "2001:db8::8a2e:370:7334"
    assert fields["finder"] == people["AO"]
    assert fields["recorded_by"] == "BL", "a to_field foreign key travels as that field"
    assert fields["materials"] == ["ceramic", "pigment"], "natural keys, sorted"
    assert fields["document"] == ""


def test_every_value_pushed_is_stored_equal_by_value(museum, museum_editor):
    museum_editor.checkout(museum)
    record = bowl_record(museum_editor, museum)
    lid = Artefact.objects.get(title="Bowl lid")
    values = {
        "title": "Glazed bowl, restored",
        "slug": "glazed-bowl-restored",
        "description": "Restored.\nThe crack is filled.",
        "weight_kg": "12.25",
        "length_cm": 32,
        "pieces": 1,
        "inventory_number": -(2**63),
        "fragile": False,
        "on_display": True,
        "found_on": "2026-03-15",
        "recorded_at": "2026-11-25T10:42:00.123456-05:00",
        "opens_at": "17:05",
        "exposure": "-P1DT00H00M00.5S",
        "reference": "0e4c8a2b-1d3f-4e5a-8b6c-7d8e9f0a1b2c",
        "attributes": ["red", {"coats": 2}, None, True],
        "contact_email": "conservation@museum.example.org",
        "source_url": "https://museum.example.org/restored",
        "scanner_ip": "::ffff:192.0.2.1",
        "condition": "good",
        "parent": lid.pk,
        "recorded_by": "CW",
        "materials": ["bone", "ceramic"],
    }

    status, body = museum_editor.push(update(record, values))

    assert status == 200, body
    (result,) = body["results"]
    assert result["status"] == "applied", result
    bowl = Artefact.objects.get(pk=record["pk"])
    assert bowl.weight_kg == Decimal("12.250")
    assert bowl.length_cm == 32.0 and bowl.inventory_number == -(2**63)
    assert bowl.on_display is True and bowl.fragile is False
    assert bowl.found_on == datetime.date(2026, 3, 15)
    assert bowl.recorded_at == datetime.datetime(2026, 11, 25, 15, 42, 0, 123456, tzinfo=UTC)
    assert bowl.opens_at == datetime.time(17, 5)
    assert bowl.exposure == -datetime.timedelta(days=1, microseconds=500000)
    assert bowl.reference == uuid.UUID("0e4c8a2b-1d3f-4e5a-8b6c-7d8e9f0a1b2c")
    assert bowl.attributes == ["red", {"coats": 2}, None, True], "JSON kept as its own type"
    assert bowl.parent == Artefact.objects.get(title="Bowl lid")
    assert bowl.recorded_by == Person.objects.get(code="CW")
    assert set(bowl.materials.all()) == set(Material.objects.filter(code__in=["bone", "ceramic"]))
    # the answer is what every other editor will pull, in the same wire forms
    assert result["values"]["recorded_at"] == "2026-11-25T15:42:00.123456+00:00"
    assert result["values"]["weight_kg"] == "12.250"


def test_a_json_string_stays_a_string_and_an_object_an_object(museum, museum_editor):
    museum_editor.checkout(museum)
    record = bowl_record(museum_editor, museum)

    museum_editor.push(update(record, {"attributes": '{"glaze": "red"}'}))
    assert Artefact.objects.get(pk=record["pk"]).attributes == '{"glaze": "red"}'

    record = bowl_record(museum_editor, museum)
    museum_editor.push(update(record, {"attributes": {"glaze": "red"}}))
    assert Artefact.objects.get(pk=record["pk"]).attributes == {"glaze": "red"}


def test_a_datetime_without_an_offset_is_refused_with_the_field_named(museum, museum_editor):
    museum_editor.checkout(museum)
    record = bowl_record(museum_editor, museum)

    status, body = museum_editor.push(update(record, {"recorded_at": "2026-11-25T10:42:00"}))

    assert status == 200, body
    (result,) = body["results"]
    assert result["status"] == "rejected"
    assert "no time zone offset" in result["errors"]["recorded_at"][0]
    bowl = Artefact.objects.get(pk=record["pk"])
    assert bowl.recorded_at == datetime.datetime(2026, 3, 14, 9, 26, 53, 589793, tzinfo=UTC)


def test_values_of_the_wrong_wire_form_are_refused_per_field(museum, museum_editor):
    museum_editor.checkout(museum)
    record = bowl_record(museum_editor, museum)
    wrong = {
        "weight_kg": "twelve",
        "pieces": 40000,
        "exposure": "two hours",
        "reference": "not-a-uuid",
        "scanner_ip": "300.1.1.1",
        "opens_at": "25:00",
        "fragile": "yes",
    }

    status, body = museum_editor.push(update(record, wrong))

    (result,) = body["results"]
    assert result["status"] == "rejected"
    assert set(result["errors"]) == set(wrong), result["errors"]


def test_equal_values_spelled_differently_are_no_conflict(museum, museum_editor):
    """12.5 == 12.500, and the same instant written in two offsets, are the same values."""
    museum_editor.checkout(museum)
    record = bowl_record(museum_editor, museum)
    bowl = Artefact.objects.get(pk=record["pk"])
    bowl.weight_kg = Decimal("13.5")  # the central site makes the same edits meanwhile
    bowl.recorded_at = datetime.datetime(2026, 11, 25, 15, 42, tzinfo=UTC)
    bowl.save()

    status, body = museum_editor.push(
        update(record, {"weight_kg": "13.50", "recorded_at": "2026-11-25T16:42:00+01:00"})
    )

    (result,) = body["results"]
    assert result["status"] in ("applied", "merged"), result
    assert not result.get("conflicts")


def test_a_file_field_takes_a_reference_never_a_path(museum, museum_editor, media_root):
    """A file travels as a reference to its content (docs/files.md): a path a client
    typed is refused, naming the field, and other edits keep the file."""
    bowl = Artefact.objects.get(title="Glazed bowl")
    bowl.document.save("bowl-report.pdf", ContentFile(b"%PDF-1.4 report"))
    museum_editor.checkout(museum)
    record = bowl_record(museum_editor, museum)
    assert record["fields"]["document"] == {
        "name": "museum/documents/bowl-report.pdf", "size": 15,
        "sha256": hashlib.sha256(b"%PDF-1.4 report").hexdigest(), "content_type": "application/pdf",
    }  # fmt: skip

    for hostile in ("../museum/settings.py", "/etc/passwd", 3):
        _, body = museum_editor.push(update(record, {"document": hostile}))
        (result,) = body["results"]
        assert result["status"] == "rejected" and "document" in result["errors"], hostile

    _, body = museum_editor.push(update(record, {"title": "Glazed bowl, filed"}))
    assert body["results"][0]["status"] == "applied"
    assert Artefact.objects.get(pk=bowl.pk).document.name == "museum/documents/bowl-report.pdf"
