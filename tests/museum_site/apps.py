from django.apps import AppConfig


class MuseumConfig(AppConfig):
    name = "tests.museum_site"
    label = "museum"
    verbose_name = "Museum field survey"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from .signals import mark_damaged_for_conservation

        # No sender: a Painting's save sends post_save with sender=Painting.
        post_save.connect(mark_damaged_for_conservation, dispatch_uid="museum_conservation")
