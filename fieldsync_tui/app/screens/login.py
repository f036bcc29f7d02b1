"""Log in: the server, a username and a password buy this device a token.

Errors (wrong password, unreachable server, no keyring) are shown in place,
under the form, so the editor can fix the field and try again. Plain http to a
server that is not this machine is refused before anything is sent, unless the
editor ticks "Send over plain http", which says what that costs.
"""

from __future__ import annotations

import socket

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Input, Label, Static

from ...sync.transport import AuthFailed, plain_http_refusal
from ..messages import LoginFailed

PLAIN_HTTP = "Send over plain http"
PLAIN_HTTP_WARNING = (
    "⚠ Anyone on the network between you and the server can read your password and "
    "token. Use it only on a network you trust; https:// is safe."
)
SERVER_EXAMPLE = "e.g. https://news.example.org"  # an example, never mistaken for a value
FIELD_WORDS = {
    "url": "the server address",
    "username": "your user name",
    "password": "your password",
    "device": "a name for this device",
}
WRONG_LOGIN = "Wrong user name or password."


def missing_fields_text(missing: list[str]) -> str:
    """“Please fill in the server address and your password.”: the fields in words."""
    words = [FIELD_WORDS[name] for name in missing]
    listed = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
    return f"Please fill in {listed}."


def login_failure_text(error: Exception) -> str:
    """Why a login failed, as said on the login screen: a refused password is called
    that (never "log in again", which is what the editor is doing)."""
    if isinstance(error, AuthFailed):
        if error.code in ("", "invalid_credentials"):
            return WRONG_LOGIN
        return str(error)
    return getattr(error, "detail", "") or str(error) or type(error).__name__


class LoginScreen(Screen):
    CSS_PATH = "login.tcss"
    BINDINGS = [Binding("ctrl+l", "log_in", "Log in", id="log_in")]
    # Below 30 rows the screen gets -short: login.tcss drops the form's blank rows.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]

    def __init__(self, notice: str = "", url: str = "", username: str = "", device: str = ""):
        """`notice` says why a login is asked for again (it expired: the work is kept);
        the fields start as this folder's account left them."""
        super().__init__()
        self.notice = notice
        self.known = {"url": url, "username": username, "device": device}

    def compose(self) -> ComposeResult:
        # Labels beside their fields, so the whole form fits 80x24 above the footer;
        # a notice or the plain-http warning makes it taller: then it scrolls, and
        # show_error brings the error into view.
        with VerticalScroll(id="login", can_focus=False):
            yield Static("[b]fieldsync[/b] · log in to your central site", id="login-title")
            if self.notice:
                yield Static(self.notice, id="login-notice", markup=False)
            url, username = self.known["url"], self.known["username"]
            device = self.known["device"] or socket.gethostname()[:60]
            yield self._row("Server", Input(url, placeholder=SERVER_EXAMPLE, id="url"))
            yield self._row("Username", Input(username, placeholder="e.g. editor1", id="username"))
            yield self._row("Password", Input(password=True, id="password"))
            yield self._row("This device", Input(device, id="device"))
            yield Checkbox(PLAIN_HTTP, id="insecure-http")
            yield Static(PLAIN_HTTP_WARNING, id="insecure-warning")
            yield Label("", id="login-error")
            yield Button("Log in", id="submit", variant="primary")
        yield Footer()

    @staticmethod
    def _row(label: str, field: Input) -> Horizontal:
        return Horizontal(Label(label, classes="login-label"), field, classes="login-row")

    def on_mount(self) -> None:
        first = "#password" if self.known["url"] and self.known["username"] else "#url"
        self.query_one(first, Input).focus()

    @on(Input.Submitted)
    def next_field(self, event: Input.Submitted) -> None:
        if event.input.id == "device" or event.input.id == "password":
            self.action_log_in()
        else:
            self.focus_next()

    @on(Checkbox.Changed, "#insecure-http")
    def warn_of_plain_http(self, event: Checkbox.Changed) -> None:
        self.query_one("#insecure-warning").display = event.value

    @on(Button.Pressed, "#submit")
    def submit(self) -> None:
        self.action_log_in()

    def action_log_in(self) -> None:
        values = {name: self.query_one(f"#{name}", Input).value.strip()
                  for name in ("url", "username", "device")}  # fmt: skip
        password = self.query_one("#password", Input).value
        given = {**values, "password": password}
        missing = [name for name in FIELD_WORDS if not given[name]]
        if missing:
            self.show_error(missing_fields_text(missing))
            self.query_one(f"#{missing[0]}", Input).focus()
            return
        if not values["url"].startswith(("http://", "https://")):
            self.show_error("The server address starts with http:// or https://.")
            return
        insecure_http = self.query_one("#insecure-http", Checkbox).value
        if plain_http_refusal(values["url"], insecure_http):
            self.show_error(
                "Plain http would send your password and token in clear to that server: "
                f"use https://, or tick “{PLAIN_HTTP}” to accept that."
            )
            return
        self.show_error("Logging in…", error=False)
        self.app.log_in(values["url"], values["username"], password, values["device"],
                        insecure_http=insecure_http)  # fmt: skip

    def show_error(self, text: str, error: bool = True) -> None:
        label = self.query_one("#login-error", Label)
        label.update(text)
        label.set_class(error, "error")
        # After the next layout: the label's new height is known only then.
        self.call_after_refresh(label.scroll_visible, animate=False)

    @on(LoginFailed)
    def login_failed(self, message: LoginFailed) -> None:
        self.show_error(message.reason)
