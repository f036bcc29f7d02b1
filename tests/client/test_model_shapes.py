"""Model shapes from the editor's side (docs/model-shapes.md).

End to end on the museum site (tests/museum_site), a multi-table child:
``Painting(Artefact)``, edited and created from the command line, with a
note pointing at it through the parent's key. And in the local store alone
(fast, no server): a record with a natural key is created with the key the
editor types, checked offline.
"""

from __future__ import annotations

import json

import pytest

from .conftest import DELTA, make_editor

pytestmark = pytest.mark.both_backends  # the central database matters here


def central_painting(site, title: str) -> dict:
    out = site.shell(
        "import json\n"
        "from tests.museum_site.models import Artefact, Note, Painting\n"
        f"p = Painting.objects.get(title={title!r})\n"
        "print(json.dumps({'pk': p.pk, 'artist': p.artist, 'medium': p.medium,\n"
        "  'trench': p.trench_id, 'catalogue_code': p.catalogue_code,\n"
        "  'artefact_title': Artefact.objects.get(pk=p.pk).title,\n"
        "  'notes': sorted(n.text for n in Note.objects.filter(artefact=p))}))\n"
    )
    return json.loads(out)


def row_of(editor, model: str, title: str) -> dict:
    for row in editor.json("records", DELTA, "--model", model):
        if row["title"] == title:
            return row
    raise AssertionError(f"no {model} {title!r} in {DELTA}")


def test_an_editor_edits_and_creates_a_painting_and_notes_on_it(
    museum_site, tmp_path, keyring_home
):
    editor = make_editor("editor1", tmp_path, keyring_home, museum_site)
    editor.run("checkout", DELTA)
    harbour = row_of(editor, "painting", "Harbour at dusk")
    south = int(row_of(editor, "trench", "South trench")["pk"])
    varnish = row_of(editor, "note", "Varnish lifting at the corner.")
    assert harbour["pk"] not in {
        row["pk"] for row in editor.json("records", DELTA, "--model", "artefact")
    }

    # Inherited and own fields of a painting; a note whose artefact is a painting.
    editor.run("edit", "painting", str(harbour["pk"]), "--set", "title=Harbour at night",
               "--set", "artist=M. Sá")  # fmt: skip
    editor.run("edit", "note", varnish["pk"], "--set", "text=Varnish lifting, left corner.")
    # A new painting (a temporary id) and a note on it, naming it by that id.
    created = editor.json("new", "painting", "--set", f"trench={south}",
                          "--set", "title=Reed boats", "--set", "medium=fresco")  # fmt: skip
    assert created["pk"].startswith("tmp:")
    note = editor.json("new", "note", "--set", f"artefact={created['pk']}",
                       "--set", "text=Pigment flaking.")  # fmt: skip
    sync = editor.run("sync")

    assert "rejected" not in sync.stdout, sync.stdout
    edited = central_painting(museum_site, "Harbour at night")
    assert edited["artist"] == "M. Sá" and edited["artefact_title"] == "Harbour at night"
    assert edited["notes"] == ["Varnish lifting, left corner."]
    made = central_painting(museum_site, "Reed boats")
    assert (made["medium"], made["trench"], made["notes"]) == (
        "fresco",
        south,
        ["Pigment flaking."],
    )
    # The permanent id came back, with what save() derived; the note follows the new id.
    mine = editor.json("show", "painting", str(made["pk"]))
    assert mine["values"]["catalogue_code"] == made["catalogue_code"] != ""
    assert editor.json("show", "note", note["pk"])["values"]["artefact"] == made["pk"]
    # One record per painting, held exactly as the server holds it.
    key = museum_site.category_key(DELTA)
    theirs = museum_site.records(key)
    assert ("museum.artefact", str(made["pk"])) not in theirs
    assert mine["values"] == theirs[("museum.painting", str(made["pk"]))]["values"]
    status = editor.json("status")
    assert (status["queued"], status["conflicts"], status["rejected"]) == (0, 0, 0)


# -- natural keys, in the store alone ----------------------------------------------------

MATERIALS = {
    "category_model": "museum.expedition",
    "models": [
        {
            "label": "museum.material",
            "verbose_name": "material",
            "verbose_name_plural": "materials",
            "pk": {"name": "code", "type": "CharField", "max_length": 30},
            "category_path": None,
            "reference": True,
            "writable": True,
            "policy": "client",
            "display_field": "name",
            "fields": [
                {"name": "name", "type": "CharField", "verbose_name": "name", "max_length": 100}
            ],
        }
    ],
}


def test_a_natural_key_is_typed_by_the_editor_and_checked_offline(local_store):
    from fieldsync_tui.store import edits
    from fieldsync_tui.store.models import Record
    from fieldsync_tui.store.schema import Schema

    Record.objects.filter(model="museum.material").delete()  # the store is shared

    schema = Schema(MATERIALS)
    model = schema.get("material")
    key = model.field("code").parse("obsidian")  # what `--set code=obsidian` gives

    record = edits.create_record(schema, "material", {"code": key, "name": "Obsidian"})

    assert (record.object_pk, record.values) == ("obsidian", {"name": "Obsidian"})
    refused = {
        "no key": {"name": "Jet"},
        "too long": {"code": "x" * 31, "name": "Long"},
        "taken": {"code": "obsidian", "name": "Again"},
    }
    messages = {}
    for case, values in refused.items():
        with pytest.raises(edits.EditError) as raised:
            edits.create_record(schema, "material", values)
        messages[case] = str(raised.value)
    assert messages == {
        "no key": "code: give the new material its key (code)",
        "too long": "code: Ensure this value has at most 30 characters (it has 31).",
        "taken": "code: a material 'obsidian' exists already",
    }
    with pytest.raises(edits.EditError, match="code: cannot be edited"):
        edits.update_record(schema, "material", "obsidian", {"code": "glass"})
