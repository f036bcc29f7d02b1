from django.apps import AppConfig


class NewsConfig(AppConfig):
    name = "server_plugin.demo.news"
    label = "news"
    verbose_name = "Newsroom"
    default_auto_field = "django.db.models.BigAutoField"
