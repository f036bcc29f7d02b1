"""The login screen never sends the password over plain http to another machine
unless the editor ticks the box that says what it costs; the app remembers it."""

from __future__ import annotations

import asyncio

from textual.widgets import Checkbox, Input, Label

from tests.support.app_driver import AppDriver, in_store, online, screen_is, status_bar, until
from tests.support.proxy import FlakyProxy, non_loopback_host


def test_plain_http_to_another_host_waits_for_the_box_to_be_ticked(
    central, empty_store, file_keyring
):
    from fieldsync_tui.app.screens.login import LoginScreen
    from fieldsync_tui.app.screens.main import MainScreen
    from fieldsync_tui.store.models import Account

    driver = AppDriver(empty_store, token=None)

    async def scenario(network):
        async with driver.run() as pilot:
            await screen_is(pilot, LoginScreen)
            screen = pilot.app.screen
            screen.query_one("#url", Input).value = network.url
            screen.query_one("#username", Input).value = "editor1"
            screen.query_one("#password", Input).value = "demo-password"
            warning = screen.query_one("#insecure-warning")
            assert not warning.display, "no warning before the box is ticked"

            await pilot.press("ctrl+l")

            error = screen.query_one("#login-error", Label)
            await until(pilot, lambda: error.has_class("error"), "the refusal under the form")
            assert "plain http" in str(error.content).lower()
            assert "Send over plain http" in str(error.content)
            assert network.received == [], "not one byte of the password may leave"

            screen.query_one("#insecure-http", Checkbox).value = True
            await until(pilot, lambda: warning.display, "the warning under the box")
            assert "can read your password" in str(warning.render())
            await pilot.press("ctrl+l")

            await screen_is(pilot, MainScreen, "the main screen after logging in")
            await online(pilot)
            assert any("auth/token" in seen for seen in network.received)
            assert status_bar(pilot.app).account_line.endswith("plain http")
            return await in_store(lambda: Account.objects.get().insecure_http)

    with FlakyProxy(central.url, host=non_loopback_host()) as network:
        assert asyncio.run(scenario(network)) is True, "the choice is remembered"
