"""Who may see and act on an application or a case: the applicant (the subject), or the person who
applies for them (代办) while a valid proxy grant still covers the item(s). Staff access comes with
the workflow (the handling departments). Everyone else gets 404 (no existence oracle)."""

from yiwang.identity.selectors import proxy_grant_for


def _is_party(user, *, applicant_id: int, submitted_by_id: int, item_codes) -> bool:
    if not user or not user.is_authenticated:
        return False
    if user.pk == applicant_id:
        return True
    if user.pk != submitted_by_id:
        return False
    return all(proxy_grant_for(proxy=user, principal_id=applicant_id, item_code=code) for code in item_codes)


def can_view_application(user, application) -> bool:
    return _is_party(user, applicant_id=application.applicant_id, submitted_by_id=application.submitted_by_id,
                     item_codes=application.item_codes)


# Editing, uploading and submitting: the same parties (the principal may finish what a proxy began).
can_edit_application = can_view_application


def can_view_case(user, case) -> bool:
    return _is_party(user, applicant_id=case.applicant_id, submitted_by_id=case.submitted_by_id,
                     item_codes=[case.item_code])
