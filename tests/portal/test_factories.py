"""The tests' requests are ones people could have made: the factory goes through the services."""

import ast
import re

import pytest

from requests_app.models import LicenseRequest
from tests.factories import LicenseRequestFactory
from tests.paths import ROOT
from tests.portal.test_workflow import status_writes

TESTS = ROOT / "tests"


@pytest.mark.parametrize(
    "field", ["status", "reference", "submitted_at", "approved_at", "expires_at", "decision_reason"]
)
def test_the_factory_refuses_what_the_services_own_and_says_where_to_go(alice, lagper, field):
    with pytest.raises(TypeError, match=rf"cannot set {field}: .*tests/journeys\.py"):
        LicenseRequestFactory(dataset=lagper, applicant=alice, **{field: None})
    assert not LicenseRequest.objects.exists()


def test_the_factory_makes_a_submitted_application_with_its_whole_record(alice, lagper):
    request = LicenseRequestFactory(dataset=lagper, applicant=alice, unit="Robotics Lab")
    request.refresh_from_db()
    assert (request.status, request.unit, request.email) == ("awaiting_signature", "Robotics Lab", "alice@uni.example")
    assert re.fullmatch(rf"LAGPER-{request.submitted_at.year}-\d{{6}}", request.reference)
    assert list(request.events.values_list("from_status", "to_status")) == [
        ("", "draft"),
        ("draft", "awaiting_signature"),
    ]
    assert request.clause_acceptances.count() == len(lagper.current_agreement.clauses)
    assert list(request.issued_agreements.values_list("issue", flat=True)) == [1]


def test_no_test_writes_a_status():
    writers = [
        f"{path.relative_to(TESTS)}:{line}"
        for path in sorted(TESTS.rglob("test_*.py"))
        for line in status_writes(ast.parse(path.read_text()))
    ]
    assert writers == []
