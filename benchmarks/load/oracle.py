"""The oracle of the load run: what must hold once everyone synced and resolved.

1. Convergence: every editor's store holds exactly the server's records (key,
   version and values) for its sections and the reference data, with nothing
   queued, rejected or in conflict.
2. No lost marker. A marker journaled ``done`` must be in its article's final
   body, unless (a) a resolution journaled ``done`` named it among the markers
   its chosen side leaves out (a person chose the other side), or (b) the article
   was deleted by a journaled delete (an editor's, or a resolution that took the
   deletion): deleting drops its text. A marker missing otherwise is LOST. The
   chief's admin form saves the whole body it read, so a marker that reached the
   server between the chief's GET and POST of that article and is missing is
   listed as overwritten by the admin form (a finding about the admin, counted
   apart from LOST).
3. Nothing applied twice: no marker occurs twice in the final data, no receipt is
   left claimed without an answer, and every journaled change id has at most one
   receipt (the table's key).
4. Gap-free feed: a reader that followed every feed page by page during the run
   (`FeedWatcher`) ends with exactly what a full read from position 0 gives, and
   never saw a position at or below its cursor.
5. No marker appears that no journal made.
6. One version, one write: the history never keeps two different values under one
   version number of a record (two writes that both made it: one was overwritten).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests

from .journal import MARKER, markers_in, read_journal, settled
from .site import PASSWORD, pg_query

ARTICLE = "news.article"


class Api:
    """The fieldsync API as the chief (a grant on every section), for reading feeds."""

    def __init__(self, url: str, device: str):
        self.base = f"{url}/fieldsync/v1/"
        self.session = requests.Session()
        for _ in range(60):
            answer = self.session.post(
                self.base + "auth/token",
                json={"username": "chief", "password": PASSWORD, "device": device},
                timeout=60,
            )
            if answer.ok:  # 200 or 201 (a device made); 429 while passwords are checked
                break
            time.sleep(1)
        answer.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {answer.json()['token']}"

    def page(self, key: str | None, since: int, limit: int = 1000) -> dict:
        path = "reference/changes" if key is None else f"categories/{key}/changes"
        for attempt in range(5):
            try:
                answer = self.session.get(
                    self.base + path, params={"since": since, "limit": limit}, timeout=120
                )
            except requests.ConnectionError:  # a kept-alive connection a worker closed as it
                if attempt == 4:
                    raise
                time.sleep(0.5)  # was replaced (gunicorn max_requests): ask again, as clients do
                continue
            if answer.status_code < 500:
                break
            time.sleep(1 + attempt)
        answer.raise_for_status()
        return answer.json()

    def records(self, key: str | None) -> dict:
        """(model, pk) -> {"version", "values"}: a full read of the feed from 0."""
        found, cursor = {}, 0
        while True:
            page = self.page(key, cursor)
            for change in page["changes"]:
                item = (change["model"], str(change["pk"]))
                if change.get("deleted"):
                    found.pop(item, None)
                else:
                    found[item] = {"version": change["version"], "values": change["fields"]}
            cursor = page["cursor"]
            if not page["more"]:
                return found


class FeedWatcher:
    """Follows every feed page by page while the run goes on, as a client would."""

    def __init__(self, api: Api, keys: list[str | None], every: float = 2.0):
        self.api, self.keys, self.every = api, keys, every
        self.cursors = {key: 0 for key in keys}
        self.seen = {key: {} for key in keys}
        self.problems: list[str] = []
        self.pages = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=60)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.catch_up()
            except requests.RequestException as error:
                self.problems.append(f"watcher could not read: {error}")

    def catch_up(self) -> None:
        for key in self.keys:
            while True:
                page = self.api.page(key, self.cursors[key], limit=200)
                self.pages += 1
                for change in page["changes"]:
                    item = (change["model"], str(change["pk"]))
                    before = self.seen[key].get(item)
                    if before and change["version"] < before["version"]:
                        self.problems.append(
                            f"feed {key or 'reference'}: {item} went back from "
                            f"v{before['version']} to v{change['version']}"
                        )
                    self.seen[key][item] = change
                if page["changes"] and page["cursor"] <= self.cursors[key]:
                    self.problems.append(
                        f"feed {key or 'reference'}: cursor went back to "
                        f"{page['cursor']} from {self.cursors[key]}"
                    )
                self.cursors[key] = page["cursor"]
                if not page["more"]:
                    break

    def view(self, key: str | None) -> dict:
        return {
            item: {"version": c["version"], "values": c["fields"]}
            for item, c in self.seen[key].items()
            if not c.get("deleted")
        }


@dataclass
class Verdict:
    failures: dict[str, list[str]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)

    def fail(self, check: str, text: str) -> None:
        self.failures.setdefault(check, []).append(text)

    def note(self, check: str, text: str) -> None:
        self.notes.setdefault(check, []).append(text)

    @property
    def passed(self) -> bool:
        return not self.failures


def store_records(folder: Path) -> tuple[dict, dict, list[str]]:
    """(records by category key, None for reference: (model, pk) -> record; checked-out keys)."""
    with sqlite3.connect(folder / "store.sqlite3") as db:
        rows = db.execute(
            'SELECT model, object_pk, category_key, base_version, "values" '
            "FROM fieldsync_store_record WHERE deleted = 0"
        ).fetchall()
        keys = [
            k
            for (k,) in db.execute("SELECT key FROM fieldsync_store_category WHERE checked_out = 1")
        ]
        queued = db.execute("SELECT COUNT(*) FROM fieldsync_store_pendingchange").fetchone()[0]
        conflicts = db.execute(
            "SELECT COUNT(*) FROM fieldsync_store_conflict WHERE resolved_at IS NULL"
        ).fetchone()[0]
    found: dict = {}
    for model, pk, key, version, values in rows:
        found.setdefault(key, {})[(model, pk)] = {"version": version, "values": json.loads(values)}
    return found, {"queued": queued, "conflicts": conflicts}, keys


def _diff(left: dict, right: dict, limit: int = 5) -> list[str]:
    out = []
    for item in sorted(set(left) | set(right)):
        a, b = left.get(item), right.get(item)
        if a is None:
            out.append(f"{item} missing here (server v{b['version']})")
        elif b is None:
            out.append(f"{item} here (v{a['version']}) but not on the server")
        elif a != b:
            fields = sorted(
                k
                for k in set(a["values"]) | set(b["values"])
                if a["values"].get(k) != b["values"].get(k)
            )
            out.append(
                f"{item} v{a['version']} here, v{b['version']} on the server; "
                f"fields differ: {fields}"
            )
        if len(out) >= limit:
            out.append("...")
            break
    return out


def check(
    api: Api,
    database: str,
    sections: list[dict],
    editors: dict[str, Path],
    journals: dict[str, Path],
    watcher: FeedWatcher,
    strict: bool = False,
) -> Verdict:
    """`strict`: markers overwritten by an admin form save fail the oracle too."""
    verdict = Verdict()
    keys = [s["key"] for s in sections]
    server = {key: api.records(key) for key in keys}
    server[None] = api.records(None)

    # 1. convergence
    for name, folder in editors.items():
        held, state, checked_out = store_records(folder)
        if state["queued"] or state["conflicts"]:
            verdict.fail(
                "convergence",
                f"{name}: {state['queued']} change(s) still queued, "
                f"{state['conflicts']} conflict(s) open",
            )
        for key in [*checked_out, None]:
            differences = _diff(held.get(key, {}), server[key])
            for line in differences:
                verdict.fail("convergence", f"{name}, section {key or 'reference'}: {line}")
            verdict.counts["records compared"] += len(server[key])
        stray = set(held) - set(checked_out) - {None}
        if stray:
            verdict.fail("convergence", f"{name}: records of sections not checked out: {stray}")

    # what everyone did
    actions = []
    for writer, path in journals.items():
        for action in settled(read_journal(path)).values():
            actions.append({**action, "writer": writer})
    open_ = [a for a in actions if a["state"] == "open"]
    for action in open_:
        verdict.fail("journals", f"{action['writer']} #{action['n']} {action['op']} never settled")
    excused: dict[str, str] = {}
    deleted_pks = set()
    for action in actions:
        if action["state"] != "done":
            continue
        if action["op"] == "resolve":
            for mark in action.get("lost", []):
                excused.setdefault(mark, f"{action['writer']} took {action['take']}")
            if action.get("deletes"):
                deleted_pks.add(action["pk"])
            verdict.counts[f"resolutions ({action['take']})"] += 1
        elif action["op"] == "delete":
            deleted_pks.add(action["pk"])
    written = {
        a["marker"]: a for a in actions if a["op"] in ("edit", "create") and a["state"] == "done"
    }
    aborted = {
        a["marker"] for a in actions if a["op"] in ("edit", "create") and a["state"] == "aborted"
    }
    verdict.counts["markers written"] = len(written)
    for action in written.values():
        kind = action["writer"] if action["writer"] in ("chief", "orm") else "editors"
        verdict.counts[f"markers written by {kind}"] += 1

    # the final data, everywhere
    final_bodies: dict[str, str] = {}
    occurrences: Counter = Counter()
    where: dict[str, str] = {}
    for key in keys:
        for (model, pk), record in server[key].items():
            for value in record["values"].values():
                if isinstance(value, str):
                    for mark in MARKER.findall(value):
                        occurrences[mark] += 1
                        where[mark] = pk
            if model == ARTICLE:
                final_bodies[pk] = record["values"].get("body") or ""

    receipts = {
        str(change_id): (status, received_at.timestamp())
        for change_id, status, received_at in pg_query(
            database, "SELECT change_id::text, status, received_at FROM fieldsync_changereceipt"
        )
    }
    admin_saves = [a for a in actions if a["writer"] == "chief" and a["state"] == "done"]

    # 2. lost markers
    for mark, action in sorted(written.items()):
        pk = action.get("pk")
        if mark in markers_in(final_bodies.get(pk, "")):
            verdict.counts["markers kept"] += 1
            continue
        if mark in excused:
            verdict.counts["markers dropped by a resolution"] += 1
            continue
        if pk in deleted_pks:
            verdict.counts["markers in deleted articles"] += 1
            continue
        arrived = _arrival(action, receipts)
        overwritten = [
            s
            for s in admin_saves
            if s["pk"] == pk and arrived is not None and s["t_get"] - 0.5 <= arrived <= s["t_post"]
        ]
        if overwritten:
            verdict.counts["markers overwritten by an admin form save"] += 1
            (verdict.fail if strict else verdict.note)(
                "admin form overwrote",
                f"{mark} on article {pk} (arrived {arrived:.3f}, "
                f"chief's form read {overwritten[0]['t_get']:.3f}, saved "
                f"{overwritten[0]['t_post']:.3f})",
            )
            continue
        status = receipts.get(action.get("change_id") or "", ("no receipt", 0))[0]
        verdict.fail(
            "lost markers",
            f"{mark} ({action['writer']} #{action['n']} {action['op']} "
            f"of article {pk}, receipt: {status}) is not in the final data",
        )

    # 3. applied twice
    for mark, count in occurrences.items():
        if count > 1:
            verdict.fail("applied twice", f"{mark} occurs {count} times (article {where[mark]})")
    unanswered = [cid for cid, (status, _) in receipts.items() if not status]
    for change_id in unanswered:
        verdict.fail("applied twice", f"receipt {change_id} claimed but never answered")
    verdict.counts["receipts"] = len(receipts)
    for status, count in Counter(s for s, _ in receipts.values()).items():
        verdict.counts[f"receipts {status or '(unanswered)'}"] = count

    # 4. the feed, followed page by page
    watcher.catch_up()
    for problem in watcher.problems:
        verdict.fail("feed", problem)
    for key in [*keys, None]:
        for line in _diff(watcher.view(key), server[key]):
            verdict.fail("feed", f"section {key or 'reference'}, read page by page: {line}")
    for key, counter, top in pg_query(
        database,
        "SELECT f.category_key, f.last_position, MAX(t.position) FROM fieldsync_feedcounter f "
        "JOIN fieldsync_trackedrow t ON t.category_key = f.category_key GROUP BY 1, 2",
    ):
        if top > counter:
            verdict.fail("feed", f"feed {key!r}: an entry at {top} beyond its counter {counter}")
    verdict.counts["feed pages read by the watcher"] = watcher.pages

    # one version, one write: two different values kept under one version number of a
    # record mean two writes both made that version (one overwrote the other unmerged)
    for pk, version, count in pg_query(
        database,
        "SELECT object_pk, version, COUNT(DISTINCT values::text) FROM fieldsync_recordversion "
        "GROUP BY 1, 2 HAVING COUNT(DISTINCT values::text) > 1 ORDER BY 1, 2",
    ):
        verdict.fail("versions", f"{pk} v{version}: {count} different values kept (lost update)")

    # 5. markers no journal made
    for mark in occurrences:
        if mark not in written:
            state = "aborted" if mark in aborted else "unknown"
            verdict.fail("phantom markers", f"{mark} is in the data but its journal says {state}")
    return verdict


def _arrival(action: dict, receipts: dict) -> float | None:
    """When a marker reached the server: its change's receipt (an editor's), or the
    moment the writer's save committed (the ORM writer's, the chief's)."""
    if action.get("change_id") in receipts:
        return receipts[action["change_id"]][1]
    if action["writer"] in ("orm", "chief"):
        return action.get("t_end")
    return None
