from django.urls import path

from . import views

app_name = "identity-api"

urlpatterns = [
    path("auth/register", views.RegisterView.as_view(), name="register"),
    path("auth/token", views.TokenView.as_view(), name="token"),
    path("me", views.MeView.as_view(), name="me"),
    path("me/proxies", views.ProxyListView.as_view(), name="proxies"),
    path("me/proxies/<int:pk>/revoke", views.ProxyRevokeView.as_view(), name="proxy-revoke"),
    path("me/principals", views.PrincipalListView.as_view(), name="principals"),
    path("me/entities/<str:uscc>/agents", views.EntityAgentView.as_view(), name="entity-agents"),
]
