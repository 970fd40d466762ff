"""Writes of the site inbox."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.identity.selectors import subject_index

from .models import InboxMessage


def _safe_link(link: str) -> str:
    # Only links inside the site: a message must never send a citizen to another host.
    link = (link or "").strip()
    if link and (not link.startswith("/") or link.startswith("//") or "\\" in link):
        raise ValidationError({"link": _("链接必须是本站内的地址。")})
    return link


def inbox_post(*, recipient_code: str | None = None, recipient_hash: str | None = None, subject: str,
               body: str = "", link: str = "", dedupe_key: str = "") -> InboxMessage:
    """Post a message to a subject (by its code or the code's blind index). With `dedupe_key`, posting
    the same key to the same recipient again returns the first message."""
    if bool(recipient_code) == bool(recipient_hash):
        raise ValueError("give exactly one of recipient_code and recipient_hash")
    if not (subject or "").strip():
        raise ValidationError({"subject": _("标题不能为空。")})
    recipient_hash = recipient_hash or subject_index(recipient_code)
    fields = {"subject": subject.strip()[:200], "body": body, "link": _safe_link(link)}
    if not dedupe_key:
        return InboxMessage.objects.create(recipient_hash=recipient_hash, **fields)
    existing = InboxMessage.objects.filter(recipient_hash=recipient_hash, dedupe_key=dedupe_key).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return InboxMessage.objects.create(recipient_hash=recipient_hash, dedupe_key=dedupe_key, **fields)
    except IntegrityError:  # a concurrent post of the same key won
        return InboxMessage.objects.get(recipient_hash=recipient_hash, dedupe_key=dedupe_key)


def inbox_mark_read(*, message: InboxMessage) -> InboxMessage:
    if message.read_at is None:
        message.read_at = timezone.now()
        InboxMessage.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=message.read_at)
    return message
