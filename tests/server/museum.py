"""The museum test site (tests/museum_site) in process: its FIELDSYNC setting,
seeded, and devices of its editors.

The museum's tables exist in every server test database (tests/server/settings.py
installs the app); the `museum` fixture switches ``FIELDSYNC`` to the museum's
for one test (the registry is rebuilt on ``setting_changed``) and seeds it.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.museum_site.models import Expedition
from tests.museum_site.settings import FIELDSYNC as MUSEUM_FIELDSYNC

DELTA, VALLEY = "Delta survey 2026", "Upper valley 2025"


@pytest.fixture
def museum_settings(settings):
    """The museum's FIELDSYNC, for this test only."""
    settings.FIELDSYNC = MUSEUM_FIELDSYNC
    return settings


@pytest.fixture
def museum(db, museum_settings) -> Expedition:
    """The seeded museum; returns the delta expedition (two trenches, a painting)."""
    call_command("seed_museum", verbosity=0)
    return Expedition.objects.get(name=DELTA)


@pytest.fixture
def valley(museum) -> Expedition:
    return Expedition.objects.get(name=VALLEY)


@pytest.fixture
def museum_editor(museum):
    from .conftest import login  # conftest imports this module's fixtures

    return login("editor1", "editor1-field-laptop")


@pytest.fixture
def museum_editor2(museum):
    from .conftest import login

    return login("editor2", "editor2-field-laptop")


def pulled_record(api, expedition, model: str, pk) -> dict:
    """A museum record as the editor's device pulls it (pks repeat across models)."""
    status, page = api.changes(expedition, limit=1000)
    assert status == 200, page
    found = [c for c in page["changes"] if c["model"] == model and str(c["pk"]) == str(pk)]
    assert found, f"{model} {pk} not in the feed"
    return found[-1]
