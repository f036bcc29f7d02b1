"""The login screen on an 80×24 terminal (a new user's trial): the error and the
"Log in" button were drawn below the last row, so a failed attempt changed nothing
the editor could see. They must be on screen, above the footer, not covered."""

from __future__ import annotations

import asyncio

from textual.widgets import Button, Footer, Input, Label

from tests.support.app_driver import AppDriver, screen_is, until

SMALL = (80, 24)


def seen(app, widget) -> bool:
    """The widget is drawn inside the screen, above the footer, and is what the editor
    sees at its middle (nothing is drawn over it)."""
    region = widget.region
    footer_top = app.screen.query_one(Footer).region.y
    if region.height == 0 or region.y < 0 or region.bottom > footer_top:
        return False
    return app.get_widget_at(*region.center)[0] is widget


def _error(screen) -> Label:
    return screen.query_one("#login-error", Label)


def test_at_80x24_the_error_of_empty_fields_and_the_button_are_on_screen(empty_store):
    from fieldsync_tui.app.screens.login import LoginScreen

    async def scenario():
        async with AppDriver(empty_store, token=None).run(size=SMALL) as pilot:
            await screen_is(pilot, LoginScreen)
            app, screen = pilot.app, pilot.app.screen
            assert seen(app, screen.query_one("#submit", Button)), "the button fits at first"

            await pilot.press("ctrl+l")

            await until(pilot, lambda: _error(screen).has_class("error"), "the error")
            await pilot.pause(0.1)
            assert str(_error(screen).content).startswith("Please fill in the server address")
            assert seen(app, _error(screen)), f"the error is on screen: {_error(screen).region}"
            assert app.focused is screen.query_one("#url", Input)
            assert seen(app, app.focused), "and so is the field to fill in"

    asyncio.run(scenario())


def test_at_80x24_a_wrong_password_is_said_on_screen_even_with_the_plain_http_warning(
    central, empty_store, file_keyring
):
    """The tallest form a new editor meets: a notice, plain http ticked (its warning
    shown), then a refused password."""
    from fieldsync_tui.app.screens.login import LoginScreen

    async def scenario():
        driver = AppDriver(empty_store, token=None)
        async with driver.run(size=SMALL) as pilot:
            await screen_is(pilot, LoginScreen)
            app, screen = pilot.app, pilot.app.screen
            screen.query_one("#url", Input).value = central.url
            screen.query_one("#username", Input).value = "editor1"
            screen.query_one("#password", Input).value = "not-the-password"
            screen.query_one("#insecure-http").value = True
            await pilot.pause(0.1)

            await pilot.press("ctrl+l")

            await until(pilot, lambda: "Wrong" in str(_error(screen).content), "the refusal")
            await pilot.pause(0.1)
            assert seen(app, _error(screen)), f"the refusal is on screen: {_error(screen).region}"

            # The button is reachable with tab from the last field, and then on screen.
            screen.query_one("#device", Input).focus()
            await pilot.press("tab", "tab")
            await pilot.pause(0.1)
            assert app.focused is screen.query_one("#submit", Button)
            assert seen(app, app.focused), "the focused button is scrolled into view"

    asyncio.run(scenario())


def test_at_80x24_the_form_with_a_notice_still_shows_its_error(empty_store):
    """Logged out by an expired token, the screen says why above the form: the error of a
    failed attempt is still scrolled into view."""
    from fieldsync_tui.app.screens.login import LoginScreen

    async def scenario():
        async with AppDriver(empty_store, token=None).run(size=SMALL) as pilot:
            await screen_is(pilot, LoginScreen)
            notice = (
                "Your login on this device has expired: log in again. Your work on this "
                "device is kept."
            )
            await pilot.app.push_screen(LoginScreen(notice=notice, url="https://x.example"))
            await screen_is(pilot, LoginScreen)
            app, screen = pilot.app, pilot.app.screen
            assert screen.notice

            await pilot.press("ctrl+l")

            await until(pilot, lambda: _error(screen).has_class("error"), "the error")
            await pilot.pause(0.1)
            assert seen(app, _error(screen)), f"the error is on screen: {_error(screen).region}"

    asyncio.run(scenario())
