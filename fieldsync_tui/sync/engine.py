"""The sync engine: pull, push, checkout, check-in, connectivity. No UI here.

Runs directly under the CLI and in a worker thread under the app; it reports
progress through a callback and raises TransportError subclasses for the
caller to show. Order of a sync: push first (so the server merges our edits
against its newest state), then pull every checked-out category and the
reference data, one transaction per page together with the cursor.
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from server_plugin.protocol.wire import NEEDS_FILES

from ..store import files
from ..store.bulk import update_rows
from ..store.models import Account, Category, Conflict, PendingChange, Record
from ..store.queries import categories_with_sent_changes, local_time
from ..store.schema import Schema
from . import blockers, file_transfer, purge, schema_change, tries
from .apply import (
    apply_feed_page,
    apply_push_results,
    apply_review_outcome,
    freeze,
    lost_edits,
)
from .crash_points import CrashHook
from .transport import AuthFailed, Cancelled, Refused, Transport, TransportError

# Keeps a device's private bundle key: (server_url, username, device, signing_key).
KeepSigningKey = Callable[[str, str, str, str], None]

# Records per page pulled and changes per push; the environment may tune them.
PULL_PAGE = int(os.environ.get("FIELDSYNC_PULL_PAGE", 1000))
PUSH_BATCH = int(os.environ.get("FIELDSYNC_PUSH_BATCH", 250))


@dataclass
class Progress:
    phase: str  # "pull" or "push"
    label: str  # what is being synced, for a person
    done: int
    total: int | None


@dataclass
class SyncReport:
    pushed: Counter = field(default_factory=Counter)  # status -> count
    pulled: Counter = field(default_factory=Counter)  # new / updated / deleted / conflicts
    problems: list[str] = field(default_factory=list)  # what could not be done, in words
    schema_changes: list[str] = field(default_factory=list)  # how the store followed, in words
    lost_edits: list[str] = field(default_factory=list)  # edits a policy decided against
    # Categories this folder may no longer hold, removed (unsynced edits set aside), in words.
    withdrawn: list[str] = field(default_factory=list)
    # File content moved: uploaded, uploaded_bytes, downloaded, downloaded_bytes.
    files: Counter = field(default_factory=Counter)


@dataclass
class Status:
    server_url: str
    username: str
    online: bool
    last_sync_at: datetime | None
    queued: int
    rejected: int
    conflicts: int
    checked_out: list[str]

    def to_json(self) -> dict:
        return {
            "server": self.server_url,
            "username": self.username,
            "online": self.online,
            "last_sync_at": self.last_sync_at.isoformat() if self.last_sync_at else None,
            "queued": self.queued,
            "rejected": self.rejected,
            "conflicts": self.conflicts,
            "checked_out": self.checked_out,
        }


class EngineError(Exception):
    """Something the editor must act on (the message says what)."""


class NotLoggedIn(EngineError):
    pass


class CheckinBlocked(EngineError):
    """The category holds changes the server has not taken; `rows` names them."""

    def __init__(self, category: str, rows: list[dict]):
        self.category, self.rows = category, rows
        super().__init__(blockers.describe(category, rows))

    def in_app(self) -> str:
        """The same, with the app's keys as the way out."""
        return blockers.describe(self.category, self.rows, app=True)


class HeldByYouElsewhere(EngineError):
    """The category is held by this user on another device: it can be taken over
    (`SyncEngine.take_over`). `holder`: {"user", "device", "since", ...}."""

    def __init__(self, category: Category, holder: dict, detail: str):
        self.category, self.holder = category, holder
        super().__init__(detail)


ProgressCallback = Callable[[Progress], None]


def _site_key_of(login_answer: dict) -> str:
    """The site's public bundle key from a login answer ("" from a site older than keys)."""
    if not login_answer.get("site_key"):
        return ""
    try:
        from server_plugin.protocol import bundle_format  # cryptography: only at login

        return bundle_format.parse_public_key(login_answer["site_key"])
    except ValueError as error:
        raise EngineError(f"the server's site_key is not an Ed25519 public key: {error}") from None


