"""The museum test site (tests/museum_site) in process: its FIELDSYNC setting,
seeded, and devices of its editors.

The museum's tables exist in every server test database (tests/server/settings.py
installs the app); the `museum` fixture switches ``FIELDSYNC`` to the museum's
for one test (the registry is rebuilt on ``setting_changed``) and seeds it.
Below the fixtures, readers of what an editor pulls from the museum's feeds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.core.management import call_command

from server_plugin.feed import read_feed
from server_plugin.models import FeedCounter
from tests.museum_site.models import Expedition
from tests.museum_site.settings import FIELDSYNC as MUSEUM_FIELDSYNC

if TYPE_CHECKING:
    from .conftest import Api  # conftest imports this module: no import at run time

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


# -- reading what editors pull ---------------------------------------------------


def feed_changes(user, expedition_or_key, since: int = 0) -> list[dict]:
    """Every change of a feed after `since`, page by page."""
    key = expedition_or_key if isinstance(expedition_or_key, str) else str(expedition_or_key.pk)
    changes, cursor = [], since
    while True:
        page = read_feed(user, key, since=cursor, limit=100)
        changes += page["changes"]
        cursor = page["cursor"]
        if not page["more"]:
            return changes


def latest(changes: list[dict], model: str, pk) -> dict:
    """The last entry of a record in a run of feed changes."""
    found = [c for c in changes if c["model"] == model and str(c["pk"]) == str(pk)]
    assert found, f"{model} {pk} not in the feed"
    return found[-1]


def pulled(api: Api, expedition, model: str, pk) -> dict:
    """A record as the editor's device pulls it (the museum's pks repeat across models)."""
    status, page = api.changes(expedition, limit=1000)
    assert status == 200, page
    return latest(page["changes"], model, pk)


def end_of(expedition_or_key) -> int:
    key = expedition_or_key if isinstance(expedition_or_key, str) else str(expedition_or_key.pk)
    counter = FeedCounter.objects.filter(category_key=key).first()
    return counter.last_position if counter else 0
