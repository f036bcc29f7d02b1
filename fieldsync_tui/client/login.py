"""Logging a folder in, once for the CLI, the app and the demo.

A login is more than the token: the token must be kept (or revoked at once, so
no unkept token stays valid on the server), the schema fetched, the categories
an earlier login of this folder held taken back, and the category list read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..store.models import Account
from ..sync.engine import KeepSigningKey, SyncEngine
from ..sync.transport import Transport

KeepToken = Callable[[str, str, str, str], None]  # (server_url, username, device, token)


@dataclass
class Login:
    token: str
    engine: SyncEngine
    resumed: list[str] = field(default_factory=list)  # checkouts taken back, in words
    schema_changes: list[str] = field(default_factory=list)


def log_in(
    transport: Transport,
    username: str,
    password: str,
    device: str,
    keep_token: KeepToken,
    keep_signing_key: KeepSigningKey | None = None,
) -> Login:
    token = SyncEngine.login(transport, username, password, device, keep_signing_key)
    Account.objects.update(insecure_http=transport.sends_in_clear)
    account = Account.objects.get()
    try:
        keep_token(account.server_url, account.username, device, token)
    except Exception:
        transport.logout()  # an unkept token must not stay valid on the server
        raise
    engine = SyncEngine(transport)
    engine.refresh_schema()
    resumed = engine.resume_checkouts()
    engine.refresh_categories()
    return Login(token, engine, resumed, list(engine.schema_changes))
