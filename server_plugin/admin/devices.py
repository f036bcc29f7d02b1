"""Admin pages for the plugin's tables: revoke devices, break checkouts,
grant categories, and look (read-only) at the side table and receipts."""

from django.contrib import admin, messages

from ..access import revoke_devices
from ..checkouts import break_checkout
from ..models import CategoryGrant, ChangeReceipt, Checkout, Device, TrackedRow
from .bundles import BundleAdminMixin
from .permissions import ActionPermissionsMixin


class ReadOnlyAdmin(ActionPermissionsMixin, admin.ModelAdmin):
    """Rows written by sync only: changing them by hand would break the promises."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Device)
class DeviceAdmin(BundleAdminMixin, ActionPermissionsMixin, admin.ModelAdmin):
    list_display = ["name", "user", "created_at", "last_seen_at", "expires", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "user__username"]
    # Revoking is the action (it releases the device's checkouts too), not a form field.
    readonly_fields = ["user", "name", "created_at", "last_seen_at", "expires", "revoked_at"]
    exclude = ["token_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # devices are made by logging in from the client

    @admin.display(description="login expires")
    def expires(self, device: Device):
        """TOKEN_IDLE_SECONDS after its last use, at most TOKEN_MAX_AGE_SECONDS after login."""
        return device.expires_at

    @admin.action(
        description="Revoke selected devices (their tokens stop working, their checkouts end)",
        permissions=["change"],
    )
    def revoke(self, request, queryset):
        count, released = revoke_devices(queryset, request.user)
        self.message_user(
            request,
            f"Revoked {count} device(s); released {released} checkout(s).",
            messages.SUCCESS,
        )


class ActiveFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "active"), ("ended", "released or expired")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.active()
        if self.value() == "ended":
            return queryset.exclude(pk__in=queryset.active().values("pk"))
        return queryset


@admin.register(Checkout)
class CheckoutAdmin(ReadOnlyAdmin):
    list_display = [
        "category_key",
        "user",
        "device",
        "mode",
        "taken_at",
        "expires_at",
        "released_at",
        "released_by",
    ]
    list_filter = [ActiveFilter, "mode"]
    search_fields = ["category_key", "user__username", "device__name"]
    actions = ["break_selected"]
    action_permissions = {"break": "fieldsync.change_checkout"}

    def has_break_permission(self, request) -> bool:
        return self.has_permission_named(request, "break")

    @admin.action(
        description="Break selected checkouts (the category becomes free)", permissions=["break"]
    )
    def break_selected(self, request, queryset):
        active = list(queryset.active())
        for checkout in active:
            break_checkout(checkout, request.user)
        self.message_user(request, f"Broke {len(active)} checkout(s).", messages.SUCCESS)


@admin.register(CategoryGrant)
class CategoryGrantAdmin(ActionPermissionsMixin, admin.ModelAdmin):
    list_display = ["category_key", "user", "group"]
    search_fields = ["category_key", "user__username", "group__name"]
    raw_id_fields = ["user"]


@admin.register(TrackedRow)
class TrackedRowAdmin(ReadOnlyAdmin):
    list_display = [
        "content_type",
        "object_pk",
        "category_key",
        "version",
        "deleted",
        "position",
        "changed_at",
        "changed_by",
    ]
    list_filter = ["content_type", "deleted"]
    search_fields = ["object_pk", "category_key"]


@admin.register(ChangeReceipt)
class ChangeReceiptAdmin(ReadOnlyAdmin):
    list_display = ["change_id", "status", "model_label", "object_pk", "device", "received_at"]
    list_filter = ["status", "model_label"]
    search_fields = ["change_id", "object_pk"]
