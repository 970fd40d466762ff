from django.urls import path

from . import views

app_name = "sharing"

urlpatterns = [
    path("catalog/", views.catalog, name="catalog"),
    path("my-data-access/", views.my_data_access, name="my-data-access"),
    path("requests/", views.request_list, name="requests"),
    path("requests/new/", views.request_create, name="request-create"),
    path("requests/<int:pk>/approve/", views.request_approve, name="request-approve"),
    path("requests/<int:pk>/refuse/", views.request_refuse, name="request-refuse"),
    path("requests/<int:pk>/withdraw/", views.request_withdraw, name="request-withdraw"),
]
