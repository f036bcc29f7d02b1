from django.contrib import admin

from server_plugin.admin import SyncHistoryMixin

from .models import Article, Author, Photo, Section, Tag


class PhotoInline(admin.TabularInline):
    model = Photo
    extra = 0


@admin.register(Article)
class ArticleAdmin(SyncHistoryMixin, admin.ModelAdmin):
    list_display = ["title", "section", "status", "published_on", "author"]
    list_filter = ["section", "status"]
    search_fields = ["title", "body"]
    filter_horizontal = ["tags"]
    inlines = [PhotoInline]


admin.site.register([Section, Author, Tag, Photo])
