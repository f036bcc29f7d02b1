"""A category held by the same user on another device: said as "held by you on
DEVICE since …", and taken over on request (POST .../checkout {"take_over": true}),
never from another user. The device it was taken from is told on its next push or
pull (409 taken_over), and its categories listing says so."""

from __future__ import annotations

from server_plugin.models import Checkout

from .conftest import article_in, login, pulled, stored_state, update


def test_a_category_held_on_my_other_device_is_said_to_be_held_by_me(editor1, newsroom):
    editor1.checkout(newsroom)
    desktop = login("editor1", "desktop")

    status, body = desktop.checkout(newsroom)

    assert status == 409 and body["error"] == "checked_out"
    assert body["detail"].startswith("Politics is held by you on editor1-laptop since ")
    assert "take it over" in body["detail"]
    assert body["holder"]["device"] == "editor1-laptop"
    assert body["can_take_over"] is True


def test_taking_over_moves_the_checkout_and_says_what_becomes_of_the_other_devices_changes(
    editor1, newsroom
):
    editor1.checkout(newsroom)
    desktop = login("editor1", "desktop")

    status, body = desktop.post(f"categories/{newsroom.pk}/checkout", {"take_over": True})

    assert status == 200, body
    (moved,) = body["taken_over"]
    assert moved["device"] == "editor1-laptop"
    assert "editor1-laptop" in body["warnings"][0] and "set aside" in body["warnings"][0]
    (active,) = Checkout.objects.active()
    assert active.device.name == "desktop"
    _, listing = desktop.get("categories")
    politics = next(c for c in listing["categories"] if c["name"] == "Politics")
    assert politics["checked_out_by_me"] is True
    assert [h["device"] for h in politics["holders"]] == ["desktop"]


def test_the_device_it_was_taken_from_is_refused_its_push_and_its_pull_saying_so(
    editor1, newsroom
):
    editor1.checkout(newsroom)
    record = pulled(editor1, newsroom, article_in(newsroom).pk)
    login("editor1", "desktop").post(f"categories/{newsroom.pk}/checkout", {"take_over": True})

    status, body = editor1.push(update(record, {"title": "Typed on the laptop"}))

    assert status == 409 and body["error"] == "taken_over", body
    assert body["detail"].startswith("Politics was taken over by you on desktop ")
    assert "can no longer be pushed" in body["detail"]
    assert body["category"] == str(newsroom.pk) and body["taken_over_by"]["device"] == "desktop"
    status, page = editor1.changes(newsroom)
    assert status == 409 and page["error"] == "taken_over"
    _, listing = editor1.get("categories")
    politics = next(c for c in listing["categories"] if c["name"] == "Politics")
    assert politics["checked_out_by_me"] is False
    assert politics["taken_over"]["device"] == "desktop"


def test_taking_it_back_lets_the_first_device_push_again(editor1, newsroom):
    editor1.checkout(newsroom)
    record = pulled(editor1, newsroom, article_in(newsroom).pk)
    login("editor1", "desktop").post(f"categories/{newsroom.pk}/checkout", {"take_over": True})

    status, _ = editor1.post(f"categories/{newsroom.pk}/checkout", {"take_over": True})

    assert status == 200
    status, body = editor1.push(update(record, {"title": "Back on the laptop"}))
    assert status == 200 and body["results"][0]["status"] == "applied", body


def test_another_users_checkout_is_never_taken_over(editor1, editor2, newsroom):
    editor1.checkout(newsroom)
    before = stored_state()

    status, body = editor2.post(f"categories/{newsroom.pk}/checkout", {"take_over": True})

    assert status == 409 and body["error"] == "checked_out"
    assert "editor1 (editor1-laptop)" in body["detail"] and body["can_take_over"] is False
    assert stored_state() == before


def test_take_over_must_be_a_boolean(editor1, newsroom, nothing_written):
    status, body = editor1.post(f"categories/{newsroom.pk}/checkout", {"take_over": "yes"})

    assert status == 400 and body["where"] == "take_over"


def test_taking_over_a_free_category_is_a_plain_checkout(editor1, newsroom):
    status, body = editor1.post(f"categories/{newsroom.pk}/checkout", {"take_over": True})

    assert status == 200 and body["taken_over"] == [] and body["warnings"] == []
