"""Bob reviews on a 390 px phone: the queue is cards, and the decision comes before a long history.

Screenshots land in var/screenshots/phone-*.png for a person to look at.
"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from requests_app.models import RequestEvent
from requests_app.reviewing.services import request_claim
from tests import journeys
from tests.browser import SCREENSHOTS, shot, sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_bobs_queue_fits_a_phone_and_the_decision_is_above_the_history(page, live_server, alice, lagper, bob):
    requests = [
        journeys.under_review(
            applicant=alice, dataset=lagper, organisation=f"UNIVERSITY OF A VERY LONG NAME NUMBER {i}"
        )
        for i in range(6)
    ]
    request_claim(request=requests[0], reviewer=bob)
    long = requests[1]
    now = timezone.now()
    # A history some 6,000 px tall on a phone.
    RequestEvent.objects.bulk_create(
        RequestEvent(
            request=long,
            actor=alice,
            from_status="under_review",
            to_status="under_review",
            at=now,
            note="Signed copy replaced: every page of this agreement, checked once more. " * 3,
        )
        for _ in range(60)
    )
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, bob)

    page.goto(f"{live_server.url}/review/")
    expect(page.locator(".queue-row")).to_have_count(6)
    assert page_width(page) <= PHONE["width"]
    assert page.locator("table.review-queue thead").is_hidden()  # cards, labelled, not columns
    expect(page.locator(".queue-row").first.locator("td.assignee")).to_have_text("you")
    shot(page, "phone-queue")

    page.goto(f"{live_server.url}/review/{long.reference}/")
    assert page_width(page) <= PHONE["width"]
    approve = page.locator("button[name=decide]:has-text('Approve')").bounding_box()
    history = page.locator("table.history").bounding_box()
    assert history["height"] > 6000
    assert approve["y"] + approve["height"] < history["y"]
    assert approve["y"] < 3 * PHONE["height"]  # a few thumbs' scroll, not 6,000 px
    page.screenshot(path=SCREENSHOTS / "phone-decision.png")  # what the phone shows on arrival
