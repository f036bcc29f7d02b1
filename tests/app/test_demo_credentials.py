"""`fieldsync demo` needs no keyring, and does not care whether keyrings.alt is
installed: its secrets go to a file of its own folder that only its owner can
read, and the screen says where."""

from __future__ import annotations

import asyncio
import stat

import pytest

from tests.support.app_driver import AppDriver, online, screen_is


@pytest.fixture
def demo_mode(empty_store):
    from fieldsync_tui import credentials

    yield empty_store
    credentials.keep_in_folder(None)
    (empty_store / credentials.DEMO_FILE).unlink(missing_ok=True)


def test_the_demo_logs_in_with_no_keyring_and_keeps_its_token_in_its_folder(
    central, demo_mode, monkeypatch, capsys
):
    from fieldsync_tui import credentials
    from fieldsync_tui.app.screens.main import MainScreen
    from fieldsync_tui.cli.app_launch import log_in_demo_editor

    monkeypatch.delenv("FIELDSYNC_TOKEN", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    with pytest.raises(credentials.CredentialsError, match="Secret Service"):
        credentials.check_keyring()  # no keyring at all here

    token = log_in_demo_editor(demo_mode, central.url)

    kept = demo_mode / credentials.DEMO_FILE
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert token in kept.read_text()
    assert str(kept) in capsys.readouterr().out, "the screen says where the token is"

    async def scenario():
        async with AppDriver(demo_mode, token=None).run() as pilot:  # reads it back
            await screen_is(pilot, MainScreen, "the demo opens logged in")
            await online(pilot)

    asyncio.run(scenario())
