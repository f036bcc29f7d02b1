"""Fixtures for the central plugin's tests: a seeded newsroom and API clients
that talk to it through Django's full request handling (real HTTP semantics:
headers, status codes, JSON bodies)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test import Client

from server_plugin.demo.news.models import Article, Author, Photo, Section, Tag
from server_plugin.models import (
    ChangeReceipt,
    Checkout,
    FeedCounter,
    RecordFlag,
    RecordVersion,
    ReviewItem,
    TrackedRow,
)
from tests.support.fuzz_push import read_tables

from .museum import museum, museum_editor, museum_editor2, museum_settings, valley  # noqa: F401

API = "/fieldsync/v1"


class DbThread(threading.Thread):
    """A thread with its own database connection, closed when it ends.

    `finish()` joins it and re-raises whatever it raised, so an assertion
    failing inside a thread fails the test.
    """

    def __init__(self, name: str, work: Callable[[], None]):
        super().__init__(name=name, daemon=True)
        self.work = work
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.work()
        except BaseException as error:  # handed to the test thread by finish()
            self.error = error
        finally:
            connection.close()

    def finish(self, timeout: float = 10) -> None:
        if self.ident is None:
            return  # never started: the test failed before it got there
        self.join(timeout)
        assert not self.is_alive(), f"{self.name} still running after {timeout}s"
        if self.error is not None:
            raise self.error


class Api:
    """A device talking to the API: JSON in, (status, JSON) out."""

    def __init__(self, token: str | None = None):
        self.client = Client()
        self.token = token

    def _headers(self, extra=None):
        headers = dict(extra or {})
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def get(self, path: str, **params):
        response = self.client.get(f"{API}/{path}", params, headers=self._headers())
        return response.status_code, response.json()

    def post(self, path: str, body=None, *, raw: bytes | None = None, headers=None):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        response = self.client.post(
            f"{API}/{path}", data, content_type="application/json", headers=self._headers(headers)
        )
        return response.status_code, response.json()

    def delete(self, path: str):
        response = self.client.delete(f"{API}/{path}", headers=self._headers())
        return response.status_code, response.json()

    def put(self, path: str, data: bytes, **params):
        """Raw bytes, as a file chunk travels: (status, JSON)."""
        query = "&".join(f"{key}={value}" for key, value in params.items())
        response = self.client.put(
            f"{API}/{path}" + (f"?{query}" if query else ""), data,
            content_type="application/octet-stream", headers=self._headers(),
        )  # fmt: skip
        return response.status_code, response.json()

    def fetch(self, path: str, headers=None):
        """The response itself (a download is a stream of bytes, not JSON)."""
        return self.client.get(f"{API}/{path}", headers=self._headers(headers))

    # conveniences for the common calls
    def checkout(self, section: Section):
        return self.post(f"categories/{section.pk}/checkout")

    def changes(self, section: Section, since: int = 0, limit: int = 500):
        return self.get(f"categories/{section.pk}/changes", since=since, limit=limit)

    def push(self, *changes: dict):
        return self.post("push", {"changes": list(changes)})


def login(username: str, device: str = "laptop") -> Api:
    status, body = Api().post(
        "auth/token", {"username": username, "password": "demo-password", "device": device}
    )
    assert status == 201, body
    return Api(body["token"])


@pytest.fixture
def media_root(settings, tmp_path):
    """A storage folder of the test's own (MEDIA_ROOT): what it holds, the test stored."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def root(db) -> User:
    """A superuser: sees every category and model, for reading feeds directly."""
    return User.objects.create_superuser("root", "root@example.org", "demo-password")


@pytest.fixture
def newsroom(db, media_root):
    """The demo newsroom, small: 6 sections of 4 articles (photos with small images,
    in the test's own storage folder), and its users."""
    call_command("seed_demo", articles=4, image_size="96x64", verbosity=0)
    return Section.objects.get(name="Politics")


@pytest.fixture
def editor1(newsroom) -> Api:
    return login("editor1", "editor1-laptop")


@pytest.fixture
def editor2(newsroom) -> Api:
    return login("editor2", "editor2-laptop")


def stored_state() -> dict:
    """Every row a push, a bundle or a checkout may write on the newsroom site: the
    records, their many-to-many rows, the side table, feeds, receipts, the review
    queue, history and checkouts. Compared before and after a refused request."""
    tables = [
        Section, Article, Article.tags.through, Photo, Tag, Author, TrackedRow, FeedCounter,
        ChangeReceipt, ReviewItem, RecordVersion, Checkout, RecordFlag,
    ]  # fmt: skip
    with connection.cursor() as cursor:  # raw rows: fast enough to read after every request
        rows = read_tables(cursor, [table._meta.db_table for table in tables])
    return {table._meta.label: rows[table._meta.db_table] for table in tables}


@pytest.fixture
def nothing_written(db):
    """Asserts, after the test, that nothing was written (stored_state)."""
    before = stored_state()
    yield
    assert stored_state() == before


def version_of(instance) -> int:
    """The record's current version in the side table."""
    rows = TrackedRow.objects.filter(
        content_type=ContentType.objects.get_for_model(instance), object_pk=str(instance.pk)
    )
    return max(row.version for row in rows)


def article_in(section: Section) -> Article:
    return Article.objects.filter(section=section).order_by("title").first()


def pulled(api: Api, section: Section, pk) -> dict:
    """The record as the editor's device pulled it: values and version."""
    status, page = api.changes(section)
    assert status == 200, page
    for change in page["changes"]:
        if str(change["pk"]) == str(pk):
            return change
    raise AssertionError(f"{pk} not in the feed of {section}")


def update(record: dict, values: dict, *, change_id: str | None = None) -> dict:
    """An update change made against a pulled record."""
    return {
        "id": change_id or str(uuid.uuid4()),
        "op": "update",
        "model": record["model"],
        "pk": record["pk"],
        "base_version": record["version"],
        "base_values": record["fields"],
        "values": values,
    }
