"""Once a year Alice is asked for her papers, with those she reported; LAGPeR's page may list them."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.urls import reverse

from requests_app.publications.services import publication_report
from requests_app.reviewing.papers import claim_papers_reminders
from tests import journeys

SECOND = datetime.timedelta(seconds=1)


@pytest.fixture
def licence(alice, lagper, bob):
    licence = journeys.approved(applicant=alice, dataset=lagper, reviewer=bob)  # no expiry
    publication_report(
        request=licence,
        user=alice,
        fields={
            "title": "Aerial-ground re-identification at scale",
            "venue": "CVPR",
            "year": 2026,
            "link": "10.1000/xyz123",
        },
    )
    return licence


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    def run():
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            claim_papers_reminders()
        return [m for m in mail.outbox if "papers that used" in m.subject]

    return run


def test_a_yearly_reminder_lists_the_papers_already_reported(licence, sweep, clock):
    year = licence.approved_at + relativedelta(years=1)
    clock.move_to(year - SECOND)
    assert sweep() == []

    clock.move_to(year)
    [reminder] = sweep()
    assert reminder.to == ["alice@uni.example"]
    assert reminder.subject == f"[Licence portal] {licence.reference}: papers that used LAGPeR this year?"
    assert "- Aerial-ground re-identification at scale, CVPR (2026) https://doi.org/10.1000/xyz123" in reminder.body
    assert f"Report a paper: http://127.0.0.1:8000/requests/{licence.reference}/publications/" in reminder.body

    clock.move_to(year + datetime.timedelta(days=3))
    assert sweep() == []  # once a year
    clock.move_to(licence.approved_at + relativedelta(years=2))
    assert len(sweep()) == 1


def test_the_dataset_page_lists_papers_only_if_the_owner_chooses(licence, lagper, client):
    url = reverse("requests_app:dataset_detail", args=["lagper"])
    assert "Aerial-ground re-identification at scale" not in client.get(url).content.decode()
    lagper.show_publications = True
    lagper.save()
    assert "Aerial-ground re-identification at scale" in client.get(url).content.decode()


def test_the_beat_looks_for_due_paper_reminders_daily(licence, clock, settings, django_capture_on_commit_callbacks):
    from requests_app import tasks

    assert settings.CELERY_BEAT_SCHEDULE["papers-reminders"]["task"] == "requests_app.tasks.papers_reminder_sweep"
    clock.move_to(licence.approved_at + relativedelta(years=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.papers_reminder_sweep() == 1
