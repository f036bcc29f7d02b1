"""Admin actions run only with the permission that matches what they change.

Django offers a user only the actions whose ``allowed_permissions`` they hold
(``@admin.action(permissions=[...])``, each checked by the ModelAdmin's
``has_<name>_permission``). What it does not do is say anything when a user
posts an action they were not offered: it drops it without a word. This mixin
answers such a post with a message naming the action and the permission it
needs, and changes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import model_format_dict
from django.contrib.auth import get_permission_codename
from django.contrib.auth.models import Permission
from django.http import HttpResponseRedirect

DJANGO_PERMISSIONS = ("view", "add", "change", "delete")


def permission_name(perm: str) -> str:
    """The permission "app.codename" as the admin names it ("Can change device")."""
    app_label, _, codename = perm.partition(".")
    found = Permission.objects.filter(
        content_type__app_label=app_label, codename=codename
    ).values_list("name", flat=True)
    return next(iter(found), perm)


def posted_action(request) -> str | None:
    """The name of the action a change-list POST asks for (the button pushed), if any."""
    if request.method != "POST" or helpers.ACTION_CHECKBOX_NAME not in request.POST:
        return None
    names = request.POST.getlist("action")
    try:
        index = int(request.POST.get("index", 0))
    except ValueError:
        index = 0
    return names[index] if 0 <= index < len(names) else None


def action_parts(action) -> tuple:
    """(func, name, description) of an admin action: Django 6.1 gives `Action`
    objects (indexing them is deprecated), 5.2 and our own actions give tuples."""
    if isinstance(action, tuple):
        return action[:3]
    return action.func, action.name, action.description


class ActionPermissionsMixin:
    """For ModelAdmins: a refused action says why instead of vanishing.

    `action_permissions` names the Django permission ("app.codename") behind
    each custom ``has_<name>_permission`` of the admin, for the message.
    """

    action_permissions: dict[str, str] = {}

    def has_permission_named(self, request, name: str) -> bool:
        """A custom action permission of `action_permissions`."""
        return request.user.is_active and request.user.has_perm(self.action_permissions[name])

    def all_actions(self) -> dict[str, tuple]:
        """Every action of this admin, before the user's permissions filter them."""
        found = [self.get_action(action) for action in self.actions or ()]
        found += [self.get_action(name) for name, _func in self.admin_site.actions]
        return {action_parts(action)[1]: action for action in found if action}

    def needed_for(self, permission: str) -> str:
        """What one of an action's `allowed_permissions` stands for, in words."""
        if permission in DJANGO_PERMISSIONS:
            opts = self.model._meta
            return permission_name(f"{opts.app_label}.{get_permission_codename(permission, opts)}")
        return permission_name(self.action_permissions.get(permission, permission))

    def refusal(self, request) -> str | None:
        """Why the posted action is not the user's to run, or None."""
        name = posted_action(request)
        action = self.all_actions().get(name) if name else None
        if action is None or name in self.get_actions(request):
            return None
        func, _name, description = action_parts(action)
        allowed = getattr(func, "allowed_permissions", ())
        if not allowed:
            return None  # withheld for another reason (a popup): Django's own handling
        needed = " or ".join(f"“{self.needed_for(p)}”" for p in allowed)
        what = description % model_format_dict(self.model._meta)
        return f"Nothing done: “{what}” needs the permission {needed}, which you do not have."

    def changelist_view(self, request, extra_context=None):
        refused = self.refusal(request)
        if refused:
            self.message_user(request, refused, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        return super().changelist_view(request, extra_context)
