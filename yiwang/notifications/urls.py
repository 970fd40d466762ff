from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox_list, name="inbox"),
    path("<int:pk>/", views.inbox_detail, name="message"),
]