class SyncEngine:
    def __init__(
        self,
        transport: Transport,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ):
        """`cancel`: set it (from another thread) to stop the work between two requests,
        page or file chunks: Cancelled is raised, and what was committed stays."""
        self.transport = transport
        if cancel is not None:
            transport.cancel = cancel
        self.progress = progress or (lambda p: None)
        self._crash = CrashHook.from_env()
        self.schema_changes: list[str] = []  # told by the last refresh_schema()
        self.files_fetched = file_transfer.Transferred()  # by the last checkout's downloads
        # Categories this user took over on another device, purged here, in words.
        self.taken_over: list[str] = []

    # -- state -----------------------------------------------------------------

    @property
    def account(self) -> Account:
        account = Account.objects.first()
        if account is None:
            raise NotLoggedIn("not logged in: run `fieldsync login URL --username NAME`")
        return account

    @property
    def schema(self) -> Schema:
        return Schema(self.account.schema)

    def status(self) -> Status:
        account = self.account
        return Status(
            server_url=account.server_url,
            username=account.username,
            online=account.online,
            last_sync_at=account.last_sync_at,
            queued=PendingChange.objects.filter(
                state__in=(PendingChange.QUEUED, PendingChange.REVIEW)
            ).count(),
            rejected=PendingChange.objects.filter(state=PendingChange.REJECTED).count(),
            conflicts=Conflict.objects.filter(resolved_at__isnull=True).count(),
            checked_out=list(
                Category.objects.filter(checked_out=True).values_list("name", flat=True)
            ),
        )

    def check_connectivity(self) -> bool:
        online = self.transport.ping()
        Account.objects.update(online=online, last_online_check=timezone.now())
        return online

    # -- account ---------------------------------------------------------------

    @staticmethod
    def login(
        transport: Transport,
        username: str,
        password: str,
        device: str,
        keep_signing_key: KeepSigningKey | None = None,
    ) -> str:
        """Trade the password for a device token; remembers the server and user, and
        pins the site's bundle key the answer carries.

        With `keep_signing_key` (the keyring's, credentials.save_signing_key) the
        device makes a key pair for its bundles: the public half goes with the login,
        the private half only to `keep_signing_key`. Without it (the demo, whose
        secrets live in memory) no key is registered: bundles then say to log in again.
        """
        from server_plugin.protocol import bundle_format  # cryptography: only at login

        url = transport.base.rsplit("/fieldsync/", 1)[0]
        signing_key = bundle_format.new_signing_key() if keep_signing_key else None
        public_key = bundle_format.public_key_of(signing_key) if signing_key else None
        answer = transport.login(username, password, device, public_key=public_key)
        site_key = _site_key_of(answer)
        if keep_signing_key and signing_key:
            try:
                keep_signing_key(url, username, device, signing_key)
            except Exception:
                transport.token = answer["token"]
                transport.logout()  # a device whose key was not kept must not stay valid
                raise
        account = Account.objects.first()
        if account is not None and (account.server_url, account.username) != (url, username):
            if PendingChange.objects.exists() or Conflict.objects.filter(resolved_at=None).exists():
                raise EngineError(
                    f"this folder has unsynced work for {account.username} at "
                    f"{account.server_url}; sync it, or use another --data-dir"
                )
            Record.objects.all().delete()
            Category.objects.all().delete()
            account.delete()
            account = None
        if account is None:
            account = Account(server_url=url, username=username)
        account.device_name = device
        account.device_id = (answer.get("device") or {}).get("id")  # names it in bundles
        account.site_key = site_key
        account.server_id = bundle_format.key_id(site_key) if site_key else ""
        account.online = True
        account.save()
        transport.token = answer["token"]
        return answer["token"]

    def refresh_schema(self) -> Schema:
        data = self.transport.schema()
        with transaction.atomic():
            data = self._with_models_to_pull_again(data)
            old = Account.objects.values_list("schema", flat=True).first()
            # The store follows the new schema before anything is pushed (schema_change.py).
            self.schema_changes = schema_change.carry_over(old, data)
            Account.objects.update(schema=data, online=True)
        return Schema(data)

    def refresh_categories(self) -> list[Category]:
        """The server's listing into the store. A category this user took over on another
        device leaves this folder, its unsynced edits set aside (`self.taken_over` says)."""
        seen, taken = [], {}
        with transaction.atomic():
            for item in self.transport.categories():
                category, _ = Category.objects.get_or_create(key=item["id"])
                if category.checked_out and item.get("taken_over"):
                    taken[category.key] = item["taken_over"]
                category.name = item["name"]
                category.records = item.get("records", 0)
                category.holders = item.get("holders", [])
                category.checked_out = bool(item.get("checked_out_by_me"))
                category.save()
                seen.append(category.key)
            # A category no longer listed (grant removed): keep it only while it holds work.
            Category.objects.exclude(key__in=seen).filter(checked_out=False).delete()
        for key, taken_by in taken.items():
            self.purge_taken_over(Category.objects.get(key=key), taken_by)
        return list(Category.objects.all())

    def find_category(self, name_or_key: str) -> Category:
        wanted = str(name_or_key)
        match = Category.objects.filter(key=wanted).first()
        if match is None:
            match = Category.objects.filter(name__iexact=wanted).first()
        if match is None:
            self.refresh_categories()
            match = (
                Category.objects.filter(key=wanted).first()
                or Category.objects.filter(name__iexact=wanted).first()
            )
        if match is None:
            names = ", ".join(Category.objects.values_list("name", flat=True)) or "none"
            raise EngineError(f"unknown category {wanted!r} (categories: {names})")
        return match

    # -- checkout / check-in ----------------------------------------------------

    def checkout(self, name_or_key: str, take_over: bool = False) -> tuple[Category, list[str]]:
        """Lease the category and pull it: (it, warnings). HeldByYouElsewhere when this
        user holds it on another device (unless `take_over`)."""
        if not self.account.schema:
            self.refresh_schema()
        category = self.find_category(name_or_key)
        try:
            answer = self.transport.checkout(category.key, take_over=take_over)
        except Refused as refused:
            if refused.code == "checked_out" and refused.body.get("can_take_over"):
                raise HeldByYouElsewhere(category, refused.body.get("holder") or {},
                                         refused.detail) from None  # fmt: skip
            raise
        category.checked_out = True
        category.holders = self._held_here(category.holders, answer.get("checkout") or {},
                                           take_over)  # fmt: skip
        category.save(update_fields=["checked_out", "holders"])
        self.pull_reference()
        self.pull(category)
        Account.objects.update(last_sync_at=timezone.now())
        self.files_fetched = self.fetch_files()
        return category, answer.get("warnings", []) + self.files_fetched.problems

    def _held_here(self, holders: list[dict], lease: dict, take_over: bool) -> list[dict]:
        """The holders once this device holds the category (as the next listing will
        say, shown so at once): this device with its lease; a take-over also ends this
        user's other devices' checkouts."""
        account = self.account
        kept = [
            h for h in holders
            if h.get("user") != account.username
            or (not take_over and h.get("device") != account.device_name)
        ]  # fmt: skip
        times = {key: lease[key] for key in ("since", "expires_at", "mode") if key in lease}
        return [*kept, {"user": account.username, "device": account.device_name, **times}]

    def take_over(self, name_or_key: str) -> tuple[Category, list[str]]:
        """Check the category out here, taking it from this user's other device: that
        device's unsynced changes to it can no longer be pushed; at its next sync they
        are set aside there (sync/purge.py). The warnings say so, naming the device."""
        return self.checkout(name_or_key, take_over=True)

    def held_by_me_elsewhere(self, category: Category) -> dict | None:
        """The holder of `category` that is this user on another device, if any (as the
        last categories listing said): the one a take-over would take it from."""
        account = self.account
        return next(
            (h for h in category.holders
             if h.get("user") == account.username and h.get("device") != account.device_name),
            None,
        )  # fmt: skip

    def checkin(self, name_or_key: str) -> Category:
        """Push, then release the category; refused (CheckinBlocked) while any of its
        changes has not reached the server, naming each record and the way out."""
        category = self.find_category(name_or_key)
        in_category = Record.objects.filter(category_key=category.key)
        held_here = category.checked_out
        with self._recording_failures():
            self.push()
        if held_here and self.taken_over and not Category.objects.get(pk=category.pk).checked_out:
            raise EngineError(self.taken_over[-1])  # taken over on another device meanwhile
        blocking = blockers.blocking(category.key)
        if blocking:
            raise CheckinBlocked(category.name, blocking)
        self.transport.checkin(category.key)
        account = self.account
        me = (account.username, account.device_name)
        with transaction.atomic():
            in_category.delete()  # no longer ours to edit: no stale copy left behind
            category.checked_out = False
            category.cursor = 0
            # Released now, so shown as no longer ours at once (not at the next listing).
            category.holders = [h for h in category.holders
                                if (h.get("user"), h.get("device")) != me]  # fmt: skip
            category.save(update_fields=["checked_out", "cursor", "holders"])
        files.prune(self.schema)  # their files too, unless other records here hold them
        return category

    # -- sync --------------------------------------------------------------------

    def sync(self) -> SyncReport:
        """Push, then pull everything checked out. Known to be offline (the last ping or
        sync failed), its first request tries once, with no retry ladder. A failure is
        recorded on every queued change (sync/tries.py) and raised; a cancel raises
        Cancelled carrying the report of what was done (it stays done)."""
        report = SyncReport()
        self.taken_over = []
        with self._recording_failures(report):
            self._sync(report)
        return report

    @contextmanager
    def _recording_failures(self, report: SyncReport | None = None):
        started = timezone.now()
        try:
            yield
        except Cancelled as cancelled:
            cancelled.report = report
            raise
        except TransportError as error:
            tries.record_failure(error, started)
            raise

    def _sync(self, report: SyncReport) -> None:
        if self.account.online:
            self.refresh_schema()
        else:
            with self.transport.quick():  # one try: is the link back?
                self.refresh_schema()
        report.schema_changes = self.schema_changes
        report.pushed = self.push(report)
        report.pushed.update(self.settle_reviews())
        report.pulled += self.pull_reference()
        for category in Category.objects.filter(checked_out=True):
            try:
                report.pulled += self.pull(category)
            except EngineError as error:
                report.problems.append(str(error))
            except Refused as refused:  # e.g. its grant withdrawn: the others still sync
                if withdrawn_category(refused, category):
                    report.withdrawn.append(self.purge_withdrawn(category, refused))
                elif taken_over_category(refused, category):
                    self.purge_taken_over(category, refused.body.get("taken_over_by") or {})
                else:
                    report.problems.append(f"{category.name} was not pulled: {refused.detail}")
        fetched = self.fetch_files()
        report.files += fetched.counts
        report.problems += fetched.problems
        self.refresh_categories()
        report.withdrawn += self.taken_over
        Account.objects.update(last_sync_at=timezone.now(), online=True)

    # -- file content ------------------------------------------------------------

    def fetch_files(self) -> file_transfer.Transferred:
        """Download what records here refer to, each file up to the editor's download
        limit (store/files.py); bigger ones wait for `fetch_file`."""
        return file_transfer.fetch_missing(self.transport, self.schema, self._bytes("download"))

    def fetch_file(self, value) -> Path:
        """The content of a file value here, downloaded first if needed, whatever its
        size (`fieldsync file`, the app's open and save). Progress in bytes."""
        ref = files.ref_of(value)
        if ref is None:
            raise EngineError("there is no file there")
        try:
            return file_transfer.fetch(self.transport, ref, self._bytes("download"))
        except Refused as refused:
            raise EngineError(
                f"the server does not give the content of {ref.base_name}: {refused.detail}"
            ) from None
        except files.ContentMismatch as mismatch:
            raise EngineError(str(mismatch)) from None

    def _bytes(self, phase: str) -> file_transfer.BytesProgress:
        """The engine's progress callback, told in bytes (phase "upload" or "download")."""
        return lambda done, total, what: self.progress(Progress(phase, what, done, total))

    def _push_with_files(self, schema: Schema, ready: list, report) -> list[dict]:
        """Each entry's answer, its files uploaded first (only those the server lacks).
        A `needs_files` answer (an upload was cut, or the site lost a file) uploads
        those and sends the same frozen change again, once; a file that cannot go
        (not here and not there, refused by the server) rejects its change here,
        naming the field, without sending it."""
        results: dict[int, dict] = {}
        sending = self._upload_files_of(schema, ready, results, report)
        for attempt in range(2):
            if not sending:
                break
            try:
                answers = self.transport.push([entry.payload for entry in sending])
            except Refused as refused:  # "changes[i]" of what was sent: say it of `ready`
                raise _renumbered(refused, sending, ready) from None
            for entry, answer in zip(sending, answers, strict=True):
                results[entry.pk] = answer
            sending = [e for e in sending if results[e.pk].get("status") == NEEDS_FILES]
            if sending and attempt == 0:
                wanted = {sha for e in sending for sha in results[e.pk].get("files") or ()}
                sending = self._upload_files_of(schema, sending, results, report, wanted)
        return [results[entry.pk] for entry in ready]

    def _upload_files_of(self, schema, entries, results, report, only=None) -> list:
        done, cannot = file_transfer.upload_for_changes(
            self.transport, schema, entries, self._bytes("upload"), only
        )
        if report is not None:
            report.files += done.counts
        for entry in entries:
            if entry.pk in cannot:
                results[entry.pk] = file_transfer.refused_here(cannot[entry.pk])
        return [entry for entry in entries if entry.pk not in cannot]

    def purge_withdrawn(self, category: Category, refused: Refused) -> str:
        """The category's grant was withdrawn (or the category is gone): its records leave
        this folder, unsynced edits set aside first (sync/purge.py); says what and where."""
        why = f"you no longer have access to it ({refused.detail})"
        done = purge.purge_category(self.schema, category, why).sentence(why)
        files.prune(self.schema)
        return done

    def purge_taken_over(self, category: Category, taken_by: dict) -> str:
        """This user took the category over on another device (`taken_by`: {"device",
        "at"}): what this device had not synced can no longer go, so it is set aside and
        the category's records leave this folder, as for a withdrawn one; says what."""
        device = taken_by.get("device") or "another device"
        at = f" at {local_time(taken_by['at'])}" if taken_by.get("at") else ""
        why = (f"you took it over on {device}{at}, so what this device had not synced "
               "can no longer be pushed to it")  # fmt: skip
        done = purge.purge_category(self.schema, category, why).sentence(why)
        files.prune(self.schema)
        self.taken_over.append(done)
        return done

    def resume_checkouts(self) -> list[str]:
        """After a new login in a folder that still holds checked-out categories (the
        old login expired): take them again, so the queue goes out at the next sync.
        The server hands over what the expired login held. Says what it could not take."""
        notes = []
        for category in Category.objects.filter(checked_out=True):
            try:
                notes += self.transport.checkout(category.key).get("warnings", [])
            except Refused as refused:
                notes.append(f"{category.name} could not be checked out again: {refused.detail}")
        return notes

    def pull_reference(self) -> Counter:
        return self._pull(None, "reference data")

    def pull(self, category: Category) -> Counter:
        if category.key in set(categories_with_sent_changes()):
            self.push()  # settle what was sent before: its answer decides those records
            if category.key in set(categories_with_sent_changes()):
                raise EngineError(
                    f"{category.name} was not pulled: changes sent earlier are still unanswered"
                )
        category.refresh_from_db()
        return self._pull(category, category.name)

    def _pull(self, category: Category | None, label: str) -> Counter:
        schema = self.schema
        account = self.account
        key = category.key if category else None
        with _relaxed_durability():
            counts = self._pull_again(category, label, schema)
            cursor = category.cursor if category else account.reference_cursor
            return counts + self._pull_pages(category, label, schema, cursor, key)

    # -- rights that widened: rows the feed withheld, fetched from position 0 ----

    def _with_models_to_pull_again(self, data: dict) -> dict:
        """The new schema, noting which feeds must read which models again from 0:
        the models it gained, whose entries the cursors passed while they were
        withheld. Saved with the schema, so a crash before they are read loses
        nothing; each feed's note is cleared once it has read them."""
        account = Account.objects.first()
        if account is None or not account.schema:
            return data  # the first schema: every feed is still at position 0
        cursors = dict(
            Category.objects.filter(checked_out=True, cursor__gt=0).values_list("key", "cursor")
        )
        if account.reference_cursor:
            cursors[REFERENCE_FEED] = account.reference_cursor
        return models_to_pull_again(account.schema, data, cursors)

    def _pull_again(self, category: Category | None, label: str, schema: Schema) -> Counter:
        """Read the models this feed withheld from this device before, from position 0
        up to its cursor, without moving the cursor; then clear the note."""
        counts: Counter = Counter()
        feed = category.key if category else REFERENCE_FEED
        account = self.account
        models = (account.schema.get(PULL_AGAIN) or {}).get(feed)
        if not models:
            return counts
        cursor = category.cursor if category else account.reference_cursor
        since = 0
        while since < cursor:
            page = self.transport.changes(category.key if category else None, since, PULL_PAGE,
                                          models=models)  # fmt: skip
            with transaction.atomic():
                counts.update(apply_feed_page(schema, category, page, again=True))
            since = page["cursor"]
            self.progress(Progress("pull", label, sum(counts.values()), None))
            if not page["more"]:
                break
        with transaction.atomic():
            stored = Account.objects.select_for_update().get(pk=account.pk).schema
            left = {k: v for k, v in (stored.get(PULL_AGAIN) or {}).items() if k != feed}
            Account.objects.filter(pk=account.pk).update(schema={**stored, PULL_AGAIN: left})
        return counts

    def _pull_pages(self, category, label: str, schema, cursor: int, key) -> Counter:
        """Pull pages from `cursor` to the end of the feed, each committed with its
        cursor. The next page is asked for while this one is applied (its cursor is
        known once this one arrives), so the server's work and the store's overlap;
        a page is still applied only after the one before it has committed."""
        counts: Counter = Counter()
        done, total = 0, None
        upcoming = _Fetch(self.transport.changes, key, cursor, PULL_PAGE, count=True)
        while upcoming is not None:
            page = upcoming.result()
            self.transport.stop_if_cancelled()  # a page that came after a cancel is left
            total = page.get("remaining") if total is None else total
            upcoming = None
            if page["more"]:
                upcoming = _Fetch(self.transport.changes, key, page["cursor"], PULL_PAGE)
            cursor = self._apply_page(category, schema, page, key, counts)
            done += len(page["changes"])
            self.progress(Progress("pull", label, done, total))
        if category is not None:
            category.cursor = cursor
        return counts

    def _apply_page(self, category, schema, page: dict, key, counts: Counter) -> int:
        """Apply one page and move the feed's cursor past it, in one transaction."""
        with transaction.atomic():
            counts.update(apply_feed_page(schema, category, page))
            cursor = page["cursor"]
            if category is not None:
                Category.objects.filter(key=key).update(
                    cursor=cursor, last_pulled_at=timezone.now()
                )
            else:
                Account.objects.update(reference_cursor=cursor)
        self._crash.reached("pull-page" if category else "pull-reference-page")
        return cursor

    def push(self, report: SyncReport | None = None) -> Counter:
        """Send the queue in rounds: one change per record per round, batches per category.
        The answers are counted in `report.pushed` as they come (a cancel keeps them)."""
        schema = self.schema
        statuses: Counter = report.pushed if report is not None else Counter()
        blocked: set = set()
        waiting: set[int] = set()  # records whose change still waits for its files
        total = PendingChange.objects.filter(state=PendingChange.QUEUED).count()
        done = 0
        while True:
            entries = next_round(blocked, waiting)
            if not entries:
                break
            for key, group in groupby(entries, key=lambda e: e.record.category_key):
                group = list(group)
                for start in range(0, len(group), PUSH_BATCH):
                    batch = group[start : start + PUSH_BATCH]
                    sent = self._push_batch(schema, batch, statuses, blocked, key, report, waiting)
                    done += sent
                    self.progress(Progress("push", "queued changes", done, max(total, done)))
        return statuses

    def settle_reviews(self) -> Counter:
        """Ask what chief editors decided about our changes queued for review."""
        waiting = list(
            PendingChange.objects.filter(state=PendingChange.REVIEW).select_related("record")
        )
        decided: Counter = Counter()
        if not waiting:
            return decided
        schema = self.schema
        for start in range(0, len(waiting), PUSH_BATCH):
            batch = waiting[start : start + PUSH_BATCH]
            outcomes = self.transport.reviews([str(entry.change_id) for entry in batch])
            with transaction.atomic():
                for entry in batch:
                    outcome = outcomes.get(str(entry.change_id), {})
                    result = apply_review_outcome(schema, entry, outcome)
                    if result:
                        decided[result] += 1
        return decided

    def _push_batch(self, schema, batch, statuses, blocked, key, report, waiting) -> int:
        self.transport.stop_if_cancelled()  # before freezing: a cancelled batch was never sent
        now = timezone.now()
        with transaction.atomic():
            ready = []
            for entry in batch:
                payload = freeze(schema, entry)
                if payload is None:  # edited back to the server's values: nothing to send
                    record = entry.record
                    entry.delete()
                    record.pending = record.changes.exists()
                    record.save(update_fields=["pending"])
                    continue
                entry.payload = payload
                entry.attempts += 1
                entry.last_try_at = now
                ready.append(entry)
            update_rows(PendingChange, ready, ["payload", "attempts", "last_try_at"])
        if not ready:
            return 0
        self._crash.reached("push-frozen")
        try:
            results = self._push_with_files(schema, ready, report)
        except Refused as refused:
            self._refused(ready, refused, blocked, key, report)
            return 0
        self._crash.reached("push-answered")
        if report is not None:
            report.lost_edits += lost_edits(ready, results)
        for entry, result in zip(ready, results, strict=True):
            if result.get("status") == NEEDS_FILES:  # stays queued, frozen: the next sync
                waiting.add(entry.record_id)
                if report is not None:
                    report.problems.append(
                        f"{entry.record}: its files did not reach the server; sync again"
                    )
        with transaction.atomic():
            statuses.update(apply_push_results(schema, ready, results))
        return len(ready)

    def _refused(self, ready, refused: Refused, blocked, key, report) -> None:
        where = refused.body.get("where", "")
        if refused.code == "taken_over":  # this user took it over on another device
            blocked.add(key)
            category = Category.objects.filter(key=key).first()
            if category is not None:
                self.purge_taken_over(category, refused.body.get("taken_over_by") or {})
            return
        if refused.status == 400 and where.startswith("changes["):
            index = int(where[len("changes[") :].split("]")[0])
            entry = ready[index]
            entry.state = PendingChange.REJECTED
            entry.last_error = refused.detail
            entry.save(update_fields=["state", "last_error"])
            return
        PendingChange.objects.filter(pk__in=[e.pk for e in ready]).update(last_error=refused.detail)
        blocked.add(key)
        if report is not None:
            report.problems.append(refused.detail)


