from django.urls import path

from . import views

app_name = "licenses"

urlpatterns = [
    path("", views.wallet, name="wallet"),
    path("verify", views.verify, name="verify"),
    path("<str:identifier>/pdf", views.license_pdf_view, name="pdf"),
    path("<str:identifier>/uses/<int:use_id>/copy", views.stamped_copy, name="stamped-copy"),
]
