"""Fill the demo newsroom: sections, authors, tags, a few hundred articles with
photos (real JPEG images, the caption drawn on), and the users chief, editor1
and editor2 (password ``demo-password``)."""

from __future__ import annotations

import datetime
import random
import uuid

from django.contrib.auth.models import Permission, User
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify

from server_plugin.models import CategoryGrant
from server_plugin.tracking import collect_writes, track

from ...models import Article, Author, Photo, Section, Tag
from ...pictures import DEFAULT_SIZE, PhotoMaker, parse_size
from ...prose import article_text, headline

DEMO_PASSWORD = "demo-password"
SECTIONS = ["Politics", "Culture", "Sport", "Weather", "Business", "Science"]
AUTHORS = [
    "A. Writer",
    "B. Okafor",
    "C. Lindqvist",
    "D. Moreau",
    "E. Tanaka",
    "F. Haddad",
    "G. Kowalski",
    "H. Mensah",
]
TAGS = [
    "council",
    "city",
    "budget",
    "transport",
    "schools",
    "health",
    "environment",
    "culture",
    "sport",
    "weather",
    "business",
    "science",
    "housing",
    "elections",
    "courts",
    "harbour",
    "festival",
    "history",
    "jobs",
    "energy",
]


class Command(BaseCommand):
    help = "Seed the demo newsroom (does nothing if it already has sections)."

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=int, default=50, help="articles per section")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--force", action="store_true", help="seed even if not empty")
        parser.add_argument(
            "--image-size",
            default="x".join(map(str, DEFAULT_SIZE)),
            help="the photos' images, WIDTHxHEIGHT (tests use small ones)",
        )

    def handle(self, *args, articles: int, seed: int, force: bool, image_size: str, **options):
        try:
            size = parse_size(image_size)
        except ValueError as error:
            raise CommandError(f"--image-size: {error}") from None
        if Section.objects.exists() and not force:
            self.stdout.write("The demo newsroom already has data; nothing seeded.")
            return
        rng = random.Random(seed)
        with transaction.atomic(), collect_writes():
            sections = [Section.objects.get_or_create(name=name)[0] for name in SECTIONS]
            authors = [
                Author.objects.create(name=n, email=f"{n.split()[-1].lower()}@example.org")
                for n in AUTHORS
            ]
            tags = [Tag.objects.get_or_create(name=name)[0] for name in TAGS]
            self._users(sections)
        with transaction.atomic():
            made = []
            for section in sections:
                made += self._articles(rng, section, authors, articles)
            Article.objects.bulk_create(made, batch_size=500)
            through = Article.tags.through
            through.objects.bulk_create(
                [
                    through(article_id=a.pk, tag_id=t.pk)
                    for a in made
                    for t in rng.sample(tags, rng.randint(0, 3))
                ],
                batch_size=1000,
            )
            photos = [
                Photo(article=a, caption=f"{a.title}: scene {n + 1}", credit=rng.choice(AUTHORS))
                for a in made
                if rng.random() < 0.4
                for n in range(rng.randint(1, 2))
            ]
            self._images(photos, size, random.Random(seed))
            Photo.objects.bulk_create(photos, batch_size=500)
            track(made)  # bulk_create sends no signals: the documented helper
            track(Photo.objects.filter(article__in=made).select_related("article"))
        self.stdout.write(
            f"Seeded {len(sections)} sections, {len(made)} articles, {len(photos)} photos."
        )

    def _images(self, photos: list[Photo], size, rng) -> None:
        """Each photo's image, saved through the field (its storage, upload_to)."""
        maker = PhotoMaker(size)
        for photo in photos:
            name = f"{slugify(photo.caption)[:60]}.jpg"
            photo.image.save(name, ContentFile(maker.jpeg(photo.caption, rng)), save=False)

    def _articles(self, rng, section, authors, count) -> list[Article]:
        start = datetime.date(2026, 1, 5)
        return [
            Article(
                id=uuid.UUID(int=rng.getrandbits(128), version=4),
                section=section,
                title=headline(rng),
                body=article_text(rng),
                status=rng.choice([Article.DRAFT, Article.REVIEW, Article.PUBLISHED]),
                published_on=start + datetime.timedelta(days=rng.randint(0, 300)),
                featured=rng.random() < 0.1,
                author=rng.choice(authors),
            )
            for _ in range(count)
        ]

    def _users(self, sections) -> None:
        news = Permission.objects.filter(content_type__app_label="news")
        chief, _ = User.objects.get_or_create(username="chief", defaults={"is_staff": True})
        chief.set_password(DEMO_PASSWORD)
        chief.is_staff = True
        chief.save()
        chief.user_permissions.set(
            Permission.objects.filter(content_type__app_label__in=["news", "fieldsync"])
        )
        editor_perms = news.exclude(codename__endswith="_section").exclude(
            codename__in=["delete_author", "change_author", "add_author", "delete_tag"]
        )
        for name in ("editor1", "editor2"):
            editor, _ = User.objects.get_or_create(username=name)
            editor.set_password(DEMO_PASSWORD)
            editor.save()
            editor.user_permissions.set(editor_perms)
            for section in sections:
                CategoryGrant.objects.get_or_create(user=editor, category_key=str(section.pk))
        for section in sections:
            CategoryGrant.objects.get_or_create(user=chief, category_key=str(section.pk))
