"""The device token, kept in the OS keyring and nowhere else.

``FIELDSYNC_TOKEN`` in the environment takes precedence (for scripts and CI
boxes without a keyring). Which keyring: the one the environment names
(``PYTHON_KEYRING_BACKEND``, or keyring's own config file), else the
operating system's (Secret Service, KWallet, the macOS Keychain, the Windows
Credential Locker). A plaintext or otherwise unsafe backend that keyring
would pick up by itself because it happens to be installed (``keyrings.alt``'s
``PlaintextKeyring`` comes with the dev extra) is never chosen automatically.
With none, the error says exactly what to do; nothing is ever written to the
data folder. The demo alone keeps its secrets in its own folder
(``keep_in_folder``): its users share a published password.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

SERVICE = "fieldsync"
ENV_TOKEN = "FIELDSYNC_TOKEN"
ENV_BACKEND = "PYTHON_KEYRING_BACKEND"
DEMO_FILE = "demo-credentials.json"

NO_KEYRING_HELP = (
    "no system keyring to keep your token safe: install and unlock one (a Secret Service "
    "such as GNOME Keyring, or KWallet, on Linux; the macOS Keychain; the Windows Credential "
    "Locker), or try fieldsync without one: `fieldsync demo`"
)

# The operating systems' own keyrings, as keyring ships them: the only ones chosen
# without being named (keyring.backends.chainer, fail and null are not keyrings).
_SYSTEM_KEYRINGS = (
    "keyring.backends.SecretService",
    "keyring.backends.libsecret",
    "keyring.backends.kwallet",
    "keyring.backends.macOS",
    "keyring.backends.Windows",
)
_NO_KEYRINGS = ("keyring.backends.fail", "keyring.backends.null")

_demo_folder: Path | None = None


class CredentialsError(Exception):
    pass


def _entry(server_url: str, username: str, device: str) -> str:
    return f"{username}@{server_url.rstrip('/')} [{device}]"


def is_system_keyring(backend) -> bool:
    """One of the operating system's keyrings (not a file, not a chain of whatever is there)."""
    return type(backend).__module__ in _SYSTEM_KEYRINGS


@functools.cache
def _system_keyring():
    """The best system keyring that works here, or None (looked for once per process:
    asking D-Bus costs time)."""
    from keyring.backend import by_priority, get_all_keyring

    return max(filter(is_system_keyring, get_all_keyring()), key=by_priority, default=None)


def _named_keyring():
    """The keyring the environment names, or None: PYTHON_KEYRING_BACKEND, then
    keyring's config file (keyringrc.cfg). Whatever it is, the editor chose it."""
    from keyring import core

    name = os.environ.get(ENV_BACKEND, "").strip()
    try:
        return core.load_keyring(name) if name else core.load_config()
    except Exception as error:  # an unknown name, or a backend that cannot work here
        where = f"{ENV_BACKEND}={name}" if name else "the keyring config file"
        raise CredentialsError(f"{where} names a keyring that cannot be used: {error}") from None


def _keyring():
    """The keyring backend to use and keyring's errors; CredentialsError if there is none."""
    from keyring import errors

    if _demo_folder is not None:
        return _FolderKeyring(_demo_folder / DEMO_FILE), errors
    backend = _named_keyring() or _system_keyring()
    if backend is None or type(backend).__module__ in _NO_KEYRINGS:
        raise CredentialsError(NO_KEYRING_HELP)
    return backend, errors


def check_keyring() -> None:
    """Raise CredentialsError now, before a password is sent, if no token could be kept."""
    _keyring()


def keep_in_folder(folder: Path | None) -> None:
    """The demo's secrets go to FOLDER/demo-credentials.json (mode 0600) for the rest of
    this process, never to the keyring; None goes back to the keyring."""
    global _demo_folder
    _demo_folder = folder


def demo_file() -> Path | None:
    """Where the demo keeps its secrets in this process, if it does."""
    return _demo_folder / DEMO_FILE if _demo_folder is not None else None


