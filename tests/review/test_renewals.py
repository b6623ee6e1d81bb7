"""Alice renews her LAGPeR licence near its end; Bob sees what changed and extends it; notices start again."""

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse

from requests_app.agreement_format.formfields import ValuesInvalid
from requests_app.i18n.services import language_remember
from requests_app.models import LicenseRequest, Renewal, ReviewerPreference
from requests_app.notifications import reminders
from requests_app.review.selectors import licence_default_expiry
from requests_app.reviewing.new_work import claim_new_work_digests
from requests_app.reviewing.renewals import licence_extend, renewal_refuse, renewal_submit
from requests_app.workflow import DecisionInvalid, TransitionNotAllowed
from tests import journeys
from tests.factories import UserFactory

DAY = datetime.timedelta(days=1)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def licence(alice, lagper, bob):
    """Alice's licence, approved now for the dataset's 1,095 days."""
    return journeys.approved(
        applicant=alice, dataset=lagper, reviewer=bob, expires_at=licence_default_expiry(dataset=lagper)
    )


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    def run(step):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            result = step()
        return result, sorted((m.to[0], m.subject.removeprefix("[Licence portal] ")) for m in mail.outbox)

    return run


def renewal_form(licence, **changes):
    fields = {spec["name"]: getattr(licence, spec["name"]) or "" for spec in licence.application_fields()}
    return {**fields, **changes, "submit": "1"}


def test_renewal_opens_60_days_before_expiry(licence, alice, clock):
    page_url = reverse("requests_app:request_detail", args=[licence.reference])
    renew_url = reverse("requests_app:renew", args=[licence.reference])
    clock.move_to(licence.expires_at - 60 * DAY - datetime.timedelta(seconds=1))
    client = client_for(alice)  # signed in now: a session does not last three years
    assert renew_url not in client.get(page_url).content.decode()
    assert client.get(renew_url)["Location"] == page_url

    clock.move_to(licence.expires_at - 60 * DAY)
    assert renew_url in client.get(page_url).content.decode()
    page = client.get(renew_url).content.decode()
    assert 'value="Vision Lab, School of Computing"' in page  # it starts from the licence's details


def test_alice_renews_with_a_new_unit_and_bob_extends_the_same_licence(licence, alice, bob, clock, sent):
    old_expiry = licence.expires_at
    clock.move_to(old_expiry - 30 * DAY)
    renew_url = reverse("requests_app:renew", args=[licence.reference])

    response, emails = sent(lambda: client_for(alice).post(renew_url, renewal_form(licence, unit="Drone Lab")))
    assert response.status_code == 302, response.context["form"].errors
    assert emails == [("bob@nwpu.example", f"{licence.reference} (LAGPeR): renewal requested")]
    renewal = Renewal.objects.get(request=licence)
    assert (renewal.changed, renewal.granted_at) == (["unit"], None)
    licence.refresh_from_db()
    assert (licence.status, licence.unit) == ("approved", "Vision Lab, School of Computing")  # unchanged until granted

    page = client_for(bob).get(reverse("review:request", args=[licence.reference])).content.decode()
    assert "Renewal requested" in page
    assert "<del>Vision Lab, School of Computing</del>" in page and "<ins>Drone Lab</ins>" in page
    default_until = (old_expiry + 1095 * DAY).date()
    assert f'value="{default_until.isoformat()}"' in page, re.findall(r"<input[^>]*until[^>]*>", page)

    response, emails = sent(
        lambda: client_for(bob).post(
            reverse("review:act", args=[licence.reference, "extend"]), {"extend-until": default_until.isoformat()}
        )
    )
    assert response.status_code == 302
    licence.refresh_from_db()
    assert (licence.status, licence.unit, licence.expires_at.date()) == ("approved", "Drone Lab", default_until)
    assert licence.reference == LicenseRequest.objects.get(pk=licence.pk).reference
    assert emails == [("alice@uni.example", f"{licence.reference}: your LAGPeR licence is extended")]
    renewal.refresh_from_db()
    assert renewal.granted_until == licence.expires_at
    assert [e.transition for e in licence.events.all()][-2:] == ["renewal_submit", "licence_extend"]
    assert licence.events.last().note == f"Licence extended until {default_until.isoformat()} (renewal granted)."


def test_a_renewal_with_a_value_its_field_cannot_hold_is_refused_and_nothing_is_written(licence, alice, clock):
    clock.move_to(licence.expires_at - 10 * DAY)
    with pytest.raises(ValuesInvalid) as refused:
        renewal_submit(request=licence, user=alice, fields={"unit": "Drone Lab", "email": "dean at uni.example"})
    assert list(refused.value.problems) == ["email"]
    assert not licence.renewals.exists()
    assert licence.events.last().transition == "request_approve"


