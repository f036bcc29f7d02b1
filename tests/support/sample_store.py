"""A fixed newsroom in the local store, and a frozen clock, for pictures of the app.

Snapshot tests and `scripts/screenshots.py` draw the real app over this data
with no central site: the schema is the demo site's (copied from its
`GET v1/schema` into `demo_schema.json`), every row and time is fixed, the
network is cut off (a refresh fails at once, as offline) and the app never
pings. Two runs draw the same picture, on any machine.

Call `fill()` with the store open (Django set up); wrap the app's run in
`frozen_clock()`.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

from tests.support.app_driver import settle, until

SCHEMA = json.loads(Path(__file__).with_name("demo_schema.json").read_text())
NOW = datetime(2026, 3, 2, 10, 45, 0, tzinfo=UTC)  # the frozen "now" (10:45 UTC)
SERVER = "http://newsroom.example:8765"
SIZE = (140, 40)  # the terminal every picture is drawn at
POLITICS = "1"
FIRST_TITLE = "Bridge reopens after repairs"  # the first of Politics' records by title

BODY = (
    "The council postponed the vote on the budget until after the spring recess, "
    "citing unresolved questions about the cost of the harbour works.\n\n"
    "Opposition members said the delay would leave schools without a confirmed "
    "allocation for another term."
)


def _uuid(n: int) -> str:
    return str(uuid.UUID(int=n, version=4))


def _article(n, title, status, day, *, author=1, tags=(), featured=False, body=BODY) -> dict:
    return {
        "pk": _uuid(n),
        "values": {
            "section": int(POLITICS),
            "title": title,
            "body": body,
            "status": status,
            "published_on": f"2026-02-{day:02d}",
            "featured": featured,
            "author": author,
            "tags": list(tags),
        },
    }


ARTICLES = [
    _article(1, "Budget vote delayed", "draft", 27, tags=(1, 3), featured=True),
    _article(2, "Mayor resigns", "published", 26, author=2, tags=(2,)),
    _article(3, "Bridge reopens after repairs", "published", 25, author=3, tags=(2,)),
    _article(4, "Council approves new bus routes", "review", 24, tags=(1,)),
    _article(5, "Harbour dredging starts in spring", "draft", 23, author=2),
    _article(6, "School meals contract renewed", "published", 20, author=3),
    _article(7, "Election count: what happens next", "review", 18),
    _article(8, "Old polling station list", "published", 2, author=2),
]
AUTHORS = {1: "A. Writer", 2: "B. Okafor", 3: "C. Lindqvist"}
TAGS = {1: "council", 2: "city", 3: "budget"}
CATEGORIES = [
    ("5", "Business", 12, []),
    ("2", "Culture", 7, [{"user": "editor2", "device": "laptop2",
                          "since": "2026-03-02T09:12:00Z", "mode": "exclusive"}]),
    (POLITICS, "Politics", 9, []),
    ("6", "Science", 12, []),
    ("3", "Sport", 8, []),
    ("4", "Weather", 8, []),
]  # fmt: skip
MAYOR_BASE = "The mayor announced on Monday that she will step down."
MAYOR_MINE = "The mayor announced on Monday that she will step down at the end of the month."
MAYOR_THEIRS = "The mayor announced on Tuesday that she will step down."
MAYOR_MERGED = "The mayor announced on Tuesday that she will step down at the end of the month."


def fill() -> None:
    """Empty the store and write the sample newsroom: one account, six categories
    (Politics checked out, Culture held by editor2), nine Politics records, three
    queued changes (one with a failed try), one open conflict."""
    from django.db import transaction

    from fieldsync_tui.store.models import Account, Category, Conflict, PendingChange, Record

    with transaction.atomic():
        for model in (Conflict, PendingChange, Record, Category, Account):
            model.objects.all().delete()
        Account.objects.create(
            server_url=SERVER,
            username="editor1",
            device_name="field-laptop",
            schema=SCHEMA,
            online=True,
            last_online_check=NOW,
            last_sync_at=NOW - timedelta(minutes=3),
            site_key="sample-site-key",  # logged in after bundle keys: no "log in again"
        )
        for key, name, count, holders in CATEGORIES:
            Category.objects.create(
                key=key, name=name, records=count, holders=holders,
                checked_out=key == POLITICS, cursor=40 if key == POLITICS else 0,
            )  # fmt: skip
        for pk, name in AUTHORS.items():
            _record("news.author", str(pk), None, {"name": name, "email": ""}, name)
        for pk, name in TAGS.items():
            _record("news.tag", str(pk), None, {"name": name}, name)
        records = {}
        for n, article in enumerate(ARTICLES, start=1):
            values = article["values"]
            records[values["title"]] = _record(
                "news.article", article["pk"], POLITICS, values, values["title"], version=n + 3
            )
        photo = _record(
            "news.photo", "tmp:" + _uuid(99), POLITICS,
            {"article": ARTICLES[2]["pk"], "caption": PHOTO_CAPTION, "credit": "E. Tanaka",
             "image": attached_photo()},
            "River crossing", version=None,
        )  # fmt: skip

        budget = records["Budget vote delayed"]
        budget.values = {**budget.values, "title": "Budget vote delayed", "status": "draft"}
        budget.base_values = {**budget.values, "status": "review"}
        _queued(budget, PendingChange.UPDATE, minutes=2)
        _queued(photo, PendingChange.CREATE, minutes=5, attempts=1,
                error="cannot reach the server: timed out")  # fmt: skip
        old = records["Old polling station list"]
        old.deleted = True
        _queued(old, PendingChange.DELETE, minutes=60)

        mayor = records["Mayor resigns"]
        base = {**mayor.values, "body": MAYOR_BASE, "status": "review"}
        mine = {**base, "body": MAYOR_MINE, "status": "published"}
        theirs = {**base, "body": MAYOR_THEIRS, "status": "draft"}
        mayor.values, mayor.base_values, mayor.conflicted = mine, base, True
        mayor.save()
        Conflict.objects.create(
            record=mayor,
            op=PendingChange.UPDATE,
            base_version=mayor.base_version,
            base_values=base,
            mine=mine,
            theirs=theirs,
            theirs_version=mayor.base_version + 2,
            fields={
                "body": {
                    "base": MAYOR_BASE,
                    "mine": MAYOR_MINE,
                    "theirs": MAYOR_THEIRS,
                    "suggestion": MAYOR_MERGED,
                },
                "status": {
                    "base": "review",
                    "mine": "published",
                    "theirs": "draft",
                    "suggestion": None,
                },
            },  # fmt: skip
            created_at=NOW - timedelta(minutes=7),
        )


def attached_photo() -> dict:
    """The River crossing photo, attached offline through the store's own API: its
    content is in the folder, its reference in the record (the same bytes every run)."""
    import tempfile

    from fieldsync_tui.store import files
    from fieldsync_tui.store.schema import Schema

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / PHOTO_NAME
        path.write_bytes(river_crossing_jpeg())
        return files.attach(Schema(SCHEMA), "news.photo", "image", path)


PHOTO_NAME = "river-crossing.jpg"


def river_crossing_jpeg(size: tuple[int, int] = (960, 640)) -> bytes:
    """A drawn photo (sky, sun, hills, a river and its bridge): no randomness, no clock."""
    import io

    from PIL import Image, ImageDraw

    width, height = size
    picture = Image.new("RGB", size)
    draw = ImageDraw.Draw(picture)
    horizon = height * 11 // 20
    for y in range(horizon):  # dawn: deep blue above, warm at the horizon
        t = y / horizon
        draw.line(
            [(0, y), (width, y)], fill=(int(40 + 200 * t), int(70 + 120 * t), int(150 - 20 * t))
        )
    sun = (width * 7 // 10, horizon - height // 8)
    radius = height // 10
    draw.ellipse((sun[0] - radius, sun[1] - radius, sun[0] + radius, sun[1] + radius),
                 fill=(255, 214, 120))  # fmt: skip
    far = [(0, horizon)] + [(x, horizon - height // 14 - (x * 37 % 61)) for x in
                            range(0, width + 1, width // 12)] + [(width, horizon)]  # fmt: skip
    draw.polygon(far, fill=(70, 100, 110))
    draw.rectangle((0, horizon, width, height), fill=(60, 120, 70))
    river = [(width * 2 // 5, horizon), (width * 3 // 5, horizon),
             (width * 9 // 10, height), (width // 10, height)]  # fmt: skip
    draw.polygon(river, fill=(70, 130, 180))
    deck = horizon + height // 10
    draw.rectangle((0, deck, width, deck + height // 40), fill=(90, 60, 40))
    for x in range(width // 10, width, width // 5):  # the bridge's piers
        draw.rectangle((x, deck, x + width // 60, deck + height // 8), fill=(80, 55, 40))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    return out.getvalue()


def _record(model, pk, category, values, title, version: int | None = 1):
    from fieldsync_tui.store.models import Record

    return Record.objects.create(
        model=model, object_pk=pk, category_key=category, values=values,
        base_version=version, base_values=values if version else {}, title=title,
        pending=version is None, updated_at=NOW - timedelta(days=1),
    )  # fmt: skip


def _queued(record, op: str, *, minutes: int, attempts: int = 0, error: str = "") -> None:
    from fieldsync_tui.store.models import PendingChange

    record.pending = True
    record.save()
    PendingChange.objects.create(
        change_id=uuid.UUID(int=record.pk, version=4), record=record, op=op,
        created_at=NOW - timedelta(minutes=minutes, seconds=10), attempts=attempts,
        last_error=error,
    )  # fmt: skip


class _FrozenDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        return NOW.astimezone(tz) if tz is not None else NOW.astimezone().replace(tzinfo=None)


@contextmanager
def frozen_clock():
    """Pin what the app draws from the clock (ages, "synced 10:42"), in UTC, with no network.

    The local time zone becomes UTC; the status bar and the queue read `NOW`;
    every request to the server fails at once as offline.
    """
    from fieldsync_tui.sync.transport import Offline, Transport

    def offline(self, *args, **kwargs):
        raise Offline("no network in pictures")

    previous_tz = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        with (
            mock.patch("fieldsync_tui.app.widgets.status_bar.datetime", _FrozenDatetime),
            mock.patch("fieldsync_tui.app.screens.queue.datetime", _FrozenDatetime),
            mock.patch.object(Transport, "request", offline),
            mock.patch.object(Transport, "ping", lambda self, timeout=2.0: False),
        ):
            yield NOW
    finally:
        if previous_tz is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = previous_tz
        time.tzset()


# -- getting each screen ready to draw (snapshots and screenshots) ------------------


async def main_screen_ready(pilot) -> None:
    """The main screen with Politics' records loaded, the first one shown, records focused."""
    from fieldsync_tui.app.screens.main import MainScreen
    from fieldsync_tui.app.widgets.records_table import RecordsTable
    from fieldsync_tui.app.widgets.status_bar import StatusBar

    app = pilot.app
    await until(
        pilot,
        lambda: isinstance(app.screen, MainScreen) and app.screen.query(RecordsTable),
        "the main screen",
    )
    table = app.screen.query_one(RecordsTable)
    await until(pilot, lambda: table.row_count == 9, "Politics' nine records")
    await until(pilot, lambda: app.screen.query_one(StatusBar).status is not None, "the counts")
    table.focus()
    await settle(pilot)
    detail = app.screen.query_one("#detail")
    await until(pilot, lambda: detail.border_title == FIRST_TITLE, "the first record's detail")
    await settle(pilot)


