"""Alice reports the papers she wrote with LAGPeR; Bob sees and exports them; Charlie sees nothing."""

import csv
import datetime
import io

import pytest
import time_machine
from django.urls import reverse

from requests_app.models import Dataset, Publication
from requests_app.notifications import reminders
from tests import journeys
from tests.clock import start
from tests.factories import UserFactory

NOW = start()
NEXT_YEAR = NOW.year + 1

PAPER = {
    "title": "Aerial-ground re-identification at scale",
    "venue": "CVPR",
    "year": "2026",
    "link": "https://doi.org/10.1109/CVPR.2026.01234",
}


@pytest.fixture
def licence(alice, lagper, bob):
    """Alice's licence, approved by bob ten days before now, for 1,000 days more."""
    with time_machine.travel(NOW - datetime.timedelta(days=10), tick=False):
        return journeys.approved(
            applicant=alice, dataset=lagper, reviewer=bob, expires_at=NOW + datetime.timedelta(days=1000)
        )


def report_url(licence):
    return reverse("reminders:report_publication", args=[licence.reference])


def test_alice_reports_a_paper_from_her_licence_page(alice_client, licence):
    page = alice_client.get(licence.get_absolute_url()).content.decode()
    assert f'href="{report_url(licence)}"' in page

    response = alice_client.post(report_url(licence), PAPER)
    assert response.status_code == 302
    paper = Publication.objects.get()
    assert (paper.request, paper.title, paper.venue, paper.year, paper.link, paper.reported_at) == (
        licence,
        PAPER["title"],
        "CVPR",
        2026,
        "10.1109/CVPR.2026.01234",
        NOW,
    )
    assert paper.href == "https://doi.org/10.1109/CVPR.2026.01234"
    assert PAPER["title"] in alice_client.get(report_url(licence)).content.decode()


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("year", "1949", f"Enter a year between 1950 and {NEXT_YEAR}."),
        ("year", str(NEXT_YEAR + 1), f"Enter a year between 1950 and {NEXT_YEAR}."),
        ("link", "javascript:alert(1)", "Enter a DOI"),
        ("link", "10.12/too-short-prefix", "Enter a DOI"),
        ("title", "x" * 501, "at most 500 characters"),
        ("venue", "CVPR\x00", "Null characters are not allowed."),
        ("title", "Header\rinjection", "control characters"),
    ],
)
def test_bad_paper_is_refused_and_nothing_typed_is_lost(alice_client, licence, field, value, message):
    response = alice_client.post(report_url(licence), {**PAPER, field: value})
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert "nothing you typed was lost" in page
    assert 'value="CVPR"' in page or field == "venue"
    assert Publication.objects.count() == 0


def test_plain_url_and_bare_doi_are_accepted(alice_client, licence):
    alice_client.post(report_url(licence), {**PAPER, "link": "https://arxiv.org/abs/2501.00001"})
    alice_client.post(report_url(licence), {**PAPER, "link": "doi:10.48550/arXiv.2501.00001"})
    assert sorted(Publication.objects.values_list("link", flat=True)) == [
        "10.48550/arXiv.2501.00001",
        "https://arxiv.org/abs/2501.00001",
    ]


def test_no_report_once_the_licence_expired(alice_client, alice, lagper, bob):
    with time_machine.travel(NOW - datetime.timedelta(days=10), tick=False):
        licence = journeys.approved(
            applicant=alice, dataset=lagper, reviewer=bob, expires_at=NOW - datetime.timedelta(days=1)
        )
    assert reminders.expire_licences(now=NOW) == 1  # the sweep ends it
    page = alice_client.get(report_url(licence)).content.decode()
    assert "Papers can be reported while the licence is active." in page
    response = alice_client.post(report_url(licence), PAPER, follow=True)
    assert "is not one" in response.content.decode()
    assert Publication.objects.count() == 0


def test_charlie_cannot_see_or_report_on_alices_licence(client, charlie, licence):
    client.force_login(charlie)
    assert client.get(report_url(licence)).status_code == 404
    assert client.post(report_url(licence), PAPER).status_code == 404
    assert Publication.objects.count() == 0


def add_papers(licence, n):
    Publication.objects.bulk_create(
        Publication(
            request=licence,
            title=f"Paper {i}",
            venue="CVPR",
            year=2026,
            link=f"10.1234/p{i}",
            reported_at=NOW,
            reported_by=licence.applicant,
        )
        for i in range(n)
    )


def test_bob_sees_papers_per_dataset_and_per_licence(client, bob, licence, lagper, django_assert_num_queries):
    other = journeys.approved(applicant=UserFactory(), dataset=lagper, reviewer=bob)
    add_papers(licence, 2)
    add_papers(other, 1)
    client.force_login(bob)
    url = reverse("reminders:dataset_publications", args=["lagper"])
    # session, user, dataset, how many papers, the page of papers, the nav's reviewer check
    with django_assert_num_queries(6) as few:
        client.get(url)
    add_papers(other, 60)
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert licence.reference in page and other.reference in page
    assert page.count("<tr>") == 1 + 50 and "63 papers" in page and "Page 1 of 2" in page
    assert client.get(url, {"page": 2}).content.decode().count("<tr>") == 1 + 13

    only_alice = client.get(url, {"licence": licence.reference}).content.decode()
    assert "Paper 0" in only_alice and other.reference not in only_alice


def test_charlie_cannot_see_the_datasets_papers(client, charlie, licence):
    client.force_login(charlie)
    assert client.get(reverse("reminders:dataset_publications", args=["lagper"])).status_code == 404
    assert client.get(reverse("reminders:dataset_publications_csv", args=["lagper"])).status_code == 404


def test_a_superuser_sees_every_datasets_papers(admin_client, licence):
    assert admin_client.get(reverse("reminders:dataset_publications", args=["lagper"])).status_code == 200


def test_csv_export_is_streamed_and_safe_from_formulas(client, bob, licence):
    Publication.objects.create(
        request=licence,
        title='=HYPERLINK("http://evil.example","click")',
        venue="+CVPR",
        year=2026,
        link="https://example.org/paper",
        reported_at=NOW,
        reported_by=licence.applicant,
    )
    client.force_login(bob)
    response = client.get(reverse("reminders:dataset_publications_csv", args=["lagper"]))
    assert response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="lagper-publications.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows == [
        ["licence", "organisation", "title", "venue", "year", "doi_or_url", "reported_at"],
        [
            licence.reference,
            "EXAMPLE UNIVERSITY",
            '\'=HYPERLINK("http://evil.example","click")',
            "'+CVPR",
            "2026",
            "https://example.org/paper",
            NOW.isoformat(),
        ],
        ["# complete: 1 rows"],
    ]


def test_eve_reviewing_another_dataset_sees_nothing_of_lagper(client, licence):
    other = Dataset.objects.create(
        slug="other",
        name="Other",
        full_name="Other",
        description="-",
        owner="-",
        contact_name="-",
        contact_email="o@example.org",
        citation_text="-",
        citation_bibtex="-",
        delivery_instructions="-",
        reference_prefix="OTHER",
    )
    eve = UserFactory(username="eve")
    other.reviewers.add(eve)
    client.force_login(eve)
    assert client.get(reverse("reminders:dataset_publications", args=["lagper"])).status_code == 404
    assert client.get(reverse("reminders:dataset_publications", args=["other"])).status_code == 200
