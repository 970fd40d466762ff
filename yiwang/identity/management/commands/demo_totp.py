"""Print the current TOTP code of the published demo secret, for trying the staff accounts
without an authenticator app. It knows only the demo secret, never a real device's key."""

import time

from django.core.management.base import BaseCommand
from django_otp.oath import totp

from yiwang.identity.demo import DEMO_TOTP_KEY, DEMO_TOTP_SECRET_BASE32


class Command(BaseCommand):
    help = "Print the current 6-digit code for the demo staff accounts' TOTP secret."

    def handle(self, *args, **options):
        code = totp(DEMO_TOTP_KEY, step=30, digits=6)
        remaining = 30 - int(time.time()) % 30
        self.stdout.write(f"{code:06d}  (valid for {remaining}s; demo secret {DEMO_TOTP_SECRET_BASE32})")
