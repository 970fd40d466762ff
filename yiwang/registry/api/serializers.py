from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from yiwang.core.masking import mask_id_number, mask_name

TASK_STATES = ["open", "done", "all"]


class TaskListQuerySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=TASK_STATES, default="open",
                                    error_messages={"invalid_choice": _("state 只能是 open、done 或 all。")})


class TaskEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    occurred_on = serializers.DateField()


class TaskPersonSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="masked")
    id_number = serializers.CharField(help_text="masked")


class TaskEntitySerializer(serializers.Serializer):
    uscc = serializers.CharField()
    name = serializers.CharField()


class FollowUpTaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    department = serializers.CharField()
    kind = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    done_at = serializers.DateTimeField(allow_null=True)
    event = TaskEventSerializer(allow_null=True)
    person = TaskPersonSerializer(allow_null=True)
    entity = TaskEntitySerializer(allow_null=True)


class FollowUpTaskListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = FollowUpTaskSerializer(many=True)


def task_row(task) -> dict:
    """Plain dict (no ModelSerializer on a list path); personal identifiers masked."""
    event, person, entity = task.event, task.person, task.entity
    return {
        "id": task.pk, "department": task.department, "kind": task.kind, "title": task.title,
        "status": task.status, "created_at": serializers.DateTimeField().to_representation(task.created_at),
        "done_at": serializers.DateTimeField().to_representation(task.done_at) if task.done_at else None,
        "event": {"id": event.pk, "kind": event.kind, "occurred_on": event.occurred_on.isoformat()} if event else None,
        "person": {"name": mask_name(person.name), "id_number": mask_id_number(person.id_number)} if person else None,
        "entity": {"uscc": entity.uscc, "name": entity.name} if entity else None,
    }
