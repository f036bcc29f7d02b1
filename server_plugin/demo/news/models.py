"""The demo newsroom's models: an ordinary Django app that knows nothing of fieldsync.

Sections are the categories editors check out. Articles have UUID keys,
photos and tags integer ones, so both ways of making ids offline are shown.
A photo's image is an ImageField: its content syncs (docs/files.md).
"""

import uuid

from django.db import models


class Section(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Author(models.Model):
    name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    DRAFT, REVIEW, PUBLISHED = "draft", "review", "published"
    STATUS_CHOICES = [(DRAFT, "Draft"), (REVIEW, "In review"), (PUBLISHED, "Published")]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="articles")
    title = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=DRAFT)
    published_on = models.DateField(null=True, blank=True)
    featured = models.BooleanField(default=False)
    author = models.ForeignKey(
        Author, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_on", "title"]

    def __str__(self) -> str:
        return self.title


class Photo(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="photos")
    caption = models.CharField(max_length=300)
    credit = models.CharField(max_length=100, blank=True)
    image = models.ImageField(upload_to="photos/", blank=True)

    def __str__(self) -> str:
        return self.caption
