"""This folder's account, as an engine to talk to its server and as words.

The app holds its token in memory (from the login screen or the keyring at
start); the command line reads it from the keyring for each command.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from ..store import queries
from ..sync.transport import sends_in_clear

if TYPE_CHECKING:
    from ..sync.engine import NotLoggedIn, SyncEngine

# The engine and the keyring are imported by the functions that need them: a local
# command asks only require_login() and starts without them.

NOT_LOGGED_IN = "not logged in: run `fieldsync login URL --username NAME`"


def not_logged_in(detail: str = NOT_LOGGED_IN) -> NotLoggedIn:
    from ..sync.engine import NotLoggedIn

    return NotLoggedIn(detail)


def engine(token: str | None, progress=None, cancel: threading.Event | None = None) -> SyncEngine:
    """An engine for this folder's account with `token`."""
    from ..sync.engine import SyncEngine
    from ..sync.transport import Transport

    account = queries.account()
    if account is None:
        raise not_logged_in()
    return SyncEngine(Transport.for_account(account, token), progress, cancel=cancel)


def engine_from_keyring(progress=None) -> SyncEngine:
    """An engine with the token the keyring keeps for this folder's account."""
    from .. import credentials

    account = queries.account()
    if account is None:
        raise not_logged_in()
    token = credentials.load_token(account.server_url, account.username, account.device_name)
    if not token:
        raise not_logged_in("no token for this folder in the keyring: run `fieldsync login` again")
    return engine(token, progress)


def require_login():
    """The account, or NotLoggedIn for commands that need one but no server."""
    account = queries.account()
    if account is None:
        raise not_logged_in()
    return account


def account_line() -> str:
    """ "fieldsync · news.example.org · editor1", and "plain http" when it is."""
    account = queries.account()
    if account is None:
        return "fieldsync"
    host = account.server_url.split("://", 1)[-1]
    line = f"fieldsync · {host} · {account.username}"
    if sends_in_clear(account.server_url, account.insecure_http):
        line += " · plain http"
    return line
