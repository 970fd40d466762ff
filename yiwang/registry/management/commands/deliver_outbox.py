"""Deliver the registry outbox now (what the periodic task does)."""

from django.core.management.base import BaseCommand

from yiwang.registry.outbox import outbox_dispatch


class Command(BaseCommand):
    help = "Deliver unpublished registry events to their subscribers (each pair exactly once)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="stop after this many messages")
        parser.add_argument("--crash-after", type=int, default=None,
                            help="testing only: SIGKILL this process after the Nth handler ran, "
                                 "before its transaction commits")

    def handle(self, *args, limit=None, crash_after=None, **options):
        delivered = outbox_dispatch(limit=limit, crash_after=crash_after)
        self.stdout.write(f"deliveries: {delivered}")