async def form_ready(pilot) -> None:
    from fieldsync_tui.app.screens.record_form import RecordFormScreen

    app = pilot.app
    await main_screen_ready(pilot)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, RecordFormScreen), "the record form")
    await until(pilot, lambda: app.screen.query("#field-title"), "the form's fields")
    await settle(pilot)
    no_blinking(app)


async def queue_ready(pilot) -> None:
    from fieldsync_tui.app.screens.queue import QueueScreen

    app = pilot.app
    await main_screen_ready(pilot)
    await pilot.press("u")
    await until(pilot, lambda: isinstance(app.screen, QueueScreen), "the sync queue")
    await until(
        pilot, lambda: app.screen.query_one("#queue").row_count == 4, "three changes, a conflict"
    )
    await settle(pilot)


async def conflict_ready(pilot) -> None:
    """The conflict screen on "Mayor resigns", opened with x from the main screen."""
    from fieldsync_tui.app.screens.conflict import ConflictScreen

    app = pilot.app
    await main_screen_ready(pilot)
    await pilot.press("x")
    await until(pilot, lambda: isinstance(app.screen, ConflictScreen), "the conflict screen")
    await pilot.pause(0.1)
    await settle(pilot)
    no_blinking(app)
    await settle(pilot)


def no_blinking(app) -> None:
    from textual.widgets import Input, TextArea

    for widget in app.screen.query("Input, TextArea"):
        if isinstance(widget, (Input, TextArea)):
            widget.cursor_blink = False


