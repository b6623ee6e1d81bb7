"""The reviewers' search finds a request by its applicant's account email through an index, not by
reading every account: a pg_trgm index on PostgreSQL, an FTS5 trigram table on SQLite
(requests_app.search, which also recreates it after every migrate)."""

from django.conf import settings
from django.db import migrations

import requests_app.search
from requests_app.search import ACCOUNT_POSTGRES_INDEX, ACCOUNT_POSTGRES_INDEX_SQL


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ACCOUNT_POSTGRES_INDEX_SQL)
    requests_app.search.ensure_sqlite_index(schema_editor.connection)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {ACCOUNT_POSTGRES_INDEX}")
    # SQLite's FTS5 tables belong to requests_app.search, which keeps them after every migrate
    # (0019's reverse drops them all with the requests' search).


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0032_countersigned_copy"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
