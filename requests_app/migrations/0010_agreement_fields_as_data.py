"""Agreements declare their own fields: each request keeps what was typed in `values`, by field name.

The existing columns stay (the queue, search and CSV read them) and are copied into `values`, so a
request made before this migration reads the same afterwards.
"""

from django.db import migrations, models

COLUMNS = (
    "representative_name", "representative_title", "signing_date", "organisation", "address", "unit",
    "email", "phone", "research_purpose",
)


def copy_columns_into_values(apps, schema_editor):
    LicenseRequest = apps.get_model("requests_app", "LicenseRequest")
    batch = []
    for request in LicenseRequest.objects.only("pk", "values", *COLUMNS).iterator(chunk_size=2000):
        values = {}
        for name in COLUMNS:
            value = getattr(request, name)
            values[name] = value.isoformat() if name == "signing_date" and value else (value or "")
        request.values = {**values, **(request.values or {})}
        batch.append(request)
        if len(batch) >= 2000:
            LicenseRequest.objects.bulk_update(batch, ["values"])
            batch = []
    if batch:
        LicenseRequest.objects.bulk_update(batch, ["values"])


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0009_reviewer_grants")]

    operations = [
        migrations.AddField(
            model_name="agreementversion", name="layout", field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="licenserequest", name="values", field=models.JSONField(blank=True, default=dict),
        ),
        # Keys real agreements do not have: a file may leave them out.
        migrations.AlterField(
            model_name="agreementversion", name="signatory",
            field=models.TextField(blank=True, help_text="Who must sign."),
        ),
        migrations.AlterField(model_name="dataset", name="citation_bibtex", field=models.TextField(blank=True)),
        migrations.AlterField(model_name="dataset", name="citation_text", field=models.TextField(blank=True)),
        migrations.AlterField(
            model_name="dataset", name="contact_name", field=models.CharField(blank=True, max_length=200),
        ),
        migrations.RunPython(copy_columns_into_values, migrations.RunPython.noop),
    ]