def test_a_renewal_is_compared_in_the_spelling_stored(licence, alice, clock):
    clock.move_to(licence.expires_at - 10 * DAY)
    renewal = renewal_submit(request=licence, user=alice, fields={"organisation": "example university"})
    assert renewal.changed == [] and renewal.fields["organisation"] == "EXAMPLE UNIVERSITY"  # the field is in capitals


def test_a_second_renewal_waits_for_the_first(licence, alice, clock):
    clock.move_to(licence.expires_at - 10 * DAY)
    renewal_submit(request=licence, user=alice, fields={"unit": "Drone Lab"})
    with pytest.raises(TransitionNotAllowed, match="already waiting for a reviewer"):
        renewal_submit(request=licence, user=alice, fields={})


def test_with_the_owners_fast_path_an_unchanged_renewal_is_granted_at_once_and_no_reviewer_is_told(
    licence, alice, lagper, bob, clock, sent
):
    lagper.renewal_fast_path = True
    lagper.save()
    dora = UserFactory(username="dora", email="dora@nwpu.example")
    lagper.reviewers.add(dora)
    ReviewerPreference.objects.create(user=dora, new_work=ReviewerPreference.NewWork.DAILY)
    old_expiry = licence.expires_at
    clock.move_to(old_expiry - 20 * DAY)

    _, emails = sent(lambda: renewal_submit(request=licence, user=alice, fields={}, ip="192.0.2.7"))
    licence.refresh_from_db()
    assert licence.expires_at == old_expiry + 1095 * DAY
    last = licence.events.last()
    assert (last.actor, last.transition, last.ip) == (None, "licence_extend_unchanged", "192.0.2.7")
    until = (old_expiry + 1095 * DAY).date().isoformat()
    assert last.note == f"Renewal requested with nothing changed: renewed at once until {until}."
    assert emails == [("alice@uni.example", f"{licence.reference}: your LAGPeR licence is extended")]  # Bob: nothing
    clock.shift(DAY)
    assert sent(lambda: claim_new_work_digests())[1] == []  # nor in Dora's daily email


def test_the_fast_path_extends_nothing_once_the_datasets_licences_no_longer_expire(licence, alice, lagper, clock):
    lagper.renewal_fast_path, lagper.licence_duration_days = True, None
    lagper.save()
    old_expiry = licence.expires_at
    clock.move_to(old_expiry - 20 * DAY)

    with pytest.raises(TransitionNotAllowed, match="does not expire: there is nothing to extend"):
        renewal_submit(request=licence, user=alice, fields={})
    licence.refresh_from_db()
    assert licence.expires_at == old_expiry
    assert licence.events.last().transition == "request_approve" and not licence.renewals.exists()


def test_bob_refuses_alices_renewal_with_a_reason_and_her_licence_runs_to_its_old_expiry(
    licence, alice, bob, clock, sent
):
    old_expiry = licence.expires_at
    clock.move_to(old_expiry - 30 * DAY)
    renewal_submit(request=licence, user=alice, fields={"unit": "Drone Lab"})
    review_url = reverse("review:request", args=[licence.reference])
    assert "Refuse the renewal" in client_for(bob).get(review_url).content.decode()

    reason = "Clause 2 names one unit: the Drone Lab needs its own application."
    response, emails = sent(
        lambda: client_for(bob).post(
            reverse("review:act", args=[licence.reference, "refuse_renewal"]), {"refuse_renewal-reason": reason}
        )
    )
    assert response.status_code == 302
    assert emails == [("alice@uni.example", f"{licence.reference}: your LAGPeR renewal was refused")]
    assert reason in mail.outbox[0].body and f"it runs until {old_expiry:%-d %b %Y}" in mail.outbox[0].body
    renewal = Renewal.objects.get(request=licence)
    assert (renewal.refused_by, renewal.refusal_reason, renewal.granted_at) == (bob, reason, None)
    licence.refresh_from_db()
    assert (licence.status, licence.expires_at, licence.unit) == (
        "approved",
        old_expiry,
        "Vision Lab, School of Computing",
    )
    event = licence.events.last()
    assert (event.transition, event.actor, event.note) == ("renewal_refuse", bob, f"Renewal refused: {reason}")
    assert "Refuse the renewal" not in client_for(bob).get(review_url).content.decode()

    page = client_for(alice).get(licence.get_absolute_url()).content.decode()
    assert reason in page and f"The licence is not changed: it runs until {old_expiry:%-d %b %Y}." in page
    assert "Ask again" in page  # she may ask again, changing what the reason says

    clock.move_to(old_expiry - 7 * DAY)
    assert [s for _, s in sent(lambda: reminders.run_sweeps())[1]] == [
        f"{licence.reference}: your LAGPeR licence expires in 7 days"
    ]
    clock.move_to(old_expiry + datetime.timedelta(seconds=1))
    sent(lambda: reminders.run_sweeps())
    licence.refresh_from_db()
    assert licence.status == "expired"


