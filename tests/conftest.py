"""Fixtures every test tier may use (plain Python: no Django, no server)."""

from __future__ import annotations

import pytest

from tests.support.local_time import local_time_zone


@pytest.fixture
def in_new_york():
    """This process's local time zone is New York for the test (as an editor's laptop):
    what an editor types without an offset is New York time."""
    with local_time_zone("America/New_York"):
        yield
