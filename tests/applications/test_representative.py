"""Prof. Wang is named as the representative who signs Alice's request. The portal emails him a link
to see what he is asked to sign for and to confirm or decline it, without an account; the answer is on
the record, Alice sees it, and the dataset decides whether a licence may be granted without it."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse

from requests_app.agreement_format.loading import load_dataset_file
from requests_app.audit.verify import verify
from requests_app.i18n.services import language_remember
from requests_app.identity import checks
from requests_app.identity.models import RepresentativeConfirmation
from requests_app.identity.services import NOTE_CONFIRMED
from requests_app.identity.tasks import representative_reminders_sweep
from requests_app.models import RequestEvent
from requests_app.review.services import request_approve, request_reject, request_revoke, reviewer_grant
from requests_app.workflow import DecisionInvalid
from tests import journeys
from tests.clock import start
from tests.paths import DATA, LAGPER_TOML

WANG = "wang@nwpu.edu.cn"


def link_path(message) -> str:
    [url] = re.findall(r"https?://[^/\s]+(/representative/\S+/)", message.body)
    return url


@pytest.fixture
def submitted(alice, lagper, django_capture_on_commit_callbacks):
    """Alice's request, submitted naming Prof. Wang; the email to him has gone."""
    with django_capture_on_commit_callbacks(execute=True):
        request = journeys.submitted(applicant=alice, dataset=lagper, email=WANG)
    return request


def to_wang():
    return [m for m in mail.outbox if m.to == [WANG]]


def test_submitting_emails_the_representative_a_link_to_what_he_is_asked_to_sign(submitted, client):
    [message] = to_wang()
    assert submitted.reference in message.subject and "confirm" in message.subject
    page = client.get(link_path(message)).content.decode()
    assert submitted.reference in page and "EXAMPLE UNIVERSITY" in page and "Vision Lab" in page
    assert "alice@uni.example" in page and "Redistribution and Modification" in page
    assert 'value="confirm"' in page and 'value="decline"' in page


def test_his_confirmation_is_an_event_on_the_record_not_a_status_change(submitted, client):
    path = link_path(to_wang()[0])
    response = client.post(
        path, {"answer": "confirm"}, HTTP_USER_AGENT="Mozilla/5.0 (Wang)", REMOTE_ADDR="198.51.100.9"
    )
    assert response.status_code == 302
    confirmation = RepresentativeConfirmation.objects.get()
    assert confirmation.answer == "confirmed" and confirmation.ip == "198.51.100.9"
    assert confirmation.user_agent == "Mozilla/5.0 (Wang)"
    event = RequestEvent.objects.filter(request=submitted).order_by("-at", "-pk").first()
    assert (event.from_status, event.to_status) == ("awaiting_signature", "awaiting_signature")
    assert event.note == NOTE_CONFIRMED and WANG not in event.note and event.ip == "198.51.100.9"
    submitted.refresh_from_db()
    assert submitted.status == "awaiting_signature"


def test_his_answer_event_records_when_from_which_address_and_which_browser(submitted, client, bob, clock):
    clock.shift(datetime.timedelta(hours=5, minutes=7))
    client.post(
        link_path(to_wang()[0]),
        {"answer": "decline"},
        HTTP_USER_AGENT="Mozilla/5.0 (Wang)\x00\x1b[31m" + "x" * 500,
        REMOTE_ADDR="198.51.100.9",
    )
    event = RequestEvent.objects.filter(request=submitted).order_by("-seq").first()
    assert event.at == start() + datetime.timedelta(hours=5, minutes=7)
    assert event.ip == "198.51.100.9"
    assert event.user_agent == ("Mozilla/5.0 (Wang)[31m" + "x" * 500)[:400]
    assert RepresentativeConfirmation.objects.get().user_agent == event.user_agent
    assert verify() == (len(RequestEvent.objects.all()), [])
    client.force_login(bob)
    page = client.get(reverse("review:request", args=[submitted.reference])).content.decode()
    assert '<span class="small text-muted event-user-agent">Mozilla/5.0 (Wang)[31mxxx' in page


def test_a_second_answer_changes_nothing(submitted, client):
    path = link_path(to_wang()[0])
    client.post(path, {"answer": "confirm"})
    events = RequestEvent.objects.count()
    page = client.post(path, {"answer": "decline"}, follow=True).content.decode()
    assert "already answered" in page
    assert RequestEvent.objects.count() == events
    assert RepresentativeConfirmation.objects.get().answer == "confirmed"


def test_the_applicant_sees_whether_he_has_answered(submitted, alice_client, client):
    page = alice_client.get(submitted.get_absolute_url()).content.decode()
    assert f"The signer you named ({WANG}) was asked" in page and "has not answered yet" in page
    client.post(link_path(to_wang()[0]), {"answer": "decline"})
    page = alice_client.get(submitted.get_absolute_url()).content.decode()
    assert f"The signer you named ({WANG}) declined this request" in page


