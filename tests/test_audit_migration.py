"""Migration 0008 chains the events that existed before it, and the append-only triggers survive it."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from requests_app.audit.verify import verify
from requests_app.models import LicenseRequest, RequestEvent

from .factories import LicenseRequestFactory

BEFORE = [("requests_app", "0012_integrations")]
LATEST = None  # every migration there is: later ones must find the chain in place


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets if targets is not None else executor.loader.graph.leaf_nodes("requests_app"))


@pytest.mark.django_db(transaction=True)
def test_existing_events_are_chained_by_the_migration(alice, lagper):
    request = LicenseRequestFactory(dataset=lagper, applicant=alice, status=LicenseRequest.Status.UNDER_REVIEW)
    first = request.events.get()
    migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO requests_app_requestevent (request_id, actor_id, from_status, to_status, note, at, ip)"
                " VALUES (%s, NULL, 'under_review', 'approved', 'Approved before the chain existed.', %s, '203.0.113.5')",
                [request.pk, first.at],
            )
    finally:
        migrate(LATEST)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE requests_app_licenserequest SET status = 'approved' WHERE id = %s", [request.pk])

    events = list(RequestEvent.objects.filter(request=request).order_by("seq"))
    assert [(e.seq, e.to_status) for e in events] == [(1, "under_review"), (2, "approved")]
    assert events[1].prev_hash == events[0].hash
    assert verify()[1] == []
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE requests_app_requestevent SET note = 'rewritten'")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM requests_app_requestevent")
