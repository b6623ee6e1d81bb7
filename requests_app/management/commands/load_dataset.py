from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ...agreement_format.loading import DatasetFileError, load_dataset_file


class Command(BaseCommand):
    help = "Create or update datasets and their agreements from TOML files (format: datasets/README.md)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)

    @transaction.atomic
    def handle(self, *paths, **options):
        # All files or none: a malformed second file must not leave the first one half-loaded.
        for path in options["paths"]:
            try:
                result = load_dataset_file(path)
            except DatasetFileError as error:
                raise CommandError(str(error)) from None
            dataset = "created or updated" if result.dataset_changed else "unchanged"
            version = (
                "new"
                if result.version_created
                else ("unchanged but for its labels in other languages" if result.translations_changed else "unchanged")
            )
            self.stdout.write(
                f"{path}: dataset {result.dataset.slug} {dataset}; "
                f"agreement version {result.agreement_version.label} {version}."
            )
