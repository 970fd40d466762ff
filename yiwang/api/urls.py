"""The /api/v1 router: each bounded context contributes its own urls module."""

from django.urls import include, path

urlpatterns = [
    path("", include("yiwang.catalog.api.urls")),
]
