"""Reads of the site inbox."""

from django.db.models import QuerySet

from yiwang.identity.selectors import own_subject_hashes

from .models import InboxMessage


def inbox_for_user(user) -> QuerySet[InboxMessage]:
    """The messages of every subject the user is (their person, the entities they act for)."""
    hashes = own_subject_hashes(user)
    if not hashes:
        return InboxMessage.objects.none()
    return InboxMessage.objects.filter(recipient_hash__in=hashes)


def inbox_unread_count(user) -> int:
    return inbox_for_user(user).filter(read_at__isnull=True).count()