def make_app(folder: Path):
    """The real app, logged in, that never pings and shows itself online."""
    from fieldsync_tui.app.app import FieldsyncApp

    app = FieldsyncApp(folder, token="sample-token", ping_interval=0, auto_sync=False)
    app.online = True
    return app


def fill_large(count: int, batch: int = 5000) -> str:
    """Empty the store and put `count` articles in Politics (checked out), written in
    one transaction with bulk inserts; titles "Article 000001"… sort in number order.
    Returns the category's key."""
    from django.db import transaction

    from fieldsync_tui.store.models import Account, Category, Conflict, PendingChange, Record

    with transaction.atomic():
        for model in (Conflict, PendingChange, Record, Category, Account):
            model.objects.all().delete()
        Account.objects.create(
            server_url=SERVER, username="editor1", device_name="field-laptop", schema=SCHEMA,
            online=True, last_sync_at=NOW - timedelta(minutes=3),
        )  # fmt: skip
        Category.objects.create(key=POLITICS, name="Politics", records=count, checked_out=True)
        statuses = ("draft", "review", "published")
        for start in range(0, count, batch):
            rows = []
            for n in range(start + 1, min(start + batch, count) + 1):
                title = large_title(n)
                values = {**ARTICLES[0]["values"], "title": title, "status": statuses[n % 3],
                          "body": f"Body of article {n}.", "tags": []}  # fmt: skip
                rows.append(
                    Record(
                        model="news.article",
                        object_pk=_uuid(1_000_000 + n),
                        category_key=POLITICS,
                        values=values,
                        base_version=1,
                        base_values=values,
                        title=title,
                        updated_at=NOW,
                    )  # fmt: skip
                )
            Record.objects.bulk_create(rows, batch_size=batch)
    return POLITICS


def large_title(n: int) -> str:
    return f"Article {n:06d}"


async def photo_ready(pilot) -> None:
    """The main screen on the River crossing photo: its image previewed in the detail pane."""
    from fieldsync_tui.app.widgets.image_preview import ImagePreview
    from fieldsync_tui.app.widgets.records_table import RecordsTable

    app = pilot.app
    await main_screen_ready(pilot)
    table = app.screen.query_one(RecordsTable)
    titles = [row["title"] for row in table.rows_shown]
    table.move_cursor(row=titles.index(PHOTO_CAPTION))
    detail = app.screen.query_one("#detail")
    await until(pilot, lambda: detail.border_title == PHOTO_CAPTION, "the photo's detail")
    await until(pilot, lambda: detail.query(ImagePreview), "the photo's preview")
    await settle(pilot)


PHOTO_CAPTION = "River crossing"
