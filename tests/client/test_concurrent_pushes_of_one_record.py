"""Two pushes of one record from the same base, in two app server processes, both
count: the second one decides on the version the first one wrote (a merge), never on
the one it read before it waited for the feed's lock (found by the 20-editor load run,
benchmarks/load_run.py: 42 edits lost)."""

from __future__ import annotations

from tests.client.test_sync_end_to_end import first_article


def test_two_pushes_of_one_record_waiting_on_its_feed_lock_both_count(tmp_path, keyring_home):
    """Found by the load run (20 editors, 4 workers, PostgreSQL): a push batch read the
    records' side-table versions (push/rows.py, BatchRows.of) BEFORE it took the feed
    lock and the row locks. Two pushes of one record from the same base version, in two
    app server processes: the second waits on the lock while the first commits, then
    decides with the version it read before (stale) and fast-forwards ("applied") over
    the first one's write instead of merging. The first editor's edit is gone from the
    record without a conflict (the history keeps it under the wrong version number).

    Made deterministic here by holding the feed's lock from outside while both pushes
    start, so both read the version before either writes."""
    import subprocess
    import sys

    import psycopg

    from tests.client.conftest import make_editor
    from tests.support.central import PG_DSN, built_template, running_site
    from tests.support.editor import ROOT

    with (
        built_template("postgres", tmp_path / "template") as template,
        running_site(
            template, tmp_path / "central", env={"FIELDSYNC_DEMO_CHECKOUT_MODE": "advisory"}
        ) as site,
    ):
        one = make_editor("editor1", tmp_path, keyring_home, site)
        two = make_editor("editor2", tmp_path, keyring_home, site)
        for editor in (one, two):
            editor.run("checkout", "Politics")
        pk = first_article(one)["pk"]
        body = one.json("show", "article", pk)["values"]["body"]
        one.run("edit", "article", pk, "--set", f"body=One was here. {body}")
        two.run("edit", "article", pk, "--set", f"body={body} Two was here.")
        key = site.category_key("Politics")
        dsn = PG_DSN.replace("dbname=postgres", f"dbname={site.pg_name}")
        with psycopg.connect(dsn) as lock:
            lock.execute(
                "SELECT * FROM fieldsync_feedcounter WHERE category_key = %s FOR UPDATE", (key,)
            )
            syncs = []
            for editor in (one, two):
                syncs.append(subprocess.Popen(
                    [sys.executable, "-m", "fieldsync_tui", "--data-dir", str(editor.folder),
                     "sync"], cwd=ROOT, env=editor.environment(),
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))  # fmt: skip
                waiting_on_the_lock(dsn, site.pg_name, len(syncs))
            lock.rollback()  # let them go
        for sync in syncs:
            sync.communicate(timeout=120)
        final = site.records(key)[("news.article", pk)]["values"]["body"]
        assert "One was here." in final and "Two was here." in final, final[:300]


def waiting_on_the_lock(dsn: str, database: str, count: int, timeout: float = 60.0) -> None:
    """Until `count` sessions of the site wait on a lock: each sync's push has read what
    it reads before the feed's lock and waits for it (asked of PostgreSQL, not slept).
    Its own connection, in autocommit: a transaction sees one snapshot of the activity."""
    import time

    import psycopg

    query = ("SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
             "AND wait_event_type = 'Lock'")  # fmt: skip
    deadline = time.monotonic() + timeout
    with psycopg.connect(dsn, autocommit=True) as watcher:
        while time.monotonic() < deadline:
            (waiting,) = watcher.execute(query, (database,)).fetchone()
            if waiting >= count:
                return
            time.sleep(0.1)
    raise AssertionError(f"{count} push(es) never waited on the feed's lock")
