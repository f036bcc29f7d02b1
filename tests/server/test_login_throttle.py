"""Logins are throttled by username and by client address, in the database (the
audit's finding 6: 300 wrong passwords, then the right one, all answered).
The two-process half, where one app server refuses what the other counted,
is tests/client/test_login_throttle_across_servers.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import checks
from django.test import Client, override_settings
from django.utils import timezone

from server_plugin import login_throttle
from server_plugin.models import LoginAttempt

from .conftest import API


def _login(username: str, password: str = "wrong", address: str = "192.0.2.7", **headers):
    response = Client(REMOTE_ADDR=address).post(
        f"{API}/auth/token",
        {"username": username, "password": password, "device": "laptop"},
        content_type="application/json",
        headers=headers,
    )
    return response


def _limits(**overrides):
    return override_settings(FIELDSYNC={**settings.FIELDSYNC, **overrides})


def test_after_the_failures_a_username_allows_the_next_try_is_refused_with_429(newsroom):
    with _limits(LOGIN_FAILURES_PER_USERNAME=3):
        answers = [_login("editor1").status_code for _ in range(3)]
        refused = _login("editor1", "demo-password")

    assert answers == [401, 401, 401]
    assert refused.status_code == 429
    body = refused.json()
    assert body["error"] == "too_many_attempts" and body["retry_after"] > 0
    assert int(refused["Retry-After"]) == body["retry_after"]
    assert "try again in" in body["detail"], body["detail"]


def test_a_refused_try_checks_no_password(newsroom, monkeypatch):
    checked = []
    real = login_throttle.check_password

    def counting(request, username, password):
        checked.append(username)
        return real(request, username, password)

    monkeypatch.setattr(login_throttle, "check_password", counting)
    with _limits(LOGIN_FAILURES_PER_USERNAME=2):
        for _ in range(5):
            _login("editor1")

    assert len(checked) == 2


def test_the_username_is_counted_whatever_its_case_and_from_any_address(newsroom):
    with _limits(LOGIN_FAILURES_PER_USERNAME=2):
        _login("editor1", address="192.0.2.1")
        _login("EDITOR1", address="192.0.2.2")
        assert _login("Editor1", "demo-password", address="192.0.2.3").status_code == 429
        assert _login("editor2", "demo-password").status_code == 201, "another user is not held"


def test_one_address_trying_many_usernames_is_refused(newsroom):
    with _limits(LOGIN_FAILURES_PER_ADDRESS=3):
        for name in ("a", "b", "c"):
            assert _login(name, address="198.51.100.9").status_code == 401
        assert _login("editor1", "demo-password", address="198.51.100.9").status_code == 429
        assert _login("editor1", "demo-password", address="198.51.100.10").status_code == 201


def test_ipv6_addresses_of_one_network_count_together(newsroom):
    with _limits(LOGIN_FAILURES_PER_ADDRESS=2):
        _login("a", address="2001:db8:1:2::1")
        _login("b", address="2001:db8:1:2:ffff::2")
        assert _login("editor1", "demo-password", address="2001:db8:1:2::99").status_code == 429


def test_the_window_passes_and_logins_work_again(newsroom):
    with _limits(LOGIN_FAILURES_PER_USERNAME=2, LOGIN_FAILURE_WINDOW_SECONDS=600):
        _login("editor1")
        _login("editor1")
        assert _login("editor1", "demo-password").status_code == 429
        LoginAttempt.objects.update(at=timezone.now() - timedelta(seconds=601))
        assert _login("editor1", "demo-password").status_code == 201


def test_a_good_login_clears_the_usernames_failures(newsroom):
    with _limits(LOGIN_FAILURES_PER_USERNAME=3):
        _login("editor1")
        _login("editor1")
        assert _login("editor1", "demo-password").status_code == 201
        _login("editor1")
        _login("editor1")
        assert _login("editor1", "demo-password").status_code == 201


def test_refused_tries_do_not_push_the_wait_further(newsroom):
    with _limits(LOGIN_FAILURES_PER_USERNAME=1, LOGIN_FAILURE_WINDOW_SECONDS=600):
        _login("editor1")
        first = _login("editor1").json()["retry_after"]
        for _ in range(5):
            _login("editor1")
        assert LoginAttempt.objects.count() == 2  # the one failure, under both keys
        assert _login("editor1").json()["retry_after"] <= first


def test_behind_a_proxy_the_configured_header_names_the_client(newsroom):
    header = {"X-Forwarded-For": "203.0.113.5, 10.0.0.2"}  # the proxy added the last one
    with _limits(LOGIN_FAILURES_PER_ADDRESS=2, LOGIN_ADDRESS_HEADER="HTTP_X_FORWARDED_FOR"):
        _login("a", address="10.0.0.1", **header)
        _login("b", address="10.0.0.1", **header)
        assert _login("c", address="10.0.0.1", **header).status_code == 429
        other = {"X-Forwarded-For": "10.0.0.3"}
        assert _login("editor1", "demo-password", address="10.0.0.1", **other).status_code == 201


def test_the_table_keeps_no_username_in_clear(newsroom):
    _login("someone-typed-their-password-here")

    keys = list(LoginAttempt.objects.values_list("key", flat=True))

    assert keys and not any("someone" in key for key in keys)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LOGIN_FAILURES_PER_USERNAME", 0),
        ("LOGIN_FAILURES_PER_ADDRESS", "50"),
        ("LOGIN_FAILURE_WINDOW_SECONDS", -1),
        ("LOGIN_CONCURRENT_CHECKS", 0),
        ("LOGIN_ADDRESS_HEADER", "X-Forwarded-For"),
        ("TOKEN_IDLE_SECONDS", 0),
    ],
)
def test_a_bad_limit_is_a_system_error_naming_the_setting(name, value):
    with _limits(**{name: value}):
        errors = checks.run_checks(tags=["fieldsync"])

    assert any(name in error.msg for error in errors if error.level >= checks.ERROR), errors


def test_an_idle_limit_above_the_absolute_age_is_a_warning():
    with _limits(TOKEN_IDLE_SECONDS=200 * 24 * 3600):
        errors = checks.run_checks(tags=["fieldsync"])

    assert any("TOKEN_IDLE_SECONDS" in error.msg for error in errors), errors


def test_logins_beyond_the_concurrent_checks_are_refused_at_once(newsroom, monkeypatch):
    checked = []
    monkeypatch.setattr(login_throttle, "check_password", lambda *args: checked.append(args))
    with _limits(LOGIN_CONCURRENT_CHECKS=2):
        slots = login_throttle.checking_slots(2)
        assert slots.acquire(blocking=False) and slots.acquire(blocking=False)  # two under way
        try:
            busy = _login("editor1", "demo-password")
        finally:
            slots.release()
            slots.release()
        after = _login("editor1", "demo-password")

    assert busy.status_code == 429 and busy["Retry-After"] == "1", busy.json()
    assert "busy" in busy.json()["detail"]
    assert len(checked) == 1 and after.status_code == 401  # the stub found no user
    assert LoginAttempt.objects.filter(key__startswith="u:").count() == 1  # only the failure
