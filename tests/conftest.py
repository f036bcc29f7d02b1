"""Fixtures every test tier may use (plain Python: no Django, no server)."""

from __future__ import annotations

import os
import time

import pytest


@pytest.fixture
def in_new_york():
    """This process's local time zone is New York for the test (as an editor's laptop):
    what an editor types without an offset is New York time."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if saved is None:
        os.environ.pop("TZ")
    else:
        os.environ["TZ"] = saved
    time.tzset()
