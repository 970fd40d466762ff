from django.urls import path

from . import views

app_name = "workflow"

urlpatterns = [
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("supervision/", views.supervision, name="supervision"),
]
