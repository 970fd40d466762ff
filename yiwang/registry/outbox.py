"""The outbox dispatcher: delivers each registry event to each subscriber exactly once.

One transaction per (event, subscriber): lock the outbox row (SKIP LOCKED on PostgreSQL, so parallel
workers share the work), skip the pair if its Delivery exists, run the handler, insert the Delivery.
A worker killed anywhere before COMMIT leaves neither the handler's effects nor the Delivery, so the
next run does that pair again; a pair once committed is never done again (the unique Delivery is the
proof). A message is marked published when every active subscriber has its Delivery.
"""

from __future__ import annotations

import logging
import os
import signal
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from .models import Delivery, OutboxMessage, Subscription
from .subscribers import HANDLERS

logger = logging.getLogger(__name__)

BATCH = 200


class _CrashAfter:
    """Test hook of `deliver_outbox --crash-after N`: SIGKILL ourselves after the Nth handler ran,
    before its transaction commits (what a worker killed mid-delivery looks like)."""

    def __init__(self, n: int | None):
        self.left = n

    def handler_ran(self) -> None:
        if self.left is None:
            return
        self.left -= 1
        if self.left <= 0:
            os.kill(os.getpid(), signal.SIGKILL)


def _locked_message(message_id: int) -> OutboxMessage | None:
    rows = OutboxMessage.objects.filter(pk=message_id, published_at__isnull=True).select_related(
        "event", "event__person", "event__entity")
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    return rows.first()


def _deliver(message_id: int, subscriptions: list[Subscription], crash: _CrashAfter) -> tuple[int, bool]:
    """(deliveries made, whether the message is complete)."""
    made = 0
    for subscription in subscriptions:
        try:
            with transaction.atomic():
                message = _locked_message(message_id)
                if message is None:  # another worker holds it, or it is published already
                    return made, False
                if Delivery.objects.filter(event_id=message.event_id, subscription=subscription).exists():
                    continue
                handler = HANDLERS.get(subscription.handler)
                if handler is None:
                    raise LookupError(f"no handler named {subscription.handler!r}")
                handler(message.event, subscription)
                Delivery.objects.create(event_id=message.event_id, subscription=subscription)
                crash.handler_ran()
            made += 1
        except Exception as exc:  # noqa: BLE001 - one failing subscriber must not block the others
            logger.exception("registry outbox: delivery of message #%s to %s failed", message_id,
                             subscription.handler)
            OutboxMessage.objects.filter(pk=message_id).update(
                attempts=F("attempts") + 1, last_error=f"{subscription.handler}: {exc}"[:300])
            return made, False
    return made, True


def outbox_dispatch(*, crash_after: int | None = None, limit: int | None = None) -> int:
    """Deliver the unpublished messages (oldest first); returns the number of deliveries made."""
    by_kind: dict[str, list[Subscription]] = defaultdict(list)
    for subscription in Subscription.objects.filter(active=True).order_by("id"):
        by_kind[subscription.event_kind].append(subscription)
    crash = _CrashAfter(crash_after)
    delivered = seen = 0
    last_id = 0
    while limit is None or seen < limit:
        pending = list(OutboxMessage.objects.filter(published_at__isnull=True, pk__gt=last_id)
                       .order_by("pk").values_list("pk", "event__kind")[:BATCH])
        if not pending:
            break
        for message_id, kind in pending:
            last_id = message_id
            seen += 1
            made, complete = _deliver(message_id, by_kind.get(kind, []), crash)
            delivered += made
            if complete:
                OutboxMessage.objects.filter(pk=message_id, published_at__isnull=True).update(
                    published_at=timezone.now())
            if limit is not None and seen >= limit:
                break
    if delivered:
        logger.info("registry outbox: %s deliveries", delivered)
    return delivered
