"""On PostgreSQL the app runs as a role that can add history but not erase or bypass it."""

import psycopg
import pytest
from django.db import connection
from psycopg import errors

from requests_app.audit.roles import app_role_statements
from requests_app.audit.verify import verify
from requests_app.review.services import request_approve, request_revoke
from tests import journeys
from tests.factories import LicenseRequestFactory, UserFactory

pytestmark = [
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL roles"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def app_role():
    """The role from `manage.py app_role_sql`, created in the test database and dropped after."""
    role = f"{connection.settings_dict['NAME']}_app"
    with connection.cursor() as cursor:
        for statement in app_role_statements(role):
            cursor.execute(statement)
    yield role
    with connection.cursor() as cursor:
        cursor.execute(f'DROP OWNED BY "{role}"')
        cursor.execute(f'DROP ROLE "{role}"')


def connect_as(role) -> psycopg.Connection:
    s = connection.settings_dict
    return psycopg.connect(host=s["HOST"], port=s["PORT"] or 5432, dbname=s["NAME"], user=role, autocommit=True)


def test_the_app_works_as_its_role(app_role, alice, lagper):
    bob = UserFactory(username="bob", email="bob@nwpu.example")
    lagper.reviewers.add(bob)
    request = journeys.under_review(applicant=alice, dataset=lagper)
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{app_role}"')
    try:
        request_approve(request=request, reviewer=bob, expires_at=None, note="Fine.")
        request_revoke(request=request, reviewer=bob, reason="Shared it.")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert list(request.events.values_list("to_status", flat=True))[-2:] == ["approved", "revoked"]
    assert verify()[1] == []


BYPASSES = {
    "TRUNCATE": "TRUNCATE requests_app_requestevent",
    "TRUNCATE CASCADE": "TRUNCATE requests_app_licenserequest CASCADE",
    "DISABLE TRIGGER": "ALTER TABLE requests_app_requestevent DISABLE TRIGGER ALL",
    "DROP TRIGGER": "DROP TRIGGER requestevent_append_only ON requests_app_requestevent",
    "session_replication_role": "SET session_replication_role = replica",
    "UPDATE": "UPDATE requests_app_requestevent SET note = 'rewritten'",
    "DELETE": "DELETE FROM requests_app_requestevent",
    "DROP TABLE": "DROP TABLE requests_app_requestevent CASCADE",
    "CREATE TRIGGER": "CREATE TRIGGER t BEFORE INSERT ON requests_app_requestevent FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()",
    "ALTER TABLE": "ALTER TABLE requests_app_requestevent DROP COLUMN hash",
}


@pytest.mark.parametrize("name", BYPASSES)
def test_the_apps_role_cannot_erase_or_bypass_the_history(app_role, alice, lagper, name):
    LicenseRequestFactory(dataset=lagper, applicant=alice)  # started and submitted: two events
    with connect_as(app_role) as conn:
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(BYPASSES[name])
        assert conn.execute("SELECT count(*) FROM requests_app_requestevent").fetchone() == (2,)