def _renumbered(refused: Refused, sent: list, batch: list) -> Refused:
    """A refusal naming ``changes[i]`` of `sent` (a part of `batch`), naming it in `batch`."""
    where = refused.body.get("where", "")
    found = re.match(r"changes\[(\d+)\]", where)
    if found is None or int(found.group(1)) >= len(sent):
        return refused
    index = batch.index(sent[int(found.group(1))])
    body = {**refused.body, "where": f"changes[{index}]" + where[found.end() :]}
    return Refused(refused.status, body)


# 401 codes of a token the server no longer takes: the editor must log in again.
LOGIN_GONE = ("token_expired", "device_revoked")


@dataclass(frozen=True)
class LostLogin:
    """What a token the server no longer takes meant for this folder, for the editor."""

    revoked: bool  # staff revoked the device (else the login expired)
    detail: str  # the server's sentence
    server_url: str
    username: str
    queued: int = 0  # unsynced changes kept for the next login (expired)
    removed: int = 0  # records removed from this folder (revoked)
    set_aside: int = 0  # records whose unsynced edits went to set-aside files (revoked)
    set_aside_folder: str = ""

    def what_became_of_the_work(self) -> str:
        if not self.revoked:
            if self.queued:
                return f"Your {self.queued} unsynced change(s) stay in this folder"
            return "Nothing is lost"
        text = f"Its {self.removed} record(s) were removed from this folder"
        if self.set_aside:
            text += (
                f"; your unsynced edits of {self.set_aside} record(s) are in "
                f"{self.set_aside_folder}"
            )
        return text


