"""A folder that logged in before bundles were signed with device and site keys
is told, when the app opens, to log in again (the CLI says it at `export` and
`import`: tests/client/test_bundles.py); a folder that logged in since is not."""

from __future__ import annotations

import asyncio
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.app_driver import SIZE, AppDriver, notifications, settle, until


class _NotHere(BaseHTTPRequestHandler):
    """Answers every request at once with a JSON 404, so no worker waits on retries."""

    def _answer(self) -> None:
        body = b'{"error": "not_found", "detail": "nothing here"}'
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def quiet_site():
    """The URL of a site that answers nothing useful: the notice needs no central site."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotHere)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("site_key, told", [("", True), ("pinned-at-login", False)])
def test_an_older_login_is_told_to_log_in_again(empty_store, quiet_site, site_key, told):
    from fieldsync_tui.store.models import Account

    Account.objects.create(
        server_url=quiet_site, username="editor1", device_name="pilot", device_id=7,
        site_key=site_key,
    )  # fmt: skip
    app = AppDriver(empty_store, token="a token from the keyring", ping_interval=0).make_app()

    async def scenario() -> list[str]:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await until(pilot, lambda: app.screen.query_one("#find"), "the main screen")
            await settle(pilot)  # the start told (or not), the screen loaded what it could
            return [n for n in notifications(app) if "before bundles were signed" in n]

    notices = asyncio.run(scenario())

    if told:
        (notice,) = notices
        assert notice.startswith("This folder logged in before bundles were signed")
        assert f"log in again (`fieldsync login {quiet_site} --username editor1`)" in notice
    else:
        assert notices == []
