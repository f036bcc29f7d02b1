"""The device token, kept in the OS keyring and nowhere else.

``FIELDSYNC_TOKEN`` in the environment takes precedence (for scripts and CI
boxes without a keyring). On a machine with no keyring backend the error
says exactly how to get one; nothing is ever written to the data folder.
"""

from __future__ import annotations

import os

import keyring
from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

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


def save_token(server_url: str, username: str, device: str, token: str) -> None:
    try:
        keyring.set_password(SERVICE, _entry(server_url, username, device), token)
    except NoKeyringError:
        raise CredentialsError(NO_KEYRING_HELP) from None
    except KeyringError as error:
        raise CredentialsError(f"the keyring refused to store the token: {error}") from None


def load_token(server_url: str, username: str, device: str) -> str | None:
    if os.environ.get(ENV_TOKEN):
        return os.environ[ENV_TOKEN]
    try:
        return keyring.get_password(SERVICE, _entry(server_url, username, device))
    except NoKeyringError:
        raise CredentialsError(NO_KEYRING_HELP) from None
    except KeyringError as error:
        raise CredentialsError(f"the keyring could not be read: {error}") from None


def delete_token(server_url: str, username: str, device: str) -> None:
    try:
        keyring.delete_password(SERVICE, _entry(server_url, username, device))
    except (PasswordDeleteError, NoKeyringError):
        pass
