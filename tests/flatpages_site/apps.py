from django.apps import AppConfig


class FlatpagesSiteConfig(AppConfig):
    name = "tests.flatpages_site"
    label = "flatpages_site"
    verbose_name = "fieldsync test site: flat pages"
