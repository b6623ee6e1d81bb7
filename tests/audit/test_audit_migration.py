"""Migration 0008 chains the events that existed before it, and the append-only triggers survive it."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from requests_app.audit.verify import verify
from requests_app.models import RequestEvent
from tests import journeys

BEFORE = [("requests_app", "0012_integrations")]


def migrate(targets=None):
    """To `targets`, or (None) to every app's latest migration, as the other tests expect the database."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_events_are_chained_by_the_migration(alice, lagper):
    request = journeys.under_review(applicant=alice, dataset=lagper)
    last = request.events.last()
    migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO requests_app_requestevent (request_id, actor_id, from_status, to_status, note, at, ip)"
                " VALUES (%s, NULL, 'under_review', 'approved', 'Approved before the chain existed.', %s, '203.0.113.5')",
                [request.pk, last.at],
            )
    finally:
        migrate()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE requests_app_licenserequest SET status = 'approved' WHERE id = %s", [request.pk])

    events = list(RequestEvent.objects.filter(request=request).order_by("seq"))
    assert [(e.seq, e.to_status) for e in events] == [
        (1, "draft"),
        (2, "awaiting_signature"),
        (3, "under_review"),
        (4, "approved"),
    ]
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert verify()[1] == []
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE requests_app_requestevent SET note = 'rewritten'")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM requests_app_requestevent")
