"""Every field type round-trips exactly on a site that is not the newsroom.

The museum's field survey (tests/museum_site): integer keys, a Decimal, JSON,
a duration, a UUID that is not the key, an IPv6 address, a self-reference, a
foreign key by ``to_field``, natural keys in a many-to-many. A value typed in
the command line arrives in the central database equal by value; a value set
centrally arrives in the client in its exact wire form; and the client checks
what it can offline, in Django's own words, before anything is queued.
"""

from __future__ import annotations

import json

import pytest

from tests.support.central import CentralSite
from tests.support.editor import Editor

from .conftest import DELTA, make_editor

pytestmark = pytest.mark.both_backends  # the central database matters here

NEW_YORK = {"TZ": "America/New_York"}  # the editor's laptop is in New York


def central_values(site: CentralSite, title: str) -> dict:
    """The artefact as the central database holds it, each value as Python's repr
    of the stored type made JSON (Decimal and datetimes as text, exactly)."""
    out = site.shell(
        "import json\n"
        "from tests.museum_site.models import Artefact\n"
        "iso = lambda value: value.isoformat() if value is not None else None\n"
        f"a = Artefact.objects.get(title={title!r})\n"
        "print(json.dumps({\n"
        "  'pk': a.pk, 'title': a.title, 'slug': a.slug, 'description': a.description,\n"
        "  'weight_kg': repr(a.weight_kg), 'length_cm': a.length_cm, 'pieces': a.pieces,\n"
        "  'inventory_number': a.inventory_number, 'fragile': a.fragile,\n"
        "  'on_display': a.on_display, 'found_on': iso(a.found_on),\n"
        "  'recorded_at': iso(a.recorded_at), 'opens_at': iso(a.opens_at),\n"
        "  'exposure': repr(a.exposure), 'reference': str(a.reference),\n"
        "  'attributes': a.attributes, 'contact_email': a.contact_email,\n"
        "  'source_url': a.source_url, 'scanner_ip': a.scanner_ip,\n"
        "  'condition': a.condition, 'status': a.status, 'finder': a.finder and a.finder.code,\n"
        "  'parent': a.parent and a.parent.title,\n"
        "  'recorded_by': a.recorded_by and a.recorded_by.code,\n"
        "  'materials': sorted(m.code for m in a.materials.all()),\n"
        "  'catalogue_code': a.catalogue_code,\n"
        "}))\n"
    )
    return json.loads(out)


def person_keys(site: CentralSite) -> dict:
    out = site.shell(
        "import json\nfrom tests.museum_site.models import Person\n"
        "print(json.dumps({p.code: p.pk for p in Person.objects.all()}))"
    )
    return json.loads(out)


def artefact_pk(editor: Editor, title: str):
    for row in editor.json("records", DELTA, "--model", "artefact"):
        if row["title"] == title:
            return row["pk"]
    raise AssertionError(f"no artefact {title!r} in {DELTA}")


def checked_out_editor(museum_site, tmp_path, keyring_home) -> Editor:
    editor = make_editor("editor1", tmp_path, keyring_home, museum_site)
    editor.run("checkout", DELTA)
    return editor


def test_every_field_typed_in_the_cli_arrives_equal_by_value(museum_site, tmp_path, keyring_home):
    editor = checked_out_editor(museum_site, tmp_path, keyring_home)
    bowl = artefact_pk(editor, "Glazed bowl")
    lid = artefact_pk(editor, "Bowl lid")
    people = person_keys(museum_site)
    typed = {
        "title": "Glazed bowl — restored",
        "slug": "glazed-bowl-restored",
        "description": "Restored in the field.\nThe crack is filled.",
        "weight_kg": "12.5",
        "length_cm": "32.25",
        "pieces": "2",
        "inventory_number": "9007199254740995",
        "fragile": "no",
        "on_display": "yes",
        "found_on": "2026-03-15",
        "recorded_at": "2026-11-25 10:42:00.123456",  # New York time, no offset typed
        "opens_at": "17:05:30.5",
        "exposure": "1 day, 2:03:04.000005",
        "reference": "0E4C8A2B-1D3F-4E5A-8B6C-7D8E9F0A1B2C",
        "attributes": '{"glaze": "red", "coats": [1, 2.5, null], "sealed": true}',
        "contact_email": "conservation@museum.example.org",
        "source_url": "https://museum.example.org/restored",
        "scanner_ip": "2001:db8::1",
        "condition": "Good",  # the label; the value is "good"
        "finder": str(people["CW"]),
        "parent": str(lid),
        "recorded_by": "AO",  # ForeignKey(to_field="code")
        "materials": "bone, ceramic",
    }
    sets = [arg for name, value in typed.items() for arg in ("--set", f"{name}={value}")]

    editor.run("edit", "artefact", str(bowl), *sets, env=NEW_YORK)
    sync = editor.run("sync")

    assert "rejected" not in sync.stdout, sync.stdout
    stored = central_values(museum_site, "Glazed bowl — restored")
    assert stored == {
        "pk": int(bowl),
        "title": "Glazed bowl — restored",
        "slug": "glazed-bowl-restored",
        "description": "Restored in the field.\nThe crack is filled.",
        "weight_kg": "Decimal('12.500')",
        "length_cm": 32.25,
        "pieces": 2,
        "inventory_number": 9007199254740995,
        "fragile": False,
        "on_display": True,
        "found_on": "2026-03-15",
        "recorded_at": "2026-11-25T15:42:00.123456+00:00",  # 10:42 in New York, to the µs
        "opens_at": "17:05:30.500000",
        "exposure": "datetime.timedelta(days=1, seconds=7384, microseconds=5)",
        "reference": "0e4c8a2b-1d3f-4e5a-8b6c-7d8e9f0a1b2c",
        "attributes": {"glaze": "red", "coats": [1, 2.5, None], "sealed": True},
        "contact_email": "conservation@museum.example.org",
        "source_url": "https://museum.example.org/restored",
        "scanner_ip": "2001:db8::1",
        "condition": "good",
        "status": "recorded",
        "finder": "CW",
        "parent": "Bowl lid",
        "recorded_by": "AO",
        "materials": ["bone", "ceramic"],
        "catalogue_code": stored["catalogue_code"],
    }
    # The editor now holds exactly what the server holds, in the same wire forms.
    mine = editor.json("show", "artefact", str(bowl))
    key = museum_site.category_key(DELTA)
    theirs = museum_site.records(key)[("museum.artefact", str(bowl))]
    assert mine["values"] == theirs["values"]
    assert mine["version"] == theirs["version"]


