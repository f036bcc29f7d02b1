"""A schema change deployed while an editor holds queued work: on the museum
site (tests/museum_site), restarted between syncs with another synced schema
(``FIELDSYNC_MUSEUM_MODELS``, see its settings), then with a real migration
(settings_migrated.py: a field renamed, one removed, two added). Nothing is refused because the
schema moved, the editor's values of what went away are set aside and listed,
and the store ends equal to the server. The decisions themselves are tested
fast in test_schema_change_rules.py."""

from __future__ import annotations

import json
import signal

import pytest

from tests.support.central import CentralSite
from tests.support.editor import Editor

from .conftest import make_editor

pytestmark = pytest.mark.both_backends  # the central database matters here

DELTA = "Delta survey 2026"
ARTEFACT, PAINTING, NOTE = "museum.artefact", "museum.painting", "museum.note"
# Before: slug and contact_email not synced yet. After: description no longer synced
# (the site still has it: what the server kept there can be compared), slug and
# contact_email synced, notes withdrawn.
BEFORE = {"museum.Artefact": {"exclude": ["slug", "contact_email"]}}
AFTER = {"museum.Artefact": {"exclude": ["description"]}, "museum.Note": None}


@pytest.fixture
def museum_site(museum_template, tmp_path):
    site = CentralSite(
        museum_template, tmp_path / "central", env={"FIELDSYNC_MUSEUM_MODELS": json.dumps(BEFORE)}
    ).start()
    yield site
    site.close()


def deploy(site: CentralSite, models: dict | None = None, settings: str | None = None) -> None:
    """Restart the site on the same port with another synced schema, or with other
    settings (a real migration, applied as the site starts)."""
    site.stop()
    if models is not None:
        site.env["FIELDSYNC_MUSEUM_MODELS"] = json.dumps(models)
    if settings is not None:
        site.env["DJANGO_SETTINGS_MODULE"] = settings
    site.start()


def server_artefacts(site: CentralSite) -> dict:
    """title -> the fields a test reads, straight from the site's database."""
    output = site.shell(
        "import json\n"
        "from tests.museum_site.models import Artefact\n"
        "print(json.dumps({a.title: [a.description, a.pieces, a.length_cm, a.slug] "
        "for a in Artefact.objects.all()}))"
    )
    return json.loads(output.strip().splitlines()[-1])


def held(editor: Editor) -> dict:
    """(model, title) -> pk of the records the editor holds in the expedition."""
    return {(r["model"], r["title"]): r["pk"] for r in editor.json("records", DELTA)}


