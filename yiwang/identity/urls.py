from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "identity"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="identity/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("2fa/", views.two_factor, name="two_factor"),
    path("me/", views.account, name="account"),
    path("proxies/", views.proxies, name="proxies"),
    path("proxies/<int:pk>/revoke/", views.proxy_revoke, name="proxy-revoke"),
]
