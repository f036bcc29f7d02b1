"""A device token's life: revoked (in the admin, or by logging out) it frees the
device's categories at once; unused too long, or too old, it expires and
answers 401 `token_expired`, which the client turns into "log in again"."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.db.models import F
from django.test import Client, override_settings
from django.utils import timezone

from server_plugin.models import Checkout, Device

from .conftest import login


def _desk_client(*codenames: str) -> Client:
    desk = User.objects.create_user("desk", password="demo-password", is_staff=True)
    desk.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    assert client.login(username="desk", password="demo-password")
    return client


def test_revoking_a_device_in_the_admin_frees_its_categories_at_once(editor1, editor2, newsroom):
    assert editor1.checkout(newsroom)[0] == 200
    assert editor2.checkout(newsroom)[0] == 409
    device = Device.objects.get(name="editor1-laptop")
    admin = _desk_client("view_device", "change_device")

    admin.post("/admin/fieldsync/device/", {"action": "revoke", "_selected_action": [device.pk]})

    status, body = editor2.checkout(newsroom)
    assert status == 200, body
    checkout = Checkout.objects.get(device=device)
    assert checkout.released_by.username == "desk"


def test_logging_out_releases_the_devices_checkouts(editor1, editor2, newsroom):
    editor1.checkout(newsroom)

    status, body = editor1.delete("auth/token")

    assert status == 200 and body == {"revoked": True, "released_checkouts": 1}
    assert editor2.checkout(newsroom)[0] == 200
    assert editor1.get("categories")[1]["error"] == "device_revoked"


# -- expiry ------------------------------------------------------------------------------

DAY = 24 * 3600


def _age(device: Device, *, made_days_ago: float, used_days_ago: float | None) -> None:
    now = timezone.now()
    Device.objects.filter(pk=device.pk).update(
        created_at=now - timedelta(days=made_days_ago),
        last_seen_at=None if used_days_ago is None else now - timedelta(days=used_days_ago),
    )


def _device(name="editor1-laptop") -> Device:
    return Device.objects.get(name=name)


def test_a_token_unused_for_longer_than_the_idle_limit_answers_token_expired(editor1):
    _age(_device(), made_days_ago=40, used_days_ago=31)

    status, body = editor1.get("categories")

    assert status == 401 and body["error"] == "token_expired", body
    assert "expired" in body["detail"] and "30 days" in body["detail"], body["detail"]


def test_a_token_never_used_since_login_expires_after_the_idle_limit_from_login(editor1):
    _age(_device(), made_days_ago=31, used_days_ago=None)

    assert editor1.get("categories")[1]["error"] == "token_expired"


def test_a_token_in_daily_use_expires_at_its_absolute_age(editor1):
    _age(_device(), made_days_ago=181, used_days_ago=0.5)

    status, body = editor1.get("categories")

    assert status == 401 and body["error"] == "token_expired"
    assert "180 days" in body["detail"], body["detail"]


def test_using_a_token_keeps_it_alive(editor1):
    _age(_device(), made_days_ago=100, used_days_ago=29)
    assert editor1.get("categories")[0] == 200

    Device.objects.update(last_seen_at=F("last_seen_at") - timedelta(days=29))  # a month on

    assert editor1.get("categories")[0] == 200, "the use 29 days ago counted"


def test_the_limits_come_from_the_settings(editor1):
    _age(_device(), made_days_ago=3, used_days_ago=2)

    with _fieldsync(TOKEN_IDLE_SECONDS=DAY):
        assert editor1.get("categories")[1]["error"] == "token_expired"
    with _fieldsync(TOKEN_MAX_AGE_SECONDS=2 * DAY):
        assert editor1.get("categories")[1]["error"] == "token_expired"
    assert editor1.get("categories")[0] == 200


def test_an_expired_token_gives_way_to_a_new_login_of_the_same_user(editor1, editor2, newsroom):
    """The checkout an expired device held passes to its user's next login (the same
    folder, logged in again), and to no one else while its lease runs."""
    editor1.checkout(newsroom)
    _age(_device(), made_days_ago=200, used_days_ago=1)
    assert editor2.checkout(newsroom)[0] == 409

    again = login("editor1", "editor1-laptop-again")
    status, body = again.checkout(newsroom)

    assert status == 200 and body["warnings"] == [], body
    assert editor2.checkout(newsroom)[0] == 409
    old = Checkout.objects.get(device=_device())
    assert old.released_at is not None and old.released_by.username == "editor1"


def test_the_admin_lists_when_each_device_expires(editor1):
    client = _desk_client("view_device")

    html = client.get("/admin/fieldsync/device/").content.decode()

    assert "expires" in html.lower()


def _fieldsync(**overrides):
    return override_settings(FIELDSYNC={**settings.FIELDSYNC, **overrides})
