from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

handler404 = "yiwang.core.errors.handler404"
handler500 = "yiwang.core.errors.handler500"

urlpatterns = [
    path("", include("yiwang.catalog.urls")),
    path("", include("yiwang.core.urls")),
    path("accounts/", include("yiwang.identity.urls")),
    path("registry/", include("yiwang.registry.urls")),
    path("licenses/", include("yiwang.licenses.urls")),
    path("sharing/", include("yiwang.sharing.urls")),
    path("inbox/", include("yiwang.notifications.urls")),
    path("workflow/", include("yiwang.workflow.urls")),
    path("cases/", include("yiwang.cases.urls")),
    path("hall/", include("yiwang.hall.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("yiwang.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

admin.site.site_header = "一网通办 · 管理后台"
admin.site.site_title = "一网通办"
