"""How long the app takes to show a category's first screen, and the memory it needs,
for a small and a huge category in the same run.

    .venv/bin/python benchmarks/app_first_screen.py                  # 1,000 and 100,000
    .venv/bin/python benchmarks/app_first_screen.py --sizes 1000,10000,100000 --repeat 5

For each size a throw-away store gets that many articles in one checked-out
category (`tests/support/sample_store.fill_large`: bulk inserts, one
transaction). Then, in a fresh process each time, the real app starts headless
(140×40, no network, no ping) and the clock runs until the records table shows
"rows 1–200 of N" with its 200 rows; then `pagedown` is timed until the next
window is on screen. The process's peak resident memory (ru_maxrss) is read at
the end, beside its resident memory before the app started (Python, Django,
Textual imported, the store open), so the app's own share shows.

Figures are medians over --repeat fresh processes; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# -- the child processes ---------------------------------------------------------------


def child_fill(folder: Path, count: int) -> dict:
    from fieldsync_tui.store.database import STORE_FILE, open_database

    open_database(folder)
    from tests.support import sample_store

    started = time.perf_counter()
    sample_store.fill_large(count)
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in folder.glob(STORE_FILE + "*"))
    return {"fill_s": seconds, "store_mb": size / 2**20}


def child_open(folder: Path, count: int) -> dict:
    import asyncio

    from fieldsync_tui.store.database import open_database

    open_database(folder)
    from fieldsync_tui.app.screens.main import MainScreen
    from fieldsync_tui.app.widgets.records_table import RecordsTable
    from fieldsync_tui.store import queries
    from tests.support import sample_store
    from tests.support.app_driver import poll

    before_app_mb = rss_mb()
    window = min(queries.PAGE, count)
    figures: dict = {}

    async def run() -> None:
        with sample_store.frozen_clock():
            app = sample_store.make_app(folder)
            started = time.perf_counter()
            async with app.run_test(size=sample_store.SIZE) as pilot:

                def label() -> str:
                    return str(app.screen.query_one("#range").content)

                def table() -> RecordsTable:
                    return app.screen.query_one(RecordsTable)

                first = f"rows 1–{window:,} of {count:,}"
                await poll(
                    lambda: (
                        isinstance(app.screen, MainScreen)
                        and label() == first
                        and table().row_count == window
                    ),
                    first,
                    timeout=120.0,
                )
                figures["first_screen_s"] = time.perf_counter() - started
                figures["rows_in_table"] = table().row_count
                if count > window:
                    table().focus()
                    await pilot.pause()
                    paged = time.perf_counter()
                    await pilot.press("pagedown")
                    following = f"rows {window + 1:,}–{min(2 * window, count):,} of {count:,}"
                    await poll(lambda: label() == following, following, timeout=120.0)
                    figures["next_window_s"] = time.perf_counter() - paged

    asyncio.run(run())
    started = time.perf_counter()
    queries.page_after(sample_store.POLITICS, None)
    queries.record_count(sample_store.POLITICS)
    figures["first_page_queries_s"] = time.perf_counter() - started
    figures["rss_before_app_mb"] = before_app_mb
    figures["peak_rss_mb"] = peak_rss_mb()
    return figures


# -- the parent ---------------------------------------------------------------------------


def in_child(kind: str, folder: Path, count: int) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(folder), str(count)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise SystemExit(f"{kind} {count} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(count: int, repeat: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="fieldsync-bench-app-") as temp:
        folder = Path(temp) / "store"
        filled = in_child("fill", folder, count)
        runs = [in_child("open", folder, count) for _ in range(repeat)]
    summary = {"records": count, **filled, "runs": runs}
    for key in runs[0]:
        summary[key] = statistics.median(run[key] for run in runs)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, folder, count = args.child
        figures = (child_fill if kind == "fill" else child_open)(Path(folder), int(count))
        print(json.dumps(figures))
        return 0

    load = os.getloadavg()[0]
    print(f"load average {load:.2f} on {os.cpu_count()} CPUs; medians of {args.repeat} runs\n")
    header = (
        f"{'records':>9}  {'fill':>7}  {'store':>8}  {'first screen':>12}  {'next window':>11}"
        f"  {'queries':>8}  {'RSS before app':>14}  {'peak RSS':>9}"
    )
    print(header)
    print("-" * len(header))
    results = []
    for count in [int(size) for size in args.sizes.split(",")]:
        row = measure(count, args.repeat)
        results.append(row)
        following = f"{row['next_window_s'] * 1000:9.0f} ms" if "next_window_s" in row else "—"
        print(
            f"{count:>9,}  {row['fill_s']:6.1f}s  {row['store_mb']:6.1f}MB"
            f"  {row['first_screen_s'] * 1000:9.0f} ms  {following:>11}"
            f"  {row['first_page_queries_s'] * 1000:5.0f} ms"
            f"  {row['rss_before_app_mb']:11.0f} MB  {row['peak_rss_mb']:6.0f} MB"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
