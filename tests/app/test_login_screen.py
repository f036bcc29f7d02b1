"""The login screen as a new editor meets it (issue 11, problem 7): an empty server
field reads as empty, what is missing is said in words, and a wrong password is
called that, not "log in again" on the very screen where one is logging in."""

from __future__ import annotations

import asyncio

from textual.widgets import Input, Label

from tests.support.app_driver import AppDriver, screen_is, until


def _error(screen) -> Label:
    return screen.query_one("#login-error", Label)


def test_no_known_server_is_an_empty_field_with_an_example(empty_store):
    from fieldsync_tui.app.screens.login import LoginScreen

    async def scenario():
        async with AppDriver(empty_store, token=None).run() as pilot:
            await screen_is(pilot, LoginScreen)
            screen = pilot.app.screen
            url = screen.query_one("#url", Input)
            assert url.value == ""
            assert url.placeholder.startswith("e.g. "), "reads as an example, not a value"
            assert "127.0.0.1" not in url.placeholder

            await pilot.press("ctrl+l")

            await until(pilot, lambda: _error(screen).has_class("error"), "the error")
            said = str(_error(screen).content)
            assert said == "Please fill in the server address, your user name and your password."
            assert pilot.app.focused is url, "the cursor goes to the first field to fill in"

    asyncio.run(scenario())


def test_a_wrong_password_says_so_without_log_in_again(central, empty_store, file_keyring):
    from fieldsync_tui.app.screens.login import LoginScreen

    async def scenario():
        async with AppDriver(empty_store, token=None).run() as pilot:
            await screen_is(pilot, LoginScreen)
            screen = pilot.app.screen
            screen.query_one("#url", Input).value = central.url
            screen.query_one("#username", Input).value = "editor1"
            screen.query_one("#password", Input).value = "not-the-password"

            await pilot.press("ctrl+l")

            await until(pilot, lambda: "Wrong" in str(_error(screen).content), "the refusal")
            said = str(_error(screen).content)
            assert said.startswith("Wrong user name or password"), said
            assert "log in again" not in said
            assert isinstance(pilot.app.screen, LoginScreen)

    asyncio.run(scenario())
