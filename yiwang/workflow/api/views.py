"""Back office API (API.md "Back office (staff)"): the department inbox, task actions, e-supervision."""

from django.core.exceptions import PermissionDenied, ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from yiwang.core.errors import Conflict
from yiwang.core.pagination import PageNumberPagination
from yiwang.identity.permissions import IsDepartmentStaff
from yiwang.identity.selectors import staff_department_code

from .. import selectors, services
from ..permissions import IsSupervisor
from . import serializers as s

TAGS = ["workflow"]


class TaskList(APIView):
    permission_classes = [IsDepartmentStaff]

    @extend_schema(tags=TAGS, operation_id="tasks_list", parameters=[s.TaskListQuerySerializer],
                   responses={200: s.TaskListSerializer}, summary="The caller's department's tasks")
    def get(self, request):
        query = s.TaskListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        rows = selectors.tasks_for_department(
            staff_department_code(request.user), state=None if q["state"] == "all" else q["state"],
            warning=q.get("warning") or None, item=q.get("item") or None, subject_id=q.get("case") or None,
            due_before=q.get("due_before"))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        response = paginator.get_paginated_response([s.task_row(r) for r in selectors.with_actions(page)])
        response.data["count_capped"] = rows.count_capped  # set by the paginator's count
        return response


class TaskComplete(APIView):
    permission_classes = [IsDepartmentStaff]

    @extend_schema(tags=TAGS, operation_id="tasks_complete", request=s.TaskCompleteSerializer,
                   parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
                   responses={200: s.TaskSerializer}, summary="Act on a task (illegal or stale: 409)")
    def post(self, request, id: int):  # the path parameter is named as in API.md
        department = staff_department_code(request.user)
        task = selectors.task_for_department(department, id, user=request.user)
        if task is None:  # another department's task: the same answer as a missing one
            raise exceptions.NotFound()
        body = s.TaskCompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.task_complete(task=task, actor=request.user, **body.validated_data)
        except services.Conflict as exc:
            raise Conflict(str(exc)) from None
        except PermissionDenied:
            raise exceptions.NotFound() from None
        except ValidationError as exc:
            raise exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from None
        row = selectors.tasks_for_department(department, state=None, assignee=request.user).get(id=task.pk)
        return Response(s.task_row(selectors.with_actions([row])[0]))


class TaskDetail(APIView):
    permission_classes = [IsDepartmentStaff]

    @extend_schema(tags=TAGS, operation_id="tasks_retrieve",
                   parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
                   responses={200: s.TaskDetailSerializer},
                   summary="One task of the caller's department with what it is about (the application data, "
                           "logged as a personal-data read), the timeline and the parallel opinions")
    def get(self, request, id: int):
        department = staff_department_code(request.user)
        task = selectors.task_for_department(department, id, user=request.user)
        if task is None:  # another department's task: the same answer as a missing one
            raise exceptions.NotFound()
        row = selectors.tasks_for_department(department, state=None).get(id=task.pk)
        instance = task.instance
        return Response({
            **s.task_row(selectors.with_actions([row])[0]),
            **services.task_detail_view(task=task, actor=request.user),
            "timeline": selectors.timeline_rows(instance),
            "opinions": [s.opinion_row(o) for o in selectors.parallel_opinions(instance)],
        })


class SupervisionCases(APIView):
    permission_classes = [IsSupervisor]

    @extend_schema(tags=TAGS, operation_id="supervision_cases", parameters=[s.SupervisionQuerySerializer],
                   responses={200: s.SupervisionSerializer},
                   summary="E-supervision: cases with warnings and per-department counts")
    def get(self, request):
        query = s.SupervisionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.supervision_instances(warning=query.validated_data.get("warning") or None)
        paginator = PageNumberPagination()
        page = list(paginator.paginate_queryset(rows, request, view=self))
        departments = selectors.open_departments(r["id"] for r in page)
        response = paginator.get_paginated_response([s.supervised_row(r, departments.get(r["id"], [])) for r in page])
        response.data["departments"] = selectors.supervision_counts()
        return response
