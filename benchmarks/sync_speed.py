"""How fast fieldsync syncs, measured through the real command line.

    .venv/bin/python benchmarks/sync_speed.py [--sizes 10000,100000]
        [--backends sqlite,postgres] [--shape small|realistic|both] [--morango]

For each backend and record shape: start a fresh demo central site (SQLite,
or a new PostgreSQL database on 127.0.0.1:5432), seed one section per size
with `seed_benchmark`, then for each size, with a fresh editor folder, time
these as whole `fieldsync` processes (wall clock, and the client process's
peak resident memory, from GNU time or `wait4`):

- ``checkout``: the first checkout of the section (N records);
- ``no-op sync``: a `fieldsync sync` that finds nothing to push or pull;
- ``pull 100``: a `fieldsync sync` after 100 server-side edits in the section;
- ``push 1000``: a `fieldsync sync` that pushes 1,000 queued local edits
  (made beforehand through the store API, see local_edits.py).

A `fieldsync` process has a fixed start-up cost (Python, Django, opening and
checking the store), so the script also times commands that do no sync work
and prints "net" figures with the store-open baseline taken off. It also
measures floors in the same run (floor.py): for a checkout, ``json.loads`` of
the very pages the server sent plus one SQLite ``executemany``; for start-up,
a bare ``python -c "import django; django.setup()"``; each row prints its
ratio to its floor beside Morango's. With
``--morango`` it runs ../shared/anchors/morango/run.sh on the same machine
in the same run and prints the ratios. Figures go to stdout as a table and
to benchmarks/results/latest.json. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "benchmarks"
sys.path.insert(0, str(HERE))
import floor  # noqa: E402  (benchmarks/floor.py)

MORANGO = ROOT.parent / "shared" / "anchors" / "morango" / "run.sh"
PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
PG_URL = "postgres://postgres@127.0.0.1:5432/{name}"
URL_MARK = "fieldsync demo central site: "
PASSWORD = "demo-password"
EDITOR = "editor1"
PULL_EDITS = 100  # server-side edits brought by the "pull 100" sync
PUSH_EDITS = 1000  # local edits pushed by the "push 1000" sync
# The anchor's figures on this kind of machine (../shared/NOTES.md), 10,000 small records;
# shown when Morango is not run in the same run.
MORANGO_REFERENCE = {("small", 10000): {"checkout": 35.1, "noop": 7.1, "push": 6.6}}
TARGET_RATIO = 20
# Where the client's bytecode is cached for the run (set by main): an installed
# fieldsync has its .pyc files written by pip, so a client process must not spend
# its start-up compiling this checkout's sources (PYTHONDONTWRITEBYTECODE=1 in
# some environments would make it do so on every run).
PYCACHE: Path | None = None


def client_env(env: dict) -> dict:
    """`env` with this checkout's bytecode cached, as an installed package has it."""
    if PYCACHE is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def compile_sources() -> None:
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "fieldsync_tui", "server_plugin", "benchmarks"],
        cwd=ROOT, env=client_env(dict(os.environ)), check=True,
    )  # fmt: skip


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- running a process and measuring it -------------------------------------------


@dataclass
class Run:
    seconds: float
    peak_kb: int
    returncode: int
    cpu_seconds: float  # user + system time of the process (and its children)
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None


