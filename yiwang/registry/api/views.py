"""Follow-up tasks of registry events for the staff of the department that must act."""

from django.core.exceptions import ValidationError
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
from . import serializers as s

TAGS = ["registry"]


class TaskList(APIView):
    permission_classes = [IsDepartmentStaff]

    @extend_schema(tags=TAGS, operation_id="registry_tasks_list", parameters=[s.TaskListQuerySerializer],
                   responses={200: s.FollowUpTaskListSerializer},
                   summary="Follow-up tasks of registry events for the caller's department")
    def get(self, request):
        query = s.TaskListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        tasks = selectors.followup_tasks_for_department(staff_department_code(request.user),
                                                        query.validated_data["state"])
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(tasks, request, view=self)
        return paginator.get_paginated_response([s.task_row(t) for t in page])


class TaskComplete(APIView):
    permission_classes = [IsDepartmentStaff]

    @extend_schema(tags=TAGS, operation_id="registry_tasks_complete", request=None,
                   parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
                   responses={200: s.FollowUpTaskSerializer},
                   summary="Complete a follow-up task (注销户口 also closes the household entry)")
    def post(self, request, id: int):  # the path parameter is named as in API.md
        task = selectors.followup_tasks_for_department(staff_department_code(request.user), "all").filter(
            pk=id).first()
        if task is None:  # another department's task: same answer as a missing one
            raise exceptions.NotFound()
        try:
            task = services.followup_task_complete(actor=request.user, task=task)
        except services.TaskAlreadyDone as exc:
            raise Conflict(str(exc)) from None
        except ValidationError as exc:
            raise exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from None
        return Response(s.task_row(task))
