from django.urls import path

from . import views

urlpatterns = [
    path("registry/tasks", views.TaskList.as_view(), name="api-registry-tasks"),
    path("registry/tasks/<int:id>/complete", views.TaskComplete.as_view(), name="api-registry-task-complete"),
]