def measured(command: list[str], env: dict, stdin: str | None = None, cwd=ROOT) -> Run:
    """Run `command` to its end: wall-clock seconds and the process's own peak RSS.

    The peak comes from GNU time when it is there: a child's ``ru_maxrss`` also
    counts the memory of the process it was forked from before its exec, so
    asking `wait4` directly would charge this script's own size to small
    commands. GNU time forks from a tiny process; its overhead is a millisecond.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as peak:  # fmt: skip
        if GNU_TIME:
            command = [GNU_TIME, "-f", "%M", "-o", peak.name, *command]
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=env,
            cwd=cwd,
        )
        if stdin is not None:
            process.stdin.write(stdin.encode())
            process.stdin.close()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        peak_kb = usage.ru_maxrss  # kilobytes on Linux
        if GNU_TIME:
            lines = peak.read().split()
            peak_kb = int(lines[-1]) if lines and lines[-1].isdigit() else peak_kb
        return Run(
            seconds=seconds,
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            peak_kb=peak_kb,
            returncode=process.returncode,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


# -- the central site -------------------------------------------------------------------


def _pg_execute(statement: str) -> None:
    import psycopg

    try:
        connection = psycopg.connect(PG_DSN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        raise SystemExit(
            f"PostgreSQL is not reachable ({PG_DSN}): {error}\n"
            "Start it, or run with --backends sqlite."
        ) from None
    with connection:
        connection.execute(statement)


class Site:
    """A demo central site in a subprocess, on a fresh database."""

    def __init__(self, backend: str, folder: Path, profile_dir: Path | None = None):
        self.backend = backend
        self.folder = folder
        self.profile_dir = profile_dir
        self.pg_name = None
        self.process: subprocess.Popen | None = None
        self.url = ""
        if backend == "postgres":
            self.pg_name = f"fieldsync_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            _pg_execute(f'CREATE DATABASE "{self.pg_name}"')

    @property
    def database_url(self) -> str | None:
        return PG_URL.format(name=self.pg_name) if self.pg_name else None

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FIELDSYNC_", "DJANGO_"))}
        env["FIELDSYNC_DEMO_DATA_DIR"] = str(self.folder)
        env["DJANGO_SETTINGS_MODULE"] = "server_plugin.demo.settings"
        if self.database_url:
            env["FIELDSYNC_DEMO_DATABASE_URL"] = self.database_url
        return env

    def start(self) -> Site:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.profile_dir:
            command = [sys.executable, str(HERE / "profiled_server.py"),
                       "--profile-dir", str(self.profile_dir)]  # fmt: skip
        else:
            command = [sys.executable, "-m", "server_plugin.demo"]
        command += ["--port", "0", "--data-dir", str(self.folder), "--articles", "0"]
        if self.database_url:
            command += ["--database-url", self.database_url]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=open(self.folder / "site.log", "a"),
            text=True,
            cwd=ROOT,
            env=self.env(),
        )
        for line in self.process.stdout:
            if line.startswith(URL_MARK):
                self.url = line[len(URL_MARK) :].strip().rstrip("/")
                return self
        self.process.wait()
        raise RuntimeError(f"the site did not start: {(self.folder / 'site.log').read_text()}")

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "django", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
        )
        if result.returncode:
            raise RuntimeError(f"manage {' '.join(args)}: {result.stderr[-2000:]}")
        return result.stdout.strip()

    def peak_kb(self) -> int | None:
        """The server process's peak RSS so far (VmHWM)."""
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return None

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)
        if self.pg_name:
            _pg_execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


# -- an editor driving the CLI ---------------------------------------------------------


class Editor:
    def __init__(self, folder: Path, keyring_home: Path, profile_dir: Path | None, tag: str):
        self.folder = folder
        self.keyring_home = keyring_home
        self.profile_dir = profile_dir
        self.tag = tag

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FIELDSYNC_", "DJANGO_"))}
        env.update(
            PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
            XDG_DATA_HOME=str(self.keyring_home),
        )
        return client_env(env)

    def command(self, args: tuple[str, ...], profile_as: str | None) -> list[str]:
        if self.profile_dir and profile_as:
            out = self.profile_dir / f"client-{self.tag}-{profile_as}.prof"
            return [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "fieldsync_tui",
                    "--data-dir", str(self.folder), *args]  # fmt: skip
        # What the `fieldsync` console script runs (fieldsync_tui.cli:main), taken from
        # this checkout (cwd) rather than from wherever the package is installed.
        return [sys.executable, "-m", "fieldsync_tui", "--data-dir", str(self.folder), *args]

    def run(self, *args: str, stdin=None, profile_as: str | None = None, ok=(0,)) -> Run:
        result = measured(self.command(args, profile_as), self.env(), stdin)
        if result.returncode not in ok:
            raise RuntimeError(
                f"fieldsync {' '.join(args)} exited {result.returncode}: "
                f"{result.stderr.strip()[-2000:]}"
            )
        return result

    def login(self, url: str) -> None:
        self.run("login", url, "--username", EDITOR, "--password-stdin", stdin=PASSWORD + "\n")

    def local_edits(self, category: str, count: int) -> str:
        result = subprocess.run(
            [sys.executable, str(HERE / "local_edits.py"), str(self.folder), category, str(count)],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
        )
        if result.returncode:
            raise RuntimeError(f"local edits: {result.stdout}{result.stderr[-2000:]}")
        return result.stdout.strip()