def save_token(server_url: str, username: str, device: str, token: str) -> None:
    backend, errors = _keyring()
    try:
        backend.set_password(SERVICE, _entry(server_url, username, device), token)
    except errors.NoKeyringError:
        raise CredentialsError(NO_KEYRING_HELP) from None
    except (errors.KeyringError, OSError) as error:
        raise CredentialsError(
            f"the keyring refused to store the token (is it unlocked?): {error}"
        ) from None


def load_token(server_url: str, username: str, device: str) -> str | None:
    if os.environ.get(ENV_TOKEN):
        return os.environ[ENV_TOKEN]
    backend, errors = _keyring()
    try:
        return backend.get_password(SERVICE, _entry(server_url, username, device))
    except errors.NoKeyringError:
        raise CredentialsError(NO_KEYRING_HELP) from None
    except (errors.KeyringError, OSError) as error:
        raise CredentialsError(f"the keyring could not be read: {error}") from None


def delete_token(server_url: str, username: str, device: str) -> None:
    try:
        backend, errors = _keyring()
    except CredentialsError:
        return
    try:
        backend.delete_password(SERVICE, _entry(server_url, username, device))
    except (errors.PasswordDeleteError, errors.NoKeyringError):
        pass


class _FolderKeyring:
    """The demo's secrets in one JSON file only its owner can read (0600), written whole
    and renamed into place. The keyring calls, so the rest of this module need not care."""

    def __init__(self, path: Path):
        self.path = path

    def _read(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}

    def _write(self, data: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(data, file)
        os.chmod(temporary, 0o600)  # also when it was there already, with other bits
        os.replace(temporary, self.path)

    def get_password(self, service: str, username: str) -> str | None:
        return self._read().get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._read()
        data.setdefault(service, {})[username] = password
        self._write(data)

    def delete_password(self, service: str, username: str) -> None:
        data = self._read()
        if data.get(service, {}).pop(username, None) is not None:
            self._write(data)


def move_entries(old_url: str, new_url: str, username: str, device: str) -> None:
    """The token and bundle signing key kept for a device at `old_url`, kept for
    `new_url` instead (the same site at another address: the demo on another port)."""
    for entry in (_entry, _signing_key_entry):
        backend, errors = _keyring()
        secret = backend.get_password(SERVICE, entry(old_url, username, device))
        if secret is not None:
            backend.set_password(SERVICE, entry(new_url, username, device), secret)
            try:
                backend.delete_password(SERVICE, entry(old_url, username, device))
            except errors.PasswordDeleteError:
                pass


# -- the device's bundle signing key (docs/bundles.md), kept beside its token ----------


def _signing_key_entry(server_url: str, username: str, device: str) -> str:
    return _entry(server_url, username, device) + " bundle signing key"


def save_signing_key(server_url: str, username: str, device: str, signing_key: str) -> None:
    """The private half of the key pair made at login: it signs this device's changes
    bundles, and only the keyring holds it (the server has the public half)."""
    backend, errors = _keyring()
    try:
        backend.set_password(SERVICE, _signing_key_entry(server_url, username, device), signing_key)
    except errors.NoKeyringError:
        raise CredentialsError(NO_KEYRING_HELP) from None
    except (errors.KeyringError, OSError) as error:
        raise CredentialsError(
            f"the keyring refused to store the bundle signing key (is it unlocked?): {error}"
        ) from None


def load_signing_key(server_url: str, username: str, device: str) -> str | None:
    backend, errors = _keyring()
    try:
        return backend.get_password(SERVICE, _signing_key_entry(server_url, username, device))
    except errors.NoKeyringError:
        raise CredentialsError(NO_KEYRING_HELP) from None
    except (errors.KeyringError, OSError) as error:
        raise CredentialsError(f"the keyring could not be read: {error}") from None


def delete_signing_key(server_url: str, username: str, device: str) -> None:
    try:
        backend, errors = _keyring()
    except CredentialsError:
        return
    try:
        backend.delete_password(SERVICE, _signing_key_entry(server_url, username, device))
    except (errors.PasswordDeleteError, errors.NoKeyringError):
        pass
