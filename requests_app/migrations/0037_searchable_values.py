"""The reviewers' search also finds a request by the values its agreement marks searchable (fields of
type email, and those with `searchable = true`): a `search_values` column the services fill, which
search_text now includes. search_text is remade (a generated column cannot be altered), existing
requests' search_values filled from their values, and the indexes made again (requests_app.search).
"""

import django.db.models.functions.text
from django.db import migrations, models

import requests_app.search
from requests_app.agreement_format import spec
from requests_app.search import POSTGRES_INDEX, REQUESTS_TABLE

CREATE_POSTGRES_INDEX = f"CREATE INDEX IF NOT EXISTS {POSTGRES_INDEX} ON {REQUESTS_TABLE} USING gin (search_text gin_trgm_ops)"


def fill_search_values(apps, schema_editor):
    LicenseRequest = apps.get_model("requests_app", "LicenseRequest")
    AgreementVersion = apps.get_model("requests_app", "AgreementVersion")
    for version in AgreementVersion.objects.iterator():
        requests = LicenseRequest.objects.filter(agreement_version=version).only("values")
        changed = []
        for request in requests.iterator(chunk_size=2000):
            request.search_values = spec.search_values(version, request.values or {})
            if request.search_values:
                changed.append(request)
        LicenseRequest.objects.bulk_update(changed, ["search_values"], batch_size=2000)


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_POSTGRES_INDEX)
    requests_app.search.ensure_sqlite_index(schema_editor.connection)


def drop_indexes(apps, schema_editor):
    # SQLite refuses to drop a column its triggers name.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {POSTGRES_INDEX}")
    requests_app.search.drop_sqlite_index(schema_editor.connection)


def _search_text(*names):
    parts = []
    for name in names:
        parts += [name, models.Value("\n")]
    return models.GeneratedField(
        db_persist=True,
        expression=requests_app.search.SearchFold(
            django.db.models.functions.text.Concat(*parts[:-1], output_field=models.TextField())
        ),
        output_field=models.TextField(),
    )


COLUMNS = ("reference", "representative_name", "organisation", "unit", "email")


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0036_verbose_names"),
    ]

    operations = [
        # First, so that filling the new column does not also rewrite the index of the old one.
        migrations.RunPython(drop_indexes, create_indexes),
        migrations.AddField(
            model_name="licenserequest",
            name="search_values",
            field=models.TextField(blank=True, default="", editable=False, verbose_name="searchable values"),
        ),
        migrations.RunPython(fill_search_values, migrations.RunPython.noop),
        migrations.RemoveField(model_name="licenserequest", name="search_text"),
        migrations.AddField(
            model_name="licenserequest", name="search_text", field=_search_text(*COLUMNS, "search_values")
        ),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
