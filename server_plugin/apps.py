from django.apps import AppConfig


class FieldsyncConfig(AppConfig):
    name = "server_plugin"
    label = "fieldsync"
    verbose_name = "fieldsync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .registry import get_registry
        from .tracking import connect_signals

        # Fail at start-up, naming the setting, rather than on the first sync.
        get_registry.cache_clear()
        get_registry()
        connect_signals()
