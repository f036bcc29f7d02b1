from django.contrib import admin
from django.db import models

from server_plugin.admin import SyncHistoryMixin

from .models import Artefact, Expedition, Material, Note, Painting, Person, Trench


@admin.register(Artefact)
class ArtefactAdmin(SyncHistoryMixin, admin.ModelAdmin):
    list_display = ["title", "trench", "condition", "status", "catalogue_code"]
    list_filter = ["trench__expedition", "condition", "status"]
    search_fields = ["title", "description"]
    filter_horizontal = ["materials"]
    # Django 6's default for a typed URL without a scheme, chosen now (no warning on 5.2).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


admin.site.register([Expedition, Trench, Painting, Note, Person, Material])
