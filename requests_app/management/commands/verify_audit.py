"""python manage.py verify_audit [--digest FILE]: recompute every request's event chain; exit 1 on any problem."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from requests_app.audit.digest import read_digest
from requests_app.audit.verify import verify


class Command(BaseCommand):
    help = "Recompute the hash chain of every request's history and report breaks, gaps and truncation."

    def add_arguments(self, parser):
        parser.add_argument(
            "--digest",
            type=Path,
            action="append",
            default=[],
            help="A published digest (audit_digest task); its chain heads must still be there, unchanged.",
        )

    def handle(self, *args, digest, **options):
        heads = {}
        for path in digest:
            try:
                heads.update(read_digest(path.read_text()))
            except (OSError, ValueError) as error:
                raise CommandError(f"{path}: {error}") from error
        checked, problems = verify(heads=heads)
        for problem in problems:
            self.stdout.write(str(problem))
        if problems:
            raise CommandError(f"{len(problems)} problem(s) in {checked} events.")
        self.stdout.write(f"The audit trail holds: {checked} events checked.")