# -- the figures -------------------------------------------------------------------------


@dataclass
class Figure:
    operation: str  # "startup-help", "startup-store", "startup-status", "checkout", ...
    label: str  # for the table
    size: int | None  # records in the category
    records: int  # records moved by the operation (0 for a no-op)
    seconds: float  # wall clock of the whole process (median when repeated)
    peak_mb: float  # client's peak RSS
    runs: list[float] = field(default_factory=list)
    # The client process's CPU time (median): much less moved by other work on the
    # machine than wall time; the server's time is not in it.
    cpu_seconds: float | None = None
    net_seconds: float | None = None  # seconds minus the store-open start-up
    morango_seconds: float | None = None
    morango_source: str | None = None  # "this run" or "reference"
    # The least this operation can cost (floor.py), measured in the same run: for a
    # checkout the in-process floor of its payload; for start-up rows the Django floor.
    floor_seconds: float | None = None
    floor_wall_seconds: float | None = None  # floor_seconds + the start-up floor

    @property
    def per_second(self) -> float | None:
        return self.records / self.seconds if self.records and self.seconds else None


def size_label(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def figure_from(operation, label, size, records, runs: list[Run]) -> Figure:
    times = [r.seconds for r in runs]
    return Figure(
        operation=operation,
        label=label,
        size=size,
        records=records,
        seconds=statistics.median(times),
        cpu_seconds=statistics.median(r.cpu_seconds for r in runs),
        peak_mb=max(r.peak_kb for r in runs) / 1024,
        runs=[round(t, 4) for t in times],
    )


def sqlite_value(store: Path, sql: str, *params):
    import sqlite3

    connection = sqlite3.connect(store)
    try:
        return connection.execute(sql, params).fetchone()[0]
    finally:
        connection.close()


def checkout_floor_figure(editor: Editor, section: str, n: int, repeat: int, work: Path):
    """The floor of the checkout just made: its pages fetched again, byte for byte."""
    pages = work / f"pages-{editor.tag}-{uuid.uuid4().hex[:6]}"
    result = subprocess.run(
        [sys.executable, str(HERE / "checkout_pages.py"), str(editor.folder), section,
         str(pages)],
        cwd=ROOT, env=editor.env(), capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode:
        raise RuntimeError(f"checkout pages: {result.stderr[-2000:]}")
    store = editor.folder / "store.sqlite3"
    key = sqlite_value(store, "SELECT key FROM fieldsync_store_category WHERE name = ?", section)
    seconds, runs, records, size = floor.checkout_floor(pages, store, key, repeat)
    shutil.rmtree(pages, ignore_errors=True)
    if records != n:
        raise RuntimeError(f"the checkout's pages hold {records} records, not {n}")
    label = f"floor: checkout payload ({size / 1e6:.1f} MB)"
    return Figure("floor-checkout", label, n, n, seconds, 0.0, [round(t, 4) for t in runs])


def bench_backend(backend: str, shape: str, sizes: list[int], args, work: Path) -> dict:
    profile_dir = args.profile / f"{backend}-{shape}" if args.profile else None
    site_dir = work / f"site-{backend}-{shape}"
    load_at_start = os.getloadavg()[0]
    log(f"{backend}/{shape}: starting a fresh central site (load average {load_at_start:.2f})")
    site = Site(backend, site_dir, profile_dir / "server" if profile_dir else None)
    figures: list[Figure] = []
    seeding = {}
    try:
        site.start()
        for n in sizes:
            log(f"{backend}/{shape}: seeding Bench {size_label(n)} with {n:,} records")
            started = time.perf_counter()
            site.manage("seed_benchmark", "--section", f"Bench {size_label(n)}",
                        "--count", str(n), "--shape", shape)  # fmt: skip
            seeding[n] = round(time.perf_counter() - started, 2)
        keyring_home = work / f"keyring-{backend}-{shape}"

        # Start-up baselines, on a logged-in editor with an empty store.
        base = Editor(work / f"ed-{backend}-{shape}-base", keyring_home, None, "base")
        base.login(site.url)
        help_runs = [base.run("--help") for _ in range(args.repeat)]
        store_runs = [base.run("conflicts") for _ in range(args.repeat)]
        status_runs = [base.run("status") for _ in range(args.repeat)]
        figures += [
            figure_from("startup-help", "start-up: fieldsync --help (no Django)", None, 0,
                        help_runs),
            figure_from("startup-store", "start-up: open the store (fieldsync conflicts)", None,
                        0, store_runs),
            figure_from("startup-status", "start-up + 1 request (fieldsync status)", None, 0,
                        status_runs),
        ]  # fmt: skip
        command, env = floor.startup_floor_command(PYCACHE)
        floor_runs = [measured(command, env) for _ in range(args.repeat)]
        if any(r.returncode for r in floor_runs):
            raise RuntimeError(f"the start-up floor failed: {floor_runs[0].stderr[-2000:]}")
        startup_floor = figure_from("floor-startup", "floor: python -c django.setup()", None, 0,
                                    floor_runs)  # fmt: skip
        figures.append(startup_floor)
        for figure in figures[:3]:
            figure.floor_seconds = figure.floor_wall_seconds = startup_floor.seconds
        baseline = figures[1].seconds

        for n in sizes:
            section = f"Bench {size_label(n)}"
            tag = f"{backend}-{shape}-{size_label(n)}"
            editor = Editor(work / f"ed-{tag}", keyring_home, profile_dir, size_label(n))
            editor.login(site.url)

            log(f"{tag}: first checkout of {n:,} records x{args.repeat}")
            runs = []
            for attempt in range(args.repeat):
                if attempt:  # a fresh folder each time: every run is a first checkout
                    editor.run("checkin", section)  # untimed: releases the lease it took
                    editor = Editor(work / f"ed-{tag}-{attempt}", keyring_home, profile_dir,
                                    size_label(n))  # fmt: skip
                    editor.login(site.url)
                profile_as = "checkout" if attempt == 0 else None
                runs.append(editor.run("checkout", section, "--json", profile_as=profile_as))
                got = runs[-1].json()["records"]
                if got != n:
                    raise RuntimeError(f"checkout of {section} brought {got} records, not {n}")
            checkout = figure_from("checkout", f"first checkout, {n:,} records", n, n, runs)
            log(f"{tag}: the checkout's floor (its pages again, json.loads + executemany)")
            checkout_floor = checkout_floor_figure(editor, section, n, args.repeat, work)
            checkout.floor_seconds = checkout_floor.seconds
            checkout.floor_wall_seconds = checkout_floor.seconds + startup_floor.seconds
            figures += [checkout, checkout_floor]

            log(f"{tag}: no-op sync x{args.repeat}")
            runs = []
            for attempt in range(args.repeat):
                profile_as = "noop-sync" if attempt == 0 else None
                runs.append(editor.run("sync", "--json", profile_as=profile_as))
                answer = runs[-1].json()
                if answer["pushed"] or any(answer["pulled"].values()):
                    raise RuntimeError(f"the no-op sync did something: {answer}")
            figures.append(figure_from("noop", f"no-op sync, {n:,} held", n, 0, runs))

            log(f"{tag}: {PULL_EDITS} server-side edits, then a sync pulling them x{args.repeat}")
            runs = []
            for attempt in range(args.repeat):
                site.manage("seed_benchmark", "--section", section, "--edit", str(PULL_EDITS))
                profile_as = "pull-100" if attempt == 0 else None
                runs.append(editor.run("sync", "--json", profile_as=profile_as))
                pulled = runs[-1].json()["pulled"].get("updated", 0)
                if pulled != PULL_EDITS:
                    raise RuntimeError(f"the sync pulled {pulled} changes, not {PULL_EDITS}")
            label = f"sync pulling {PULL_EDITS} changes among {n:,}"
            figures.append(figure_from("pull", label, n, PULL_EDITS, runs))

            log(f"{tag}: {PUSH_EDITS} local edits, then a sync that pushes them x{args.repeat}")
            runs = []
            for attempt in range(args.repeat):
                log(f"{tag}: {editor.local_edits(section, PUSH_EDITS)}")
                profile_as = "push-1000" if attempt == 0 else None
                runs.append(editor.run("sync", "--json", profile_as=profile_as))
                pushed = runs[-1].json()["pushed"].get("applied", 0)
                if pushed != PUSH_EDITS:
                    raise RuntimeError(
                        f"the sync pushed {runs[-1].json()['pushed']}, not {PUSH_EDITS}"
                    )
            label = f"sync pushing {PUSH_EDITS:,} edits, {n:,} held"
            figures.append(figure_from("push", label, n, PUSH_EDITS, runs))
        server_peak = site.peak_kb()
    finally:
        site.close()
    for figure in figures:
        if not figure.operation.startswith(("startup", "floor")):
            figure.net_seconds = max(figure.seconds - baseline, 0.0)
    return {
        "backend": backend,
        "shape": shape,
        "seed_seconds": seeding,
        "load_average": [round(load_at_start, 2), round(os.getloadavg()[0], 2)],
        "server_peak_mb": round(server_peak / 1024, 1) if server_peak else None,
        "figures": figures,
    }


# -- Morango, side by side --------------------------------------------------------------


def run_morango(script: Path, n: int, shape: str) -> dict:
    """run.sh prints one JSON line per operation: ops ["pull"], ["pull", "push"], ["push"]."""
    log(f"morango: run.sh {n} {shape} (this takes a while)")
    started = time.perf_counter()
    result = subprocess.run(
        ["bash", str(script), str(n), shape], capture_output=True, text=True, cwd=script.parent
    )
    if result.returncode:
        raise RuntimeError(f"morango run.sh failed: {result.stderr[-2000:]}")
    names = {("pull",): "checkout", ("pull", "push"): "noop", ("push",): "push"}
    found = {}
    for line in result.stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        data = json.loads(line)
        if data.get("engine") == "morango":
            found[names[tuple(data["ops"])]] = data
    log(f"morango: done in {time.perf_counter() - started:.0f} s")
    return found


def attach_morango(results: list[dict], morango: dict) -> None:
    for block in results:
        for figure in block["figures"]:
            key = (block["shape"], figure.size)
            if figure.operation not in ("checkout", "noop", "push") or figure.size is None:
                continue
            live = morango.get(key, {}).get(figure.operation)
            if live is not None:
                figure.morango_seconds, figure.morango_source = live["seconds"], "this run"
            elif key in MORANGO_REFERENCE:
                figure.morango_seconds = MORANGO_REFERENCE[key][figure.operation]
                figure.morango_source = "reference"


# -- output ------------------------------------------------------------------------------


def _num(value, fmt: str, empty: str = "") -> str:
    return empty if value is None else format(value, fmt)


def print_table(block: dict) -> None:
    title = f"{block['backend']} · {block['shape']} records"
    seeds = ", ".join(f"{n:,} in {s:.1f} s" for n, s in block["seed_seconds"].items())
    load = "–".join(f"{x:.2f}" for x in block["load_average"])
    print(f"\n== {title} (seeded {seeds}; server peak RSS {block['server_peak_mb']} MB; "
          f"load average {load}) ==")  # fmt: skip
    header = (
        f"{'operation':<46} {'wall s':>8} {'net s':>8} {'CPU s':>6} {'records/s':>10}"
        f" {'peak MB':>8}"
        f" {'Morango s':>10} {'x (wall)':>9} {'x (net)':>8} {'/floor wall':>11}"
        f" {'/floor net':>10}"
    )
    print(header)
    print("-" * len(header))
    for f in block["figures"]:
        ratio = ratio_net = None
        if f.morango_seconds:
            ratio = f.morango_seconds / f.seconds
            ratio_net = f.morango_seconds / f.net_seconds if f.net_seconds else None
        mark = "*" if f.morango_source == "reference" else ""
        print(
            f"{f.label:<46} {f.seconds:>8.3f} {_num(f.net_seconds, '>8.3f', ' ' * 8)}"
            f" {_num(f.cpu_seconds, '>6.2f', ' ' * 6)}"
            f" {_num(f.per_second, '>10,.0f', ' ' * 10)}"
            f" {_num(f.peak_mb or None, '>8.1f', ' ' * 8)}"
            f" {_num(f.morango_seconds, '>9.2f', ' ' * 9)}{mark or ' '}"
            f" {_num(ratio, '>8.1f', ' ' * 8)}{'x' if ratio else ' '}"
            f" {_num(ratio_net, '>7.1f', ' ' * 7)}{'x' if ratio_net else ' '}"
            f" {_floor_ratios(f)}"
        )


def _floor_ratios(f: Figure) -> str:
    """Ours / the floor: the whole process against floor + Django start-up, and (checkout)
    the net seconds against the payload's floor alone. Lower is better; 1.0 is the floor."""
    wall = f.seconds / f.floor_wall_seconds if f.floor_wall_seconds else None
    net = None
    if f.operation == "checkout" and f.floor_seconds and f.net_seconds is not None:
        net = f.net_seconds / f.floor_seconds
    return (
        f"{_num(wall, '>10.2f', ' ' * 10)}{'x' if wall else ' '}"
        f" {_num(net, '>9.2f', ' ' * 9)}{'x' if net else ''}"
    ).rstrip()


def print_notes(any_reference: bool) -> None:
    print(
        "\nwall s: the whole `fieldsync` process, median of --repeat runs (fresh folders for "
        "checkouts).\nnet s: wall minus the store-open start-up (Python + Django + store check), "
        "i.e. the sync work.\nCPU s: the client process's user + system time (median), "
        "steadier than wall on a busy machine.\nrecords/s: records moved / wall s. "
        "peak MB: the client process's peak RSS.\nx: Morango's seconds / ours (Morango's "
        "figure excludes its own interpreter and "
        "Django start-up).\n/floor: ours / the floor measured in this run (floor.py); lower is "
        "better. "
        "floor wall: the whole\nprocess against `python -c django.setup()` (+ the payload's "
        "floor for a checkout); floor net: a\ncheckout's net s against json.loads of its pages "
        "+ one executemany.\nTargets: checkout /floor <= 2, push x >= 15 (SQLite) / 10 "
        "(PostgreSQL), start-up + 1 request /floor <= 1.5."
    )
    if any_reference:
        print("*: Morango's reference figure from ../shared/NOTES.md (not run now: --morango).")


def block_json(block: dict) -> dict:
    figures = [asdict(f) | {"per_second": f.per_second} for f in block["figures"]]
    return {**block, "figures": figures}


def git_state() -> dict:
    """The code measured: commit, and the files that differ from it."""

    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return result.stdout.strip()

    changed = [line[3:] for line in git("status", "--porcelain").splitlines()]
    return {"commit": git("rev-parse", "--short", "HEAD"), "uncommitted": changed}


def machine() -> dict:
    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="records per category")
    parser.add_argument("--backends", default="sqlite,postgres", help="sqlite, postgres or both")
    parser.add_argument("--shape", choices=["small", "realistic", "both"], default="small")
    parser.add_argument("--morango", action="store_true", help="run Morango's anchor too")
    parser.add_argument(
        "--morango-sizes",
        help="sizes to run Morango at (default: the smallest of --sizes; 100,000 takes long)",
    )
    parser.add_argument("--morango-script", type=Path, default=MORANGO, help=f"default: {MORANGO}")
    parser.add_argument("--repeat", type=int, default=3, help="runs of every row (median)")
    parser.add_argument(
        "--output", type=Path, help="default: results/latest.json (results/startup.json)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the sites and stores")
    parser.add_argument(
        "--startup-only",
        action="store_true",
        help="only the start-up rows and their floor: no seeding, no checkouts or syncs",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="profile into DIR (cProfile per client command and per server request); "
        "times are then inflated",
    )
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if args.startup_only:
        if args.morango:
            parser.error("--startup-only runs no checkout to set beside Morango's")
        sizes = []
    if args.output is None:
        args.output = HERE / "results" / ("startup.json" if args.startup_only else "latest.json")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    shapes = ["small", "realistic"] if args.shape == "both" else [args.shape]
    if unknown := set(backends) - {"sqlite", "postgres"}:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    if args.profile:
        args.profile = args.profile.resolve()
        args.profile.mkdir(parents=True, exist_ok=True)

    load_before = os.getloadavg()[0]
    if load_before > 0.5:
        log(f"the machine is busy (load average {load_before:.2f}): figures will be noisy")
    code = git_state()
    work = Path(tempfile.mkdtemp(prefix="fieldsync-bench-"))
    global PYCACHE
    PYCACHE = work / "pycache"
    compile_sources()
    started = time.perf_counter()
    results = []
    morango = {}
    try:
        for shape in shapes:
            for backend in backends:
                results.append(bench_backend(backend, shape, sizes, args, work))
        if args.morango:
            morango_sizes = (
                [int(s) for s in args.morango_sizes.split(",")]
                if args.morango_sizes
                else [min(sizes)]
            )
            for shape in shapes:
                for n in morango_sizes:
                    try:
                        morango[(shape, n)] = run_morango(args.morango_script, n, shape)
                    except (RuntimeError, OSError, ValueError, KeyError) as error:
                        log(f"morango {n} {shape} failed; printing ours without it: {error}")
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    attach_morango(results, morango)

    print(f"fieldsync sync speed · {machine().get('cpu', '')} · {os.cpu_count()} CPUs · "
          f"Python {platform.python_version()}")  # fmt: skip
    print("command: " + " ".join(["benchmarks/sync_speed.py", *(argv or sys.argv[1:])]))
    dirty = f" + {len(code['uncommitted'])} uncommitted file(s)" if code["uncommitted"] else ""
    print(f"code: {code['commit']}{dirty} · load average at start {load_before:.2f} "
          "(other work on the machine skews the times)")  # fmt: skip
    if args.profile:
        print(f"PROFILED into {args.profile}: times are inflated by the profiler.")
    for block in results:
        print_table(block)
    print_notes(any(f.morango_source == "reference" for b in results for f in b["figures"]))

    args.output.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": ["benchmarks/sync_speed.py", *(argv or sys.argv[1:])],
        "machine": machine() | {"load_average_at_start": load_before},
        "code": code,
        "profiled": bool(args.profile),
        "total_seconds": round(time.perf_counter() - started, 1),
        "results": [block_json(block) for block in results],
        "morango": [
            {"shape": shape, "size": n, **{op: data for op, data in found.items()}}
            for (shape, n), found in morango.items()
        ],
    }
    args.output.write_text(json.dumps(payload, indent=2) + "\n")
    log(f"figures written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
