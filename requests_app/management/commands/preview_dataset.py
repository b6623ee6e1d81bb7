from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from requests_app.agreement_format.preview import preview_file

from ...agreement_format.loading import DatasetFileError


class Command(BaseCommand):
    help = (
        "Check a dataset file and write its apply form (HTML) and its agreement PDF filled with sample "
        "values, without touching the database."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--out", type=Path, default=Path("var/preview"), help="Directory to write to.")

    def handle(self, *args, path, out, **options):
        try:
            preview = preview_file(path)
        except DatasetFileError as error:
            raise CommandError(str(error)) from None
        out.mkdir(parents=True, exist_ok=True)
        slug = preview.dataset.slug
        form_path, pdf_path = out / f"{slug}-form.html", out / f"{slug}-agreement.pdf"
        form_path.write_text(preview.form_html, encoding="utf-8")
        pdf_path.write_bytes(preview.pdf)
        self.stdout.write(
            f"{path}: valid; agreement version {preview.version.label} (sha256 {preview.version.short_sha256}).\n"
            f"Form: {form_path}\nPDF:  {pdf_path}"
        )
