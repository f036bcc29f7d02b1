"""Mount with ``path("fieldsync/", include("server_plugin.urls"))``."""

from django.urls import path, re_path

from .api import bundles, files, views

app_name = "fieldsync"

urlpatterns = [
    path("v1/ping", views.ping, name="ping"),
    path("v1/auth/token", views.token, name="token"),
    path("v1/auth/me", views.me, name="me"),
    path("v1/schema", views.describe_schema, name="schema"),
    path("v1/categories", views.categories, name="categories"),
    path("v1/categories/<str:category_id>/checkout", views.checkout, name="checkout"),
    path("v1/categories/<str:category_id>/checkin", views.checkin, name="checkin"),
    path("v1/categories/<str:category_id>/changes", views.category_changes, name="changes"),
    path("v1/categories/<str:category_id>/bundle", bundles.category_bundle, name="bundle"),
    path("v1/reference/changes", views.reference_changes, name="reference-changes"),
    path("v1/push", views.push_changes, name="push"),
    path("v1/reviews", views.review_outcomes, name="reviews"),
    path("v1/files/uploads", files.start_upload, name="file-uploads"),
    re_path(r"^v1/files/uploads/(?P<sha256>[0-9a-f]{64})$", files.upload, name="file-upload"),
    re_path(r"^v1/files/(?P<sha256>[0-9a-f]{64})$", files.download, name="file"),
    re_path(r"^(?P<rest>.*)$", views.unknown_endpoint),
]
