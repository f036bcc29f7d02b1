"""The review queue: offline updates waiting for a chief editor.

The list shows model, record, editor, device and age; the page of one
update shows base / submitted / current side by side per field, with the
differences highlighted; the chief accepts, rejects with a reason, or edits
and accepts. Only users with the `fieldsync.review_changes` permission see it.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.forms import modelform_factory
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.timesince import timesince

from .. import review
from ..diff_html import diff_html, plain_html
from ..models import ReviewItem
from ..protocol import wire
from ..registry import get_registry
from .file_links import file_html, is_file, same_file
from .permissions import ActionPermissionsMixin

REVIEW_PERMISSION = "fieldsync.review_changes"


class RejectForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="The editor sees this reason."
    )


def _record_title(item: ReviewItem) -> str:
    synced = get_registry().for_model(item.content_type.model_class())
    if synced is None:
        return item.object_pk
    instance = synced.model._default_manager.filter(pk=item.object_pk).first()
    if instance is not None:
        return str(instance)
    if synced.display_field and item.values.get(synced.display_field):
        return f"(new) {item.values[synced.display_field]}"
    return item.object_pk


def _shown(field, value):
    """Names instead of keys for relations, so the chief reads "Politics", not 1."""
    if not field.is_relation or value in (None, []):
        return value
    keys = value if isinstance(value, list) else [value]
    names = {
        str(obj.pk): str(obj) for obj in field.related_model._default_manager.filter(pk__in=keys)
    }
    shown = [names.get(str(key), str(key)) for key in keys]
    return shown if isinstance(value, list) else shown[0]


def field_rows(item: ReviewItem) -> list[dict]:
    """Per field: base, submitted (against base), current (against base)."""
    synced = get_registry().for_model(item.content_type.model_class())
    current = review.current_values(item) or {}
    rows = []
    for field in synced.fields:
        name = field.name
        if is_file(field):
            rows.append(_file_row(field, item, current))
            continue
        base = _shown(field, item.base_values.get(name, current.get(name)))
        submitted = _shown(
            field, item.values.get(name, item.base_values.get(name, current.get(name)))
        )
        now = _shown(field, current.get(name)) if current else None
        rows.append(
            {
                "label": str(field.verbose_name).capitalize(),
                "base": plain_html(base),
                "submitted": diff_html(base, submitted)
                if name in item.values
                else plain_html(submitted),
                "current": diff_html(base, now) if current else plain_html(None),
                "edited": name in item.values and item.values[name] != item.base_values.get(name),
                "moved": bool(current) and now != base,
            }
        )
    return rows


def _file_row(field, item: ReviewItem, current: dict) -> dict:
    """A file field: a link to each side's file (a thumbnail for an image), by content."""
    name = field.name
    base = item.base_values.get(name, current.get(name))
    submitted = item.values.get(name, base)
    return {
        "label": str(field.verbose_name).capitalize(),
        "base": file_html(field, base),
        "submitted": file_html(field, submitted),
        "current": file_html(field, current.get(name)) if current else plain_html(None),
        "edited": name in item.values and not same_file(submitted, base),
        "moved": bool(current) and not same_file(current.get(name), base),
    }


