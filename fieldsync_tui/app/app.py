"""The application: state, workers, and the screens they feed.

Workers (threads) do every network and database call and post messages;
handlers here turn them into the app's state (reactives that every screen's
status line and progress bar watch) or forward them as events to the open
screens. A timer pings the server; coming back online starts a sync when
auto-sync is on.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive

from .. import credentials
from ..client import login as login_flow
from ..client import session
from ..store import database, queries
from ..sync import bundles
from ..sync.engine import CheckinBlocked, SyncEngine, SyncReport, lost_login
from ..sync.transport import (
    AuthFailed,
    Cancelled,
    Offline,
    Refused,
    Transport,
    TransportError,
)
from .commands import ScreenActionsProvider
from .keymap import apply_keymap
from .messages import (
    ActionFailed,
    CategoriesLoaded,
    CategoryCheckedIn,
    CategoryCheckedOut,
    ChangeDiscarded,
    ConnectivityChanged,
    Event,
    LoggedIn,
    LoginFailed,
    LoginLost,
    RecordDeleted,
    RecordSaved,
    StatusLoaded,
    SyncCancelled,
    SyncFailed,
    SyncFinished,
    SyncProgressed,
    WorkEnded,
)
from .state import Progress, StoreStatus, auto_sync_notice
from .widgets import image_preview  # noqa: F401  (asks the terminal what it draws: before Textual)

in_store_thread = database.closing_connection  # every worker that reads or writes the store


class FieldsyncApp(App):
    TITLE = "fieldsync"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {ScreenActionsProvider}
    BINDINGS = [
        Binding("ctrl+s", "sync", "Sync", id="sync"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("ctrl+q", "quit", "Quit", id="quit", show=False, priority=True),
        # Shown only while a sync runs (check_action); ctrl+g: cancel in Emacs and readline.
        Binding("ctrl+g", "cancel_sync", "Cancel sync", id="cancel_sync", priority=True),
    ]

    # The state every screen shows (see state.py); set on the app's thread only.
    online: reactive[bool | None] = reactive(None, init=False)
    status: reactive[StoreStatus | None] = reactive(None, init=False)
    sync_running: reactive[bool] = reactive(False, init=False)
    progress: reactive[Progress | None] = reactive(None, init=False)
    account_line: reactive[str] = reactive("fieldsync", init=False)

    def __init__(
        self,
        folder: Path,
        *,
        token: str | None = None,
        ping_interval: float = 5.0,
        auto_sync: bool = True,
    ):
        super().__init__()
        self.folder = folder
        self.token = token
        self.ping_interval = ping_interval
        self.auto_sync = auto_sync
        self.syncing = threading.Event()  # the workers' guard: one sync at a time
        self.cancelling = threading.Event()  # set by the editor; the running sync stops

    # -- start ---------------------------------------------------------------

    def on_mount(self) -> None:
        apply_keymap(self)  # the editor's keys from the config file, before any screen
        self.start()

    @work(thread=True, exit_on_error=False, group="start")
    @in_store_thread
    def start(self) -> None:
        account = queries.account()
        token = self.token
        if account is not None and token is None:
            try:
                token = credentials.load_token(
                    account.server_url, account.username, account.device_name
                )
            except credentials.CredentialsError as error:
                self.post_message(ActionFailed("Keyring", str(error)))
        known = _known_login(account)
        self.call_from_thread(
            self._open_first_screen, account is not None and bool(token), token, known
        )
        relogin = bundles.needs_new_login() if token else None  # a login screen asks anyway
        if relogin:
            self.notify(relogin[0].upper() + relogin[1:] + ".", title="Log in again",
                        severity="warning", timeout=30)  # fmt: skip

    def _open_first_screen(self, logged_in: bool, token: str | None, known: dict) -> None:
        from .screens.login import LoginScreen
        from .screens.main import MainScreen

        self.token = token
        if logged_in:
            self.push_screen(MainScreen())
            self._start_checks()
        else:
            self.push_screen(LoginScreen(**known))  # this folder's server and user, if any

    @on(LoggedIn)
    def logged_in(self, message: LoggedIn) -> None:
        from .screens.main import MainScreen

        self.token = message.token
        self.switch_screen(MainScreen())
        self._start_checks()

    def _start_checks(self) -> None:
        """Ping on a timer; `ping_interval=0` never pings (snapshots set `online` themselves)."""
        self._stop_checks()
        if self.ping_interval:
            self._ping_timer = self.set_interval(self.ping_interval, self.check_connectivity)
            self.check_connectivity()
        else:
            self.refresh_status()

    def _stop_checks(self) -> None:
        timer = getattr(self, "_ping_timer", None)
        if timer is not None:
            timer.stop()
            self._ping_timer = None

    def _login_gone(self, error: Exception) -> bool:
        """In a worker: if `error` ends this device's login (expired, or revoked: then the
        folder is emptied, unsynced edits set aside), tell the app to ask for a login."""
        lost = lost_login(error)
        if lost is None:
            return False
        if lost.revoked:
            reason = f"This device was revoked on the server. {lost.what_became_of_the_work()}."
        else:
            reason = f"{lost.detail} {lost.what_became_of_the_work()}: log in again."
        account = queries.account()
        self.post_message(LoginLost(reason, _known_login(account)))
        return True

    # -- the engine ---------------------------------------------------------------

    def engine(self, progress=None, cancel: threading.Event | None = None) -> SyncEngine:
        return session.engine(self.token, progress, cancel)

    # -- workers ----------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="login")
    @in_store_thread
    def log_in(
        self, url: str, username: str, password: str, device: str, insecure_http: bool = False
    ) -> None:
        try:
            transport = Transport(url, insecure_http=insecure_http, retries=1)
            credentials.check_keyring()
            login = login_flow.log_in(
                transport,
                username,
                password,
                device,
                credentials.save_token,
                credentials.save_signing_key,
            )
        except (TransportError, credentials.CredentialsError, ValueError) as error:
            from .screens.login import login_failure_text  # worded for the login screen

            self.post_message(LoginFailed(login_failure_text(error)))
            return
        self.post_message(LoggedIn(login.token))
        for note in login.resumed:
            self.post_message(ActionFailed("Check out", note))

    def check_connectivity(self) -> None:
        """Timer callback: only starts a worker (an error here would end the app)."""
        self._ping()

    @work(thread=True, exclusive=True, exit_on_error=False, group="ping")
    @in_store_thread
    def _ping(self) -> None:
        if queries.account() is None:
            return
        online = self.engine().check_connectivity()
        self._post_status()  # first: the counts decide whether coming online syncs
        self.post_message(ConnectivityChanged(online))

    def _post_status(self) -> None:
        engine = self.engine()
        state = engine.status()
        self.post_message(
            StatusLoaded(
                state.online, state.last_sync_at, state.queued, state.rejected, state.conflicts
            )
        )

    def refresh_status(self) -> None:
        self._status_worker()

    @work(thread=True, exclusive=True, exit_on_error=False, group="status")
    @in_store_thread
    def _status_worker(self) -> None:
        self._post_status()

    @work(thread=True, exit_on_error=False, group="sync")
    @in_store_thread
    def run_sync(self) -> None:
        if self.syncing.is_set():
            return
        self.syncing.set()
        self.cancelling.clear()
        self.call_from_thread(self._sync_started)
        try:
            engine = self.engine(progress=self._progressed, cancel=self.cancelling)
            report = engine.sync()
            self.post_message(
                SyncFinished(
                    _summary(report),
                    report.problems,
                    report.schema_changes,
                    report.lost_edits,
                    withdrawn=report.withdrawn,
                    conflicts=_conflicts_made(report),
                    rejected=report.pushed.get("rejected", 0),
                )
            )
        except Cancelled as cancelled:
            self.post_message(SyncCancelled(_summary(cancelled.report)))
        except Offline as error:
            self.post_message(SyncFailed(str(error), offline=True))
        except (TransportError, Exception) as error:  # shown, never a traceback
            if not self._login_gone(error):
                self.post_message(SyncFailed(_reason(error)))
        finally:
            self.syncing.clear()
            self.call_from_thread(self._sync_ended)
            self._post_status()
            self.post_message(CategoriesLoaded(queries.categories()))

    def _progressed(self, progress) -> None:
        self.post_message(
            SyncProgressed(progress.phase, progress.label, progress.done, progress.total)
        )

    @work(thread=True, exit_on_error=False, group="categories")
    @in_store_thread
    def load_categories(self, refresh: bool = False) -> None:
        if refresh:
            try:
                self.engine().refresh_categories()
            except TransportError as error:
                self._login_gone(error)  # else offline: show what we know
        self.post_message(CategoriesLoaded(queries.categories()))

    @work(thread=True, exit_on_error=False, group="checkout")
    @in_store_thread
    def check_out(self, key: str, take_over: bool = False) -> None:
        try:
            engine = self.engine(progress=self._progressed)
            category, warnings = engine.checkout(key, take_over=take_over)
            self.post_message(CategoryCheckedOut(category.name, warnings))
        except Exception as error:
            if not self._login_gone(error):
                self.post_message(ActionFailed("Check out", _reason(error)))
                try:  # e.g. someone took it meanwhile: show who holds it now
                    self.engine().refresh_categories()
                except Exception:
                    pass  # offline or refused: show what we know
        self.post_message(WorkEnded())
        self.post_message(CategoriesLoaded(queries.categories()))
        self._post_status()

    @work(thread=True, exit_on_error=False, group="checkout")
    @in_store_thread
    def check_in(self, key: str) -> None:
        try:
            category = self.engine(progress=self._progressed).checkin(key)
            self.post_message(CategoryCheckedIn(category.name))
        except CheckinBlocked as blocked:  # named records, with the app's keys as the way out
            self.post_message(ActionFailed("Check in", blocked.in_app()))
        except Exception as error:
            if not self._login_gone(error):
                self.post_message(ActionFailed("Check in", _reason(error)))
        self.post_message(WorkEnded())
        self.post_message(CategoriesLoaded(queries.categories()))
        self._post_status()

    # -- handlers -----------------------------------------------------------------

    def forward(self, message: Event) -> None:
        """Give every open screen its own copy of the message."""
        for screen in self.screen_stack:
            screen.post_message(dataclasses.replace(message))

    @on(CategoriesLoaded)
    @on(RecordSaved)
    @on(RecordDeleted)
    @on(ChangeDiscarded)
    @on(LoginFailed)
    @on(WorkEnded)
    def forwarded(self, message: Event) -> None:
        self.forward(message)

    @on(ConnectivityChanged)
    def connectivity_changed(self, message: ConnectivityChanged) -> None:
        queued = self.status.queued if self.status else 0
        notice = auto_sync_notice(self.online, message.online, queued)
        self.online = message.online
        if notice and self.auto_sync:
            self.notify(notice)
            self.run_sync()

    @on(StatusLoaded)
    def status_loaded(self, message: StatusLoaded) -> None:
        self.status = StoreStatus(
            message.last_sync_at, message.queued, message.rejected, message.conflicts
        )

    def _sync_started(self) -> None:
        self.sync_running = True
        self.refresh_bindings()  # ctrl+g shows

    @on(SyncProgressed)
    def sync_progressed(self, message: SyncProgressed) -> None:
        self.progress = Progress(message.phase, message.label, message.done, message.total)

    @on(WorkEnded)
    def work_ended(self) -> None:
        if not self.syncing.is_set():  # a check-out's end leaves a running sync's bar
            self.progress = None

    def _sync_ended(self) -> None:
        self.sync_running = False
        self.progress = None
        self.refresh_bindings()

    @on(SyncFinished)
    def sync_finished(self, message: SyncFinished) -> None:
        self.forward(message)
        if message.conflicts:  # not a success: the editor has work to do
            names = ", ".join(f"“{name}”" for name in message.conflicts[:5])
            more = f" and {len(message.conflicts) - 5:,} more" if len(message.conflicts) > 5 else ""
            self.notify(f"{message.summary}. In conflict: {names}{more} — press x to resolve.",
                        title="Synced with conflicts", severity="warning", timeout=20)  # fmt: skip
        elif message.rejected:  # not a success either: they will not go by themselves
            self.notify(f"{message.summary}. The server refused {message.rejected:,} change(s): "
                        "press u to see why, then edit or discard them.",
                        title="Synced with refusals", severity="warning", timeout=20)  # fmt: skip
        else:
            self.notify(message.summary, title="Synced")
        for problem in message.problems:
            self.notify(problem, title="Sync problem", severity="warning")
        for lost in message.lost_edits:
            self.notify(lost, title="An edit of yours lost", severity="warning", timeout=30)
        for withdrawn in message.withdrawn:  # the set-aside folder is named in it
            self.notify(withdrawn, title="A category was withdrawn", severity="warning",
                        timeout=60)  # fmt: skip
        for notice in message.schema_changes:  # values set aside are named with their file
            self.notify(notice, title="The central site's schema changed", severity="warning",
                        timeout=30)  # fmt: skip

    @on(SyncCancelled)
    def sync_cancelled(self, message: SyncCancelled) -> None:
        self.forward(message)
        self.notify(f"{message.summary} before it stopped; what is left stays queued.",
                    title="Sync cancelled", severity="warning")  # fmt: skip

    @on(SyncFailed)
    def sync_failed(self, message: SyncFailed) -> None:
        self.forward(message)
        title = "Offline" if message.offline else "Sync failed"
        self.notify(message.reason, title=title, severity="warning" if message.offline else "error")

    @on(LoginLost)
    def login_lost(self, message: LoginLost) -> None:
        """Back to the login screen, filled in for this folder, saying what was kept."""
        from .screens.login import LoginScreen

        self.token = None
        self._stop_checks()
        self.notify(message.reason, title="Log in again", severity="warning", timeout=60)
        while len(self.screen_stack) > 2:  # a form or the queue over the main screen
            self.pop_screen()
        self.switch_screen(LoginScreen(notice=message.reason, **message.known))

    @on(ActionFailed)
    def action_failed(self, message: ActionFailed) -> None:
        self.notify(message.reason, title=message.title, severity="error")

    @on(CategoryCheckedOut)
    def checked_out(self, message: CategoryCheckedOut) -> None:
        self.notify(f"{message.name} is checked out to you.", title="Checked out")
        for warning in message.warnings:
            self.notify(warning, severity="warning")

    @on(CategoryCheckedIn)
    def checked_in(self, message: CategoryCheckedIn) -> None:
        self.notify(f"{message.name} was pushed and released.", title="Checked in")

    # -- actions ------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "sync" and not self.token:
            return False  # not logged in (the login screen): nothing to sync, no key shown
        if action == "cancel_sync":
            return self.syncing.is_set()  # the key shows only while there is one to cancel
        return True

    def action_cancel_sync(self) -> None:
        if self.syncing.is_set() and not self.cancelling.is_set():
            self.cancelling.set()
            self.notify("Cancelling the sync after its current request…")

    async def action_quit(self) -> None:
        """Every way out (ctrl+q, q, the palette) comes here: pending work is named first."""
        from .screens.choice import Answer, ChoiceScreen

        if isinstance(self.screen, ChoiceScreen):
            return  # already asking
        pending = self.pending_work()
        if not pending:
            self.exit()
            return
        answers = [Answer("quit", "Quit", "q"), Answer("stay", "Stay", "s")]
        self.push_screen(ChoiceScreen(pending, answers, safe="stay"),
                         lambda answer: answer == "quit" and self.exit())  # fmt: skip

    def pending_work(self) -> str:
        """What quitting now would leave behind, in words; empty when nothing."""
        from .screens.record_form import RecordFormScreen

        for screen in reversed(self.screen_stack):
            if isinstance(screen, RecordFormScreen) and screen.changed:
                return f"The form for {screen.what} has unsaved changes: quitting loses them."
        queued = self.status.queued if self.status else 0
        if queued and self.online is False:
            return (
                f"{queued:,} change(s) are queued and this device is offline: they stay "
                "queued here and are pushed at the next sync once online. Quit now?"
            )
        return ""

    def action_sync(self) -> None:
        if self.syncing.is_set():
            self.notify("A sync is already running.")
            return
        self.run_sync()

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        yield SystemCommand("Sync now", "Push queued changes, then pull", self.action_sync)
        yield SystemCommand("Help", "Every key of every screen", self.action_help)


def _summary(report: SyncReport) -> str:
    pushed = sum(report.pushed.values())
    pulled = sum(n for k, n in report.pulled.items() if k != "conflicts")
    conflicts = report.pushed.get("conflict", 0) + report.pulled.get("conflicts", 0)
    text = f"{pushed} pushed, {pulled} pulled"
    rejected = report.pushed.get("rejected", 0)
    text += f", {rejected} refused" if rejected else ""
    return text + (f", {conflicts} conflict(s)" if conflicts else "")


def _conflicts_made(report: SyncReport) -> list[str]:
    """In the worker: the records in conflict, named, when this sync found any."""
    if not (report.pushed.get("conflict", 0) + report.pulled.get("conflicts", 0)):
        return []
    return [c.record.title or c.record.object_pk for c in queries.open_conflicts()]


def _known_login(account) -> dict:
    """The login screen's fields for this folder's account (none without one)."""
    if account is None:
        return {}
    return {"url": account.server_url, "username": account.username,
            "device": account.device_name}  # fmt: skip


def _reason(error: Exception) -> str:
    if isinstance(error, Refused):
        return error.detail
    if isinstance(error, AuthFailed):
        return f"{error} — log in again"
    return str(error) or type(error).__name__
