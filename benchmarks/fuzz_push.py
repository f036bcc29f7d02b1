"""The long fuzz run: mutated requests against a real central site, over real HTTP.

    .venv/bin/python benchmarks/fuzz_push.py [--bodies 10000] [--backends sqlite,postgres]
        [--seed 20261202]

For each backend it starts a fresh demo central site in its own process (SQLite,
or a new PostgreSQL database on 127.0.0.1:5432), logs editor1 in (holding
Politics, one article of it waiting for review on every update and another
taking updates directly) and editor2 (holding Culture), then sends `--bodies`
requests made by tests/support/fuzz_push.py's mutator: pushes broken in every
way it knows, feed queries, checkouts and review questions. After each request
it reads the tables a push may write, straight from the site's database, and
the oracle judges: no 5xx, nothing written by a refused request, no change
applied twice under any spelling of its id. It prints the figures per backend
and exits 1 if any promise broke (the CI tier runs 2,000 in process:
tests/server/test_fuzz_push.py).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.central import built_template, running_site  # noqa: E402
from tests.support.fuzz_push import DEMO_TABLES, Request, World, read_tables, run  # noqa: E402

PASSWORD = "demo-password"


class Editor:
    """A device logged in over HTTP, sending as any client does (keep-alive, JSON)."""

    def __init__(self, site, username: str, device: str):
        self.url = f"{site.url}/fieldsync/v1"
        self.session = requests.Session()
        answer = self.session.post(f"{self.url}/auth/token", timeout=60, json={
            "username": username, "password": PASSWORD, "device": device})  # fmt: skip
        answer.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {answer.json()['token']}"

    def get(self, path: str, **params) -> dict:
        answer = self.session.get(f"{self.url}/{path}", params=params, timeout=60)
        answer.raise_for_status()
        return answer.json()

    def checkout(self, key: str) -> None:
        self.session.post(f"{self.url}/categories/{key}/checkout", timeout=60).raise_for_status()

    def send(self, request: Request) -> tuple[int, object]:
        answer = self.session.request(
            request.method,
            f"{self.url}/{request.url()}",
            data=request.body or b"",
            headers={"Content-Type": "application/json"},
            timeout=120,
        )
        if answer.headers.get("Content-Type", "").startswith("application/json"):
            return answer.status_code, answer.json()
        return answer.status_code, answer.content[:200]


def categories(editor: Editor) -> dict[str, str]:
    return {c["name"]: c["id"] for c in editor.get("categories")["categories"]}


def flag_two_articles(site, category: str) -> None:
    """One article of the category waits for review on every update, another never does."""
    site.shell(
        "from django.contrib.contenttypes.models import ContentType\n"
        "from server_plugin.demo.news.models import Article\n"
        "from server_plugin.models import RecordFlag\n"
        "kind = ContentType.objects.get_for_model(Article)\n"
        f"review, direct = Article.objects.filter(section_id={int(category)}).order_by('pk')[:2]\n"
        "RecordFlag.objects.create(content_type=kind, object_pk=str(review.pk),"
        " policy=RecordFlag.REVIEW)\n"
        "RecordFlag.objects.create(content_type=kind, object_pk=str(direct.pk),"
        " policy=RecordFlag.DIRECT)\n"
    )


def table_reader(site):
    """The tables' rows, read from the site's own database (autocommit: each read sees
    every write the site has committed)."""
    if site.database_url:
        connection = psycopg.connect(site.database_url, autocommit=True)
    else:
        connection = sqlite3.connect(site.folder / "central.sqlite3", isolation_level=None)

    def state() -> dict:
        cursor = connection.cursor()
        try:
            return read_tables(cursor, DEMO_TABLES)
        finally:
            cursor.close()

    return state, connection


def fuzz_backend(backend: str, bodies: int, seed: int, folder: Path) -> bool:
    started = time.perf_counter()
    with built_template(backend, folder / "template") as template, \
            running_site(template, folder / "site") as site:  # fmt: skip
        editor = Editor(site, "editor1", "editor1-fuzz")
        keys = categories(editor)
        politics, culture = keys["Politics"], keys["Culture"]
        editor.checkout(politics)
        Editor(site, "editor2", "editor2-laptop").checkout(culture)
        flag_two_articles(site, politics)
        state, connection = table_reader(site)

        def world() -> World:
            page = editor.get(f"categories/{politics}/changes", limit=5000)
            reference = editor.get("reference/changes", limit=5000)
            entries = page["changes"] + reference["changes"]
            live = [c for c in entries if not c.get("deleted")]
            return World(
                records=[c for c in live if c["model"] in ("news.article", "news.photo",
                                                            "news.tag")],  # fmt: skip
                category=politics,
                other_categories=[culture, "999999"],
                tags=[c["pk"] for c in live if c["model"] == "news.tag"][:10],
                authors=[c["pk"] for c in live if c["model"] == "news.author"],
            )

        ready = time.perf_counter() - started
        try:
            figures = run(bodies, seed, world, editor.send, state)
        finally:
            connection.close()
    print(f"{backend:8} {figures.summary()} (site up in {ready:.0f} s)", flush=True)
    for detail in (figures.server_errors + figures.refused_with_writes
                   + figures.double_applies)[:10]:  # fmt: skip
        print(f"         {detail}"[:2000])
    return figures.clean


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bodies", type=int, default=10_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args(argv)
    clean = True
    with tempfile.TemporaryDirectory(prefix="fieldsync-fuzz-") as folder:
        for backend in args.backends.split(","):
            clean &= fuzz_backend(backend, args.bodies, args.seed, Path(folder) / backend)
    print("all promises held" if clean else "PROMISES BROKEN (see above)")
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
