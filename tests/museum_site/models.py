"""The museum's models: an ordinary Django app that knows nothing of fieldsync.

Expeditions are the categories. An artefact finds its expedition through its
trench (a two-hop path); a note through its artefact and trench (three hops).
Deleting an expedition cascades to its trenches, their artefacts and their
notes; deleting a person or a parent artefact sets the references to it to
null (or to a default, or to the "unknown" person).

``MUSEUM_MIGRATED`` (tests/museum_site/settings_migrated.py) is the same site
after a deployed migration (migrations_migrated/0002): ``length_cm`` renamed
``length``, ``exposure`` removed, ``provenance`` and ``accession_year`` added.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

UNKNOWN_PERSON_CODE = "unknown"
MIGRATED = getattr(settings, "MUSEUM_MIGRATED", False)


class Expedition(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    name = models.CharField(max_length=100)
    code = models.CharField(max_length=20, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.name


def unknown_person() -> Person:
    """What a note's author becomes when that person is deleted (``on_delete=SET``)."""
    person, _ = Person.objects.get_or_create(code=UNKNOWN_PERSON_CODE, defaults={"name": "Unknown"})
    return person


class Material(models.Model):
    """Reference data with a natural primary key: the material's code."""

    code = models.CharField(max_length=30, primary_key=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Trench(models.Model):
    expedition = models.ForeignKey(Expedition, on_delete=models.CASCADE, related_name="trenches")
    name = models.CharField(max_length=100)
    supervisor = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        default=None,
        on_delete=models.SET_DEFAULT,
        related_name="supervised_trenches",
    )

    class Meta:
        ordering = ["expedition", "name"]

    def __str__(self) -> str:
        return self.name


class Artefact(models.Model):
    GOOD, FAIR, DAMAGED = "good", "fair", "damaged"
    CONDITION_CHOICES = [(GOOD, "Good"), (FAIR, "Fair"), (DAMAGED, "Damaged")]
    RECORDED, CATALOGUED, NEEDS_CONSERVATION = "recorded", "catalogued", "needs-conservation"
    STATUS_CHOICES = [
        (RECORDED, "Recorded"),
        (CATALOGUED, "Catalogued"),
        (NEEDS_CONSERVATION, "Needs conservation"),
    ]

    trench = models.ForeignKey(Trench, on_delete=models.CASCADE, related_name="artefacts")
    title = models.CharField(max_length=200)
    slug = models.SlugField(blank=True)
    catalogue_code = models.CharField(max_length=40, unique=True, blank=True)
    description = models.TextField(blank=True)
    weight_kg = models.DecimalField(
        max_digits=7, decimal_places=3, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    if MIGRATED:
        length = models.FloatField(null=True, blank=True)
    else:
        length_cm = models.FloatField(null=True, blank=True)
    pieces = models.PositiveSmallIntegerField(default=1, validators=[MaxValueValidator(500)])
    inventory_number = models.BigIntegerField(null=True, blank=True)
    fragile = models.BooleanField(default=False)
    on_display = models.BooleanField(null=True, blank=True)
    found_on = models.DateField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    opens_at = models.TimeField(null=True, blank=True)
    if MIGRATED:
        provenance = models.TextField(blank=True, default="")
        accession_year = models.PositiveIntegerField(null=True, blank=True)
    else:
        exposure = models.DurationField(null=True, blank=True)
    reference = models.UUIDField(default=uuid.uuid4, unique=True)
    attributes = models.JSONField(default=dict, blank=True)
    contact_email = models.EmailField(blank=True)
    source_url = models.URLField(blank=True)
    scanner_ip = models.GenericIPAddressField(null=True, blank=True)
    condition = models.CharField(max_length=10, choices=CONDITION_CHOICES, default=GOOD)
    status = models.CharField(max_length=30, choices=STATUS_CHOICES, default=RECORDED)
    finder = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="found"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="parts"
    )
    recorded_by = models.ForeignKey(
        Person,
        to_field="code",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recorded",
    )
    materials = models.ManyToManyField(Material, blank=True, related_name="artefacts")
    document = models.FileField(blank=True, upload_to="museum/documents/")

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["trench", "title"], name="museum_title_per_trench")
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        """A derived value the editor never types: the catalogue code, made when blank."""
        if not self.catalogue_code:
            self.catalogue_code = f"T{self.trench_id}-{self.reference.hex[:8].upper()}"
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "catalogue_code"}
        super().save(*args, **kwargs)


class Painting(Artefact):
    """Multi-table inheritance: a painting is an artefact with a row of its own."""

    MEDIUM_CHOICES = [
        ("oil", "Oil"),
        ("tempera", "Tempera"),
        ("fresco", "Fresco"),
        ("watercolour", "Watercolour"),
    ]

    artist = models.CharField(max_length=100, blank=True)
    medium = models.CharField(max_length=20, choices=MEDIUM_CHOICES, default="oil")


class Note(models.Model):
    """A UUID primary key not named ``id``; three hops to its expedition."""

    note_id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    artefact = models.ForeignKey(Artefact, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField()
    author = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET(unknown_person), related_name="notes"
    )

    class Meta:
        ordering = ["artefact", "note_id"]

    def __str__(self) -> str:
        return self.text[:50]
