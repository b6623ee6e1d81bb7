"""The reviewers' search through an index on both databases, with the unit searchable and folded text.

search_text is remade (a generated column cannot be altered): now with the unit, folded by
portal_fold() on PostgreSQL. SQLite gets its FTS5 trigram index and the triggers that keep it
(requests_app.search; recreated after every migrate if a table rebuild dropped them).
"""

import django.db.models.functions.text
from django.db import migrations, models

import requests_app.search
from requests_app.search import POSTGRES_FOLD, POSTGRES_INDEX, REQUESTS_TABLE


def create_fold_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FOLD)


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX {POSTGRES_INDEX} ON {REQUESTS_TABLE} USING gin (search_text gin_trgm_ops)"
        )
    requests_app.search.ensure_sqlite_index(schema_editor.connection)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {POSTGRES_INDEX}")
    requests_app.search.drop_sqlite_index(schema_editor.connection)


def recreate_old_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {POSTGRES_INDEX} ON {REQUESTS_TABLE} USING gin (search_text gin_trgm_ops)"
        )


class Migration(migrations.Migration):

    dependencies = [
        ("requests_app", "0018_signed_copy_checks"),
    ]

    operations = [
        migrations.RunPython(create_fold_function, migrations.RunPython.noop),
        # Dropping the column drops 0007's trigram index with it; backwards, the old column gets it again.
        migrations.RunPython(migrations.RunPython.noop, recreate_old_index),
        migrations.RemoveField(model_name="licenserequest", name="search_text"),
        migrations.AddField(
            model_name="licenserequest",
            name="search_text",
            field=models.GeneratedField(
                db_persist=True,
                expression=requests_app.search.SearchFold(
                    django.db.models.functions.text.Concat(
                        "reference", models.Value("\n"), "representative_name", models.Value("\n"),
                        "organisation", models.Value("\n"), "unit", models.Value("\n"), "email",
                        output_field=models.TextField(),
                    )
                ),
                output_field=models.TextField(),
            ),
        ),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
