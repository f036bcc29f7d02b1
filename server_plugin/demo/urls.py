from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django.views.static import serve

urlpatterns = [
    path("admin/", admin.site.urls),
    path("fieldsync/", include("server_plugin.urls")),
    # The demo's own server shows the photos the admin links to; a real site
    # serves MEDIA_URL from its web server or storage.
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
