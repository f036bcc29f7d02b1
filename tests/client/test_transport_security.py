"""The password and the token never travel in clear unless the editor insists.

Plain http is refused before anything is sent to a host that is not loopback
(a proxy on another address of this machine records that nothing arrived);
`--insecure-http` is the editor insisting, remembered for the account and shown
by `status`. https verifies the site's certificate, against REQUESTS_CA_BUNDLE
when the site has its own certificate authority.
"""

from __future__ import annotations

import pytest
import requests

from fieldsync_tui.sync.transport import InsecureTransport, Transport, plain_http_refusal
from tests.client.test_cli_errors import assert_one_line_error
from tests.support.editor import Editor
from tests.support.proxy import FlakyProxy, non_loopback_host
from tests.support.tls import make_certificates


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8765",
        "http://127.8.9.10:8765/",
        "http://[::1]:8765",
        "http://localhost:8765",
        "http://LOCALHOST.:8765",
        "http://[::ffff:127.0.0.1]:8765",
        "https://central.example.org",
        "https://192.0.2.2:8443",
    ],
)
def test_loopback_and_https_need_no_insisting(url):
    assert plain_http_refusal(url, insecure_http=False) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://central.example.org:8765",
        "http://192.0.2.2:8765",
        "http://[fd00::2]:8765",
        "http://localhost.example.org",
        "http://127.0.0.1.nip.io",
        "http://0.0.0.0:8765",
        "HTTP://Central.Example.org",
    ],
)
def test_plain_http_elsewhere_is_refused_unless_the_editor_insists(url):
    refusal = plain_http_refusal(url, insecure_http=False)
    assert refusal and "--insecure-http" in refusal and "https://" in refusal
    assert plain_http_refusal(url, insecure_http=True) is None


def test_a_redirect_to_plain_http_elsewhere_is_refused_before_connecting():
    """Every request the session sends goes through the guard, redirected ones too."""
    transport = Transport("https://central.example.org", token="secret")
    redirected = requests.Request(
        "POST", "http://central.example.org/fieldsync/v1/auth/token", json={"password": "x"}
    ).prepare()
    with pytest.raises(InsecureTransport, match="central.example.org"):
        transport.session.send(redirected)


def test_plain_http_to_another_host_sends_nothing_until_the_editor_insists(
    central, tmp_path, keyring_home
):
    editor = Editor("editor1", tmp_path / "data", keyring_home)
    with FlakyProxy(central.url, host=non_loopback_host()) as network:
        login = ["login", network.url, "--username", "editor1", "--password-stdin"]

        refused = editor.run(*login, stdin="demo-password\n", check=False)

        assert_one_line_error(refused, 1, "plain http", "--insecure-http", "https://")
        assert network.received == [], "not one byte of the password may leave"
        assert not (keyring_home / "python_keyring").exists()
        assert_one_line_error(editor.run("status", check=False), 5, "fieldsync login")

        editor.run(*login, "--insecure-http", stdin="demo-password\n")

        assert any(seen.startswith("POST /fieldsync/v1/auth/token") for seen in network.received)
        state = editor.json("status")
        assert state["insecure_http"] is True and state["server"] == network.url
        assert "plain http" in editor.run("status").stdout
        editor.run("checkout", "Politics")  # later commands do not ask again
        assert editor.run("sync").returncode == 0


def test_https_login_verifies_the_certificate_with_requests_ca_bundle(
    central, tmp_path, keyring_home
):
    certificates = make_certificates(tmp_path / "tls")
    editor = Editor("editor1", tmp_path / "data", keyring_home)
    with FlakyProxy(central.url, tls=certificates.server_context()) as tls_proxy:
        login = ["login", tls_proxy.url, "--username", "editor1", "--password-stdin"]

        untrusted = editor.run(
            *login, stdin="demo-password\n", env={"REQUESTS_CA_BUNDLE": ""}, check=False
        )

        assert_one_line_error(untrusted, 1, "certificate", "REQUESTS_CA_BUNDLE")
        trusted = {"REQUESTS_CA_BUNDLE": str(certificates.ca_file)}
        editor.run(*login, stdin="demo-password\n", env=trusted)
        editor.run("checkout", "Politics", env=trusted)
        state = editor.json("status", env=trusted)
        assert state["online"] is True and state["insecure_http"] is False
