"""Record history in the admin: every kept version, a diff between any two,
and "restore this version" (which goes through normal tracking, so the
restore is itself a new version every editor receives)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import path

from .. import history
from ..diff_html import diff_html, plain_html
from ..models import RecordFlag, RecordVersion
from ..registry import get_registry
from .permissions import ActionPermissionsMixin, permission_name


def model_permission(model, action: str) -> str:
    """The Django permission to `action` ("add", "change"...) rows of `model`."""
    return f"{model._meta.app_label}.{get_permission_codename(action, model._meta)}"


def restore_refusal(user, kept: RecordVersion) -> str | None:
    """Why `user` may not restore this version, or None: restoring writes the
    record, so it needs the right to change it (to add it, if it is gone)."""
    model = kept.content_type.model_class()
    if model is None:
        return None  # history.restore says the model is gone
    exists = model._default_manager.filter(pk=kept.object_pk).exists()
    perm = model_permission(model, "change" if exists else "add")
    if user.has_perm(perm):
        return None
    return f"Not restored: this needs the permission “{permission_name(perm)}”."


def compare_rows(older: RecordVersion, newer_values: dict, synced) -> list[dict]:
    from .file_links import file_html, is_file, same_file

    rows = []
    for field in synced.fields:
        old, new = older.values.get(field.name), newer_values.get(field.name)
        if is_file(field):  # a link to each file (a thumbnail for an image), by content
            shown = {"old": file_html(field, old), "new": file_html(field, new),
                     "changed": not same_file(old, new)}  # fmt: skip
        else:
            shown = {"old": plain_html(old), "new": diff_html(old, new), "changed": old != new}
        rows.append({"label": str(field.verbose_name).capitalize(), **shown})
    return rows


@admin.register(RecordVersion)
class RecordVersionAdmin(ActionPermissionsMixin, admin.ModelAdmin):
    list_display = ["record", "version", "changed_by", "device", "changed_at", "note"]
    list_filter = ["content_type"]
    search_fields = ["object_pk", "note", "changed_by__username"]
    actions = ["compare_selected", "restore_selected"]
    readonly_fields = [
        "content_type", "object_pk", "version", "values", "changed_by", "device", "changed_at",
        "kept_at", "note",
    ]  # fmt: skip

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        from .file_links import file_content

        own = [
            path(
                "file/<str:sha256>/",
                self.admin_site.admin_view(file_content),
                name="fieldsync_file",
            )
        ]
        return own + super().get_urls()

    def has_restore_permission(self, request) -> bool:
        """Offered to who may change some synced model; each restore checks its own."""
        user = request.user
        return user.is_active and any(
            user.has_perm(model_permission(synced.model, "change"))
            for synced in get_registry().models.values()
        )

    def needed_for(self, permission: str) -> str:
        if permission == "restore":  # to change the record restored: one of the synced models
            return "” or “".join(
                permission_name(model_permission(synced.model, "change"))
                for synced in get_registry().models.values()
            )
        return super().needed_for(permission)

    @admin.display(description="record")
    def record(self, kept: RecordVersion) -> str:
        return f"{kept.content_type.model} {kept.object_pk}"

    @admin.action(
        description="Compare the selected version(s) (two, or one with the current)",
        permissions=["view"],
    )
    def compare_selected(self, request, queryset):
        chosen = list(queryset.order_by("version", "kept_at")[:3])
        if (
            not 1 <= len(chosen) <= 2
            or len({(k.content_type_id, k.object_pk) for k in chosen}) != 1
        ):
            self.message_user(
                request, "Select one or two versions of the same record.", messages.WARNING
            )
            return None
        older = chosen[0]
        synced = get_registry().for_model(older.content_type.model_class())
        if len(chosen) == 2:
            newer_label, newer_values = f"version {chosen[1].version}", chosen[1].values
        else:
            instance = synced.model._default_manager.filter(pk=older.object_pk).first()
            newer_label = "current"
            newer_values = synced.values_of(instance) if instance else {}
        return TemplateResponse(
            request,
            "fieldsync/history_compare.html",
            {
                **self.admin_site.each_context(request),
                "title": f"{older.content_type.model} {older.object_pk}: "
                f"version {older.version} → {newer_label}",
                "older": older,
                "newer_label": newer_label,
                "rows": compare_rows(older, newer_values, synced),
                "opts": self.model._meta,
            },
        )

    @admin.action(description="Restore the selected version", permissions=["restore"])
    def restore_selected(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to restore.", messages.WARNING)
            return
        kept = queryset.get()
        refused = restore_refusal(request.user, kept)
        if refused:
            self.message_user(request, refused, messages.ERROR)
            return
        try:
            history.restore(kept, request.user)
        except (ValidationError, history.RestoreError) as error:
            self.message_user(request, f"Not restored: {error}", messages.ERROR)
            return
        self.message_user(
            request, f"Restored version {kept.version}; editors receive it on their next sync.",
            messages.SUCCESS,
        )  # fmt: skip


@admin.register(RecordFlag)
class RecordFlagAdmin(ActionPermissionsMixin, admin.ModelAdmin):
    list_display = ["content_type", "object_pk", "policy", "note"]
    list_filter = ["policy", "content_type"]
    search_fields = ["object_pk", "note"]
