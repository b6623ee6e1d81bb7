"""Make the audit trail append-only in the database itself, not just in the ORM."""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER requestevent_no_update BEFORE UPDATE ON requests_app_requestevent
       BEGIN SELECT RAISE(ABORT, 'requests_app_requestevent is append-only'); END""",
    """CREATE TRIGGER requestevent_no_delete BEFORE DELETE ON requests_app_requestevent
       BEGIN SELECT RAISE(ABORT, 'requests_app_requestevent is append-only'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER requestevent_no_update",
    "DROP TRIGGER requestevent_no_delete",
]
POSTGRESQL = [
    """CREATE FUNCTION requestevent_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'requests_app_requestevent is append-only'; END $$""",
    """CREATE TRIGGER requestevent_append_only BEFORE UPDATE OR DELETE ON requests_app_requestevent
       FOR EACH ROW EXECUTE FUNCTION requestevent_append_only()""",
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER requestevent_append_only ON requests_app_requestevent",
    "DROP FUNCTION requestevent_append_only()",
]


def forwards(apps, schema_editor):
    for sql in {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    for sql in {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRESQL_REVERSE}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
