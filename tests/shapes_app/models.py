"""One model per shape: supported ones are synced end to end by the tests,
refused ones must be named by a system check."""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F

from tests.museum_site.models import Artefact, Expedition, Material, Person


class Recorded(models.Model):
    """An abstract base: its fields are the child's own."""

    recorded_by_name = models.CharField(max_length=100, blank=True)
    checked = models.BooleanField(default=False)

    class Meta:
        abstract = True


class Find(Recorded):
    """Its abstract base's fields, and a foreign key to a natural primary key."""

    expedition = models.ForeignKey(Expedition, on_delete=models.CASCADE, related_name="finds")
    title = models.CharField(max_length=100)
    material = models.ForeignKey(
        Material, null=True, blank=True, on_delete=models.SET_NULL, related_name="finds"
    )

    def __str__(self) -> str:
        return self.title


class LargeFind(Find):
    """A proxy of Find: the same rows, another class."""

    class Meta:
        proxy = True


class FragileArtefact(Artefact):
    """A proxy of another app's model (the museum's artefacts)."""

    class Meta:
        proxy = True


class Tagged(models.Model):
    """A GenericForeignKey: a label on any record."""

    expedition = models.ForeignKey(Expedition, on_delete=models.CASCADE, related_name="tags")
    label = models.CharField(max_length=50)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveIntegerField()
    target = GenericForeignKey("content_type", "object_id")


class GenericallyPlaced(models.Model):
    """A model whose only way to its category is a GenericForeignKey."""

    label = models.CharField(max_length=50)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveIntegerField()
    place = GenericForeignKey("content_type", "object_id")


class Crew(models.Model):
    """A many-to-many through a model with a required extra field."""

    expedition = models.ForeignKey(Expedition, on_delete=models.CASCADE, related_name="crews")
    name = models.CharField(max_length=50)
    members = models.ManyToManyField(Person, through="CrewMembership", related_name="crews")


class CrewMembership(models.Model):
    crew = models.ForeignKey(Crew, on_delete=models.CASCADE)
    person = models.ForeignKey(Person, on_delete=models.CASCADE)
    role = models.CharField(max_length=30)  # required: no default, not null


class Team(models.Model):
    """A many-to-many through a model whose extra fields all have defaults."""

    expedition = models.ForeignKey(Expedition, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=50)
    members = models.ManyToManyField(Person, through="TeamMembership", related_name="teams")


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE)
    person = models.ForeignKey(Person, on_delete=models.CASCADE)
    role = models.CharField(max_length=30, default="member")
    since = models.DateField(null=True, blank=True)


class Segment(models.Model):
    """Django 5.2's composite primary key."""

    pk = models.CompositePrimaryKey("trench_code", "number")
    trench_code = models.CharField(max_length=20)
    number = models.PositiveIntegerField()
    expedition = models.ForeignKey(Expedition, on_delete=models.CASCADE, related_name="segments")


class Board(models.Model):
    """A GeneratedField: the database computes the area."""

    expedition = models.ForeignKey(Expedition, on_delete=models.CASCADE, related_name="boards")
    name = models.CharField(max_length=50)
    width = models.PositiveIntegerField(default=1)
    height = models.PositiveIntegerField(default=1)
    area = models.GeneratedField(
        expression=F("width") * F("height"), output_field=models.IntegerField(), db_persist=True
    )


class Scan(models.Model):
    """A BinaryField (not editable, so out of "__all__" unless named)."""

    expedition = models.ForeignKey(Expedition, on_delete=models.CASCADE, related_name="scans")
    name = models.CharField(max_length=50)
    data = models.BinaryField(blank=True)


class CommaListField(models.TextField):
    """A field type of the site's own, like django.contrib.postgres's ArrayField:
    a list in Python, a type the field table does not know."""

    def get_internal_type(self) -> str:
        return "CommaListField"

    def db_type(self, connection) -> str:
        return "text"

    def from_db_value(self, value, expression, connection):
        return None if value is None else [part for part in value.split(",") if part]

    def to_python(self, value):
        if isinstance(value, list) or value is None:
            return value
        return [part for part in value.split(",") if part]

    def get_prep_value(self, value):
        return None if value is None else ",".join(value)


class Survey(models.Model):
    expedition = models.ForeignKey(Expedition, on_delete=models.CASCADE, related_name="surveys")
    name = models.CharField(max_length=50)
    layers = CommaListField(blank=True, default=list)


class Placard(models.Model):
    """Its only path to the category is a foreign key by to_field (the name)."""

    expedition = models.ForeignKey(
        Expedition, to_field="name", on_delete=models.CASCADE, related_name="placards"
    )
    text = models.CharField(max_length=100)
