"""Seed the museum test site: two expeditions with trenches and artefacts whose
values are not trivial (a Decimal with trailing zeros, a datetime with
microseconds, nested JSON with a list and a null, a duration, an IPv6
address, several materials, a painting, notes), reference people and
materials, and the users chief, editor1 and editor2 (password
``demo-password``) with the museum's permissions and a grant on each
expedition."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

from django.contrib.auth.models import Permission, User
from django.core.management.base import BaseCommand
from django.db import transaction

from server_plugin.models import CategoryGrant
from server_plugin.tracking import collect_writes

from ...models import Artefact, Expedition, Material, Note, Painting, Person, Trench

DEMO_PASSWORD = "demo-password"
UTC = datetime.UTC
EXPEDITIONS = ["Delta survey 2026", "Upper valley 2025"]
PEOPLE = [("Ada Okoro", "AO"), ("Bruno Lind", "BL"), ("Chen Wei", "CW")]
MATERIALS = [
    ("bronze", "Bronze"),
    ("ceramic", "Ceramic"),
    ("bone", "Bone"),
    ("pigment", "Pigment"),
    ("wood", "Wood"),
]
EDITED = ["trench", "artefact", "painting", "note"]  # editors view, add, change, delete
READ = ["expedition", "person", "material"]  # editors only view


class Command(BaseCommand):
    help = "Seed the museum test site (does nothing if it already has expeditions)."

    def handle(self, *args, **options):
        if Expedition.objects.exists():
            self.stdout.write("The museum site already has data; nothing seeded.")
            return
        with transaction.atomic(), collect_writes():
            people = {code: Person.objects.create(name=name, code=code) for name, code in PEOPLE}
            materials = {
                code: Material.objects.create(code=code, name=name) for code, name in MATERIALS
            }
            delta, valley = (Expedition.objects.create(name=name) for name in EXPEDITIONS)
            self._delta(delta, people, materials)
            self._valley(valley, people, materials)
            self._users([delta, valley])
        self.stdout.write(
            f"Seeded {Expedition.objects.count()} expeditions, {Artefact.objects.count()} "
            f"artefacts ({Painting.objects.count()} paintings), {Note.objects.count()} notes."
        )

    def _delta(self, expedition, people, materials) -> None:
        north = Trench.objects.create(expedition=expedition, name="North trench",
                                      supervisor=people["AO"])  # fmt: skip
        south = Trench.objects.create(expedition=expedition, name="South trench")
        bowl = Artefact.objects.create(
            trench=north,
            title="Glazed bowl",
            slug="glazed-bowl",
            description="A shallow bowl, glazed inside.\nHairline crack on the rim.",
            weight_kg=Decimal("12.500"),
            length_cm=31.75,
            pieces=3,
            inventory_number=9_007_199_254_740_993,  # beyond a double's exact integers
            fragile=True,
            on_display=None,
            found_on=datetime.date(2026, 3, 14),
            recorded_at=datetime.datetime(2026, 3, 14, 9, 26, 53, 589793, tzinfo=UTC),
            opens_at=datetime.time(9, 30, 15, 250000),
            exposure=datetime.timedelta(days=2, hours=3, minutes=4, seconds=5, microseconds=6),
            reference=uuid.UUID("6f1c2a4e-8b3d-4f7a-9c21-0d5e6b7a8c90"),
            attributes={"glaze": "green", "marks": ["x", 2, None], "kiln": {"temp_c": 1180.5}},
            contact_email="finds@museum.example.org",
            source_url="https://museum.example.org/finds/glazed-bowl",
            scanner_ip="2001:db8::8a2e:370:7334",
            condition=Artefact.FAIR,
            finder=people["AO"],
            recorded_by=people["BL"],
        )
        bowl.materials.set([materials["ceramic"], materials["pigment"]])
        lid = Artefact.objects.create(
            trench=north, title="Bowl lid", parent=bowl, weight_kg=Decimal("0.750"),
            finder=people["AO"], recorded_by=people["AO"], scanner_ip="192.0.2.17",
        )  # fmt: skip
        lid.materials.set([materials["ceramic"]])
        pin = Artefact.objects.create(
            trench=south, title="Bronze pin", pieces=1, length_cm=7.2,
            weight_kg=Decimal("0.012"), found_on=datetime.date(2026, 3, 20),
            attributes=[], finder=people["CW"], recorded_by=people["CW"],
        )  # fmt: skip
        pin.materials.set([materials["bronze"]])
        painting = Painting.objects.create(
            trench=south,
            title="Harbour at dusk",
            artist="Unknown, delta school",
            medium="tempera",
            weight_kg=Decimal("4.200"),
            found_on=datetime.date(2026, 4, 2),
            attributes={"frame": None, "layers": [{"pigment": "ochre"}, {"pigment": "lead"}]},
            condition=Artefact.GOOD,
            finder=people["BL"],
            recorded_by=people["AO"],
        )
        painting.materials.set([materials["wood"], materials["pigment"]])
        Note.objects.create(artefact=bowl, text="Photographed in situ.", author=people["AO"])
        Note.objects.create(artefact=bowl, text="Crack measured: 4 cm.", author=people["BL"])
        Note.objects.create(artefact=painting, text="Varnish lifting at the corner.")

    def _valley(self, expedition, people, materials) -> None:
        ridge = Trench.objects.create(expedition=expedition, name="Ridge trench",
                                      supervisor=people["CW"])  # fmt: skip
        comb = Artefact.objects.create(
            trench=ridge, title="Bone comb", weight_kg=Decimal("0.045"), pieces=2,
            found_on=datetime.date(2025, 8, 9), condition=Artefact.DAMAGED,
            finder=people["CW"], recorded_by=people["CW"],
            attributes={"teeth": 14, "decorated": True},
        )  # fmt: skip
        comb.materials.set([materials["bone"]])
        Note.objects.create(artefact=comb, text="Two teeth missing.", author=people["CW"])
        Artefact.objects.create(trench=ridge, title="Flint scraper", pieces=1)

    def _users(self, expeditions) -> None:
        def permissions(models, actions):
            codenames = [f"{action}_{model}" for model in models for action in actions]
            return list(
                Permission.objects.filter(content_type__app_label="museum", codename__in=codenames)
            )

        editing = permissions(EDITED, ["view", "add", "change", "delete"])
        reading = permissions(READ, ["view"])
        chief, _ = User.objects.get_or_create(username="chief")
        chief.set_password(DEMO_PASSWORD)
        chief.is_staff = True
        chief.save()
        chief.user_permissions.set(
            Permission.objects.filter(content_type__app_label__in=["museum", "fieldsync"])
        )
        users = [chief]
        for name in ("editor1", "editor2"):
            editor, _ = User.objects.get_or_create(username=name)
            editor.set_password(DEMO_PASSWORD)
            editor.save()
            editor.user_permissions.set([*editing, *reading])
            users.append(editor)
        for user in users:
            for expedition in expeditions:
                CategoryGrant.objects.get_or_create(user=user, category_key=str(expedition.pk))
