"""The command palette lists each command once (issue 11, problem 10: Quit was there
twice, from the system commands and from the ctrl+q binding)."""

from __future__ import annotations

from collections import Counter

from textual.command import CommandPalette
from textual.widgets import OptionList

from tests.support.app_driver import settle, until
from tests.support.sample_app import run_app, short_store  # noqa: F401  (fixture)


async def palette_prompts(pilot, app, query: str = "") -> list[str]:
    await pilot.press("ctrl+p")
    await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
    await settle(pilot)
    if query:
        await pilot.press(*query)
    options = app.screen.query_one(OptionList)
    await until(pilot, lambda: options.option_count > (0 if query else 5), "the palette's commands")
    await pilot.pause(0.3)
    return [str(options.get_option_at_index(i).prompt).split("\n")[0].strip()
            for i in range(options.option_count)]  # fmt: skip


def test_the_palette_lists_quit_sync_and_help_once(short_store):  # noqa: F811
    async def scenario(pilot, app):
        prompts = await palette_prompts(pilot, app)
        counts = Counter(prompts)
        duplicated = {name: n for name, n in counts.items() if n > 1}
        assert not duplicated, f"listed more than once: {duplicated}"
        assert any(p.startswith("Quit") for p in prompts), prompts

    run_app(short_store, scenario)


def test_at_80_columns_each_command_is_listed_once(short_store):  # noqa: F811
    """A new user's trial: "Edit" was listed twice at 80x24 (the table's enter and the
    screen's)."""

    async def scenario(pilot, app):
        from fieldsync_tui.app.widgets.records_table import RecordsTable

        app.screen.query_one(RecordsTable).focus()
        prompts = await palette_prompts(pilot, app)
        duplicated = {name: n for name, n in Counter(prompts).items() if n > 1}
        assert not duplicated, f"listed more than once: {duplicated}"

    run_app(short_store, scenario, size=(80, 24))


def test_sync_in_the_palette_is_sync_now_when_no_sync_runs(short_store):  # noqa: F811
    """A new user's trial: "sync" + enter ran "Cancel sync", the first match, which did
    nothing; a command that cannot run now is not offered."""

    async def scenario(pilot, app):
        prompts = await palette_prompts(pilot, app, "sync")
        assert prompts and "Cancel" not in prompts[0], prompts
        assert not any(p.startswith("Cancel sync") for p in prompts), prompts

    run_app(short_store, scenario)
