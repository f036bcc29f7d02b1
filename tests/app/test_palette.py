"""The command palette lists each command once (issue 11, problem 10: Quit was there
twice, from the system commands and from the ctrl+q binding)."""

from __future__ import annotations

from collections import Counter

from textual.command import CommandPalette
from textual.widgets import OptionList

from tests.support.app_driver import settle, until
from tests.support.sample_app import run_app, short_store  # noqa: F401  (fixture)


def test_the_palette_lists_quit_sync_and_help_once(short_store):  # noqa: F811
    async def scenario(pilot, app):
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
        await settle(pilot)
        options = app.screen.query_one(OptionList)
        await until(pilot, lambda: options.option_count > 5, "the palette's commands")
        await pilot.pause(0.3)
        prompts = [str(options.get_option_at_index(i).prompt).split("\n")[0]
                   for i in range(options.option_count)]  # fmt: skip
        counts = Counter(p.strip() for p in prompts)
        duplicated = {name: n for name, n in counts.items() if n > 1}
        assert not duplicated, f"listed more than once: {duplicated}"
        assert any(p.startswith("Quit") for p in prompts), prompts

    run_app(short_store, scenario)
