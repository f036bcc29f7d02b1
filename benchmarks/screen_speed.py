"""How long each screen takes from a key press to its first paint, and until it is filled.

    .venv/bin/python benchmarks/screen_speed.py              # 7 opens of each screen
    .venv/bin/python benchmarks/screen_speed.py --runs 15 --json out.json
    .venv/bin/python benchmarks/screen_speed.py --busy 2    # two CPU hogs beside it

The real app runs headless (140×40) over a real store: the sample newsroom of
`tests/support/sample_store.py` (nine Politics records, three queued changes,
one open conflict on two fields) in a throw-away folder, with no network and no
ping, so nothing but the app is timed. From the main screen, each screen is
opened by the key an editor presses and closed with `esc`, in rotation:

| screen | key | filled when |
|---|---|---|
| baseline: an empty `Screen` | `f12` (added for this run) | at once |
| record form | `enter` on the first record | the title field is there |
| help | `?` | every table of keys is drawn |
| command palette | `ctrl+p` | its entries are listed |
| conflict screen | `x` | the conflict's fields and result are shown |

**paint** is the time from just before the key press until the app first draws
the new screen (`App._display` called for it: what a terminal would receive);
**focus** until that screen has a focused widget; **filled** until it shows its
content. The first open of each screen in the process is reported apart
(**first**: imports, CSS parsing), the others as median and min. The load
average is printed at start and end: on two cores, anything above ~1 means
other work competed. `--busy N` makes a busy machine on purpose: N processes
spin beside the app for the whole run (the issue's figures came from a busy
machine). Nothing is asserted; timings are not tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SCREENS = ("baseline", "form", "help", "palette", "conflict")
KEYS = {"baseline": "f12", "form": "enter", "help": "question_mark", "palette": "ctrl+p",
        "conflict": "x"}  # fmt: skip


def load() -> str:
    return " ".join(f"{figure:.2f}" for figure in os.getloadavg())


def make_bench_app(folder: Path):
    """The sample app, with one more key that pushes an empty screen (the baseline)."""
    from textual.binding import Binding
    from textual.screen import Screen

    from fieldsync_tui.app.app import FieldsyncApp

    class EmptyScreen(Screen):
        BINDINGS = [Binding("escape", "dismiss", "Back")]

    class BenchApp(FieldsyncApp):
        CSS_PATH = str(ROOT / "fieldsync_tui" / "app" / FieldsyncApp.CSS_PATH)  # not beside us
        BINDINGS = [Binding("f12", "bench_empty", "Empty screen", show=False)]

        def action_bench_empty(self) -> None:
            self.push_screen(EmptyScreen())

    app = BenchApp(folder, token="sample-token", ping_interval=0, auto_sync=False)
    app.online = True
    return app, EmptyScreen


class PaintClock:
    """Records when the app first draws a screen other than the one it started on."""

    def __init__(self, app):
        self.app = app
        self.watching = None  # the screen that was current before the key press
        self.is_filled = lambda: False
        self.painted_at = self.focused_at = self.filled_at = None
        original = app._display

        def display(screen, renderable):
            if (
                self.watching is not None
                and renderable is not None
                and screen is not self.watching
                and not app._batch_count
            ):
                now = time.perf_counter()
                self.painted_at = self.painted_at or now
                if self.focused_at is None and screen.focused is not None:
                    self.focused_at = now
                if self.filled_at is None and self.is_filled():
                    self.filled_at = now  # this frame draws the content
            return original(screen, renderable)

        app._display = display

    def start(self, is_filled) -> None:
        self.watching = self.app.screen
        self.is_filled = is_filled
        self.painted_at = self.focused_at = self.filled_at = None


def filled(name: str, app, empty_screen) -> bool:
    from textual.command import CommandPalette

    screen = app.screen
    if name == "baseline":
        return isinstance(screen, empty_screen)
    if name == "form":
        return type(screen).__name__ == "RecordFormScreen" and bool(screen.query("#field-title"))
    if name == "help":
        return type(screen).__name__ == "HelpScreen" and bool(
            getattr(screen, "filled", None) or screen.query("MarkdownTable")
        )
    if name == "palette":
        if not isinstance(screen, CommandPalette):
            return False
        return screen.query_one("CommandList").option_count > 0
    if name == "conflict":
        return type(screen).__name__ == "ConflictScreen" and screen.loaded
    raise ValueError(name)


def _safely(condition, *args) -> bool:
    try:
        return condition(*args)
    except Exception:  # not composed yet
        return False


async def measure(folder: Path, runs: int) -> dict:
    from tests.support import sample_store
    from tests.support.app_driver import poll, settle

    figures: dict[str, list[dict]] = {name: [] for name in SCREENS}
    with sample_store.frozen_clock():
        app, empty_screen = make_bench_app(folder)
        async with app.run_test(size=sample_store.SIZE) as pilot:
            await sample_store.main_screen_ready(pilot)
            main = app.screen
            clock = PaintClock(app)
            for _ in range(runs + 1):  # the first round is the "first" figure
                for name in SCREENS:
                    await settle(pilot)
                    clock.start(lambda n=name: _safely(filled, n, app, empty_screen))
                    started = time.perf_counter()
                    await pilot.press(KEYS[name])
                    await poll(lambda: clock.filled_at is not None, f"{name} filled")
                    if name != "baseline":  # an empty screen has nothing to focus
                        await poll(lambda: clock.focused_at is not None, "focus")
                    figures[name].append({
                        "paint_ms": (clock.painted_at - started) * 1000,
                        "focus_ms": ((clock.focused_at or clock.painted_at) - started) * 1000,
                        "filled_ms": (clock.filled_at - started) * 1000,
                    })  # fmt: skip
                    await settle(pilot)
                    await pilot.press("escape")
                    await poll(lambda: app.screen is main, f"{name} closed")
    return figures


def child(folder: Path, runs: int) -> dict:
    from fieldsync_tui.store.database import open_database

    open_database(folder)
    from tests.support import sample_store

    sample_store.fill()
    return asyncio.run(measure(folder, runs))


def table(figures: dict) -> str:
    rows = [
        "| screen | first paint ms | paint ms median / min | focus ms median | "
        "filled ms first | filled ms median / min |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, opens in figures.items():
        first, rest = opens[0], opens[1:] or opens

        def median(key: str, rest=rest) -> float:
            return statistics.median(o[key] for o in rest)

        def least(key: str, rest=rest) -> float:
            return min(o[key] for o in rest)

        rows.append(
            f"| {name} | {first['paint_ms']:.0f} | {median('paint_ms'):.0f} / "
            f"{least('paint_ms'):.0f} | {median('focus_ms'):.0f} | {first['filled_ms']:.0f} | "
            f"{median('filled_ms'):.0f} / {least('filled_ms'):.0f} |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="opens of each screen after the first")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--busy", type=int, default=0, help="CPU hogs to run beside the app")
    options = parser.parse_args()
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(options.busy)]  # fmt: skip
    try:
        if hogs:
            time.sleep(2)  # let them take the CPUs
        started_load = load()
        print(f"load average at start: {started_load} ({options.busy} CPU hogs)", flush=True)
        with tempfile.TemporaryDirectory(prefix="fieldsync-screens-") as folder:
            figures = child(Path(folder), options.runs)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    print(f"load average at end:   {load()}")
    print(f"{options.runs} opens of each screen after the first, 140×40, sample newsroom\n")
    print(table(figures))
    baseline = statistics.median(o["paint_ms"] for o in figures["baseline"][1:])
    above = ", ".join(
        f"{name} +{statistics.median(o['paint_ms'] for o in opens[1:]) - baseline:.0f}"
        for name, opens in figures.items()
        if name != "baseline"
    )
    print(
        f"\nbaseline (an empty Screen) paints in {baseline:.0f} ms; the screens above it: {above}"
    )
    if options.json:
        summary = {"load": started_load, "busy": options.busy, "figures": figures}
        options.json.write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
