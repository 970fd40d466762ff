"""Load the demo platform: catalogue and search lexicon, the base registries (1,000 synthetic people
with the demo people among them), the demo accounts and their licences. Idempotent."""

from django.core.management.base import BaseCommand

from yiwang.cases.demo import create_demo_cases
from yiwang.catalog.demo import load_demo_catalog
from yiwang.identity.demo import create_demo_accounts
from yiwang.licenses.demo import issue_demo_licenses
from yiwang.registry.demo import load_demo_newborn, load_demo_registry
from yiwang.workflow.demo import load_demo_processes


class Command(BaseCommand):
    help = "Load demo data: catalogue, registries, accounts and licences (a second run keeps what is there)."

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=int, default=1000, help="size of the synthetic population")

    def handle(self, *args, **options):
        report, lexicon_changed = load_demo_catalog()
        load_demo_registry(persons=options["persons"])
        created = create_demo_accounts()
        licences = issue_demo_licenses()
        newborn = load_demo_newborn()
        processes = load_demo_processes()
        cases = create_demo_cases()
        self.stdout.write(self.style.SUCCESS(
            f"Demo data: {report.summary()}; lexicon entries changed: {lexicon_changed}; "
            f"accounts created: {len(created)}; licences issued: {len(licences)}; "
            f"newborn recorded: {'yes' if newborn else 'no'}; process definitions: {len(processes)}; "
            f"cases submitted: {len(cases)}"
        ))
