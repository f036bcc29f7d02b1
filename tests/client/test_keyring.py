"""Where the token is kept: the OS keyring, or a clear refusal; never a plaintext file
that keyring picked up by itself because keyrings.alt happens to be installed."""

from __future__ import annotations

import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
import keyring.backends.SecretService
from keyrings.alt.file import PlaintextKeyring

from fieldsync_tui import credentials
from tests.client.test_cli_errors import assert_one_line_error
from tests.support.editor import Editor


def no_system_keyring(tmp_path) -> dict:
    """A headless box: no keyring named, no keyring config, no D-Bus session to ask."""
    return {
        "PYTHON_KEYRING_BACKEND": None,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp_path / 'no-bus'}",
    }


def live_devices(central, name: str) -> int:
    """Devices of that name whose token the server still accepts."""
    return int(central.shell(
        "from server_plugin.models import Device; "
        f"print(Device.objects.filter(name={name!r}, revoked_at__isnull=True).count())"
    ).strip())  # fmt: skip


def test_only_the_operating_systems_keyrings_are_chosen_without_being_named():
    assert credentials.is_system_keyring(keyring.backends.SecretService.Keyring())
    for unsafe in (
        PlaintextKeyring(),
        keyring.backends.fail.Keyring(),
        keyring.backends.null.Keyring(),
        keyring.backends.chainer.ChainerBackend(),
    ):
        assert not credentials.is_system_keyring(unsafe), unsafe


def test_login_with_no_system_keyring_says_what_to_do_and_leaves_no_token(
    central, tmp_path, keyring_home
):
    editor = Editor("editor1", tmp_path / "data", keyring_home, env=no_system_keyring(tmp_path))

    result = editor.run("login", central.url, "--username", "editor1", "--password-stdin",
                        "--device", "headless", stdin="demo-password\n", check=False)  # fmt: skip

    assert_one_line_error(result, 5, "Secret Service", "KWallet", "Keychain",
                          "Credential Locker", "fieldsync demo")  # fmt: skip
    assert not keyring_home.exists(), "no plaintext keyring file was made"
    assert live_devices(central, "headless") == 0


def test_a_keyring_that_cannot_store_the_token_leaves_none_valid_on_the_server(
    central, tmp_path, keyring_home
):
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    editor = Editor("editor1", tmp_path / "data", keyring_home,
                    env={"XDG_DATA_HOME": str(not_a_folder)})  # fmt: skip

    result = editor.run("login", central.url, "--username", "editor1", "--password-stdin",
                        "--device", "broken", stdin="demo-password\n", check=False)  # fmt: skip

    assert_one_line_error(result, 5, "keyring refused to store")
    assert live_devices(central, "broken") == 0
