from django.apps import AppConfig


class StoreConfig(AppConfig):
    name = "fieldsync_tui.store"
    label = "fieldsync_store"
    default_auto_field = "django.db.models.BigAutoField"
