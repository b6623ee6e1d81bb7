"""Hash-chain the audit trail: seq, prev_hash and hash on every RequestEvent, existing ones backfilled.

The append-only triggers of 0002 are lifted for the backfill (the only UPDATE the table ever gets)
and put back, on PostgreSQL with a TRUNCATE trigger too. SQLite rebuilds the table to add the
constraint, which drops its triggers: they are recreated last in any case.
"""

from django.db import migrations, models

from requests_app.audit.chain import GENESIS, event_hash

SQLITE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS requestevent_no_update BEFORE UPDATE ON requests_app_requestevent
       BEGIN SELECT RAISE(ABORT, 'requests_app_requestevent is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS requestevent_no_delete BEFORE DELETE ON requests_app_requestevent
       BEGIN SELECT RAISE(ABORT, 'requests_app_requestevent is append-only'); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS requestevent_no_update",
    "DROP TRIGGER IF EXISTS requestevent_no_delete",
]
POSTGRESQL_TRIGGERS = [
    """CREATE TRIGGER requestevent_append_only BEFORE UPDATE OR DELETE ON requests_app_requestevent
       FOR EACH ROW EXECUTE FUNCTION requestevent_append_only()""",
    """CREATE TRIGGER requestevent_no_truncate BEFORE TRUNCATE ON requests_app_requestevent
       FOR EACH STATEMENT EXECUTE FUNCTION requestevent_append_only()""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS requestevent_append_only ON requests_app_requestevent",
    "DROP TRIGGER IF EXISTS requestevent_no_truncate ON requests_app_requestevent",
]


def _run(schema_editor, by_vendor):
    for sql in by_vendor.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def lift_triggers(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP})


def restore_triggers(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_DROP + SQLITE_TRIGGERS, "postgresql": POSTGRESQL_DROP + POSTGRESQL_TRIGGERS})


def restore_old_triggers(apps, schema_editor):
    _run(schema_editor, {
        "sqlite": SQLITE_DROP + SQLITE_TRIGGERS,
        "postgresql": POSTGRESQL_DROP + POSTGRESQL_TRIGGERS[:1],
    })


def backfill(apps, schema_editor):
    """Chain each request's existing events in the order the history shows them (at, then id)."""
    RequestEvent = apps.get_model("requests_app", "RequestEvent")
    db = schema_editor.connection.alias
    previous: dict[int, tuple[int, str]] = {}
    for event in RequestEvent.objects.using(db).order_by("request_id", "at", "pk").iterator(chunk_size=2000):
        seq, prev = previous.get(event.request_id, (0, GENESIS))
        seq += 1
        digest = event_hash(
            request_id=event.request_id, seq=seq, actor_id=event.actor_id, from_status=event.from_status,
            to_status=event.to_status, note=event.note, at=event.at, ip=event.ip, prev_hash=prev,
        )
        RequestEvent.objects.using(db).filter(pk=event.pk).update(seq=seq, prev_hash=prev, hash=digest)
        previous[event.request_id] = (seq, digest)


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0012_integrations")]

    operations = [
        migrations.RunPython(lift_triggers, restore_old_triggers),
        migrations.AddField(
            model_name="requestevent", name="seq",
            field=models.PositiveIntegerField(editable=False, null=True, help_text="1, 2, 3... within the request."),
        ),
        migrations.AddField(
            model_name="requestevent", name="prev_hash",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="requestevent", name="hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="requestevent", name="seq",
            field=models.PositiveIntegerField(editable=False, help_text="1, 2, 3... within the request."),
        ),
        migrations.AddConstraint(
            model_name="requestevent",
            constraint=models.UniqueConstraint(fields=("request", "seq"), name="unique_event_seq"),
        ),
        migrations.RunPython(restore_triggers, lift_triggers),
    ]
