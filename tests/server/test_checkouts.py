"""Checkouts: one device holds a category (exclusive) or several are warned (advisory)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.utils import timezone

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
