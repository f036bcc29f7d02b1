"""The plugin's settings: one ``FIELDSYNC`` dict, defaults in one place.

Read through `fieldsync_settings()`, never through ``settings.FIELDSYNC``
directly, so every default is documented here and in docs/settings.md.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # "app_label.Model" of the model whose rows are the categories editors check out.
    "CATEGORY_MODEL": None,
    # "app_label.Model" -> options; see registry.py for the options of one model.
    "MODELS": {},
    # "exclusive": one device holds a category; "advisory": several may, with a warning.
    "CHECKOUT_MODE": "exclusive",
    # How long a checkout lasts without activity from its device, in seconds.
    "CHECKOUT_LEASE_SECONDS": 30 * 24 * 3600,
    # A device token stops working when unused this long (seconds), and at this age
    # whatever its use: the editor logs in again, nothing queued is lost. See
    # docs/settings.md for why 30 and 180 days.
    "TOKEN_IDLE_SECONDS": 30 * 24 * 3600,
    "TOKEN_MAX_AGE_SECONDS": 180 * 24 * 3600,
    # Logins (POST v1/auth/token) answer 429 once a username, or a client address,
    # has failed this often within the window, shared by every app server. The
    # address is REMOTE_ADDR, or behind a proxy the last entry of the request
    # header named here as Django names it in META (e.g. "HTTP_X_FORWARDED_FOR").
    "LOGIN_FAILURES_PER_USERNAME": 10,
    "LOGIN_FAILURES_PER_ADDRESS": 50,
    "LOGIN_FAILURE_WINDOW_SECONDS": 15 * 60,
    "LOGIN_ADDRESS_HEADER": None,
    # Password checks (about a second of CPU each) one app server process runs at
    # once; a login beyond them answers 429 "try again in 1 second" without waiting.
    "LOGIN_CONCURRENT_CHECKS": 2,
    # Largest request body the API reads, in bytes; larger ones get 413.
    "MAX_BODY_BYTES": 5 * 1024 * 1024,
    # Records per page of the change feed: the default and the most a client may ask.
    "PULL_LIMIT": 500,
    "MAX_PULL_LIMIT": 5000,
    # Largest file content a file field takes (FileField, ImageField), in bytes: an
    # upload over it answers 413, a push naming it is rejected (docs/files.md).
    "MAX_FILE_BYTES": 50 * 1024 * 1024,
    # Largest bundle file (docs/bundles.md) the site reads, in bytes once decompressed.
    "MAX_BUNDLE_BYTES": 256 * 1024 * 1024,
    # When True a user needs a CategoryGrant (directly or through a group) to see a
    # category; superusers always see every category.
    "REQUIRE_CATEGORY_GRANT": True,
}


def fieldsync_settings() -> dict[str, Any]:
    configured = getattr(settings, "FIELDSYNC", {}) or {}
    return {**DEFAULTS, **configured}


def setting(name: str) -> Any:
    return fieldsync_settings()[name]
