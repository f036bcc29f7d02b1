from django.apps import AppConfig


class ShapesConfig(AppConfig):
    name = "tests.shapes_app"
    label = "shapes"
    verbose_name = "Model shapes (tests)"
    default_auto_field = "django.db.models.AutoField"
