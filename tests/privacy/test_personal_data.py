"""Alice's personal data: kept as long as it is needed and no longer, hers to download, hers to delete,
and every look at her signed copy by a reviewer on the record."""

import datetime
import io
import json
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from requests_app.applications.services import request_expire, request_withdraw
from requests_app.models import IssuedAgreement, RequestEvent, SignedCopyFile
from requests_app.privacy.models import SignedCopyView
from requests_app.privacy.tasks import personal_data_sweep
from requests_app.review.services import request_reject, request_revoke
from requests_app.reviewing.renewals import renewal_refuse, renewal_submit
from tests import journeys

APPLICANT_IP = "203.0.113.7"  # where journeys.submitted applies from

DAY = datetime.timedelta(days=1)


@pytest.fixture
def rejected(alice, bob, lagper, private_media):
    request = journeys.under_review(applicant=alice, dataset=lagper)
    return request_reject(request=request, reviewer=bob, reason="Prof. Li Wei did not sign it.")


def removed(request) -> bool:
    request.refresh_from_db()
    return request.personal_data_removed_at is not None


def test_a_rejected_request_is_kept_365_days_and_loses_its_personal_data_on_day_366(rejected, clock):
    [stored] = SignedCopyFile.objects.filter(signed_copy__request=rejected)
    events = list(RequestEvent.objects.filter(request=rejected).values_list("pk", "note", "at"))

    clock.shift(365 * DAY)
    assert personal_data_sweep() == 0
    assert not removed(rejected)

    clock.shift(DAY)
    assert personal_data_sweep() == 1
    assert removed(rejected)
    assert rejected.representative_name == "[removed]" and rejected.email == "[removed]"
    assert rejected.address == "[removed]" and rejected.decision_reason == "[removed]" and rejected.signing_date is None
    # What statistics and the audit trail need stays.
    assert rejected.reference.startswith("LAGPER-") and rejected.organisation == "EXAMPLE UNIVERSITY"
    assert rejected.status == "rejected" and rejected.decided_at is not None
    assert list(RequestEvent.objects.filter(request=rejected).values_list("pk", "note", "at")) == events
    assert not SignedCopyFile.objects.filter(signed_copy__request=rejected).exists()
    assert not IssuedAgreement.objects.filter(request=rejected).exclude(file="").exists()
    assert set(rejected.clause_acceptances.values_list("ip", flat=True)) == {None}
    assert personal_data_sweep() == 0, "a second sweep removes nothing twice"


def test_the_files_leave_the_disk(rejected, clock, django_capture_on_commit_callbacks, private_media):
    [stored] = SignedCopyFile.objects.filter(signed_copy__request=rejected)
    [issued] = IssuedAgreement.objects.filter(request=rejected)
    files = [(stored.file.storage, stored.file.name), (issued.file.storage, issued.file.name)]
    assert all(storage.exists(name) for storage, name in files)
    clock.shift(366 * DAY)
    with django_capture_on_commit_callbacks(execute=True):
        personal_data_sweep()
    assert not any(storage.exists(name) for storage, name in files)
    assert [p for p in private_media.rglob("*") if p.is_file()] == []
    issued.refresh_from_db()
    assert issued.pdf == b"" and len(issued.sha256) == 64  # the fingerprint still verifies a paper copy


def test_a_withdrawn_request_counts_from_its_withdrawal(alice, lagper, clock):
    request = journeys.submitted(applicant=alice, dataset=lagper)
    clock.shift(100 * DAY)
    request_withdraw(request=request, user=alice)
    clock.shift(365 * DAY)
    personal_data_sweep()
    assert not removed(request)
    clock.shift(DAY)
    personal_data_sweep()
    assert removed(request)


def test_a_licence_in_force_keeps_its_record(alice, bob, lagper, clock, private_media):
    licence = journeys.approved(applicant=alice, dataset=lagper, reviewer=bob)
    clock.shift(800 * DAY)
    assert personal_data_sweep() == 0
    assert not removed(licence)


def test_an_expired_licence_keeps_its_agreement_until_it_ended_plus_the_period(
    alice, bob, lagper, clock, private_media
):
    from django.utils import timezone

    ends = timezone.now() + 30 * DAY
    licence = journeys.approved(applicant=alice, dataset=lagper, reviewer=bob, expires_at=ends)
    clock.move_to(ends + DAY)
    request_expire(request=licence, now=timezone.now())
    clock.move_to(ends + 365 * DAY)
    personal_data_sweep()
    assert not removed(licence)
    clock.move_to(ends + 366 * DAY)
    personal_data_sweep()
    assert removed(licence)


def test_a_revoked_licence_counts_from_the_revocation(alice, bob, lagper, clock, private_media):
    licence = journeys.approved(applicant=alice, dataset=lagper, reviewer=bob)
    clock.shift(200 * DAY)
    request_revoke(request=licence, reviewer=bob, reason="Redistributed.")
    clock.shift(365 * DAY)
    personal_data_sweep()
    assert not removed(licence)
    clock.shift(DAY)
    personal_data_sweep()
    assert removed(licence)


def test_after_removal_the_history_shows_its_notes_as_removed(rejected, alice, bob, client, clock):
    clock.shift(366 * DAY)
    personal_data_sweep()
    client.force_login(alice)
    page = client.get(rejected.get_absolute_url()).content.decode()
    assert "Prof. Li Wei" not in page and "[removed]" in page
    client.force_login(bob)
    csv = b"".join(client.get(reverse("review:export_events") + "?status=").streaming_content).decode()
    assert rejected.reference in csv and "Prof. Li Wei" not in csv
    assert ",[removed]," in csv and "Application started." not in csv
    # The events keep the address they came from (append-only), but it is no longer shown.
    assert RequestEvent.objects.filter(request=rejected, ip=APPLICANT_IP).exists()
    assert APPLICANT_IP not in csv
    assert APPLICANT_IP not in client.get(reverse("review:request", args=[rejected.reference])).content.decode()


