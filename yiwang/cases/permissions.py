"""Who may see and act on an application or a case: the applicant (the subject), or the person who
applies for them (代办) while a valid proxy grant still covers the item(s), or, for a draft started
at the comprehensive window, the window clerk who started it. Staff access to submitted cases comes
with the workflow (the handling departments). Everyone else gets 404 (no existence oracle)."""

from yiwang.identity.constants import StaffRole
from yiwang.identity.selectors import has_role, proxy_grant_for, staff_department_code

from .constants import ApplicationStatus, Channel


def is_window_clerk(user) -> bool:
    """A window clerk (综合窗口受理人员) of a department (the department queues window acceptance)."""
    return bool(user and user.is_authenticated and has_role(user, StaffRole.WINDOW_CLERK)
                and staff_department_code(user))


def _is_party(user, *, applicant_id: int, submitted_by_id: int, item_codes) -> bool:
    if not user or not user.is_authenticated:
        return False
    if user.pk == applicant_id:
        return True
    if user.pk != submitted_by_id:
        return False
    return all(proxy_grant_for(proxy=user, principal_id=applicant_id, item_code=code) for code in item_codes)


def is_window_draft_clerk(user, application) -> bool:
    """The clerk who started this window application, while it is still a draft."""
    return (application.channel == Channel.WINDOW and application.status == ApplicationStatus.DRAFT
            and user is not None and user.is_authenticated and user.pk == application.submitted_by_id
            and is_window_clerk(user))


def can_view_application(user, application) -> bool:
    return (_is_party(user, applicant_id=application.applicant_id, submitted_by_id=application.submitted_by_id,
                      item_codes=application.item_codes)
            or is_window_draft_clerk(user, application))


# Editing, uploading and submitting: the same parties (the principal may finish what a proxy or a
# window clerk began).
can_edit_application = can_view_application


def can_view_case(user, case) -> bool:
    return _is_party(user, applicant_id=case.applicant_id, submitted_by_id=case.submitted_by_id,
                     item_codes=[case.item_code])
