"""Fuzzed requests against push, the feeds, checkouts, review outcomes and bundle
uploads, in process (tests/support/fuzz_push.py makes them and judges the answers).

The promises: no 5xx; a refused request writes nothing (every table the push
path touches reads the same after it); no change applied twice, in any spelling
of its id. One seed, so the same bodies every run; benchmarks/fuzz_push.py runs
the same mutator much longer against a real central site.
"""

from __future__ import annotations

import random

import pytest
from django.test import Client

from server_plugin.demo.news.models import Article, Author, Section, Tag
from server_plugin.models import RecordFlag
from tests.support.fuzz_push import Mutator, Oracle, Request, World, run

from .conftest import API, login, stored_state
from .test_bundles import Office, changes_bundle, chief_admin, exported, upload

SEED = 20261202
BODIES = 2000
BUNDLES = 200


@pytest.fixture
def fuzzing(newsroom):
    """editor1 (with a device key, for bundles) holds Politics, editor2 holds Culture;
    one Politics article waits for review on every update, another takes them directly."""
    editor = Office("editor1", "editor1-fuzz")
    editor.checkout(newsroom)
    culture = Section.objects.get(name="Culture")
    login("editor2", "editor2-laptop").checkout(culture)
    review, direct = Article.objects.filter(section=newsroom).order_by("pk")[:2]
    RecordFlag.objects.create(content_type_id=_article_type(), object_pk=str(review.pk),
                              policy=RecordFlag.REVIEW)  # fmt: skip
    RecordFlag.objects.create(content_type_id=_article_type(), object_pk=str(direct.pk),
                              policy=RecordFlag.DIRECT)  # fmt: skip

    def world() -> World:
        status, page = editor.changes(newsroom, limit=5000)
        assert status == 200, page
        _, reference = editor.get("reference/changes", limit=5000)
        live = [c for c in page["changes"] + reference["changes"] if not c.get("deleted")]
        return World(
            records=[c for c in live if c["model"] in ("news.article", "news.photo", "news.tag")],
            category=str(newsroom.pk),
            other_categories=[str(culture.pk), "999999"],
            tags=list(Tag.objects.values_list("pk", flat=True)[:10]),
            authors=list(Author.objects.values_list("pk", flat=True)),
        )

    return editor, world


def _article_type() -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(Article).pk


def sender(token: str):
    client = Client(raise_request_exception=False)

    def send(request: Request):
        response = client.generic(
            request.method,
            f"{API}/{request.url()}",
            request.body or b"",
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
        is_json = response.get("Content-Type", "").startswith("application/json")
        return response.status_code, response.json() if is_json else response.content[:200]

    return send


def report(figures) -> str:
    details = (
        figures.server_errors[:3] + figures.refused_with_writes[:3] + figures.double_applies[:3]
    )
    return figures.summary() + "".join(f"\n  {detail}" for detail in details)


def test_fuzzed_requests_give_no_5xx_write_nothing_when_refused_and_apply_nothing_twice(
    fuzzing,
):
    editor, world = fuzzing
    figures = run(BODIES, SEED, world, sender(editor.token), stored_state)
    assert figures.clean, report(figures)
    assert figures.statuses.get(200, 0) > BODIES // 5  # the bodies reach the push path too
    assert {"applied", "merged", "conflict", "rejected", "review"} <= set(figures.results)


def test_fuzzed_changes_bundles_give_no_5xx_write_nothing_when_refused_and_apply_nothing_twice(
    fuzzing, newsroom
):
    editor, world = fuzzing
    rng = random.Random(SEED + 1)
    mutator, oracle, admin = Mutator(rng, world()), Oracle(), chief_admin()
    export = exported(editor, newsroom)
    for number in range(BUNDLES):
        if number % 25 == 0:
            mutator.world = world()
        mutator.used_ids = oracle.used_ids()
        request = mutator.push()
        try:
            changes = __import__("json").loads(request.body)["changes"]
            data = changes_bundle(editor, export, *changes)
        except (ValueError, KeyError, TypeError):  # not a push a device could sign
            continue
        before = stored_state()
        response = upload(admin, data)
        applied = (response.context or {}).get("applied")
        if applied is not None:
            oracle.judge_results(applied.results)  # a category refused whole has none
            status = response.status_code
        else:
            status = 400 if response.status_code == 200 else response.status_code
        oracle.judge(Request("POST", "bundle", kind=request.kind), status, None, before,
                     stored_state())  # fmt: skip
    figures = oracle.figures
    assert figures.clean, report(figures)
    assert figures.bodies > BUNDLES // 2 and figures.results.get("applied", 0) > 0
