"""The record-flag actions that `SyncHistoryMixin` adds to a host's admin, on
every Django the plugin supports: Django 6.1 asks for actions once per place
they are shown and deprecates an override that cannot say which place."""

from __future__ import annotations

import warnings

from django.contrib.contenttypes.models import ContentType

from server_plugin.models import RecordFlag

from .conftest import article_in
from .test_admin import _admin_client

FLAG_ACTIONS = {"fieldsync_flag_direct", "fieldsync_flag_review", "fieldsync_unflag"}


def test_flag_actions_send_a_records_offline_updates_to_review_without_deprecated_django_api(
    newsroom,
):
    article = article_in(newsroom)
    admin = _admin_client()

    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        warnings.simplefilter("error", PendingDeprecationWarning)
        change_list = admin.get("/admin/news/article/")
        change_form = admin.get(f"/admin/news/article/{article.pk}/change/")
        response = admin.post(
            "/admin/news/article/",
            {"action": "fieldsync_flag_review", "_selected_action": [article.pk]},
        )

    offered = {name for name, _ in change_list.context["action_form"].fields["action"].choices}
    assert FLAG_ACTIONS <= offered
    assert change_form.status_code == 200
    assert response.status_code == 302
    flag = RecordFlag.objects.get(
        content_type=ContentType.objects.get_for_model(article), object_pk=str(article.pk)
    )
    assert flag.policy == RecordFlag.REVIEW
