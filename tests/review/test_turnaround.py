"""LAGPeR's public record: requests received and decided, median working days, share approved; cached."""

import datetime

import pytest
from django.urls import reverse

from requests_app.review.services import request_approve, request_reject
from requests_app.reviewing.turnaround import turnaround, working_days_between
from tests import journeys
from tests.clock import next_weekday

DAY = datetime.timedelta(days=1)
MONDAY = next_weekday(0)


def test_working_days_count_weekdays_after_the_start_up_to_the_end():
    assert working_days_between(MONDAY, MONDAY + datetime.timedelta(hours=3)) == 0
    assert working_days_between(MONDAY, MONDAY + 2 * DAY) == 2  # Wednesday
    assert working_days_between(MONDAY + 4 * DAY, MONDAY + 7 * DAY) == 1  # Friday to Monday
    assert working_days_between(MONDAY, MONDAY + 14 * DAY) == 10


@pytest.fixture
def record(alice, lagper, bob, clock):
    """Over the last 90 days: one approved in 2 working days, one rejected in 5, one still open; one older."""
    clock.move_to(MONDAY - 100 * DAY)
    old = journeys.under_review(applicant=alice, dataset=lagper)
    request_reject(request=old, reviewer=bob, reason="Too old to count.")
    clock.move_to(MONDAY)
    quick, slow, _open = (journeys.under_review(applicant=alice, dataset=lagper) for _ in range(3))
    clock.move_to(MONDAY + 2 * DAY)
    request_approve(request=quick, reviewer=bob, expires_at=None)
    clock.move_to(MONDAY + 7 * DAY)
    request_reject(request=slow, reviewer=bob, reason="Commercial use.")
    clock.move_to(MONDAY + 8 * DAY)
    return _open


def test_the_figures_cover_the_last_90_days(record, lagper):
    figures = turnaround(lagper)
    assert (figures.received, figures.decided, figures.approved) == (3, 2, 1)
    assert (figures.median_working_days, figures.share_approved) == (3.5, 50)
    assert (figures.promised_working_days, figures.within_promise) == (10, True)


def test_the_public_page_shows_them_to_anyone_and_is_cached_for_the_hour(
    record, lagper, bob, client, clock, django_assert_num_queries
):
    url = reverse("requests_app:dataset_turnaround", args=["lagper"])
    page = client.get(url).content.decode()
    assert "3.5 working days (within the promised 10)" in page
    assert "50 % of decisions" in page

    request_approve(request=record, reviewer=bob, expires_at=None)
    with django_assert_num_queries(1):  # the dataset; the figures come from the cache
        page = client.get(url).content.decode()
    assert "50 % of decisions" in page

    clock.shift(datetime.timedelta(hours=1))
    assert "67 % of decisions" in client.get(url).content.decode()


def test_with_no_decision_yet_the_page_says_so(lagper, client):
    page = client.get(reverse("requests_app:dataset_turnaround", args=["lagper"])).content.decode()
    assert "— (no decision yet)" in page
    assert (
        reverse("requests_app:dataset_turnaround", args=["lagper"])
        in client.get(lagper.get_absolute_url()).content.decode()
    )
