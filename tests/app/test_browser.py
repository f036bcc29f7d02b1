"""The same app in a browser tab (issue 11): `fieldsync serve` on loopback, opened
in headless Chromium (Debian's, driven by Playwright). The page loads, the app's
status line shows this folder's login and ONLINE, and a key press works (`?`
opens the help).

The terminal in the page draws on a canvas, so what the app shows is read where
the browser receives it: the app's output on the page's websocket, escapes left
out. A screenshot of the page goes to the test's folder for a person to look at."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time

import pytest
import requests
from playwright.sync_api import sync_playwright

from tests.support.editor import ROOT, Editor

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ESCAPES = re.compile(r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served(central, tmp_path):
    """`fieldsync serve` on a data folder logged in to the central site; its URL."""
    editor = Editor("editor1", tmp_path / "editor1-data", tmp_path / "keyring")
    editor.login(central.url)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "fieldsync_tui", "--data-dir", str(editor.folder),
         "serve", "--port", str(port)],
        cwd=ROOT, env=editor.environment({"FIELDSYNC_PING_SECONDS": "1"}),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_page(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_for_page(url: str, server: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"fieldsync serve exited: {server.stdout.read()}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.ConnectionError:
            time.sleep(0.2)  # not listening yet: nothing to wait on but the port
    raise AssertionError(f"fieldsync serve did not answer at {url} in {timeout}s")


class Screen:
    """What the app sent the page, as text: its output frames with escapes removed."""

    def __init__(self):
        self.received: list[str] = []

    def watch(self, websocket) -> None:
        websocket.on("framereceived", self.receive)

    def receive(self, payload) -> None:
        self.received.append(payload)

    def text(self) -> str:
        chunks = [c.decode("utf-8", "replace") if isinstance(c, bytes) else c
                  for c in self.received]  # fmt: skip
        return ESCAPES.sub("", "".join(chunks))

    def wait_for(self, page, words: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if words in self.text():
                return
            page.wait_for_timeout(100)  # lets Playwright deliver the next frames
        raise AssertionError(f"the page never showed {words!r}; it showed:\n{self.text()[-2000:]}")


@pytest.mark.browser
def test_the_app_in_a_browser_tab_shows_its_status_and_answers_keys(served, tmp_path):
    screen = Screen()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("websocket", screen.watch)
            page.goto(served)

            screen.wait_for(page, "editor1")
            screen.wait_for(page, "ONLINE")
            page.locator(".textual-terminal").click()
            before = len(screen.received)
            page.keyboard.press("?")

            screen.wait_for(page, "Everywhere")
            assert "Everywhere" not in "".join(map(str, screen.received[:before]))
            page.screenshot(path=str(tmp_path / "app-in-browser.png"))
        finally:
            browser.close()


def test_serve_refuses_a_host_that_is_not_loopback_unless_insisted(tmp_path):
    from fieldsync_tui.cli.serve import host_refusal

    refused = subprocess.run(
        [sys.executable, "-m", "fieldsync_tui", "--data-dir", str(tmp_path / "data"),
         "serve", "--host", "0.0.0.0", "--port", str(_free_port())],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "not loopback" in refused.stderr and "--allow-non-loopback" in refused.stderr
    assert host_refusal("127.0.0.1", insist=False) is None
    assert host_refusal("::1", insist=False) is None
    assert host_refusal("localhost", insist=False) is None
    assert host_refusal("example.org", insist=False), "a name may resolve to anything"
    assert host_refusal("0.0.0.0", insist=True) is None, "the editor insisted (and is warned)"
