"""Find filters the records as the editor types, and says when nothing matches
(issue 11, problem 10): no Enter needed. The sample store, no network."""

from __future__ import annotations

from tests.support.app_driver import settle, table, until
from tests.support.sample_app import run_app, short_store, shown_range

__all__ = ["short_store"]  # a fixture


def titles(app) -> list[str]:
    return [row["title"] for row in table(app).rows_shown]


def test_find_filters_as_you_type_and_says_when_nothing_matches(short_store):
    async def scenario(pilot, app):
        await pilot.press("slash")
        await pilot.press(*"mayor")
        await until(pilot, lambda: titles(app) == ["Mayor resigns"], "only the mayor's record")
        assert app.screen.query_one("#find").has_focus, "typing goes on in the find box"

        await pilot.press(*" zz")
        await until(pilot, lambda: table(app).row_count == 0, "no rows for 'mayor zz'")
        assert shown_range(app) == "No records match “mayor zz”"

        await pilot.press("escape")
        await until(pilot, lambda: len(titles(app)) == 9, "every record again after esc")
        await settle(pilot)
        assert shown_range(app) == "rows 1–9 of 9"

    run_app(short_store, scenario)


def test_keys_typed_in_the_find_box_are_text_not_commands(short_store):
    async def scenario(pilot, app):
        await pilot.press("slash")
        await pilot.press(*"quick draft g")
        await until(pilot, lambda: shown_range(app) == "No records match “quick draft g”",
                    "the whole text typed as the find")  # fmt: skip
        assert not app._exit, "q in the find box is a letter, not quit"
        assert app.screen.query_one("#find").value == "quick draft g"

    run_app(short_store, scenario)
