"""Copy each task's item code (its instance's definition key) onto the task, then build its inbox indexes.

Not atomic: the rows are filled in batches of BATCH ids, each batch its own transaction, so the
inbox keeps working while 2.9 million tasks (1,000,000 cases) are filled. Resumable: a batch only
touches rows still empty, and the last batches pick up tasks created meanwhile. On PostgreSQL a
VACUUM ANALYZE follows: the update leaves every page not all-visible, and the inbox counts are
index-only scans only once VACUUM has marked them again (docs/operations.md)."""

from django.db import migrations, models, transaction
from django.db.models import Max, OuterRef, Subquery

BATCH = 10_000  # the rows a batch keeps locked: about 0.5 s each on 2 busy cores


def fill(apps, schema_editor):
    alias = schema_editor.connection.alias
    Task = apps.get_model("workflow", "Task")
    Instance = apps.get_model("workflow", "Instance")
    key = Subquery(Instance.objects.using(alias).filter(pk=OuterRef("instance_id")).values("definition__key")[:1])
    done = 0
    while True:
        last = Task.objects.using(alias).aggregate(m=Max("id"))["m"] or 0
        if done >= last:
            return
        for low in range(done, last, BATCH):
            with transaction.atomic(using=alias):
                Task.objects.using(alias).filter(id__gt=low, id__lte=low + BATCH, item_code="").update(item_code=key)
        done = last


def vacuum(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE workflow_task")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("workflow", "0003_task_item_code"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop, atomic=False),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(fields=["department", "item_code", "state", "due_on"], name="workflow_task_inbox_item"),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(fields=["department", "item_code", "due_on", "id"], include=("state", "warning"),
                               condition=models.Q(state__in=("open", "waiting_supplement")),
                               name="workflow_task_inbox_item_live"),
        ),
        migrations.RunPython(vacuum, migrations.RunPython.noop, atomic=False),
    ]
