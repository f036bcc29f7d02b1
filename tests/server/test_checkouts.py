"""Checkouts: one device holds a category (exclusive) or several are warned (advisory)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from server_plugin import checkouts
from server_plugin.conf import setting
from server_plugin.models import Checkout

from .conftest import article_in, login, pulled, update


def test_checkout_is_exclusive_and_the_409_names_the_holder(editor1, editor2, newsroom):
    status, _ = editor1.checkout(newsroom)
    assert status == 200

    status, body = editor2.checkout(newsroom)

    assert status == 409 and body["error"] == "checked_out"
    assert "editor1 (editor1-laptop)" in body["detail"]
    assert body["holder"]["user"] == "editor1"
    _, listing = editor2.get("categories")
    politics = next(c for c in listing["categories"] if c["name"] == "Politics")
    assert politics["holders"][0]["user"] == "editor1"
    assert politics["checked_out_by_me"] is False


def test_same_device_checking_out_again_renews_the_lease(editor1, newsroom):
    editor1.checkout(newsroom)
    Checkout.objects.update(expires_at=timezone.now() + timedelta(minutes=1))

    status, _ = editor1.checkout(newsroom)

    assert status == 200
    (checkout,) = Checkout.objects.all()
    assert checkout.expires_at > timezone.now() + timedelta(days=1)


def test_same_user_on_another_device_is_refused_too(editor1, newsroom):
    editor1.checkout(newsroom)
    status, body = login("editor1", "desktop").checkout(newsroom)
    assert status == 409 and "editor1-laptop" in body["detail"]


def test_expired_checkout_frees_the_category(editor1, editor2, newsroom):
    editor1.checkout(newsroom)
    Checkout.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    status, _ = editor2.checkout(newsroom)

    assert status == 200
    record = pulled(editor1, newsroom, article_in(newsroom).pk)
    status, body = editor1.push(update(record, {"title": "After expiry"}))
    assert status == 409 and body["error"] == "not_checked_out"


def test_checkin_releases_and_another_editor_may_take_it(editor1, editor2, newsroom):
    editor1.checkout(newsroom)

    status, body = editor1.post(f"categories/{newsroom.pk}/checkin")
    assert status == 200 and body["released"] is True
    status, body = editor1.post(f"categories/{newsroom.pk}/checkin")
    assert status == 200 and body["released"] is False  # a retried check-in is harmless

    assert editor2.checkout(newsroom)[0] == 200


@override_settings(FIELDSYNC={**settings.FIELDSYNC, "CHECKOUT_MODE": "advisory"})
def test_advisory_mode_lets_both_check_out_with_a_warning(editor1, editor2, newsroom):
    editor1.checkout(newsroom)

    status, body = editor2.checkout(newsroom)

    assert status == 200
    assert body["warnings"] and "editor1" in body["warnings"][0]


def test_staff_break_a_checkout_in_the_admin(editor1, editor2, newsroom):
    editor1.checkout(newsroom)
    checkout = Checkout.objects.get()
    User.objects.filter(username="chief").update(is_superuser=True)
    admin = Client()
    admin.login(username="chief", password="demo-password")

    response = admin.post(
        "/admin/fieldsync/checkout/",
        {"action": "break_selected", "_selected_action": [checkout.pk]},
    )

    assert response.status_code == 302
    checkout.refresh_from_db()
    assert checkout.released_by.username == "chief"
    assert editor2.checkout(newsroom)[0] == 200


def test_pulling_renews_the_lease(editor1, newsroom):
    editor1.checkout(newsroom)
    Checkout.objects.update(expires_at=timezone.now() + timedelta(minutes=1))

    editor1.changes(newsroom)

    assert Checkout.objects.get().expires_at > timezone.now() + timedelta(days=1)


def test_a_lease_is_renewed_once_it_has_run_a_minute_or_a_hundredth_of_its_term():
    now = timezone.now()
    month = 30 * 24 * 3600

    assert not checkouts.lease_renewal_due(now + timedelta(seconds=month), now, month)
    assert not checkouts.lease_renewal_due(now + timedelta(seconds=month - 59), now, month)
    assert checkouts.lease_renewal_due(now + timedelta(seconds=month - 61), now, month)
    assert checkouts.lease_renewal_due(now - timedelta(seconds=1), now, month)
    # A short lease is renewed after a hundredth of it: 1 s of 100 s.
    assert not checkouts.lease_renewal_due(now + timedelta(seconds=99.5), now, 100)
    assert checkouts.lease_renewal_due(now + timedelta(seconds=98.5), now, 100)


def test_pages_pulled_just_after_the_checkout_write_nothing_to_it(editor1, newsroom):
    editor1.checkout(newsroom)
    taken = Checkout.objects.get().expires_at

    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert editor1.changes(newsroom, limit=1)[0] == 200

    assert Checkout.objects.get().expires_at == taken
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert not [sql for sql in writes if "fieldsync_checkout" in sql]


def test_a_long_checkout_keeps_its_lease_renewed_by_its_pulls(editor1, newsroom):
    editor1.checkout(newsroom)
    term = timedelta(seconds=setting("CHECKOUT_LEASE_SECONDS"))
    Checkout.objects.update(expires_at=timezone.now() + term - timedelta(minutes=2))

    editor1.changes(newsroom, limit=1)

    assert Checkout.objects.get().expires_at > timezone.now() + term - timedelta(seconds=5)
