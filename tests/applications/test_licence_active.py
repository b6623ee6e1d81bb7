"""A licence is active from approval until the moment it expires: one definition, as SQL for many rows
(selectors.active_licences) and on one row already read (LicenseRequest.is_active), which must agree."""

import datetime

import pytest

from requests_app.applications.selectors import active_licences
from requests_app.models import LicenseRequest
from tests import journeys
from tests.clock import start

Status = LicenseRequest.Status
SECOND = datetime.timedelta(seconds=1)


@pytest.mark.parametrize(
    ("status", "expires_in", "active"),
    [
        (Status.APPROVED, None, True),
        (Status.APPROVED, SECOND, True),
        (Status.APPROVED, datetime.timedelta(0), False),
        (Status.APPROVED, -SECOND, False),
        (Status.UNDER_REVIEW, None, False),
        (Status.REVOKED, SECOND, False),
        (Status.EXPIRED, None, False),
    ],
)
def test_a_row_is_active_while_approved_and_before_its_expiry(status, expires_in, active):
    now = start()
    licence = LicenseRequest(status=status, expires_at=None if expires_in is None else now + expires_in)
    assert licence.is_active(now) is active


def test_the_row_and_the_query_agree_up_to_the_expiry_and_at_it(clock, alice, bob, lagper):
    licence = journeys.approved(applicant=alice, dataset=lagper, reviewer=bob, expires_at=start() + 10 * SECOND)
    licence.refresh_from_db()

    for moment, expected in [(start() + 9 * SECOND, True), (start() + 10 * SECOND, False)]:
        in_query = active_licences(now=moment).filter(pk=licence.pk).exists()
        assert (licence.is_active(moment), in_query) == (expected, expected)