def test_alice_downloads_everything_held_about_her_in_one_zip(alice, alice_client, lagper, private_media):
    request = journeys.under_review(applicant=alice, dataset=lagper)
    response = alice_client.get(reverse("privacy:my_data_zip"))
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("data.json"))
    assert data["account"]["email"] == alice.email
    [exported] = data["requests"]
    assert exported["reference"] == request.reference and exported["representative_name"] == "PROF. LI WEI"
    assert [c["clause"] for c in exported["clauses_accepted"]] == [1, 2, 3, 4]
    issued = request.issued_agreements.get()
    assert archive.read(f"agreements/{issued.filename}") == bytes(issued.pdf)
    [signed] = exported["signed_copies"][0]["files"]
    assert archive.read(signed) == bytes(issued.pdf)


def test_the_data_page_explains_what_is_kept_and_for_how_long(alice, bob, lagper, alice_client, private_media):
    licence = journeys.approved(applicant=alice, dataset=lagper, reviewer=bob)
    page = alice_client.get(reverse("privacy:my_data")).content.decode()
    assert "365 days after it closed" in page and "until the licence ends" in page
    assert licence.reference in page


def test_deleting_the_account_withdraws_removes_and_keeps_only_licences_in_force(
    alice, bob, lagper, alice_client, private_media
):
    licence = journeys.approved(applicant=alice, dataset=lagper, reviewer=bob)
    pending = journeys.submitted(applicant=alice, dataset=lagper)
    assert alice_client.post(reverse("privacy:account_close"), {}).status_code == 302
    assert get_user_model().objects.get(pk=alice.pk).is_active, "nothing happens without the confirmation"
    response = alice_client.post(reverse("privacy:account_close"), {"confirm": "delete"}, follow=True)
    assert licence.reference in response.content.decode()
    user = get_user_model().objects.get(pk=alice.pk)
    assert not user.is_active and user.email.endswith("@invalid") and not user.has_usable_password()
    pending.refresh_from_db()
    assert pending.status == "withdrawn" and pending.personal_data_removed_at is not None
    licence.refresh_from_db()
    assert licence.status == "approved" and licence.representative_name == "PROF. LI WEI"
    assert alice_client.get(reverse("requests_app:my_requests")).status_code == 302, "signed out"


def test_every_reviewer_view_of_a_signed_copy_is_recorded_and_listed_in_the_admin(
    alice, bob, lagper, client, private_media, admin_client
):
    request = journeys.under_review(applicant=alice, dataset=lagper)
    [stored] = SignedCopyFile.objects.filter(signed_copy__request=request)
    url = reverse("requests_app:signed_copy_file", args=[request.reference, stored.pk])
    client.force_login(alice)
    client.get(url)
    assert not SignedCopyView.objects.exists(), "the applicant looking at her own copy is not a reviewer's view"
    client.force_login(bob)
    client.get(url + "?inline=1", REMOTE_ADDR="192.0.2.4")
    [view] = SignedCopyView.objects.all()
    assert (view.viewer, view.request, view.ip, view.inline) == (bob, request, "192.0.2.4", True)
    page = admin_client.get(reverse("admin:requests_app_signedcopyview_changelist")).content.decode()
    assert request.reference in page and "bob" in page


def test_removal_replaces_every_typed_value_but_the_institutions(alice, bob, lagper, clock, private_media):
    typed = {
        "representative_name": "王教授",
        "representative_name_romanised": "PROF. WANG",
        "organisation": "西北工业大学",
        "organisation_romanised": "NORTHWESTERN POLYTECHNICAL UNIVERSITY",
    }
    request = journeys.under_review(applicant=alice, dataset=lagper, values=typed)
    request_reject(request=request, reviewer=bob, reason="Unsigned.")

    clock.shift(366 * DAY)
    assert personal_data_sweep() == 1
    request.refresh_from_db()
    # The columns' well-known values are in `values` too: the institution's stay, the person's go.
    assert request.values == {
        "representative_name": "[removed]",
        "representative_name_romanised": "[removed]",
        "representative_title": "[removed]",
        "organisation": "西北工业大学",
        "organisation_romanised": "NORTHWESTERN POLYTECHNICAL UNIVERSITY",
        "unit": "Vision Lab, School of Computing",
        "address": "[removed]",
        "email": "[removed]",
        "research_purpose": "[removed]",
        "signing_date": "[removed]",
    }


def test_a_renewal_s_proposed_details_and_refusal_reason_go_with_the_licence_s_personal_data(
    alice, bob, lagper, clock, private_media
):
    from django.utils import timezone

    from requests_app.models import Renewal

    licence = journeys.approved(applicant=alice, dataset=lagper, reviewer=bob, expires_at=timezone.now() + 30 * DAY)
    renewal_submit(request=licence, user=alice, fields={"unit": "Drone Lab", "email": "wang@uni.example"})
    renewal_refuse(request=licence, reviewer=bob, reason="Prof. Wang is not the unit's head.")
    clock.move_to(licence.expires_at + DAY)
    request_expire(request=licence, now=timezone.now())
    clock.move_to(licence.expires_at + 366 * DAY)
    personal_data_sweep()

    renewal = Renewal.objects.get(request=licence)
    assert (renewal.fields["email"], renewal.fields["unit"], renewal.refusal_reason) == (
        "[removed]",
        "Drone Lab",
        "[removed]",
    )
