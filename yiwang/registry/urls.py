from django.urls import path

from . import views

app_name = "registry"

urlpatterns = [
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<int:pk>/complete", views.task_complete, name="task-complete"),
]
