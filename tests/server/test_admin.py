"""The central admin: an edit there reaches the editors' feed; devices can be revoked."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.forms import FileField, MultiWidget
from django.test import Client

from server_plugin.models import Device

from .conftest import article_in, pulled


def _admin_client(username="chief") -> Client:
    User.objects.filter(username=username).update(is_superuser=True)
    client = Client()
    assert client.login(username=username, password="demo-password")
    return client


def _change_form_data(response) -> dict:
    """What the browser would send back: the form's current values, inlines included."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        forms += list(formset.forms)
    for form in forms:
        for name, field in form.fields.items():
            if isinstance(field, FileField):
                continue  # an untouched file input sends nothing
            value = field.prepare_value(form[name].value())  # JSON as text, objects as keys
            if value is None or value is False:
                continue
            key = form.add_prefix(name)
            if isinstance(field.widget, MultiWidget):  # a date and a time, each its own input
                for index, part in enumerate(field.widget.decompress(value)):
                    data[f"{key}_{index}"] = "" if part is None else str(part)
            elif isinstance(value, (list, tuple)):
                data[key] = [str(v) for v in value]
            else:
                data[key] = value
    return data


def test_edit_in_the_admin_change_form_shows_up_in_the_feed_with_a_new_version(editor1, newsroom):
    article = article_in(newsroom)
    before = pulled(editor1, newsroom, article.pk)
    admin = _admin_client()
    url = f"/admin/news/article/{article.pk}/change/"
    data = _change_form_data(admin.get(url))
    data["title"] = "Edited by the chief in the admin"

    response = admin.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    _, feed = editor1.changes(newsroom, since=0)
    after = next(c for c in feed["changes"] if c["pk"] == str(article.pk))
    assert after["fields"]["title"] == "Edited by the chief in the admin"
    assert after["version"] == before["version"] + 1


def test_staff_revoke_a_device_in_the_admin_and_its_token_stops_working(editor1, newsroom):
    admin = _admin_client()
    device = Device.objects.get(name="editor1-laptop")

    response = admin.post(
        "/admin/fieldsync/device/", {"action": "revoke", "_selected_action": [device.pk]}
    )

    assert response.status_code == 302
    status, body = editor1.get("categories")
    assert status == 401 and body["error"] == "device_revoked"


def test_admin_pages_of_the_plugin_open(editor1, newsroom):
    editor1.checkout(newsroom)
    admin = _admin_client()
    for page in ("device", "checkout", "trackedrow", "categorygrant", "changereceipt"):
        assert admin.get(f"/admin/fieldsync/{page}/").status_code == 200, page


def test_values_typed_in_the_admin_reach_the_feed_equal_by_value(museum, museum_editor, root):
    """The museum: the admin's own widgets (a date and a time apart, JSON as text, a
    decimal, a duration) write values every editor then pulls in their wire form."""
    from tests.museum_site.models import Artefact

    from .museum import feed_changes, latest

    bowl = Artefact.objects.get(title="Glazed bowl")
    admin = _admin_client()
    url = f"/admin/museum/artefact/{bowl.pk}/change/"
    data = _change_form_data(admin.get(url))
    data.update(
        {
            "weight_kg": "12.5",
            "recorded_at_0": "2026-11-25",
            "recorded_at_1": "10:42:00.000250",
            "exposure": "1 02:03:04.000005",
            "attributes": '{"glaze": "blue", "marks": [1, 2.5, null]}',
            "on_display": "true",
            "scanner_ip": "2001:db8::2",
        }
    )

    response = admin.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    pulled_bowl = latest(feed_changes(root, museum), "museum.artefact", bowl.pk)["fields"]
    assert pulled_bowl["weight_kg"] == "12.500"
    assert pulled_bowl["recorded_at"] == "2026-11-25T10:42:00.000250+00:00"  # the site's UTC
    assert pulled_bowl["exposure"] == "P1DT02H03M04.000005S"
    assert pulled_bowl["attributes"] == {"glaze": "blue", "marks": [1, 2.5, None]}
    assert pulled_bowl["on_display"] is True and pulled_bowl["scanner_ip"] == "2001:db8::2"
    assert pulled_bowl["materials"] == ["ceramic", "pigment"], "the rest of the form kept"


def _sent_version(response) -> str:
    """The hidden version the change form's HTML carries back on save."""
    import re

    found = re.search(rb'name="_fieldsync_version" value="(\d+)"', response.content)
    assert found, "the change form carries no version"
    return found.group(1).decode()


def test_a_change_synced_while_the_form_is_open_is_not_overwritten_by_its_save(
    editor1, newsroom
):
    """The load run: an editor's edit synced between the chief's GET of the change form
    and the POST was replaced by the form's old values, with no conflict and nothing
    kept. The save is refused naming the newer version; the form opened again saves."""
    from server_plugin.demo.news.models import Article

    article = article_in(newsroom)
    admin = _admin_client()
    url = f"/admin/news/article/{article.pk}/change/"
    opened = admin.get(url)
    data = {**_change_form_data(opened), "_fieldsync_version": _sent_version(opened)}
    fresh = Article.objects.get(pk=article.pk)
    fresh.body = "Synced by the field editor meanwhile."
    fresh.save()  # a tracked write: a new version, as a push makes
    data["title"] = "The chief's title"

    refused = admin.post(url, data)

    assert refused.status_code == 200
    said = " ".join(refused.context["adminform"].form.non_field_errors())
    assert "changed since you opened it" in said and "reload" in said, said
    kept = Article.objects.get(pk=article.pk)
    assert kept.body == "Synced by the field editor meanwhile." and kept.title == article.title
    assert _sent_version(refused) == data["_fieldsync_version"], "saving again is refused too"

    reopened = admin.get(url)
    data = {**_change_form_data(reopened), "_fieldsync_version": _sent_version(reopened)}
    data["title"] = "The chief's title"
    assert admin.post(url, data).status_code == 302
    saved = Article.objects.get(pk=article.pk)
    assert saved.title == "The chief's title"
    assert saved.body == "Synced by the field editor meanwhile."