def lost_login(error: Exception) -> LostLogin | None:
    """For a 401 that ends this device's login (LOGIN_GONE): a revoked device's records
    leave the folder, every unsynced edit set aside first (sync/purge.py); an expired
    one keeps everything for the next login here. None for any other error."""
    if not isinstance(error, AuthFailed) or error.code not in LOGIN_GONE:
        return None
    account = Account.objects.first()
    if account is None:
        return None
    found = {"server_url": account.server_url, "username": account.username}
    if error.code == "token_expired":
        return LostLogin(False, str(error), queued=PendingChange.objects.count(), **found)
    schema = Schema(account.schema)
    purged = purge.purge_device(schema, "this device was revoked on the central site")
    files = [path for done in purged for path in done.set_aside]
    return LostLogin(
        True,
        str(error),
        removed=sum(done.removed for done in purged),
        set_aside=len(files),
        set_aside_folder=str(files[0].parent) if files else "",
        **found,
    )


def withdrawn_category(refused: Refused, category: Category) -> bool:
    """A pull refused because this user may no longer see the category (its grant was
    withdrawn, or it is gone: the server answers both alike)."""
    return refused.status == 403 and str(refused.body.get("category", "")) == category.key


def taken_over_category(refused: Refused, category: Category) -> bool:
    """A pull refused because this user took the category over on another device."""
    return refused.code == "taken_over" and str(refused.body.get("category", "")) == category.key


