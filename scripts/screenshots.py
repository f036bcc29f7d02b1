"""Draw each screen of the real app as a PNG in screenshots/: run it again, get the same bytes.

    .venv/bin/python scripts/screenshots.py [--out screenshots]

The app runs headless over the fixed sample newsroom of
`tests/support/sample_store.py` (fixed rows, clock frozen at 10:45 UTC, no
network, no ping) in a throw-away store folder, at 140×40. Each screen is
saved as SVG with `App.save_screenshot()` and turned into PNG with cairosvg.

Fonts: Debian's `fonts-firacode` (the face Textual's SVG asks for, with the
box-drawing glyphs). cairosvg draws a text run in one font, so a glyph Fira
Code lacks (✎ ⚠ ✗ 🔒) is split into its own run in a font that has it
(`fonts-dejavu-core`, `fonts-symbola` for 🔒):

    apt-get install -y fonts-firacode fonts-dejavu-core fonts-symbola
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import html
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PRIMARY_FONT = "Fira Code"
FALLBACK_FONTS = ("DejaVu Sans Mono", "DejaVu Sans", "Symbola")
SCALE = 1.0


# -- driving the app to each screen ----------------------------------------------------


async def main_screen(pilot) -> None:
    from tests.support.sample_store import main_screen_ready

    await main_screen_ready(pilot)


async def record_form(pilot) -> None:
    from tests.support.app_driver import settle
    from tests.support.sample_store import form_ready

    await form_ready(pilot)
    await settle(pilot)


async def photo_record(pilot) -> None:
    from tests.support.sample_store import photo_ready

    await photo_ready(pilot)


async def sync_queue(pilot) -> None:
    from tests.support.sample_store import queue_ready

    await queue_ready(pilot)


async def conflict_screen(pilot) -> None:
    from tests.support.sample_store import conflict_ready

    await conflict_ready(pilot)


async def help_screen(pilot) -> None:
    from fieldsync_tui.app.screens.help import HelpScreen
    from tests.support.app_driver import settle, until
    from tests.support.sample_store import main_screen_ready

    await main_screen_ready(pilot)
    await pilot.press("question_mark")
    await until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen), "the help")
    await pilot.pause(0.1)
    await settle(pilot)


async def login_screen(pilot) -> None:
    from textual.widgets import Input

    from fieldsync_tui.app.screens.login import LoginScreen
    from tests.support.app_driver import settle, until
    from tests.support.sample_store import SERVER, no_blinking

    await until(pilot, lambda: isinstance(pilot.app.screen, LoginScreen), "the login screen")
    await pilot.pause(0.1)
    screen = pilot.app.screen
    for name, value in (("url", SERVER), ("username", "editor1"), ("password", "demo-password"),
                        ("device", "field-laptop")):  # fmt: skip
        screen.query_one(f"#{name}", Input).value = value
    password = screen.query_one("#password", Input)
    password.select_on_focus = False
    password.focus()
    password.cursor_position = len(password.value)
    await settle(pilot)
    no_blinking(pilot.app)


SHOTS = {
    "main": main_screen,
    "record-form": record_form,
    "photo": photo_record,
    "sync-queue": sync_queue,
    "conflict": conflict_screen,
    "help": help_screen,
}


async def shoot(folder: Path, drive, svg_folder: Path, name: str, logged_in: bool = True) -> Path:
    from tests.support.sample_store import SIZE, make_app

    app = make_app(folder)
    if not logged_in:
        app.token = None
    async with app.run_test(size=SIZE) as pilot:
        await drive(pilot)
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        return Path(app.save_screenshot(filename=f"{name}.svg", path=str(svg_folder)))


# -- SVG -> PNG --------------------------------------------------------------------------


@functools.cache
def _charset(font: str) -> list[tuple[int, int]]:
    """The code point ranges a font covers, from fontconfig."""
    files = subprocess.run(
        ["fc-list", f"{font}:style=Regular", "file"], capture_output=True, text=True
    ).stdout.split()
    files = [f.rstrip(":") for f in files if f.rstrip(":").endswith((".ttf", ".otf"))]
    if not files:
        files = [
            line.split(":")[0]
            for line in subprocess.run(
                ["fc-list", font, "file"], capture_output=True, text=True
            ).stdout.splitlines()
        ]
    if not files:
        return []
    text = subprocess.run(
        ["fc-query", "--format=%{charset}", files[0]], capture_output=True, text=True
    ).stdout
    ranges = []
    for part in text.split():
        first, _, last = part.partition("-")
        ranges.append((int(first, 16), int(last or first, 16)))
    return ranges


def has_glyph(font: str, char: str) -> bool:
    point = ord(char)
    return any(first <= point <= last for first, last in _charset(font))


def font_for(char: str) -> str | None:
    """None when the primary font has the glyph, else the first fallback that does."""
    if char.isspace() or has_glyph(PRIMARY_FONT, char):
        return None
    return next((font for font in FALLBACK_FONTS if has_glyph(font, char)), None)


TEXT = re.compile(r'<text ([^>]*?)x="([\d.]+)"([^>]*?)textLength="([\d.]+)"([^>]*)>([^<]*)</text>')


def with_fallback_fonts(svg: str) -> str:
    """Split each text run around glyphs the primary font lacks, each in a font that has it,
    placed on the terminal's cell grid."""
    from rich.cells import cell_len

    def split(match: re.Match) -> str:
        before, x, middle, length, after, escaped = match.groups()
        text = html.unescape(escaped)
        if all(font_for(c) is None for c in text):
            return match.group(0)
        cell = float(length) / max(cell_len(text), 1)
        pieces: list[tuple[str | None, str]] = []
        for char in text:
            font = font_for(char)
            if pieces and font is None and pieces[-1][0] is None:
                pieces[-1] = (None, pieces[-1][1] + char)
            else:
                pieces.append((font, char))
        out, column = [], 0
        for font, piece in pieces:
            style = f' style="font-family: {font}"' if font else ""
            width = cell_len(piece)
            out.append(
                f'<text {before}x="{float(x) + column * cell:.1f}"{middle}'
                f'textLength="{width * cell:.1f}"{after}{style}>{_escape(piece)}</text>'
            )
            column += width
        return "".join(out)

    return TEXT.sub(split, svg)