@admin.register(ReviewItem)
class ReviewItemAdmin(ActionPermissionsMixin, admin.ModelAdmin):
    list_display = ["record", "model_name", "op", "editor", "device", "age", "status"]
    list_filter = ["status", "content_type", "op"]
    search_fields = ["object_pk", "editor__username", "device__name"]
    actions = ["accept_selected", "reject_selected"]

    # -- permissions: the review permission, nothing else ------------------------

    def _may_review(self, request) -> bool:
        return request.user.is_active and request.user.has_perm(REVIEW_PERMISSION)

    def has_module_permission(self, request):
        return self._may_review(request)

    def has_view_permission(self, request, obj=None):
        return self._may_review(request)

    def has_change_permission(self, request, obj=None):
        return self._may_review(request)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # -- the list ------------------------------------------------------------------

    @admin.display(description="record")
    def record(self, item: ReviewItem) -> str:
        return _record_title(item)

    @admin.display(description="model")
    def model_name(self, item: ReviewItem) -> str:
        return item.content_type.model

    @admin.display(description="age", ordering="submitted_at")
    def age(self, item: ReviewItem) -> str:
        return timesince(item.submitted_at, timezone.now())

    @admin.action(description="Accept the selected updates", permissions=["change"])
    def accept_selected(self, request, queryset):
        done, failed = 0, []
        for item in queryset.filter(status=ReviewItem.PENDING):
            try:
                review.accept(item, request.user)
                done += 1
            except review.ReviewError as error:
                failed.append(f"{_record_title(item)}: {error}")
        self.message_user(request, f"Accepted {done} update(s).", messages.SUCCESS)
        for failure in failed:
            self.message_user(request, failure, messages.ERROR)

    @admin.action(description="Reject the selected updates…", permissions=["change"])
    def reject_selected(self, request, queryset):
        pending = queryset.filter(status=ReviewItem.PENDING)
        form = RejectForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            for item in pending:
                review.reject(item, request.user, form.cleaned_data["reason"])
            self.message_user(request, f"Rejected {pending.count()} update(s).", messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "fieldsync/review_reject.html",
            {
                **self.admin_site.each_context(request),
                "title": "Reject updates",
                "items": [(item, _record_title(item)) for item in pending],
                "form": form,
                "opts": self.model._meta,
                "action": "reject_selected",
            },
        )

    # -- one update ------------------------------------------------------------------

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/edit-and-accept/",
                self.admin_site.admin_view(self.edit_and_accept_view),
                name="fieldsync_reviewitem_edit",
            )
        ]
        return own + super().get_urls()

    def _require_review(self, request) -> None:
        if not self._may_review(request):
            raise PermissionDenied(
                "Reviewing offline updates needs the permission “Can review offline updates”."
            )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._require_review(request)
        item = get_object_or_404(ReviewItem, pk=object_id)
        reject_form = RejectForm()
        if request.method == "POST" and item.status == ReviewItem.PENDING:
            if "accept" in request.POST:
                try:
                    review.accept(item, request.user)
                    self.message_user(request, "Accepted and applied.", messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:fieldsync_reviewitem_changelist"))
                except review.ReviewError as error:
                    self.message_user(request, f"Not applied: {error}", messages.ERROR)
            elif "reject" in request.POST:
                reject_form = RejectForm(request.POST)
                if reject_form.is_valid():
                    review.reject(item, request.user, reject_form.cleaned_data["reason"])
                    self.message_user(
                        request, "Rejected; the editor will see why.", messages.SUCCESS
                    )
                    return HttpResponseRedirect(reverse("admin:fieldsync_reviewitem_changelist"))
        return TemplateResponse(
            request,
            "fieldsync/review_item.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Review: {_record_title(item)}",
                "item": item,
                "record_title": _record_title(item),
                "rows": field_rows(item),
                "reject_form": reject_form,
                "opts": self.model._meta,
                "deleted_on_server": item.op != wire.CREATE and review.current_values(item) is None,
            },
        )

    def edit_and_accept_view(self, request, object_id):
        self._require_review(request)
        item = get_object_or_404(ReviewItem, pk=object_id, status=ReviewItem.PENDING)
        synced = get_registry().for_model(item.content_type.model_class())
        # Files are not edited here: the submitted file (or the record's) is kept.
        names = [f.name for f in synced.fields if getattr(f, "editable", True) and not is_file(f)]
        kept_files = {f.name: item.values[f.name] for f in synced.fields
                      if is_file(f) and f.name in item.values}  # fmt: skip
        form_class = modelform_factory(synced.model, fields=names)
        instance = synced.model._default_manager.filter(pk=item.object_pk).first()
        if request.method == "POST":
            form = form_class(request.POST, instance=instance)
            if form.is_valid():
                try:
                    review.accept(item, request.user, {**_wire_values(form, names), **kept_files})
                    self.message_user(request, "Edited, accepted and applied.", messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:fieldsync_reviewitem_changelist"))
                except review.ReviewError as error:
                    self.message_user(request, f"Not applied: {error}", messages.ERROR)
        else:
            form = form_class(instance=instance, initial=review.proposed_merge(item))
        return TemplateResponse(
            request,
            "fieldsync/review_edit.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Edit and accept: {_record_title(item)}",
                "item": item,
                "form": form,
                "opts": self.model._meta,
            },
        )


def _wire_values(form, names: list[str]) -> dict:
    """A valid form's values as the wire carries them (keys for relations)."""
    values = {}
    for name in names:
        value = form.cleaned_data.get(name)
        field = form._meta.model._meta.get_field(name)
        if field.many_to_many:
            value = [obj.pk for obj in value] if value is not None else []
        elif field.is_relation:
            value = value.pk if value is not None else None
        values[name] = value
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))