PULL_AGAIN = "pull_again"  # in the stored schema: feed -> models to read again from 0
REFERENCE_FEED = ""  # the reference feed's name there


def models_to_pull_again(old: dict, new: dict, cursors: dict[str, int]) -> dict:
    """`new` (a schema from the server) with the note of what to read again.

    Models in `new` but not in `old` are ones this device may now view; the
    feeds whose cursors moved (`cursors`: feed -> cursor, the reference feed
    named by REFERENCE_FEED) passed their entries while they were withheld,
    so each such feed must read them again from position 0. So are models
    that gained fields (a migration): only the server knows their values in
    the rows this device holds. Notes left from an earlier schema stay,
    minus models no longer in `new`.
    """
    labels = {m["label"]: bool(m.get("reference")) for m in new.get("models", ())}
    known = {m["label"] for m in old.get("models", ())}
    gained = {label for label in labels if label not in known}
    gained |= schema_change.models_with_new_fields(old, new)
    notes = {feed: set(models) for feed, models in (old.get(PULL_AGAIN) or {}).items()}
    for feed in cursors:
        wanted = {label for label in gained if labels[label] == (feed == REFERENCE_FEED)}
        notes.setdefault(feed, set()).update(wanted)
    kept = {feed: sorted(m for m in models if m in labels) for feed, models in notes.items()}
    return {**new, PULL_AGAIN: {feed: models for feed, models in kept.items() if models}}