def _escape(text: str) -> str:
    return html.escape(text, quote=False).replace(" ", "&#160;")


def to_png(svg_path: Path, png_path: Path) -> None:
    import cairosvg

    svg = with_fallback_fonts(svg_path.read_text())
    # Textual's SVG also names web fonts to download: drawn offline, from the local face.
    svg = re.sub(r'url\("https?://[^"]*"\) format\("[^"]*"\),?', "", svg)
    cairosvg.svg2png(bytestring=svg.encode(), write_to=str(png_path), scale=SCALE)


# -- the run -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    args = parser.parse_args(argv)
    if not _charset(PRIMARY_FONT):
        print("Fira Code is not installed: apt-get install -y fonts-firacode", file=sys.stderr)
        return 1

    from fieldsync_tui.store.database import open_database

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fieldsync-shots-") as temp:
        folder, svgs = Path(temp) / "store", Path(temp) / "svg"
        svgs.mkdir()
        open_database(folder)
        from tests.support import sample_store

        sample_store.fill()
        made = []
        with sample_store.frozen_clock():
            for name, drive in SHOTS.items():
                made.append(asyncio.run(shoot(folder, drive, svgs, name)))
            from fieldsync_tui.store.models import Account

            Account.objects.all().delete()  # nobody logged in: the app opens on the login
            made.append(asyncio.run(shoot(folder, login_screen, svgs, "login", logged_in=False)))
        for svg in made:
            png = args.out / f"{svg.stem}.png"
            to_png(svg, png)
            print(png.relative_to(ROOT) if png.is_relative_to(ROOT) else png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
