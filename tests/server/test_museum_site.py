"""The museum test site registers and syncs in process: a smoke test that the
second site (tests/museum_site) is usable by the other tests."""

from __future__ import annotations

from server_plugin.registry import get_registry


def test_the_museum_registers_every_model_it_names(museum):
    labels = set(get_registry().models)

    assert labels == {
        "museum.trench", "museum.artefact", "museum.painting", "museum.note", "museum.person",
        "museum.material",
    }  # fmt: skip


def test_an_editor_pulls_the_museums_expedition_and_reference_data(museum, museum_editor):
    status, _ = museum_editor.checkout(museum)
    assert status == 200

    status, page = museum_editor.changes(museum)
    assert status == 200, page
    titles = {
        change["fields"]["title"]
        for change in page["changes"]
        if change["model"] == "museum.artefact"
    }
    assert titles == {"Glazed bowl", "Bowl lid", "Bronze pin"}
    models = {change["model"] for change in page["changes"]}
    assert {"museum.trench", "museum.note", "museum.painting"} <= models

    status, reference = museum_editor.get("reference/changes")
    assert status == 200, reference
    assert {c["model"] for c in reference["changes"]} == {"museum.person", "museum.material"}
