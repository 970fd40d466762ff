"""How the audit trail and notices name the people of an application."""

from __future__ import annotations


def on_behalf_label(application) -> str:
    # A proxy or a window clerk acts for the applicant: the audit trail names both.
    return application.applicant.get_username() if application.applicant_id != application.submitted_by_id else ""


def display_name(user) -> str:
    return user.display_name or user.get_username()
