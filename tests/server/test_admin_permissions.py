"""Every admin action and page of the plugin needs the permission that matches
what it changes: a staff user who may only view tries each one, changes
nothing, and is told why (the audit's finding 5: view-only staff revoked
devices, broke checkouts, lifted a record's review and restored versions)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.test import Client, RequestFactory

from server_plugin.demo.news.models import Article
from server_plugin.models import (
    CategoryGrant,
    Checkout,
    Device,
    RecordFlag,
    RecordVersion,
    ReviewItem,
)

from .conftest import article_in, pulled, update
from .test_policies import with_policy

BUNDLES = "/admin/fieldsync/device/bundles"
# Actions that only read: a viewer may run them.
READING_ACTIONS = {"compare_selected"}


@pytest.fixture
def busy_site(editor1, editor2, newsroom):
    """A row in every table an admin action changes: devices, a checkout, a kept
    version, a flag, a review item."""
    editor1.checkout(newsroom)
    article = article_in(newsroom)
    record = pulled(editor1, newsroom, article.pk)
    _, body = editor1.push(update(record, {"title": "Retitled in the field"}))
    assert body["results"][0]["status"] == "applied", body
    other = Article.objects.filter(section=newsroom).exclude(pk=article.pk).first()
    with with_policy("review"):
        _, body = editor1.push(update(pulled(editor1, newsroom, other.pk), {"title": "Review me"}))
    assert body["results"][0]["status"] == "review", body
    RecordFlag.objects.create(
        content_type=ContentType.objects.get_for_model(Article),
        object_pk=str(other.pk),
        policy=RecordFlag.REVIEW,
    )
    assert RecordVersion.objects.exists() and ReviewItem.objects.exists()
    return article


def _viewer() -> User:
    user = User.objects.create_user("viewer", password="demo-password", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return user


@pytest.fixture
def viewer(db) -> Client:
    """A staff user holding every view permission and nothing else."""
    _viewer()
    client = Client()
    assert client.login(username="viewer", password="demo-password")
    return client


def snapshot() -> dict:
    """Every row of the plugin's and the newsroom's tables."""
    tables = {}
    for label in ("fieldsync", "news"):
        for model in apps.get_app_config(label).get_models():
            key = model._meta.pk.attname
            tables[model._meta.label] = sorted(
                model._default_manager.values(), key=lambda row: str(row[key])
            )
    return tables


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _changelists() -> list[tuple[type, admin.ModelAdmin]]:
    """The plugin's admins, and the host's that use its SyncHistoryMixin."""
    from server_plugin.admin import SyncHistoryMixin

    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label == "fieldsync" or isinstance(model_admin, SyncHistoryMixin)
    ]


def _offered(model_admin, user) -> set[str]:
    request = RequestFactory().get("/")
    request.user = user
    return set(model_admin.get_actions(request))


def test_every_admin_action_refuses_a_view_only_staff_user_and_changes_nothing(busy_site, viewer):
    chief = User.objects.get(username="chief")
    chief.is_superuser = True
    chief.save()
    tried = set()
    for model, model_admin in _changelists():
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        pks = [str(pk) for pk in model._default_manager.values_list("pk", flat=True)]
        if not pks:
            continue  # another site's model (the museum's): the newsroom's cover the mixin
        offered_to_viewer = _offered(model_admin, User.objects.get(username="viewer"))
        assert offered_to_viewer <= READING_ACTIONS, (model._meta.label, offered_to_viewer)
        for action in _offered(model_admin, chief) - READING_ACTIONS:
            before = snapshot()

            response = viewer.post(
                url, {"action": action, "_selected_action": pks, "reason": "No."}
            )

            assert snapshot() == before, f"{action} on {model._meta.label} changed something"
            assert response.status_code in (302, 403), (action, response.status_code)
            if response.status_code == 302:
                messages = said(response)
                assert any("permission" in m for m in messages), (action, messages)
            tried.add(action)
    assert {
        "revoke",
        "break_selected",
        "restore_selected",
        "fieldsync_flag_direct",
        "fieldsync_flag_review",
        "fieldsync_unflag",
        "accept_selected",
        "reject_selected",
        "delete_selected",
    } <= tried


def test_a_refused_action_names_the_permission_it_needs(busy_site, viewer):
    device = Device.objects.get(name="editor1-laptop")

    response = viewer.post(
        "/admin/fieldsync/device/", {"action": "revoke", "_selected_action": [device.pk]}
    )

    assert response.status_code == 302
    (message,) = said(response)
    assert "Revoke selected devices" in message and "Can change device" in message, message
    device.refresh_from_db()
    assert device.revoked_at is None


def test_the_custom_pages_refuse_a_view_only_staff_user(busy_site, viewer):
    item = ReviewItem.objects.get()
    version = RecordVersion.objects.first()
    device = Device.objects.get(name="editor1-laptop")
    before = snapshot()
    refused = {
        "review accept": viewer.post(
            f"/admin/fieldsync/reviewitem/{item.pk}/change/", {"accept": "Accept"}
        ),
        "review reject": viewer.post(
            f"/admin/fieldsync/reviewitem/{item.pk}/change/", {"reject": "1", "reason": "No."}
        ),
        "edit and accept": viewer.post(
            f"/admin/fieldsync/reviewitem/{item.pk}/edit-and-accept/", {"title": "Mine"}
        ),
        "export bundle": viewer.post(
            f"{BUNDLES}/export/", {"device": device.pk, "category": item.category_key}
        ),
        "apply bundle": viewer.post(f"{BUNDLES}/apply/", {}),
        "answers bundle": viewer.post(f"{BUNDLES}/answers/", {"answers": "x"}),
        "grant add": viewer.post(
            "/admin/fieldsync/categorygrant/add/",
            {"user": User.objects.get(username="viewer").pk, "category_key": "1"},
        ),
        "grant change": viewer.post(
            f"/admin/fieldsync/categorygrant/{CategoryGrant.objects.first().pk}/change/",
            {"category_key": "999"},
        ),
        "flag add": viewer.post(
            "/admin/fieldsync/recordflag/add/",
            {"content_type": version.content_type_id, "object_pk": "1", "policy": "direct"},
        ),
        "device change": viewer.post(
            f"/admin/fieldsync/device/{device.pk}/change/", {"revoked_at_0": "2026-01-01"}
        ),
    }
    assert snapshot() == before
    for page, response in refused.items():
        assert response.status_code == 403, (page, response.status_code)


def test_breaking_a_checkout_needs_the_permission_to_change_checkouts(busy_site):
    desk = User.objects.create_user("desk", password="demo-password", is_staff=True)
    desk.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client = Client()
    client.login(username="desk", password="demo-password")
    checkout = Checkout.objects.get()
    post = {"action": "break_selected", "_selected_action": [checkout.pk]}

    client.post("/admin/fieldsync/checkout/", post)
    assert Checkout.objects.get().released_at is None

    desk.user_permissions.add(Permission.objects.get(codename="change_checkout"))
    client.post("/admin/fieldsync/checkout/", post)
    assert Checkout.objects.get().released_by == desk


def test_restoring_a_version_needs_the_right_to_change_that_record(busy_site):
    desk = User.objects.create_user("desk", password="demo-password", is_staff=True)
    desk.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client = Client()
    client.login(username="desk", password="demo-password")
    article = busy_site
    kept = RecordVersion.objects.get(object_pk=str(article.pk))
    post = {"action": "restore_selected", "_selected_action": [kept.pk]}
    desk.user_permissions.add(Permission.objects.get(codename="change_recordversion"))

    response = client.post("/admin/fieldsync/recordversion/", post)

    article.refresh_from_db()
    assert article.title == "Retitled in the field"
    assert any("Can change article" in m for m in said(response)), said(response)

    desk.user_permissions.add(Permission.objects.get(codename="change_article"))
    client.post("/admin/fieldsync/recordversion/", post)
    article.refresh_from_db()
    assert article.title == kept.values["title"]


def test_flagging_a_record_needs_the_permissions_on_record_flags(busy_site):
    desk = User.objects.create_user("desk", password="demo-password", is_staff=True)
    desk.user_permissions.set(
        Permission.objects.filter(codename__in=["view_article", "change_article"])
    )
    client = Client()
    client.login(username="desk", password="demo-password")
    article = busy_site
    post = {"action": "fieldsync_flag_direct", "_selected_action": [article.pk]}

    client.post("/admin/news/article/", post)
    assert not RecordFlag.objects.filter(object_pk=str(article.pk)).exists()

    desk.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_recordflag", "change_recordflag"])
    )
    client.post("/admin/news/article/", post)
    assert RecordFlag.objects.get(object_pk=str(article.pk)).policy == RecordFlag.DIRECT