def test_a_refusal_needs_a_reason_and_a_renewal_waiting(licence, alice, bob, clock):
    clock.move_to(licence.expires_at - 30 * DAY)
    url = reverse("review:act", args=[licence.reference, "refuse_renewal"])
    response = client_for(bob).post(url, {"refuse_renewal-reason": "Not now"})
    assert response.status_code == 302
    assert f"{licence.reference} has no renewal waiting for a decision." in [
        str(m) for m in get_messages(response.wsgi_request)
    ]

    renewal_submit(request=licence, user=alice, fields={"unit": "Drone Lab"})
    response = client_for(bob).post(url, {"refuse_renewal-reason": "   "})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    with pytest.raises(DecisionInvalid, match="Write the reason"):
        renewal_refuse(request=licence, reviewer=bob, reason=" ")
    assert Renewal.objects.get(request=licence).refused_at is None
    assert licence.events.last().transition == "renewal_submit"


def test_an_extended_licence_gets_its_own_expiry_notices(licence, bob, clock, sent):
    first_expiry = licence.expires_at
    clock.move_to(first_expiry - 30 * DAY)
    assert sent(lambda: reminders.run_sweeps())[1] == [
        ("alice@uni.example", f"{licence.reference}: your LAGPeR licence expires in 30 days")
    ]
    licence_extend(request=licence, reviewer=bob)
    licence.refresh_from_db()
    new_expiry = licence.expires_at
    assert new_expiry == first_expiry + 1095 * DAY

    clock.move_to(first_expiry - 7 * DAY)
    assert sent(lambda: reminders.run_sweeps())[1] == []  # nothing about an expiry that will not come
    clock.move_to(new_expiry - 30 * DAY - datetime.timedelta(seconds=1))
    assert sent(lambda: reminders.run_sweeps())[1] == []
    clock.move_to(new_expiry - 30 * DAY)
    assert sent(lambda: reminders.run_sweeps())[1] == [
        ("alice@uni.example", f"{licence.reference}: your LAGPeR licence expires in 30 days")
    ]
    assert sent(lambda: reminders.run_sweeps())[1] == []  # rerun: no second notice
    clock.move_to(new_expiry - 7 * DAY)
    assert [s for _, s in sent(lambda: reminders.run_sweeps())[1]] == [
        f"{licence.reference}: your LAGPeR licence expires in 7 days"
    ]


def test_an_administrator_extends_many_licences_at_once(alice, lagper, bob, admin_client, clock):
    expiring = [
        journeys.approved(
            applicant=alice, dataset=lagper, reviewer=bob, expires_at=licence_default_expiry(dataset=lagper)
        )
        for _ in range(2)
    ]
    endless = journeys.approved(applicant=alice, dataset=lagper, reviewer=bob, expires_at=None)
    response = admin_client.post(
        reverse("admin:requests_app_licenserequest_changelist"),
        {"action": "extend_selected", "_selected_action": [r.pk for r in [*expiring, endless]]},
        follow=True,
    )
    page = response.content.decode()
    for licence in expiring:
        old = licence.expires_at
        licence.refresh_from_db()
        assert licence.expires_at == old + 1095 * DAY
        assert f"{licence.reference} extended until" in page
    assert f"{endless.reference} does not expire: there is nothing to extend." in page


def test_the_admin_extension_records_the_client_behind_the_trusted_proxy(
    alice, lagper, bob, admin_client, clock, settings
):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    licence = journeys.approved(
        applicant=alice, dataset=lagper, reviewer=bob, expires_at=licence_default_expiry(dataset=lagper)
    )
    admin_client.post(
        reverse("admin:requests_app_licenserequest_changelist"),
        {"action": "extend_selected", "_selected_action": [licence.pk]},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.50",
    )
    extension = licence.events.order_by("-seq").first()
    assert (extension.transition, extension.ip) == ("licence_extend", "203.0.113.50")


def test_bob_reading_chinese_gets_the_renewals_changed_fields_named_as_he_reads_them(licence, alice, bob, sent, clock):
    language_remember(user=bob, language="zh-hans")
    clock.move_to(licence.expires_at - 10 * DAY)

    sent(lambda: renewal_submit(request=licence, user=alice, fields={"unit": "Drone Lab"}))

    [to_bob] = [m for m in mail.outbox if m.to == [bob.email]]
    assert "使用数据的院系或单位（第 2 条）" in to_bob.body
    assert "Department or unit that will use the data" not in to_bob.body
    html = to_bob.alternatives[0][0]
    assert "使用数据的院系或单位（第 2 条）" in html and "Department or unit" not in html