def test_a_field_removed_two_added_and_a_model_withdrawn_while_edits_wait(
    museum_site, tmp_path, keyring_home
):
    editor = make_editor("editor1", tmp_path, keyring_home, museum_site)
    editor.run("checkout", DELTA)
    pks = held(editor)
    bowl, pin, lid = (pks[(ARTEFACT, title)] for title in ("Glazed bowl", "Bronze pin", "Bowl lid"))
    north = pks[("museum.trench", "North trench")]
    note = pks[(NOTE, "Photographed in situ.")]
    before = server_artefacts(museum_site)

    # Sent, applied by the server, its answer never settled here (killed after it came).
    editor.run("edit", "artefact", bowl, "--set", "description=Crack now 4 cm.",
               "--set", "pieces=4")  # fmt: skip
    killed = editor.run("sync", env={"FIELDSYNC_CRASH_AT": "push-answered:1"}, check=False)
    assert killed.returncode == -signal.SIGKILL
    # Frozen for sending, never sent (killed before the push left).
    editor.run("edit", "artefact", pin, "--set", "description=Green patina.",
               "--set", "length_cm=7.5")  # fmt: skip
    killed = editor.run("sync", env={"FIELDSYNC_CRASH_AT": "push-frozen:1"}, check=False)
    assert killed.returncode == -signal.SIGKILL
    # Open: an edit of the removed field only, a new record carrying it, a note.
    editor.run("edit", "artefact", lid, "--set", "description=Fits the bowl.")
    editor.run("new", "artefact", "--set", f"trench={north}", "--set", "title=Rim sherd",
               "--set", "description=Glazed, like the bowl.")  # fmt: skip
    editor.run("edit", "note", note, "--set", "text=Photographed in situ, twice.")

    deploy(museum_site, AFTER)
    synced = editor.run("sync", check=False)

    assert synced.returncode == 0, synced.stdout + synced.stderr  # nothing refused, no conflict
    assert "The central site's schema changed" in synced.stdout
    assert "no longer has the field “description” of artefact" in synced.stdout
    assert "no longer lists note (museum.note)" in synced.stdout
    status = editor.json("status")
    assert (status["queued"], status["rejected"], status["conflicts"]) == (0, 0, 0)
    kept = {entry["title"]: entry for entry in status["set_aside"]}
    assert set(kept) == {
        "Glazed bowl", "Bronze pin", "Bowl lid", "Rim sherd", "Photographed in situ, twice."
    }  # fmt: skip
    assert "description" in kept["Bronze pin"]["reason"]
    assert "museum.note" in kept["Photographed in situ, twice."]["reason"]
    files = {e["title"]: json.loads(open(e["path"]).read())["values"] for e in status["set_aside"]}
    assert files["Bronze pin"] == {"description": "Green patina."}
    assert files["Rim sherd"] == {"description": "Glazed, like the bowl."}

    after = server_artefacts(museum_site)
    assert after["Glazed bowl"][:2] == ["Crack now 4 cm.", 4]  # applied once, before the change
    assert after["Bronze pin"] == [before["Bronze pin"][0], 1, 7.5, ""]  # sent again without it
    assert after["Bowl lid"] == before["Bowl lid"]  # an edit of the removed field only: nothing
    assert after["Rim sherd"][0] == ""  # created, the removed field left to the site's default
    key = museum_site.category_key(DELTA)
    server = museum_site.records(key)
    assert editor.records(key) == server  # slug and contact_email as the site holds them
    assert server[(ARTEFACT, bowl)]["values"]["slug"] == "glazed-bowl"
    assert not any(model == NOTE for model, _ in editor.records(key))

    editor.run("edit", "artefact", bowl, "--set", "slug=bowl-glazed")  # a new field, edited
    assert editor.run("sync").returncode == 0
    assert server_artefacts(museum_site)["Glazed bowl"][3] == "bowl-glazed"
    assert editor.records(key) == museum_site.records(key)

    # A real migration: length_cm renamed length, exposure removed, two fields added.
    editor.run("edit", "artefact", lid, "--set", "length_cm=8.5")
    editor.run("edit", "artefact", pin, "--set", "exposure=1:30:00", "--set", "pieces=2")
    editor.run("new", "painting", "--set", f"trench={north}", "--set", "title=Harbour sketch",
               "--set", "exposure=0:10:00")  # fmt: skip
    deploy(museum_site, settings="tests.museum_site.settings_migrated")
    synced = editor.run("sync", check=False)

    assert synced.returncode == 0, synced.stdout + synced.stderr
    status = editor.json("status")
    assert (status["queued"], status["rejected"], status["conflicts"]) == (0, 0, 0)
    migrated = [e for e in status["set_aside"] if "length_cm" in e["reason"]]
    moved = {e["title"]: json.loads(open(e["path"]).read())["values"] for e in migrated}
    (lid_file,) = [e["path"] for e in migrated if e["title"] == "Bowl lid"]
    told = (
        f"Artefact: “length_cm” was removed and “length” added; “length_cm”'s values were set "
        f"aside in {lid_file}; “length” shows the central site's values."
    )
    assert told in synced.stdout  # told as both facts, with the file, never merged
    assert moved == {
        "Bowl lid": {"length_cm": 8.5},
        "Bronze pin": {"exposure": "P0DT01H30M00S"},
        "Harbour sketch": {"exposure": "P0DT00H10M00S"},
    }
    server = museum_site.records(key)
    assert editor.records(key) == server  # the renamed values as the migration moved them
    assert server[(ARTEFACT, bowl)]["values"]["length"] == 31.75
    assert server[(ARTEFACT, bowl)]["values"]["provenance"] == ""
    assert server[(ARTEFACT, pin)]["values"]["pieces"] == 2
    assert (PAINTING, held(editor)[(PAINTING, "Harbour sketch")]) in server  # created