def test_the_link_works_for_14_days_and_then_says_it_has_expired(submitted, client, clock):
    path = link_path(to_wang()[0])
    clock.shift(datetime.timedelta(days=14) - datetime.timedelta(minutes=1))
    assert client.get(path).status_code == 200
    clock.shift(datetime.timedelta(minutes=2))
    response = client.get(path)
    assert response.status_code == 410 and "This link has expired" in response.content.decode()
    client.post(path, {"answer": "confirm"})
    assert RepresentativeConfirmation.objects.get().answer == ""


def test_an_altered_link_is_not_found(submitted, client):
    path = link_path(to_wang()[0])
    assert client.get(path[:-3] + "xx/").status_code == 404
    assert client.get("/representative/1/").status_code == 404


def test_one_reminder_after_three_days_without_an_answer(submitted, clock, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    clock.shift(datetime.timedelta(days=3) - datetime.timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert representative_reminders_sweep() == 0
    clock.shift(datetime.timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert representative_reminders_sweep() == 1
        assert representative_reminders_sweep() == 0
    [reminder] = to_wang()
    assert reminder.subject.startswith("[Licence portal] Reminder:")


def test_no_reminder_once_he_has_answered(submitted, client, clock, django_capture_on_commit_callbacks):
    client.post(link_path(to_wang()[0]), {"answer": "confirm"})
    mail.outbox.clear()
    clock.shift(datetime.timedelta(days=4))
    with django_capture_on_commit_callbacks(execute=True):
        assert representative_reminders_sweep() == 0
    assert to_wang() == []


def test_a_dataset_that_requires_it_cannot_be_approved_before_he_confirms(submitted, bob, lagper, client):
    lagper.representative_confirmation_required = True
    lagper.save()
    journeys.signed_copy_sent(submitted)
    with pytest.raises(DecisionInvalid, match="has not confirmed"):
        request_approve(request=submitted, reviewer=bob, expires_at=None)
    client.post(link_path(to_wang()[0]), {"answer": "confirm"})
    request_approve(request=submitted, reviewer=bob, expires_at=None)
    submitted.refresh_from_db()
    assert submitted.status == "approved"


def test_a_dataset_that_does_not_require_it_approves_without(alice, bob, lagper):
    request = journeys.approved(applicant=alice, dataset=lagper, reviewer=bob)
    assert request.status == "approved"


def test_the_email_is_in_the_applicants_language(alice, lagper, django_capture_on_commit_callbacks):
    language_remember(user=alice, language="zh-hans")
    with django_capture_on_commit_callbacks(execute=True):
        journeys.submitted(applicant=alice, dataset=lagper, email=WANG)
    [message] = to_wang()
    assert "请确认" in message.subject, message.subject


# --- The reviewer's signals ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "email, level",
    [
        ("li@nwpu.edu.cn", "green"),
        ("li@mail.nwpu.edu.cn", "green"),
        ("li@163.com", "amber"),
        ("li@gmail.com", "amber"),
        ("li@mailinator.com", "red"),
        ("", "amber"),
    ],
)
def test_email_domains_are_institutional_free_mail_or_disposable(email, level):
    assert checks.email_signal("representative", email).level == level


def test_the_confirmation_signal_follows_his_answer(
    submitted, alice, lagper, client, django_capture_on_commit_callbacks
):
    assert checks.confirmation_signal(submitted).level == "amber"
    client.post(link_path(to_wang()[0]), {"answer": "confirm"})
    signal = checks.confirmation_signal(submitted)
    assert signal.level == "green" and WANG in signal.reason
    with django_capture_on_commit_callbacks(execute=True):
        second = journeys.submitted(applicant=alice, dataset=lagper, email=WANG)
    client.post(link_path(to_wang()[1]), {"answer": "decline"})
    assert checks.confirmation_signal(second).level == "red"


def test_no_representative_email_is_amber_or_red_when_required(alice, lagper, tmp_path):
    # An agreement that lets the representative's email be left out.
    optional = tmp_path / "lagper.toml"
    label = 'label = "Email of the representative"\n'
    optional.write_text(LAGPER_TOML.read_text(encoding="utf-8").replace(label, label + "required = false\n"))
    load_dataset_file(optional)
    request = journeys.submitted(applicant=alice, dataset=lagper, email="")
    assert checks.confirmation_signal(request).level == "amber"
    lagper.representative_confirmation_required = True
    assert checks.confirmation_signal(request).level == "red"


def test_domains_of_applicant_and_representative_compared(alice, lagper):
    same = journeys.submitted(applicant=alice, dataset=lagper, email="dean@uni.example")
    assert checks.domains_match_signal(same).level == "green"
    other = journeys.submitted(applicant=alice, dataset=lagper, email="dean@elsewhere.example")
    assert checks.domains_match_signal(other).level == "amber"


@pytest.fixture
def with_website(db, tmp_path):
    """A dataset whose file asks the signer for the organisation's website (the well-known key)."""
    path = tmp_path / "with-website.toml"
    text = (DATA / "two_signers.toml").read_text(encoding="utf-8")
    assert 'key = "homepage"' in text
    path.write_text(text.replace('key = "homepage"', 'key = "organisation_website"'), encoding="utf-8")
    return load_dataset_file(path).dataset


def applied_with_website(applicant, dataset, *, website: str, email: str):
    values = {
        "organisation_website": website,
        "country": "CN",
        "intended_use": "academic",
        "project": "Cross-view matching.",
        "supervisor_name": "Prof. Ada Chen",
        "phone": "+86 29 8849 1234",
        "supervisor_consents": True,
    }
    return journeys.submitted(applicant=applicant, dataset=dataset, email=email, values=values)


@pytest.mark.parametrize(
    "host, registrable",
    [
        ("uni.example", "uni.example"),
        ("www.cs.uni.example", "uni.example"),
        ("nwpu.edu.cn", "nwpu.edu.cn"),
        ("mail.nwpu.edu.cn", "nwpu.edu.cn"),
        ("www.ox.ac.uk", "ox.ac.uk"),
        ("cs.stanford.edu", "stanford.edu"),
    ],
)
def test_the_registrable_domain_is_the_organisations(host, registrable):
    assert checks.registrable_domain(host) == registrable


def test_a_website_at_the_email_domain_is_green(alice, with_website):
    request = applied_with_website(alice, with_website, website="https://www.uni.example/", email="dean@uni.example")
    signal = checks.website_signal(request)
    assert signal.level == "green"
    assert signal.reason == "Under uni.example, like the website uni.example: uni.example."


def test_an_email_under_the_websites_domain_is_green_and_the_other_named(charlie, with_website):
    request = applied_with_website(
        charlie, with_website, website="https://www.uni.example/vision/", email="dean@cs.uni.example"
    )
    signal = checks.website_signal(request)
    assert signal.level == "green"
    assert signal.reason == (
        "cs.uni.example is under uni.example, like the website uni.example; elsewhere.example is not."
    )


def test_a_website_neither_email_belongs_to_is_amber_and_says_which(charlie, with_website):
    request = applied_with_website(charlie, with_website, website="https://www.uni.example/", email="dean@gmail.com")
    signal = checks.website_signal(request)
    assert signal.level == "amber"
    assert signal.reason == "Not under uni.example (the website is uni.example): elsewhere.example, gmail.com."


def test_without_a_website_there_is_no_website_signal(alice, with_website, lagper):
    blank = applied_with_website(alice, with_website, website="", email="dean@uni.example")
    not_asked = journeys.submitted(applicant=alice, dataset=lagper)
    for request in (blank, not_asked):
        assert checks.website_signal(request) is None
        titles = [signal.title for signal in checks.request_signals(request=request)]
        assert "Email domains and the organisation's website" not in titles
        assert "Applicant's and representative's domains" in titles


def test_the_review_page_shows_the_website_signal(bob, charlie, with_website, client):
    reviewer_grant(dataset=with_website, reviewer=bob)
    request = applied_with_website(charlie, with_website, website="https://www.uni.example/", email="dean@gmail.com")
    client.force_login(bob)
    page = client.get(reverse("review:request", args=[request.reference])).content.decode()
    assert "Email domains and the organisation&#x27;s website" in page
    assert "Not under uni.example (the website is uni.example): elsewhere.example, gmail.com." in page


def test_the_signed_copy_check_is_a_signal(alice, lagper):
    request = journeys.submitted(applicant=alice, dataset=lagper)
    assert checks.signed_copy_signal(request).level == "amber"
    journeys.signed_copy_sent(request)
    assert checks.signed_copy_signal(request).level == "green"


def test_earlier_requests_of_the_person_or_organisation(alice, charlie, bob, lagper):
    first = journeys.under_review(applicant=charlie, dataset=lagper, organisation="EXAMPLE UNIVERSITY")
    assert checks.history_signal(first).level == "green" and "first request" in checks.history_signal(first).reason
    request_reject(request=first, reviewer=bob, reason="Not research.")
    second = journeys.submitted(applicant=alice, dataset=lagper, organisation="Example University")
    signal = checks.history_signal(second)
    assert signal.level == "amber" and first.reference in signal.reason
    licence = journeys.approved(applicant=alice, dataset=lagper, reviewer=bob)
    request_revoke(request=licence, reviewer=bob, reason="Redistributed.")
    signal = checks.history_signal(second)
    assert signal.level == "red" and licence.reference in signal.reason


def test_the_review_page_shows_the_panel(bob, alice, lagper, client):
    request = journeys.under_review(applicant=alice, dataset=lagper, email="dean@gmail.com")
    client.force_login(bob)
    page = client.get(reverse("review:request", args=[request.reference])).content.decode()
    assert "Who is asking: signals" in page
    assert "signal-amber" in page and "A free mail service" in page
