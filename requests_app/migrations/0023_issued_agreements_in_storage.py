"""Issued agreement PDFs move from a database column into the file storage the signed copies use.

Every row's bytes are written to the storage and read back before the row points at them; a row whose
copy does not read back identical stops the migration (and, the migration being one transaction on
PostgreSQL, no row changes). Rows without bytes (personal data removed) keep no file. The column
goes only after every row has its file. Backwards, the bytes are read from the storage into the
column again; the files stay where they are.
"""

import secrets

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import migrations, models

import requests_app.models

BATCH = 200


def _ids(IssuedAgreement):
    return list(IssuedAgreement.objects.order_by("pk").values_list("pk", flat=True))


def move_into_storage(apps, schema_editor):
    IssuedAgreement = apps.get_model("requests_app", "IssuedAgreement")
    ids = _ids(IssuedAgreement)
    for start in range(0, len(ids), BATCH):
        for row in IssuedAgreement.objects.filter(pk__in=ids[start:start + BATCH]).only("pk", "pdf", "file"):
            data = bytes(row.pdf or b"")
            if not data or row.file:
                continue
            name = default_storage.save(f"issued_agreements/{secrets.token_hex(16)}.pdf", ContentFile(data))
            with default_storage.open(name, "rb") as stored:
                if stored.read() != data:
                    raise RuntimeError(f"Issued agreement {row.pk}: the stored copy does not read back identical.")
            IssuedAgreement.objects.filter(pk=row.pk).update(file=name)
    with_bytes = IssuedAgreement.objects.exclude(pdf=b"").count()
    with_file = IssuedAgreement.objects.exclude(file="").count()
    if with_bytes != with_file:
        raise RuntimeError(f"{with_bytes} issued agreements have bytes but {with_file} have a stored file.")


def move_back_into_the_database(apps, schema_editor):
    IssuedAgreement = apps.get_model("requests_app", "IssuedAgreement")
    ids = _ids(IssuedAgreement)
    for start in range(0, len(ids), BATCH):
        for row in IssuedAgreement.objects.filter(pk__in=ids[start:start + BATCH]).exclude(file="").only("pk", "file"):
            with default_storage.open(row.file.name, "rb") as stored:
                IssuedAgreement.objects.filter(pk=row.pk).update(pdf=stored.read())


class Migration(migrations.Migration):

    dependencies = [
        ("requests_app", "0021_upload_checks"),
    ]

    operations = [
        migrations.AddField(
            model_name="issuedagreement",
            name="file",
            field=models.FileField(
                blank=True, editable=False, max_length=200, upload_to=requests_app.models._issued_agreement_path,
            ),
        ),
        # A default, so that going backwards can add the column to rows that exist.
        migrations.AlterField(
            model_name="issuedagreement", name="pdf", field=models.BinaryField(blank=True, default=b""),
        ),
        migrations.RunPython(move_into_storage, move_back_into_the_database, elidable=False),
        migrations.RemoveField(model_name="issuedagreement", name="pdf"),
    ]
