"""The case panel of the staff task page (workflow/task_detail.html includes cases/_task_panel.html)."""

from django import template

from yiwang.core.masking import mask_id_number, mask_phone

from .. import joint_form, selectors, services
from ..constants import MaterialStatus
from ..handling import SUBJECT_TYPE

register = template.Library()

MASKS = {"id_number": mask_id_number, "phone": mask_phone}


@register.simple_tag(takes_context=True)
def case_panel(context):
    """The application data and materials for the handler on the page, or None. Showing them is a
    read of the applicant's personal data: case_data_view logs it (access log and audit)."""
    instance, request = context.get("instance"), context.get("request")
    if instance is None or request is None or instance.subject_type != SUBJECT_TYPE:
        return None
    case = selectors.case_for_staff(request.user, instance.subject_id)
    if case is None:
        return None
    rows = services.case_data_view(user=request.user, case=case, task=context.get("task"))
    for row in rows:
        # Registry-verified identifiers need no checking and are masked; typed ones are shown to be checked.
        row["display"] = MASKS.get(row["type"], str)(row["value"]) if row["source"] else row["value"]
        row["source_label"] = joint_form.source_label(row["source"] or "")
    materials = [m for m in selectors.materials_of(case.application) if case.item_code in (m.item_codes or [])]
    return {"case": case, "rows": rows, "materials": materials, "supplies": list(case.supplies.all()),
            "held": MaterialStatus.HELD_BY_GOVERNMENT}
