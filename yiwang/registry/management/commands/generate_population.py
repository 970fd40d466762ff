"""Fill the base registries with a realistic synthetic population (and the demo people)."""

import time

from django.core.management.base import BaseCommand, CommandError

from yiwang.registry.population import PopulationExists, generate_population


class Command(BaseCommand):
    help = ("Generate N consistent synthetic persons in households, with entities (1 per 50 persons) and "
            "the demo people. Refuses a non-empty registry unless --add is given.")

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=int, required=True)
        parser.add_argument("--seed", type=int, default=None, help="same seed, same population")
        parser.add_argument("--add", action="store_true", help="add to an existing population")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, persons, seed, add, no_progress, **options):
        if persons < 0:
            raise CommandError("--persons must be >= 0")
        started = time.monotonic()
        try:
            report = generate_population(persons=persons, seed=seed, add=add, progress=not no_progress)
        except PopulationExists as exc:
            raise CommandError(f"The person registry already holds {exc.args[0]} persons; "
                               "run with --add to add more, or use a fresh database.") from None
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(
            f"Generated {report.persons} persons in {report.households} households, {report.entities} entities, "
            f"{report.dead} dead ({report.open_deregistration_tasks} awaiting deregistration)"
            f"{', demo people included' if report.demo_created else ''} in {elapsed:.1f} s"))
