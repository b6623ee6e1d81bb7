"""Django's `flush`, able to empty the append-only history on SQLite too.

Emptying the whole database is not rewriting history, and Django's test runner flushes after every
transactional test (live_server, browser tests). On PostgreSQL flush is a TRUNCATE, which row
triggers do not see; on SQLite it is a DELETE, which migration 0002's trigger refuses. So on SQLite
the trigger is lifted for the flush and put back, in the same transaction.
"""

from importlib import import_module

from django.core.management.commands import flush
from django.db import connections, transaction

append_only = import_module("requests_app.migrations.0002_requestevent_append_only")


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options["database"]]
        if connection.vendor == "postgresql":
            return self._flush_postgresql(connection, **options)
        if connection.vendor != "sqlite":
            return super().handle(**options)
        with transaction.atomic(using=options["database"]), connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name = 'requestevent_no_delete'")
            guarded = cursor.fetchone() is not None
            if guarded:
                cursor.execute("DROP TRIGGER requestevent_no_delete")
            super().handle(**options)
            if guarded:
                cursor.execute(append_only.SQLITE[1])

    def _flush_postgresql(self, connection, **options):
        # Migration 0008 refuses TRUNCATE on the history; the owner lifts that for the flush, in one
        # transaction (the app's own role may not ALTER the table, so it never can).
        with transaction.atomic(using=options["database"]), connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_trigger WHERE tgname = 'requestevent_no_truncate'"
                " AND tgrelid = 'requests_app_requestevent'::regclass"
            )
            guarded = cursor.fetchone() is not None
            if guarded:
                cursor.execute("ALTER TABLE requests_app_requestevent DISABLE TRIGGER requestevent_no_truncate")
            super().handle(**options)
            if guarded:
                cursor.execute("ALTER TABLE requests_app_requestevent ENABLE TRIGGER requestevent_no_truncate")
