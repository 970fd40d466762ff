"""The seam to the workflow engine: a submitted case starts its item's process.

A case submitted at the comprehensive window (无差别全科受理) runs a window variant of the item's
process: the acceptance stage (受理) is queued to the window clerk's department, so the clerk can
accept it there; the deciding department does the rest. A 即办件 is decided on the spot, so in its
variant every single-department stage is queued to the window's department too. Variants are kept
as process definitions `<item>@<department>`, rebuilt when the item's process changes."""

from django.db import IntegrityError, transaction

from yiwang.identity.selectors import staff_department_code
from yiwang.workflow import services as workflow
from yiwang.workflow.constants import Action, StageKind

from .constants import WINDOW_PROCESS_SEPARATOR
from .handling import SUBJECT_TYPE, is_immediate

STAGE_FIELDS = ("name", "kind", "departments", "quorum", "quorum_n", "limit_days", "actions")
KEY_LENGTH = 60  # ProcessDefinition.key


def window_process(item_code: str, department: str, *, immediate: bool):
    """The window variant of the item's active process (or the process itself when its first stage
    is not a single-department acceptance the window could take over)."""
    from yiwang.workflow.models import ProcessDefinition

    base = workflow.process_for_item(item_code)
    stages = list(base.stages.order_by("position"))
    key = f"{item_code}{WINDOW_PROCESS_SEPARATOR}{department}"
    if (not stages or stages[0].kind != StageKind.SINGLE or Action.ACCEPT not in stages[0].actions
            or len(key) > KEY_LENGTH):
        return base
    # Fixed text (not translated): it tells whether the variant still matches its base.
    source = f"综合窗口受理{'（即办件）' if immediate else ''} · {base.key} v{base.version}"
    existing = ProcessDefinition.objects.filter(key=key, active=True).first()
    if existing is not None and existing.source == source:
        return existing
    rows = []
    for stage in stages:
        row = {f: getattr(stage, f) for f in STAGE_FIELDS}
        if stage.kind == StageKind.SINGLE and (stage.position == stages[0].position or immediate):
            row["departments"] = [department]
        rows.append(row)
    try:
        with transaction.atomic():
            return workflow.definition_create(key=key, name=base.name, stages=rows, source=source)
    except IntegrityError:  # a concurrent window submission created it first
        return ProcessDefinition.objects.get(key=key, active=True)


def cases_start_workflow(cases) -> list:
    """Start the handling of new cases (pre-review task in the department's inbox, or the window's for
    a window case), inside the submit transaction, so a failure rolls the submission back. For a
    batch of submits in a few statements: each item's definition read once, all instances, tasks and
    events written together."""
    definitions, starts = {}, []
    for case in cases:
        department = staff_department_code(case.submitted_by) if case.is_window else None
        key = (case.item_code, department, is_immediate(case) if department else False)
        if key not in definitions:
            definitions[key] = (window_process(case.item_code, department, immediate=key[2]) if department
                                else workflow.process_for_item(case.item_code))
        starts.append(workflow.InstanceStart(definitions[key], SUBJECT_TYPE, case.number, case.item_name,
                                             case.submitted_by))
    return workflow.instances_start(starts)
