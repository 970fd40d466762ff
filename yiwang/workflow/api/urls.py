from django.urls import path

from . import views

urlpatterns = [
    path("tasks", views.TaskList.as_view(), name="api-workflow-tasks"),
    path("tasks/<int:id>", views.TaskDetail.as_view(), name="api-workflow-task"),
    path("tasks/<int:id>/complete", views.TaskComplete.as_view(), name="api-workflow-task-complete"),
    path("supervision/cases", views.SupervisionCases.as_view(), name="api-workflow-supervision"),
]
