"""One field editor of the load run: its own process, data folder, SQLite store and
keyring file, driving the real sync engine (``SyncEngine``) and the store's edit
functions, as the app and the CLI do.

``run``: check out its sections, then until the deadline edit (a marker sentence
in an article's body, sometimes its status too), create and delete articles, and
sync every few seconds; an "offline" editor stops syncing for a while now and
then. It prints ``SYNC`` before each sync and ``IDLE`` after, so the harness can
kill it with SIGKILL in the middle of one; restarted on the same folder, it first
settles its journal against the store. ``settle``: sync and resolve every
conflict (a side chosen deterministically, the choice and the markers it drops
journaled) until nothing is queued or open. ``final``: one more sync.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from pathlib import Path

from .journal import Journal, markers_in, read_journal, settled, with_marker

PASSWORD = "demo-password"
ARTICLE = "news.article"
HOT = 4  # articles per section most edits go to, so editors meet on them
STATUSES = ["draft", "review", "published"]


def choose_side(name: str, pk: str, conflict_id: int) -> str:
    """Mine or theirs, the same however often it is asked (a person's choice, recorded)."""
    digest = hashlib.sha256(f"{name}:{pk}:{conflict_id}".encode()).digest()
    return "mine" if digest[0] % 2 == 0 else "theirs"


class FieldEditor:
    def __init__(self, args):
        self.args = args
        self.name = args.name
        self.rng = random.Random(f"{args.seed}:{time.time_ns()}")
        self.journal = Journal(args.journal)
        self.metrics = open(args.metrics, "a", buffering=1, encoding="utf-8")
        entries = read_journal(args.journal)
        self.actions = settled(entries)
        self.number = max(self.actions, default=0)

    # -- start: the store, the login, the checkouts, the journal settled ---------

    def open(self) -> None:
        from fieldsync_tui.store.database import open_database

        open_database(Path(self.args.data_dir))
        from fieldsync_tui import credentials
        from fieldsync_tui.store.models import Account
        from fieldsync_tui.sync.engine import SyncEngine
        from fieldsync_tui.sync.transport import Transport

        account = Account.objects.first()
        token = None
        if account is not None:
            token = credentials.load_token(
                account.server_url, account.username, account.device_name
            )
        if token:
            self.engine = SyncEngine(Transport.for_account(account, token))
        else:
            self.engine = self._log_in()
        self._time(self.engine.transport)
        self.settle_journal()
        self._check_out()

    def _log_in(self):
        try:  # the one login of the CLI, the app and the demo (it moved in issue 11)
            from fieldsync_tui.client.login import log_in
        except ImportError:
            from fieldsync_tui.sync.login_flow import log_in

        from fieldsync_tui import credentials
        from fieldsync_tui.sync.transport import Transport, TransportError

        for attempt in range(60):
            try:
                transport = Transport(self.args.url)
                return log_in(
                    transport, self.name, PASSWORD, self.name, credentials.save_token
                ).engine
            except TransportError as error:  # 429: the site checks few passwords at once
                self.note(f"login try {attempt + 1}: {error}")
                time.sleep(1 + self.rng.random())
        raise SystemExit(f"{self.name} could not log in")

    def _check_out(self) -> None:
        from fieldsync_tui.store.models import Category
        from fieldsync_tui.sync.transport import TransportError

        self.engine.refresh_categories()
        for category in Category.objects.filter(checked_out=False):
            for attempt in range(20):
                try:
                    self.engine.checkout(category.key)
                    break
                except TransportError as error:
                    self.note(f"checkout {category.name} try {attempt + 1}: {error}")
                    time.sleep(1)

    def _time(self, transport) -> None:
        """Time each push request and each feed page (the server's answer, not the engine)."""
        for method, kind in (("push", "push"), ("changes", "pull")):
            original = getattr(transport, method)

            def timed(*args, _original=original, _kind=kind, **kwargs):
                started = time.perf_counter()
                ok = False
                try:
                    answer = _original(*args, **kwargs)
                    ok = True
                    return answer
                finally:
                    self.metrics.write(
                        json.dumps({"kind": _kind, "s": time.perf_counter() - started, "ok": ok})
                        + "\n"
                    )

            setattr(transport, method, timed)

    def settle_journal(self) -> None:
        """Intents a kill left open become done or aborted, as the store says."""
        from fieldsync_tui.store.models import Conflict, Record

        for number, action in sorted(self.actions.items()):
            if action["state"] != "open":
                continue
            op, mark = action["op"], action.get("marker")
            if op in ("edit", "create"):
                found = [
                    r
                    for r in Record.objects.filter(model=ARTICLE)
                    if mark in markers_in(r.values.get("body"))
                ]
                if found:
                    self._end(number, "done", pk=found[0].object_pk, recovered=True)
                else:
                    self._end(number, "aborted", recovered=True)
            elif op == "delete":
                gone = not Record.objects.filter(
                    model=ARTICLE, object_pk=action["pk"], deleted=False
                ).exists()
                self._end(number, "done" if gone else "aborted", recovered=True)
            elif op == "resolve":
                still_open = Conflict.objects.filter(
                    pk=action["conflict"], resolved_at__isnull=True
                ).exists()
                self._end(number, "aborted" if still_open else "done", recovered=True)

    def _begin(self, op: str, **details) -> int:
        self.number += 1
        entry = {"kind": "intent", "n": self.number, "op": op, "writer": self.name, **details}
        self.journal.write(**entry)
        self.actions[self.number] = {**entry, "state": "open"}
        return self.number

    def _end(self, number: int, state: str, **details) -> None:
        self.journal.write(kind=state, n=number, **details)
        self.actions[number].update(details, state=state)

    def note(self, text: str) -> None:
        print(f"{self.name}: {text}", file=sys.stderr, flush=True)

    # -- what an editor does --------------------------------------------------------

    def _articles(self, own_only: bool = False):
        from fieldsync_tui.store.models import Category, Record

        keys = list(Category.objects.filter(checked_out=True).values_list("key", flat=True))
        records = Record.objects.filter(
            model=ARTICLE, category_key__in=keys, deleted=False, conflicted=False
        )
        if own_only:
            mine = {
                a["pk"]
                for a in self.actions.values()
                if a["op"] == "create" and a["state"] == "done"
            }
            records = records.filter(object_pk__in=mine)
        return list(records.order_by("category_key", "object_pk")), keys

    def edit(self) -> None:
        from fieldsync_tui.store.edits import EditError, update_record
        from fieldsync_tui.store.models import PendingChange

        records, keys = self._articles()
        if not records:
            return
        if self.rng.random() < 0.5:  # the hot ones: the first few of a section
            key = self.rng.choice(keys)
            hot = [r for r in records if r.category_key == key][:HOT] or records
            record = self.rng.choice(hot)
        else:
            record = self.rng.choice(records)
        number = self._begin("edit", marker=f"m:{self.name}:{self.number + 1}", pk=record.object_pk)
        mark = self.actions[number]["marker"]
        changes = {"body": with_marker(record.values.get("body") or "", mark, self.rng)}
        if self.rng.random() < 0.15:
            changes["status"] = self.rng.choice(STATUSES)
        try:
            saved = update_record(self.engine.schema, ARTICLE, record.object_pk, changes)
        except EditError as error:
            self._end(number, "aborted", error=str(error))
            return
        entry = saved.changes.filter(state=PendingChange.QUEUED).order_by("-id").first()
        self._end(number, "done", change_id=str(entry.change_id) if entry else None)

    def create(self) -> None:
        from fieldsync_tui.store.edits import EditError, create_record
        from fieldsync_tui.store.models import Category

        keys = list(Category.objects.filter(checked_out=True).values_list("key", flat=True))
        if not keys:
            return
        key = self.rng.choice(keys)
        number = self._begin("create", marker=f"m:{self.name}:{self.number + 1}", category=key)
        mark = self.actions[number]["marker"]
        values = {
            "title": f"Load run {self.name} {number}",
            "body": f"Filed {mark}. Written by the load run.\n\nA second paragraph follows.",
        }
        try:
            record = create_record(self.engine.schema, ARTICLE, values, category=key)
        except EditError as error:
            self._end(number, "aborted", error=str(error))
            return
        self._end(number, "done", pk=record.object_pk)

    def delete(self) -> None:
        from fieldsync_tui.store.edits import EditError, delete_record

        records, _ = self._articles(own_only=True)
        if not records:
            return self.edit()
        record = self.rng.choice(records)
        number = self._begin(
            "delete", pk=record.object_pk, markers=sorted(markers_in(record.values.get("body")))
        )
        try:
            delete_record(self.engine.schema, ARTICLE, record.object_pk)
        except EditError as error:
            self._end(number, "aborted", error=str(error))
            return
        self._end(number, "done")

    def resolve_all(self) -> int:
        """Resolve every open conflict, each side chosen by `choose_side`; journaled with
        the markers the choice leaves out (they may go: a person chose)."""
        from fieldsync_tui.sync.conflicts import open_conflicts, proposed_values, resolve

        done = 0
        for conflict in list(open_conflicts()):
            record = conflict.record
            take = choose_side(self.name, record.object_pk, conflict.pk)
            mine = markers_in(*(conflict.mine or {}).values())
            theirs = markers_in(*(conflict.theirs or {}).values())
            deletes = (conflict.theirs is None and take == "theirs") or (
                conflict.op == "delete" and take == "mine"
            )
            if deletes:
                lost = mine | theirs
            else:
                result = proposed_values(self.engine.schema, conflict, take)
                lost = (mine | theirs) - markers_in(*result.values())
            number = self._begin(
                "resolve",
                pk=record.object_pk,
                conflict=conflict.pk,
                take=take,
                deletes=deletes,
                lost=sorted(lost),
                fields=sorted(conflict.fields),
            )
            resolve(self.engine.schema, conflict.pk, take)
            self._end(number, "done")
            done += 1
        return done

    def sync(self) -> bool:
        from fieldsync_tui.sync.engine import EngineError
        from fieldsync_tui.sync.transport import TransportError

        print("SYNC", flush=True)
        try:
            report = self.engine.sync()
            if report.problems:
                self.note(f"sync problems: {report.problems}")
            return True
        except (TransportError, EngineError) as error:
            self.note(f"sync failed: {error!r}")
            return False
        finally:
            print("IDLE", flush=True)

    # -- the three modes -----------------------------------------------------------

    def run(self) -> None:
        offline_until = 0.0
        while time.time() < self.args.until:
            for _ in range(self.rng.randint(1, 3)):
                roll = self.rng.random()
                if roll < 0.75:
                    self.edit()
                elif roll < 0.88:
                    self.create()
                else:
                    self.delete()
            now = time.time()
            if self.args.offline and now >= offline_until and self.rng.random() < 0.15:
                offline_until = now + self.rng.uniform(15, 40)  # a while without a link
                self.note(f"offline for {offline_until - now:.0f} s")
            if now >= offline_until:
                self.sync()
                if self.rng.random() < 0.5:
                    self.resolve_all()
            time.sleep(self.rng.uniform(*self.args.interval))
        self.sync()

    def settle(self) -> bool:
        from fieldsync_tui.store.models import Conflict, PendingChange

        for _ in range(15):
            synced = self.sync()
            self.resolve_all()
            synced = self.sync() and synced
            queued = PendingChange.objects.exclude(state=PendingChange.REJECTED).count()
            open_ = Conflict.objects.filter(resolved_at__isnull=True).count()
            if synced and not queued and not open_:
                return True
            time.sleep(1)
        return False

    def state(self) -> dict:
        from fieldsync_tui.store.models import Conflict, PendingChange

        return {
            "queued": PendingChange.objects.exclude(state=PendingChange.REJECTED).count(),
            "rejected": [
                {"pk": c.record.object_pk, "error": c.last_error, "errors": c.errors}
                for c in PendingChange.objects.filter(state=PendingChange.REJECTED)
            ],
            "conflicts": Conflict.objects.filter(resolved_at__isnull=True).count(),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load.editor")
    parser.add_argument("mode", choices=["run", "settle", "final"])
    parser.add_argument("--name", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--journal", required=True)
    parser.add_argument("--metrics", required=True)
    parser.add_argument("--until", type=float, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--offline", action="store_true")
    parser.add_argument("--interval", type=float, nargs=2, default=(2.0, 5.0))
    args = parser.parse_args(argv)
    os.environ.setdefault("FIELDSYNC_READ_TIMEOUT", "120")
    editor = FieldEditor(args)
    editor.open()
    if args.mode == "run":
        editor.run()
        ok = True
    elif args.mode == "settle":
        ok = editor.settle()
    else:
        ok = editor.sync()
    state = editor.state()
    print("STATE " + json.dumps(state), flush=True)
    clean = ok and not state["queued"] and not state["conflicts"] and not state["rejected"]
    return 0 if (clean or args.mode == "run") else 1


if __name__ == "__main__":
    sys.exit(main())
