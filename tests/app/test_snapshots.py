"""What the screens look like, fixed as SVG snapshots (pytest-textual-snapshot).

The app runs over the sample newsroom of `tests/support/sample_store.py`: a
fixed schema, fixed rows, a frozen clock in UTC, no network and no ping, at
one terminal size. A change to a screen's look fails here until the new look
is accepted with `pytest tests/app/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import pytest

from tests.support import sample_store
from tests.support.app_driver import settle
from tests.support.sample_store import (
    conflict_ready,
    form_ready,
    main_screen_ready,
    no_blinking,
    photo_ready,
    queue_ready,
)


@pytest.fixture
def sample_app(empty_store):
    """The real app over the sample newsroom, with the clock frozen and no network."""
    sample_store.fill()
    with sample_store.frozen_clock():
        yield sample_store.make_app(empty_store)


def test_main_screen(snap_compare, sample_app):
    assert snap_compare(sample_app, terminal_size=sample_store.SIZE, run_before=main_screen_ready)


def test_record_form(snap_compare, sample_app):
    assert snap_compare(sample_app, terminal_size=sample_store.SIZE, run_before=form_ready)


def test_record_form_with_a_wrong_value_marked(snap_compare, sample_app):
    async def wrong_date(pilot):
        from textual.widgets import Input

        await form_ready(pilot)
        pilot.app.screen.query_one("#field-published_on", Input).value = "2026-02-30"
        await pilot.press("ctrl+s")
        await settle(pilot)
        pilot.app.screen.query_one("#fields").scroll_to_widget(
            pilot.app.screen.query_one("#error-published_on"), animate=False
        )
        await settle(pilot)
        no_blinking(pilot.app)

    assert snap_compare(sample_app, terminal_size=sample_store.SIZE, run_before=wrong_date)


def test_sync_queue(snap_compare, sample_app):
    assert snap_compare(sample_app, terminal_size=sample_store.SIZE, run_before=queue_ready)


def test_conflict_screen(snap_compare, sample_app):
    assert snap_compare(sample_app, terminal_size=sample_store.SIZE, run_before=conflict_ready)


def test_photo_record_previews_its_image(snap_compare, sample_app):
    assert snap_compare(sample_app, terminal_size=sample_store.SIZE, run_before=photo_ready)
