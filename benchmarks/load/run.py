"""The load run: the site, the editors, the chief, the ORM writer, the kills, the
settling, the oracle and the figures. See benchmarks/README.md, "Load run"."""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from . import oracle
from .site import ROOT, Site, editor_names, pg_query

SHORT = {"editors": 3, "minutes": 2.0, "workers": 2, "articles": 10}
FULL = {"editors": 20, "minutes": 10.0, "workers": 4, "articles": 20}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kb(pid: int, field: str = "VmHWM") -> int:
    """The process's peak (VmHWM) or current (VmRSS) resident set, in kB; 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class EditorProcess:
    """One editor's folder and its current process; its role decides whether it goes
    offline now and then or is killed with SIGKILL in the middle of a sync."""

    def __init__(self, index: int, name: str, folder: Path, url: str, role: str):
        self.index, self.name, self.folder, self.url, self.role = index, name, folder, url, role
        self.data = folder / "data"
        self.journal = folder / "journal.jsonl"
        self.metrics = folder / "metrics.jsonl"
        self.log = folder / "editor.log"
        self.process: subprocess.Popen | None = None
        self.in_sync = threading.Event()
        self.kills = 0
        self.crashes: list[str] = []
        self.last_state: dict | None = None

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FIELDSYNC_", "DJANGO_"))}
        env.update(
            PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
            XDG_DATA_HOME=str(self.folder / "keyring-home"),  # never the user's keyring
            FIELDSYNC_READ_TIMEOUT="120",
            PYTHONPATH=str(ROOT),
        )
        return env

    def start(self, mode: str, until: float = 0) -> None:
        command = [
            sys.executable,
            "-m",
            "benchmarks.load.editor",
            mode,
            "--name",
            self.name,
            "--url",
            self.url,
            "--data-dir",
            str(self.data),
            "--journal",
            str(self.journal),
            "--metrics",
            str(self.metrics),
            "--until",
            str(until),
            "--seed",
            str(self.index),
        ]
        if self.role == "offline":
            command.append("--offline")
        log = open(self.log, "a")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env(), stdout=subprocess.PIPE, stderr=log, text=True
        )
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            if line.startswith("SYNC"):
                self.in_sync.set()
            elif line.startswith("IDLE"):
                self.in_sync.clear()
            elif line.startswith("STATE "):
                self.last_state = json.loads(line[6:])

    def kill_mid_sync(self, rng: random.Random, wait: float = 20) -> bool:
        """SIGKILL while a sync runs (a moment into it), if one starts within `wait` s."""
        process = self.process
        if process is None or process.poll() is not None:
            return False
        if not self.in_sync.wait(wait):
            return False
        time.sleep(rng.uniform(0, 0.4))
        if process.poll() is not None:
            return False
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.in_sync.clear()
        self.kills += 1
        return True


class RssSampler:
    """Peak RSS per process, sampled every second (VmHWM is itself a peak)."""

    def __init__(self):
        self.peaks: dict[str, dict[int, int]] = {"client": {}, "server": {}, "other": {}}
        self.totals: dict[str, int] = {}  # the largest sum of the live processes' RSS
        self.pids = lambda: {}
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def sample(self) -> None:
        for group, pids in self.pids().items():
            for pid in pids:
                peak = rss_kb(pid)
                if peak:
                    self.peaks[group][pid] = max(peak, self.peaks[group].get(pid, 0))
            now = sum(rss_kb(pid, "VmRSS") for pid in pids)
            self.totals[group] = max(now, self.totals.get(group, 0))

    def _loop(self) -> None:
        while not self._stop.wait(1.0):
            self.sample()


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def latencies(editors: list[EditorProcess]) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {"push": [], "pull": []}
    for editor in editors:
        if not editor.metrics.exists():
            continue
        for line in editor.metrics.read_text().splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line a kill cut short
            if entry.get("ok"):
                found[entry["kind"]].append(entry["s"])
    return found


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="benchmarks/load_run.py",
        description="Many editors, the chief and an ORM writer against the demo site under "
        "gunicorn on PostgreSQL; an oracle checks the end state.",
    )
    parser.add_argument(
        "--short", action="store_true", help="the CI run: 3 editors, 2 minutes, 2 workers"
    )
    parser.add_argument("--editors", type=int)
    parser.add_argument("--minutes", type=float)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--articles", type=int, help="articles per section the site is seeded with")
    parser.add_argument("--keep", action="store_true", help="keep the folder and the database")
    parser.add_argument("--json", type=Path, help="write the figures and the verdict here")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="markers a chief's admin form save overwrote (a sync landed between its GET and "
        "its POST) fail the oracle too; by default they are listed as a finding",
    )
    parser.add_argument(
        "--sabotage",
        action="store_true",
        help="prove the oracle fails: before it looks, drop one kept marker from its article "
        "and put an unjournaled one into another, both behind the plugin's back (SQL)",
    )
    args = parser.parse_args(argv)
    base = SHORT if args.short else FULL
    for name, value in base.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def roles(count: int) -> list[str]:
    """Editor i: 'steady', 'offline' (stops syncing for a while now and then) or 'killed'
    (SIGKILLed mid-sync and restarted), in turn."""
    return [("steady", "offline", "killed")[i % 3] for i in range(count)]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="fieldsync-load-"))
    print(
        f"load run: {args.editors} editors, {args.minutes:g} min, {args.workers} gunicorn "
        f"workers, {args.articles} articles per section; folder {folder}",
        flush=True,
    )
    print(f"load average at start: {os.getloadavg()[0]:.2f}", flush=True)
    site = Site(folder / "demo" / "central", args.workers, free_port())
    started = time.time()
    try:
        site.create(args.articles, args.editors)
        site.start()
        print(
            f"site up at {site.url} ({time.time() - started:.0f} s to create and seed)", flush=True
        )
        return _run(args, folder, site)
    finally:
        site.cleanup(keep=args.keep)
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"kept {folder} and database {site.database}")


def _run(args, folder: Path, site: Site) -> int:
    rng = random.Random(12)
    names = editor_names(args.editors)
    editors = [
        EditorProcess(i, name, folder / name, site.url, role)
        for i, (name, role) in enumerate(zip(names, roles(args.editors), strict=True))
    ]
    for editor in editors:
        editor.folder.mkdir(parents=True)
    deadlocks_before = site.deadlocks()
    api = oracle.Api(site.url, "load-watcher")  # logged in before the editors crowd the logins
    watcher = oracle.FeedWatcher(api, [s["key"] for s in site.sections] + [None])
    start = time.time()
    until = start + args.minutes * 60
    env = {**site.env()}
    others = {
        "chief": subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks.load.chief",
                "--url",
                site.url,
                "--database",
                site.database,
                "--journal",
                str(folder / "chief.jsonl"),
                "--until",
                str(until),
            ],
            cwd=ROOT,
            env=env,
            stderr=open(folder / "chief.log", "w"),
        ),
        "orm": subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks.load.orm_writer",
                "--journal",
                str(folder / "orm.jsonl"),
                "--until",
                str(until),
            ],
            cwd=ROOT,
            env=env,
            stderr=open(folder / "orm.log", "w"),
        ),
    }
    for editor in editors:
        editor.start("run", until)
        time.sleep(0.2)

    sampler = RssSampler()
    sampler.pids = lambda: {
        "client": [e.process.pid for e in editors if e.process],
        "server": site.server_pids(),
        "other": [p.pid for p in others.values()],
    }
    sampler.thread.start()
    watcher.start()
    print(f"  {time.time() - start:5.0f} s: everyone started", flush=True)

    # The main phase: killed editors are killed mid-sync now and then, and restarted.
    killed = [e for e in editors if e.role == "killed"]
    next_kill = time.time() + rng.uniform(10, 25)
    while time.time() < until:
        time.sleep(0.5)
        for editor in editors:
            code = editor.process.poll() if editor.process else None
            if code is not None and time.time() < until - 5:
                editor.crashes.append(f"exited {code} during the run (see {editor.log})")
                editor.start("run", until)
        if killed and time.time() >= next_kill and time.time() < until - 15:
            victim = rng.choice(killed)
            if not victim.kill_mid_sync(rng):
                print(
                    f"  {time.time() - start:5.0f} s: {victim.name} did not sync within 20 s",
                    flush=True,
                )
            else:
                print(
                    f"  {time.time() - start:5.0f} s: killed {victim.name} mid-sync "
                    "(SIGKILL), restarting it",
                    flush=True,
                )
                victim.start("run", until)
            next_kill = time.time() + rng.uniform(10, 25)
    for editor in editors:
        editor.process.wait(timeout=600)
    for process in others.values():
        process.wait(timeout=120)
    main_seconds = time.time() - start
    print(f"main phase over after {main_seconds:.0f} s; settling", flush=True)

    # Everyone syncs and resolves until nothing is left, then syncs once more.
    settle_started = time.time()
    for mode in ("settle", "final", "final"):
        for editor in editors:
            editor.start(mode)
        codes = [editor.process.wait(timeout=900) for editor in editors]
        if mode != "settle" and not any(codes):
            break
    settle_seconds = time.time() - settle_started
    sampler.sample()
    sampler._stop.set()
    watcher.stop()

    journals = {e.name: e.journal for e in editors}
    journals["chief"] = folder / "chief.jsonl"
    journals["orm"] = folder / "orm.jsonl"
    if args.sabotage:
        _sabotage(site)
    verdict = oracle.check(
        api,
        site.database,
        site.sections,
        {e.name: e.data for e in editors},
        journals,
        watcher,
        strict=args.strict,
    )
    for editor in editors:
        for crash in editor.crashes:
            verdict.fail("editor crashes", f"{editor.name} {crash}")
        state = editor.last_state or {}
        for rejected in state.get("rejected", []):
            verdict.fail("rejected changes", f"{editor.name}: {rejected}")
    for name, process in others.items():
        if process.returncode:
            verdict.fail("writers", f"{name} exited {process.returncode} (see {folder}/{name}.log)")

    figures = _figures(
        args, site, editors, sampler, main_seconds, settle_seconds, deadlocks_before, verdict
    )
    _print(args, figures, verdict, site)
    if args.json:
        args.json.write_text(
            json.dumps(
                {"figures": figures, "failures": verdict.failures, "notes": verdict.notes},
                indent=2,
                default=str,
            )
        )
    return 0 if verdict.passed else 1


def _sabotage(site: Site) -> None:
    """Writes no client hears of (plain SQL, no signals): the oracle must catch both."""
    rows = pg_query(
        site.database,
        "SELECT id::text, body FROM news_article WHERE body LIKE '%%Filed m:%%' "
        "ORDER BY id LIMIT 2",
    )
    (first, body), (second, _) = rows[0], rows[1]
    mark = oracle.MARKER.search(body).group()
    pg_query(
        site.database,
        "UPDATE news_article SET body = replace(body, %s, '') WHERE id = %s",
        (f"Filed {mark}. ", first),
    )
    pg_query(
        site.database,
        "UPDATE news_article SET body = 'Filed m:sabotage:1. ' || body WHERE id = %s",
        (second,),
    )
    print(f"sabotage: removed {mark} from article {first}, added m:sabotage:1 to {second}")


def _figures(
    args, site, editors, sampler, main_seconds, settle_seconds, deadlocks_before, verdict
) -> dict:
    accepted = pg_query(
        site.database,
        "SELECT COUNT(*), MIN(received_at), MAX(received_at) FROM fieldsync_changereceipt "
        "WHERE status IN ('applied', 'merged')",
    )[0]
    requests_by_class: Counter = site.requests()
    times = latencies(editors)
    client = sampler.peaks["client"]
    server = sampler.peaks["server"]
    return {
        "editors": args.editors,
        "minutes": args.minutes,
        "workers": args.workers,
        "main_phase_s": round(main_seconds, 1),
        "settle_s": round(settle_seconds, 1),
        "accepted_changes": accepted[0],
        "accepted_per_s": round(accepted[0] / main_seconds, 2),
        "push_requests": len(times["push"]),
        "pull_requests": len(times["pull"]),
        "push_ms": {p: round(percentile(times["push"], p / 100) * 1000, 1) for p in (50, 95, 99)},
        "pull_ms": {p: round(percentile(times["pull"], p / 100) * 1000, 1) for p in (50, 95, 99)},
        "requests": dict(requests_by_class),
        "5xx": requests_by_class.get("5xx", 0),
        "5xx_lines": site.failures()[:10],
        "4xx": dict(site.refusals().most_common(10)),
        "deadlocks": site.deadlocks() - deadlocks_before,
        "kills": sum(e.kills for e in editors),
        "client_peak_rss_mb": round(max(client.values(), default=0) / 1024, 1),
        "server_worker_peak_rss_mb": round(max(server.values(), default=0) / 1024, 1),
        "server_total_peak_rss_mb": round(sampler.totals.get("server", 0) / 1024, 1),
        "clients_total_peak_rss_mb": round(sampler.totals.get("client", 0) / 1024, 1),
        "load_average_end": round(os.getloadavg()[0], 2),
        "oracle": dict(verdict.counts),
        "median_push_ms": round(statistics.median(times["push"]) * 1000, 1)
        if times["push"]
        else None,
    }


def _print(args, figures: dict, verdict: oracle.Verdict, site: Site) -> None:
    f = figures
    print()
    print(
        f"== load run: {f['editors']} editors, {f['minutes']:g} min, {f['workers']} workers, "
        "PostgreSQL"
    )
    print(
        f"accepted changes: {f['accepted_changes']} ({f['accepted_per_s']}/s over the "
        f"{f['main_phase_s']:.0f} s main phase); settling took {f['settle_s']:.0f} s"
    )
    print(
        f"push requests: {f['push_requests']}, p50/p95/p99 = {f['push_ms'][50]} / "
        f"{f['push_ms'][95]} / {f['push_ms'][99]} ms"
    )
    print(
        f"pull pages:    {f['pull_requests']}, p50/p95/p99 = {f['pull_ms'][50]} / "
        f"{f['pull_ms'][95]} / {f['pull_ms'][99]} ms"
    )
    print(f"requests by status: {f['requests']}; 5xx: {f['5xx']}")
    for line in f["5xx_lines"]:
        print(f"   {line}")
    for request, count in f["4xx"].items():
        print(f"   {count} x {request}")
    print(f"deadlocks detected by PostgreSQL (each a push batch retried): {f['deadlocks']}")
    print(f"editors killed mid-sync: {f['kills']}")
    print(
        f"peak RSS: client {f['client_peak_rss_mb']} MB (largest editor), server "
        f"{f['server_worker_peak_rss_mb']} MB (largest server process), "
        f"{f['server_total_peak_rss_mb']} MB (all its live processes at once; editors at "
        f"once: {f['clients_total_peak_rss_mb']} MB)"
    )
    print(f"load average at the end: {f['load_average_end']}")
    print("oracle counts: " + ", ".join(f"{k} {v}" for k, v in sorted(f["oracle"].items())))
    for check, lines in verdict.notes.items():
        print(f"FINDING, {check} (not counted as lost; --strict fails on it): {len(lines)}")
        for line in lines[:10]:
            print(f"   {line}")
    if verdict.passed:
        print("ORACLE PASSED: converged, no marker lost, nothing applied twice, feeds gap-free")
        return
    print("ORACLE FAILED:")
    for check, lines in verdict.failures.items():
        print(f"  {check}: {len(lines)}")
        for line in lines[:25]:
            print(f"    {line}")
        if len(lines) > 25:
            print(f"    ... and {len(lines) - 25} more")
