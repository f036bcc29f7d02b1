"""Keys typed right after opening a screen go to that screen, even while it fills in.

The app runs over the sample newsroom (one open conflict on "Mayor resigns":
its body, then its status), with no network: the keys are pressed in one burst
after the one that opens the screen, as a fast typist would.
"""

from __future__ import annotations

import threading
from unittest import mock

import pytest

from tests.support import sample_store
from tests.support.app_driver import run, settle, until
from tests.support.sample_store import MAYOR_MINE, main_screen_ready


@pytest.fixture
def sample_app(empty_store):
    sample_store.fill()
    with sample_store.frozen_clock():
        yield sample_store.make_app(empty_store)


def test_take_mine_typed_as_the_conflict_screen_opens_lands(sample_app):
    run(_take_mine_at_once(sample_app))


async def _take_mine_at_once(sample_app):
    from fieldsync_tui.app.screens import conflict
    from fieldsync_tui.app.screens.conflict import ConflictScreen

    typed = threading.Event()  # a busy machine: the conflicts load only after the keys
    load_views = conflict.load_views

    def slow_load_views(*args):
        typed.wait(10)
        return load_views(*args)

    async with sample_app.run_test(size=sample_store.SIZE) as pilot:
        await main_screen_ready(pilot)
        with mock.patch.object(conflict, "load_views", slow_load_views):
            await pilot.press("x", "m", "n", "t")  # mine for the body, theirs for the status
            screen = pilot.app.screen
            assert isinstance(screen, ConflictScreen) and not screen.loaded
            typed.set()
        await until(pilot, lambda: screen.loaded, "the conflict to load")
        await settle(pilot)
        choices = screen.choices[screen.current.id]
        assert {name: choice.take for name, choice in choices.items()} == {
            "body": "mine",
            "status": "theirs",
        }
        assert screen.current_field.name == "status"
        await pilot.press("p")
        await settle(pilot)
        assert MAYOR_MINE in screen.result_text


def test_keys_typed_as_help_opens_scroll_it_and_close_it(sample_app):
    run(_scroll_and_close_help_at_once(sample_app))


async def _scroll_and_close_help_at_once(sample_app):
    from fieldsync_tui.app.screens.help import HelpScreen
    from fieldsync_tui.app.screens.main import MainScreen

    async with sample_app.run_test(size=sample_store.SIZE) as pilot:
        await main_screen_ready(pilot)
        await pilot.press("question_mark", "end")
        help_screen = pilot.app.screen
        assert isinstance(help_screen, HelpScreen)
        await settle(pilot)
        scroll = help_screen.query_one("#help-scroll")
        assert scroll.max_scroll_y > 0 and scroll.scroll_y == scroll.max_scroll_y
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, MainScreen)
        await pilot.press("question_mark", "q")  # q closes help; on the main screen it quits
        await settle(pilot)
        assert isinstance(pilot.app.screen, MainScreen)
        assert pilot.app.return_code is None  # not quitting