def test_every_value_set_centrally_arrives_in_its_wire_form(museum_site, tmp_path, keyring_home):
    editor = checked_out_editor(museum_site, tmp_path, keyring_home)
    pin = artefact_pk(editor, "Bronze pin")
    museum_site.shell(
        "import datetime, uuid\nfrom decimal import Decimal\n"
        "from tests.museum_site.models import Artefact\n"
        "a = Artefact.objects.get(title='Bronze pin')\n"
        "a.weight_kg = Decimal('0.120')\n"
        "a.recorded_at = datetime.datetime(2026, 12, 1, 8, 0, 0, 7, tzinfo=datetime.UTC)\n"
        "a.exposure = datetime.timedelta(minutes=-90)\n"
        "a.opens_at = datetime.time(6, 0, 0, 1)\n"
        "a.attributes = {'alloy': {'cu': 0.88, 'sn': 0.12}, 'tags': [], 'ok': None}\n"
        "a.reference = uuid.UUID('12345678-1234-5678-1234-567812345678')\n"
        "a.inventory_number = -1\n"
        "a.scanner_ip = '192.0.2.200'\n"
        "a.save()\n"
    )

    editor.run("sync")

    values = editor.json("show", "artefact", str(pin))["values"]
    assert values["weight_kg"] == "0.120"
    assert values["recorded_at"] == "2026-12-01T08:00:00.000007+00:00"
    assert values["exposure"] == "-P0DT01H30M00S"
    assert values["opens_at"] == "06:00:00.000001"
    assert values["attributes"] == {"alloy": {"cu": 0.88, "sn": 0.12}, "tags": [], "ok": None}
    assert values["reference"] == "12345678-1234-5678-1234-567812345678"
    assert values["inventory_number"] == -1 and values["scanner_ip"] == "192.0.2.200"


def test_a_new_record_starts_from_the_models_defaults(museum_site, tmp_path, keyring_home):
    editor = checked_out_editor(museum_site, tmp_path, keyring_home)
    trench = next(
        row["pk"] for row in editor.json("records", DELTA, "--model", "trench")
        if row["title"] == "North trench"
    )  # fmt: skip

    created = editor.json("new", "artefact", "--set", f"trench={trench}", "--set", "title=Sherd")
    editor.run("sync")

    assert created["values"]["attributes"] == {}, "JSONField(default=dict)"
    assert created["values"]["pieces"] == 1 and created["values"]["condition"] == "good"
    stored = central_values(museum_site, "Sherd")
    assert stored["attributes"] == {} and stored["pieces"] == 1
    assert stored["reference"] == created["values"]["reference"], "uuid4 made on the device"
    # save() derived a catalogue code: it comes back to the editor who created it
    mine = editor.json("show", "artefact", str(stored["pk"]))
    assert mine["values"]["catalogue_code"] == stored["catalogue_code"] != ""


def test_offline_checks_speak_djangos_words_and_queue_nothing(museum_site, tmp_path, keyring_home):
    editor = checked_out_editor(museum_site, tmp_path, keyring_home)
    bowl = artefact_pk(editor, "Glazed bowl")
    lid_code = editor.json("show", "artefact", str(artefact_pk(editor, "Bowl lid")))["values"][
        "catalogue_code"
    ]
    museum_site.stop()  # offline from here on: every check below is the client's own
    refused = {
        "weight_kg=-1": "Ensure this value is greater than or equal to 0.",
        "weight_kg=1.2345": "Ensure that there are no more than 3 decimal places.",
        "pieces=501": "Ensure this value is less than or equal to 500.",
        "pieces=-2": "from 0 to 32767",
        "contact_email=finds-at-museum": "Enter a valid email address.",
        "source_url=museum dot org": "Enter a valid URL.",
        "slug=glazed bowl": "Enter a valid “slug”",
        "attributes={glaze: red}": "not valid JSON",
        "recorded_at=yesterday": "not a date and time",
        "exposure=a while": "not a duration",
        f"catalogue_code={lid_code}": "Artefact with this Catalogue code already exists.",
        "title=Bowl lid": "Artefact with this Trench and Title already exists.",
        "recorded_by=ZZ": "no museum.person with id ZZ here",
        "condition=shattered": "not one of the choices",
        "title=": "This field cannot be blank.",
    }
    for assignment, words in refused.items():
        result = editor.run("edit", "artefact", str(bowl), "--set", assignment, check=False)
        assert result.returncode == 1, (assignment, result.stdout, result.stderr)
        assert words in result.stderr, (assignment, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert editor.count("pendingchange") == 0
