"""The device token, kept in the OS keyring and nowhere else.

``FIELDSYNC_TOKEN`` in the environment takes precedence (for scripts and CI
boxes without a keyring). On a machine with no keyring backend the error
says exactly how to get one; nothing is ever written to the data folder.
"""

from __future__ import annotations

import os

SERVICE = "fieldsync"
ENV_TOKEN = "FIELDSYNC_TOKEN"

NO_KEYRING_HELP = (
    "no system keyring is available to keep your token safe. Install and unlock one "
    "(GNOME Keyring / KWallet on Linux, or `pip install keyrings.alt` for a file-based "
    "keyring), or set FIELDSYNC_TOKEN in the environment for scripts"
)


class CredentialsError(Exception):
    pass


def _entry(server_url: str, username: str, device: str) -> str:
    return f"{username}@{server_url.rstrip('/')} [{device}]"


def _keyring():
    """The keyring, imported when first needed (it costs a command 40 ms to load)."""
    import keyring
    from keyring import errors

    return keyring, errors


def save_token(server_url: str, username: str, device: str, token: str) -> None:
    keyring, errors = _keyring()
    try:
        keyring.set_password(SERVICE, _entry(server_url, username, device), token)
    except errors.NoKeyringError:
        raise CredentialsError(NO_KEYRING_HELP) from None
    except errors.KeyringError as error:
        raise CredentialsError(f"the keyring refused to store the token: {error}") from None


def load_token(server_url: str, username: str, device: str) -> str | None:
    if os.environ.get(ENV_TOKEN):
        return os.environ[ENV_TOKEN]
    keyring, errors = _keyring()
    try:
        return keyring.get_password(SERVICE, _entry(server_url, username, device))
    except errors.NoKeyringError:
        raise CredentialsError(NO_KEYRING_HELP) from None
    except errors.KeyringError as error:
        raise CredentialsError(f"the keyring could not be read: {error}") from None


def delete_token(server_url: str, username: str, device: str) -> None:
    keyring, errors = _keyring()
    try:
        keyring.delete_password(SERVICE, _entry(server_url, username, device))
    except (errors.PasswordDeleteError, errors.NoKeyringError):
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
