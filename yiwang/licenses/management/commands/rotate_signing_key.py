from django.core.management.base import BaseCommand, CommandError

from yiwang.catalog.models import Department
from yiwang.licenses.services import license_key_rotate
from yiwang.licenses.signing import UnknownAlgorithm, signer_names


class Command(BaseCommand):
    help = "Make a new active licence signing key for a department; older keys stay for verification."

    def add_arguments(self, parser):
        parser.add_argument("department", help="department code, e.g. GAJ")
        parser.add_argument("--algorithm", default="", help=f"one of {', '.join(signer_names())}")

    def handle(self, *args, department, algorithm, **options):
        dept = Department.objects.filter(code=department).first()
        if dept is None:
            raise CommandError(f"unknown department {department!r}")
        try:
            key = license_key_rotate(department=dept, algorithm=algorithm)
        except UnknownAlgorithm as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{dept.code}: new active key {key.key_id} ({key.algorithm})")
