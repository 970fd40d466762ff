"""The /api/v1 router: each bounded context contributes its own urls module."""

from django.urls import include, path

from .views import Ping

urlpatterns = [
    path("ping", Ping.as_view(), name="api-ping"),
    path("", include("yiwang.catalog.api.urls")),
    path("", include(("yiwang.identity.api.urls", "identity-api"))),
    path("", include("yiwang.registry.api.urls")),
    path("", include("yiwang.licenses.api.urls")),
    path("", include("yiwang.sharing.api.urls")),
    path("", include("yiwang.workflow.api.urls")),
    path("", include("yiwang.cases.api.urls")),
]
