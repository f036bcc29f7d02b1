"""The review pages in a real browser: headless Chromium (Debian's) driven by
Playwright. A chief editor logs in to the admin, opens a queued update, sees
the diff, and accepts it; the page is saved to screenshots/review.png."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import sync_playwright

from server_plugin.demo.news.models import Article, Section
from server_plugin.models import ReviewItem

from .conftest import Api, login, pulled, update
from .test_policies import with_policy

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOT = Path(__file__).resolve().parents[2] / "screenshots" / "review.png"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queued_update(live_server):
    call_command("seed_demo", articles=4, verbosity=0)
    section = Section.objects.get(name="Politics")
    editor: Api = login("editor1", "field-laptop")
    editor.checkout(section)
    article = Article.objects.filter(section=section).order_by("title").first()
    record = pulled(editor, section, article.pk)
    body = record["fields"]["body"]
    first_sentence_end = body.index(".") + 1
    edited = (
        body[:first_sentence_end] + " The vote was postponed again." + body[first_sentence_end:]
    )
    with with_policy("review"):
        _, answer = editor.push(update(record, {"title": record["fields"]["title"] + " (updated)",
                                                 "body": edited}))  # fmt: skip
        assert answer["results"][0]["status"] == "review"
        yield article, ReviewItem.objects.get()


def test_chief_editor_reviews_and_accepts_an_update_in_a_browser(live_server, queued_update):
    article, item = queued_update
    assert Client().get("/admin/").status_code in (200, 302)  # the admin is up

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{live_server.url}/admin/login/?next=/admin/")
        page.fill("#id_username", "chief")
        page.fill("#id_password", "demo-password")
        page.click("input[type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/")

        page.goto(f"{live_server.url}/admin/fieldsync/reviewitem/")
        page.get_by_role("link", name=article.title).first.click()
        page.wait_for_selector("#fs-diff")
        inserted = page.locator("#fs-diff ins.fs-ins").all_inner_texts()
        assert any("postponed again" in text for text in inserted)
        assert any("(updated)" in text for text in inserted)
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=False)

        page.click("#fs-accept")
        page.wait_for_url(f"{live_server.url}/admin/fieldsync/reviewitem/")
        assert "Accepted and applied" in page.content()
        browser.close()

    item.refresh_from_db()
    article.refresh_from_db()
    assert item.status == "accepted" and item.decided_by.username == "chief"
    assert article.title.endswith("(updated)") and "postponed again" in article.body
