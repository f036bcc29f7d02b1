"""Login throttling holds across app servers: two central-site processes on one
PostgreSQL database count one set of failures, so the limit reached through
one is refused by both, and the editor's `fieldsync login` says how long to
wait, in one line (the in-process half is tests/server/test_login_throttle.py)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from server_plugin.conf import DEFAULTS
from tests.support.central import second_app_server
from tests.support.editor import Editor

LIMIT = DEFAULTS["LOGIN_FAILURES_PER_USERNAME"]


def _try_login(site, password: str) -> tuple[int, dict, str | None]:
    request = urllib.request.Request(
        f"{site.url}/fieldsync/v1/auth/token",
        method="POST",
        data=json.dumps({"username": "editor1", "password": password, "device": "x"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()), None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers.get("Retry-After")


@pytest.mark.both_backends
@pytest.mark.parametrize("site_template", ["postgres"], indirect=True)
def test_failures_counted_by_one_app_server_are_refused_by_the_other(
    central, tmp_path, keyring_home
):
    with second_app_server(central, tmp_path / "second") as other:
        answers = [_try_login((central, other)[n % 2], "wrong")[0] for n in range(LIMIT)]

        refused_here = _try_login(central, "demo-password")
        refused_there = _try_login(other, "demo-password")
        editor = Editor("editor1", tmp_path / "editor1-data", keyring_home)
        cli = editor.run("login", other.url, "--username", "editor1", "--password-stdin",
                         stdin="demo-password\n", check=False)  # fmt: skip

    assert answers == [401] * LIMIT
    for status, body, retry_after in (refused_here, refused_there):
        assert status == 429 and body["error"] == "too_many_attempts", body
        assert retry_after is not None and int(retry_after) == body["retry_after"] > 0
    (line,) = cli.stderr.strip().splitlines()
    assert cli.returncode == 5, cli.stderr
    assert "too many failed logins" in line.lower() and "minutes" in line, line
