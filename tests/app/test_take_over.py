"""A category held by the same editor on another device, taken over from the app, and
the category list showing check-out and check-in at once (issue 11, problems 1 and 8).

editor1's second device is logged in over HTTP beside the app's ("pilot"), with
its own token, and checks Politics out first: the app then reads "held by you
on desktop since …", and `c` asks, saying what becomes of desktop's unsynced
changes, before taking it over.
"""

from __future__ import annotations

import asyncio

from tests.support.app_driver import (
    highlight_category,
    online,
    said,
    screen_is,
    settle,
    table,
    until,
)


def other_device_checkout(central, category: str):
    """editor1 on a second device ("desktop") checks `category` out, over HTTP only (the
    app's store stays the app's): that device's transport."""
    from fieldsync_tui.sync.transport import Transport

    transport = Transport(central.url)
    transport.token = transport.login("editor1", "demo-password", "desktop")["token"]
    transport.checkout(central.category_key(category))
    return transport


def categories_pane(app):
    from fieldsync_tui.app.widgets.categories_list import CategoriesList

    return app.screen.query_one(CategoriesList)


def line_of(app, name: str) -> str:
    pane = categories_pane(app)
    index = [c["name"] for c in pane.categories].index(name)
    return str(pane.get_option_at_index(index).prompt)


def test_a_category_held_by_you_on_another_device_is_taken_over_from_the_app(driver, central):
    from fieldsync_tui.app.screens.confirm import ConfirmScreen
    from fieldsync_tui.app.screens.main import MainScreen

    desktop = other_device_checkout(central, "Politics")

    async def scenario():
        async with driver.run() as pilot:
            app = pilot.app
            await online(pilot)
            await until(pilot, lambda: "held by you on desktop since" in line_of(app, "Politics"),
                        "the list: Politics held by you on desktop")  # fmt: skip
            await highlight_category(pilot, "Politics")
            assert "held by you on desktop since" in table(app).border_title
            await pilot.press("i")  # not a dead end: the way out is named
            await until(pilot, lambda: said(app, "press c to take it over"), "the way out")

            await pilot.press("c")
            await screen_is(pilot, ConfirmScreen)
            question = app.screen.question
            assert "Take Politics over" in question
            assert "can no longer be pushed" in question and "set aside" in question
            await pilot.press("y")
            await screen_is(pilot, MainScreen)
            await until(pilot, lambda: categories_pane(app).selected["checked_out"],
                        "Politics checked out here")  # fmt: skip
            await settle(pilot)
            assert "(you)" in line_of(app, "Politics")
            assert "checked out by you" in table(app).border_title
            assert said(app, "Politics is checked out to you")
            assert said(app, "desktop"), "the take-over's warning names the other device"

    asyncio.run(scenario())
    politics = next(c for c in desktop.categories() if c["name"] == "Politics")
    assert [h["device"] for h in politics["holders"]] == ["pilot"], "the server moved it"


def test_the_category_list_shows_check_out_and_check_in_at_once(driver):
    from fieldsync_tui.app.screens.confirm import ConfirmScreen
    from fieldsync_tui.app.screens.main import MainScreen

    async def scenario():
        async with driver.run() as pilot:
            app = pilot.app
            await online(pilot)
            await highlight_category(pilot, "Sport")
            assert "free" in line_of(app, "Sport")

            await pilot.press("c")
            await screen_is(pilot, ConfirmScreen)
            await pilot.press("y")
            await screen_is(pilot, MainScreen)
            await until(pilot, lambda: "(you)" in line_of(app, "Sport"), "Sport: (you)")
            assert "checked out by you" in table(app).border_title

            await pilot.press("i")
            await screen_is(pilot, ConfirmScreen)
            await pilot.press("y")
            await screen_is(pilot, MainScreen)
            await until(pilot, lambda: "free" in line_of(app, "Sport"), "Sport: free at once")
            assert "(you)" not in line_of(app, "Sport")
            assert "not checked out" in table(app).border_title

    asyncio.run(scenario())