def next_round(
    blocked: frozenset | set = frozenset(), waiting: frozenset | set = frozenset()
) -> list[PendingChange]:
    """What one push round sends: each record's oldest queued change, by category,
    leaving out `blocked` categories and `waiting` records (ids).

    A later change of the same record is based on the answer to the earlier
    one, so it waits for the next round (or the next bundle, offline).
    """
    queued = (
        PendingChange.objects.filter(state=PendingChange.QUEUED, record__conflicted=False)
        .select_related("record")
        .order_by("id")
    )
    first: dict[int, PendingChange] = {}
    for entry in queued:
        if entry.record.category_key not in blocked and entry.record_id not in waiting:
            first.setdefault(entry.record_id, entry)
    return sorted(first.values(), key=lambda e: (e.record.category_key or "", e.id))


class _Fetch:
    """One request run in a thread of its own: its answer, or its exception, when
    asked for. A daemon thread: a pull that fails or is interrupted (ctrl+c) while
    the next page is on its way leaves it behind, rather than wait for it."""

    def __init__(self, call: Callable, *args, **kwargs):
        self._done = threading.Event()
        self._answer = self._error = None
        thread = threading.Thread(target=self._run, args=(call, args, kwargs), daemon=True,
                                  name="fieldsync-pull")  # fmt: skip
        thread.start()

    def _run(self, call, args, kwargs) -> None:
        try:
            self._answer = call(*args, **kwargs)
        except BaseException as error:  # handed to the caller by result()
            self._error = error
        finally:
            self._done.set()

    def result(self):
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._answer


@contextmanager
def _relaxed_durability():
    """Pulled pages need not wait for the disk: a page and its cursor commit
    together, so a power cut loses both and the page is simply pulled again.
    Local edits keep the store's full durability (the editor typed them)."""
    if connection.in_atomic_block:  # the setting only changes between transactions
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=NORMAL")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=FULL")
