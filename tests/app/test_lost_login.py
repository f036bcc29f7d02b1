"""The app when the server stops taking this device's login, or one of its
categories: an expired login opens the login screen, filled in and saying the
queue is kept, and logging in carries on; a withdrawn category and a revoked
device leave the folder, their unsynced edits set aside, and the editor is
told where (the command line's half is tests/client/test_expired_and_revoked_logins.py)."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Input, Static

from tests.support.app_driver import AppDriver, in_store, said, screen_is, settle, until

LoginScreen = MainScreen = None
DEVICES = "from server_plugin.models import Device; "


@pytest.fixture(autouse=True)
def app_names(store_folder):
    global LoginScreen, MainScreen
    from fieldsync_tui.app.screens.login import LoginScreen
    from fieldsync_tui.app.screens.main import MainScreen


def _retitle_one(key: str, title: str) -> str:
    """An offline edit of an article of the category, queued; its pk."""
    from fieldsync_tui.store import edits
    from fieldsync_tui.store.models import Account, Record
    from fieldsync_tui.store.schema import Schema

    schema = Schema(Account.objects.get().schema)
    record = Record.objects.filter(category_key=key, model="news.article").order_by("id").first()
    edits.update_record(schema, "news.article", record.object_pk, {"title": title}, "")
    return record.object_pk


def _records(key: str | None = None) -> int:
    from fieldsync_tui.store.models import Record

    found = Record.objects.all()
    return (found.filter(category_key=key) if key else found).count()


def test_an_expired_login_asks_for_the_password_and_keeps_the_queue(
    driver, central, politics, file_keyring
):
    article = _retitle_one(politics, "Typed before the login expired")
    central.shell(
        DEVICES + "from datetime import timedelta; from django.utils import timezone; "
        "Device.objects.update(created_at=timezone.now() - timedelta(days=200))"
    )

    async def scenario():
        async with driver.run() as pilot:
            app = pilot.app
            await pilot.press("ctrl+s")
            await screen_is(pilot, LoginScreen, "the login screen, the login having expired")
            screen = app.screen
            notice = str(screen.query_one("#login-notice", Static).content)
            assert "expired" in notice and "1 unsynced change(s) stay" in notice, notice
            assert screen.query_one("#url", Input).value == central.url
            assert screen.query_one("#username", Input).value == "editor1"
            assert app.focused is screen.query_one("#password", Input)
            assert await in_store(_records) > 0, "the records stay"

            await pilot.press(*"demo-password", "enter")
            await screen_is(pilot, MainScreen, "the main screen, logged in again")
            await settle(pilot)
            await pilot.press("ctrl+s")
            await until(pilot, lambda: said(app, "1 pushed"), "the kept edit to go out")

    asyncio.run(scenario())
    title = central.records(politics)[("news.article", article)]["values"]["title"]
    assert title == "Typed before the login expired"


def test_a_withdrawn_category_then_a_revoked_device_leave_the_folder_saying_where(
    empty_store, central, editor1, politics
):
    culture, _ = editor1.checkout("Culture")
    _retitle_one(culture.key, "Culture edit")
    set_aside = empty_store / "set-aside"
    before = len(list(set_aside.glob("*.json")))
    central.shell(
        "from server_plugin.models import CategoryGrant; CategoryGrant.objects.filter("
        f"user__username='editor1', category_key={culture.key!r}).delete()"
    )
    driver = AppDriver(empty_store, token=editor1.transport.token)

    async def scenario():
        async with driver.run() as pilot:
            app = pilot.app
            await pilot.press("ctrl+s")
            await until(pilot, lambda: said(app, f"are in {set_aside}"), "where Culture's edit is")
            assert said(app, "Culture: you no longer have access")
            assert await in_store(lambda: _records(culture.key)) == 0

            await in_store(lambda: _retitle_one(politics, "Typed before the revocation"))
            central.shell(
                DEVICES + "from server_plugin.access import revoke_devices; "
                "revoke_devices(Device.objects.all(), None)"
            )
            await pilot.press("ctrl+s")
            await screen_is(pilot, LoginScreen, "the login screen, the device revoked")
            notice = str(app.screen.query_one("#login-notice", Static).content)
            assert "revoked" in notice and f"are in {set_aside}" in notice, notice
            assert await in_store(_records) == 0

    asyncio.run(scenario())
    assert len(list(set_aside.glob("*.json"))) == before + 2
