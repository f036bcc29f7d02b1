"""Seed the flat-pages test site: two sites, a handful of pages on each (some
on both), the users chief, editor1 and editor2 (password ``demo-password``)
with the flat-page permissions and a grant on each site."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.contrib.flatpages.models import FlatPage
from django.contrib.sites.models import Site
from django.core.management.base import BaseCommand
from django.db import transaction

from server_plugin.models import CategoryGrant
from server_plugin.tracking import collect_writes

DEMO_PASSWORD = "demo-password"
# Site orders by domain: "harbour" (key 2) lists before "north" (key 1), so a
# page's sites travel in another order than their keys (the category is the lowest key).
NORTH, HARBOUR = "north.example.org", "harbour.example.org"
# (url, title, which sites)
PAGES = [
    ("/about/", "About us", (NORTH,)),
    ("/contact/", "Contact", (NORTH,)),
    ("/opening-hours/", "Opening hours", (NORTH,)),
    ("/privacy/", "Privacy", (NORTH, HARBOUR)),
    ("/terms/", "Terms of use", (NORTH, HARBOUR)),
    ("/harbour/history/", "Our history", (HARBOUR,)),
    ("/harbour/quay/", "The quay", (HARBOUR,)),
    ("/harbour/events/", "Events", (HARBOUR,)),
]
EDITOR_PERMISSIONS = [
    ("flatpages", "view_flatpage"),
    ("flatpages", "add_flatpage"),
    ("flatpages", "change_flatpage"),
    ("flatpages", "delete_flatpage"),
    ("sites", "view_site"),
]


class Command(BaseCommand):
    help = "Seed the flat-pages test site (does nothing if it already has pages)."

    def handle(self, *args, **options):
        if FlatPage.objects.exists():
            self.stdout.write("The flat-pages site already has pages; nothing seeded.")
            return
        with transaction.atomic(), collect_writes():
            # The migration made example.com as SITE_ID; it becomes the first site.
            north, _ = Site.objects.update_or_create(
                pk=settings.SITE_ID, defaults={"domain": NORTH, "name": "North"}
            )
            harbour, _ = Site.objects.get_or_create(domain=HARBOUR, defaults={"name": "Harbour"})
            sites = {NORTH: north, HARBOUR: harbour}
            for url, title, on in PAGES:
                page = FlatPage.objects.create(
                    url=url, title=title, content=f"<p>{title}: the first version.</p>"
                )
                page.sites.set([sites[domain] for domain in on])
            self._users([north, harbour])
        self.stdout.write(f"Seeded 2 sites and {len(PAGES)} flat pages.")

    def _users(self, sites) -> None:
        permissions = [
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in EDITOR_PERMISSIONS
        ]
        chief, _ = User.objects.get_or_create(username="chief")
        chief.set_password(DEMO_PASSWORD)
        chief.is_staff = True
        chief.save()
        chief.user_permissions.set(
            [
                *permissions,
                *Permission.objects.filter(content_type__app_label="fieldsync"),
            ]
        )
        users = [chief]
        for name in ("editor1", "editor2"):
            editor, _ = User.objects.get_or_create(username=name)
            editor.set_password(DEMO_PASSWORD)
            editor.save()
            editor.user_permissions.set(permissions)
            users.append(editor)
        for user in users:
            for site in sites:
                CategoryGrant.objects.get_or_create(user=user, category_key=str(site.pk))
