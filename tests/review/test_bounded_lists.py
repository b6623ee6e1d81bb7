"""Lists that grow with use stay bounded on the pages: the latest few, how many in all, the rest a page away.

Alice's licence has been used for years: she opened its delivery instructions hundreds of times and
its history is long. Bob reviews it.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from requests_app.models import DeliveryView, RequestEvent
from requests_app.review.selectors import DELIVERY_VIEWS_SHOWN, HISTORY_SHOWN
from tests import journeys


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


@pytest.fixture
def licence(alice, bob, lagper):
    return journeys.approved(applicant=alice, dataset=lagper, reviewer=bob)


def used(licence, *, views: int, events: int) -> None:
    now = timezone.now()
    DeliveryView.objects.bulk_create(
        DeliveryView(request=licence, user=licence.applicant, at=now) for _ in range(views)
    )
    RequestEvent.objects.bulk_create(
        RequestEvent(request=licence, actor=licence.applicant, to_status="approved", note=f"Seen {i}.", at=now)
        for i in range(events)
    )


@pytest.mark.parametrize("uses", [3, 300])
def test_bobs_decision_page_shows_the_latest_views_and_events_whatever_their_number(
    bob_client, licence, uses, django_assert_num_queries
):
    used(licence, views=uses, events=uses)
    url = reverse("review:request", args=[licence.reference])
    # The same for 3 or 300: the counts are subqueries of the request's query, the lists sliced prefetches.
    with django_assert_num_queries(17):
        page = bob_client.get(url).content.decode()
    table = page.split('class="table table-sm bg-white delivery-views"')[1].split("</table>")[0]
    assert table.count("<tr>") == 1 + min(uses, DELIVERY_VIEWS_SHOWN)
    history = page.split('class="table table-sm bg-white history"')[1].split("</table>")[0]
    total_events = licence.events.count()
    assert history.count("<tr>") == 1 + min(total_events, HISTORY_SHOWN)
    if uses > HISTORY_SHOWN:
        assert f"The latest 10 of {uses} views." in page
        assert f"The latest 50 of {total_events} events." in page
        assert "Seen 299." in history and "Seen 249." not in history  # the newest, in the order they happened
        assert history.index("Seen 250.") < history.index("Seen 299.")


@pytest.mark.parametrize("uses", [3, 300])
def test_bob_pages_through_every_delivery_view(bob_client, licence, uses, django_assert_num_queries):
    used(licence, views=uses, events=0)
    url = reverse("review:delivery_views", args=[licence.reference])
    # The same for 3 or 300: the request with its bounded lists, then the views' count and one page.
    with django_assert_num_queries(10):
        page = bob_client.get(url).content.decode()
    assert page.count("<tr>") == 1 + min(uses, 50)
    if uses > 50:
        assert f"{uses} views, newest first." in page and "Page 1 of 6" in page
        assert bob_client.get(url, {"page": 6}).content.decode().count("<tr>") == 1 + 50


def test_charlie_sees_no_delivery_views(client, charlie, licence):
    client.force_login(charlie)
    assert client.get(reverse("review:delivery_views", args=[licence.reference])).status_code == 404


def test_alices_request_page_shows_her_latest_history_whatever_its_length(
    client, alice, licence, django_assert_num_queries
):
    client.force_login(alice)
    used(licence, views=0, events=3)
    with CaptureQueriesContext(connection) as short:
        client.get(licence.get_absolute_url())
    used(licence, views=0, events=297)
    with django_assert_num_queries(len(short.captured_queries)):
        page = client.get(licence.get_absolute_url()).content.decode()
    history = page.split('class="table table-sm history bg-white"')[1].split("</table>")[0]
    assert history.count("<tr>") == 1 + HISTORY_SHOWN
    assert f"The latest 50 of {licence.events.count()} events." in page
