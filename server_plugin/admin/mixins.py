"""For the host site's ModelAdmins: the record's sync history and policy flag,
next to the record. ``class ArticleAdmin(SyncHistoryMixin, admin.ModelAdmin)``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from ..models import RecordFlag, RecordVersion
from .permissions import ActionPermissionsMixin, action_parts, permission_name
from .stale_edits import VERSION_FIELD, guarded, version_of

# Flagging a record adds or changes its RecordFlag; following the model's policy
# again deletes it. `direct` lifts a record's review: only who may edit flags may.
FLAG_PERMISSIONS = ("fieldsync.add_recordflag", "fieldsync.change_recordflag")
UNFLAG_PERMISSION = "fieldsync.delete_recordflag"


class SyncHistoryMixin(ActionPermissionsMixin):
    change_form_template = "fieldsync/change_form_with_history.html"
    action_permissions = {"unflag": UNFLAG_PERMISSION}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        content_type = ContentType.objects.get_for_model(self.model)
        history_url = reverse("admin:fieldsync_recordversion_changelist")
        extra = {
            "fieldsync_history_url": f"{history_url}?content_type__id__exact={content_type.pk}"
            f"&q={object_id}",
            "fieldsync_versions": RecordVersion.objects.filter(
                content_type=content_type, object_pk=str(object_id)
            ).count(),
            "fieldsync_flag": RecordFlag.objects.filter(
                content_type=content_type, object_pk=str(object_id)
            ).first(),
            # The version the form was opened at; a refused save keeps it, so saving
            # the same stale values again is refused too (stale_edits.py).
            "fieldsync_version": request.POST.get(VERSION_FIELD)
            if request.method == "POST"
            else version_of(self.model, object_id),
        }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None or request.method != "POST":
            return form
        return guarded(form, self.model, request.POST.get(VERSION_FIELD))

    def get_actions(self, request, action_location=None):
        # Django 6.1 asks once per place actions are shown (the change list or
        # a change form) and deprecates an override without `action_location`;
        # 5.2 asks only for the change list, without it. The flags are bulk
        # actions of the change list.
        if action_location is None:
            actions = super().get_actions(request)
        else:
            actions = super().get_actions(request, action_location=action_location)
            if action_location.name != "CHANGE_LIST":
                return actions
        for name, action in self._flag_actions().items():
            permission = action_parts(action)[0].allowed_permissions[0]
            if getattr(self, f"has_{permission}_permission")(request):
                actions[name] = action
        return actions

    def all_actions(self) -> dict[str, tuple]:
        return {**super().all_actions(), **self._flag_actions()}

    def _flag_actions(self) -> dict[str, tuple]:
        actions = {}
        for name, policy, text in (
            ("fieldsync_flag_direct", RecordFlag.DIRECT, "Take offline updates directly"),
            ("fieldsync_flag_review", RecordFlag.REVIEW, "Send offline updates to review"),
        ):
            actions[name] = (self._flagger(policy), name, text)
        actions["fieldsync_unflag"] = (
            _unflag, "fieldsync_unflag", "Follow the model's policy again",
        )  # fmt: skip
        return actions

    def has_flag_permission(self, request) -> bool:
        return request.user.is_active and request.user.has_perms(FLAG_PERMISSIONS)

    def has_unflag_permission(self, request) -> bool:
        return self.has_permission_named(request, "unflag")

    def needed_for(self, permission: str) -> str:
        if permission == "flag":
            return "” and “".join(permission_name(perm) for perm in FLAG_PERMISSIONS)
        return super().needed_for(permission)

    @staticmethod
    def _flagger(policy):
        def flag(modeladmin, request, queryset):
            content_type = ContentType.objects.get_for_model(queryset.model)
            for pk in queryset.values_list("pk", flat=True):
                RecordFlag.objects.update_or_create(
                    content_type=content_type, object_pk=str(pk), defaults={"policy": policy}
                )
            modeladmin.message_user(
                request, f"Flagged {queryset.count()} record(s).", messages.SUCCESS
            )

        flag.allowed_permissions = ("flag",)
        return flag


def _unflag(modeladmin, request, queryset):
    content_type = ContentType.objects.get_for_model(queryset.model)
    pks = [str(pk) for pk in queryset.values_list("pk", flat=True)]
    RecordFlag.objects.filter(content_type=content_type, object_pk__in=pks).delete()
    modeladmin.message_user(request, "Flags removed.", messages.SUCCESS)


_unflag.allowed_permissions = ("unflag",)
