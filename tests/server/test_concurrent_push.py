"""Two copies of one push arriving at the same moment (a client retrying while
its first attempt is still being applied) get the same answer, applied once."""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.db import connection

from server_plugin.demo.news.models import Section

from .conftest import DbThread, article_in, login, pulled, update, version_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_copies_of_a_push_are_answered_alike_and_applied_once():
    assert connection.vendor == "postgresql", "run with FIELDSYNC_TEST_DB=postgres"
    call_command("seed_demo", articles=4, verbosity=0)
    section = Section.objects.get(name="Politics")
    editor = login("editor1")
    editor.checkout(section)
    article = article_in(section)
    record = pulled(editor, section, article.pk)
    changes = [update(record, {"title": "Sent twice at once"})]
    answers: list = []
    start = threading.Barrier(2)

    def send():
        start.wait()
        answers.append(editor.push(*changes))

    threads = [DbThread(f"copy-{n}", send) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.finish()

    (status_a, body_a), (status_b, body_b) = answers
    assert (status_a, status_b) == (200, 200)
    assert body_a == body_b and body_a["results"][0]["status"] == "applied"
    assert version_of(article) == record["version"] + 1
