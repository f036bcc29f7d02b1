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
