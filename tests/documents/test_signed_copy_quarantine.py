"""Signed copies are checked off the request thread: quarantine, a limited child, the outcome polled."""

import time

import pytest
from django.urls import reverse

from requests_app.documents import quarantine
from requests_app.documents.sandbox import LimitExceeded, run_limited
from requests_app.documents.signed_copies import PNG, UploadedPart
from requests_app.models import LicenseRequest, QuarantinedFile, SignedCopy, UploadCheck
from tests.documents.test_signed_copy import as_pdf, issued_pdf, scanned_pages, stored_files, upload


def _allocate(megabytes):
    return len(bytearray(megabytes * 1_000_000))


def _spin():
    while True:
        pass


def _sleep():
    time.sleep(30)


def _refuse():
    raise ValueError("no")


def test_a_child_that_asks_for_too_much_memory_is_stopped_and_the_worker_lives_on():
    with pytest.raises(LimitExceeded):
        run_limited(_allocate, 2000, seconds=10, memory_bytes=200_000_000, cpu_seconds=10)
    assert run_limited(_allocate, 10, seconds=10, memory_bytes=200_000_000, cpu_seconds=10) == 10_000_000


def test_a_child_that_burns_cpu_is_killed_by_its_cpu_limit():
    with pytest.raises(LimitExceeded):
        run_limited(_spin, seconds=20, memory_bytes=200_000_000, cpu_seconds=1)


def test_a_child_that_hangs_is_killed_at_the_wall_clock_limit():
    with pytest.raises(LimitExceeded):
        run_limited(_sleep, seconds=0.5, memory_bytes=200_000_000, cpu_seconds=5)


def test_what_the_child_raises_is_raised_in_the_parent():
    with pytest.raises(ValueError, match="no"):
        run_limited(_refuse, seconds=10, memory_bytes=200_000_000, cpu_seconds=5)


@pytest.fixture
def worker_not_yet_run(monkeypatch):
    """The upload is quarantined and enqueued, but no worker has taken it yet."""
    monkeypatch.setattr(quarantine, "upload_check_enqueue", lambda check: None)


def test_alice_sees_checking_until_the_worker_ends_the_check(
    alice_client, alices_request, private_media, worker_not_yet_run
):
    upload(alice_client, alices_request, ("scan.pdf", as_pdf(scanned_pages(issued_pdf(alices_request)))))

    check = UploadCheck.objects.get()
    assert check.state == UploadCheck.State.CHECKING and check.files.count() == 1
    alices_request.refresh_from_db()
    assert alices_request.status == LicenseRequest.Status.AWAITING_SIGNATURE  # nothing reached review yet
    status_url = reverse("requests_app:upload_check_status", args=[alices_request.reference, check.pk])
    page = alice_client.get(alices_request.get_absolute_url()).content.decode()
    assert "is being checked" in page and f'data-upload-check="{status_url}"' in page
    assert "data-upload-progress" not in page  # no second upload while one is checked
    assert alice_client.get(status_url).json() == {"state": "checking", "message": ""}

    assert quarantine.upload_check_run(check_id=check.pk) == UploadCheck.State.ACCEPTED
    assert quarantine.upload_check_run(check_id=check.pk) is None  # a second delivery does nothing

    answer = alice_client.get(status_url).json()
    assert answer["state"] == "accepted" and answer["message"].startswith("scan checked")
    alices_request.refresh_from_db()
    assert alices_request.status == LicenseRequest.Status.UNDER_REVIEW
    assert UploadCheck.objects.get().signed_copy == SignedCopy.objects.get()
    assert not QuarantinedFile.objects.exists()
    assert [p.parent.name for p in stored_files(private_media)] == ["signed_copies"]


def test_charlie_cannot_poll_alices_check(
    client, charlie, alices_request, alice_client, private_media, worker_not_yet_run
):
    upload(alice_client, alices_request, ("scan.pdf", as_pdf(scanned_pages(issued_pdf(alices_request)))))
    check = UploadCheck.objects.get()
    client.force_login(charlie)
    assert (
        client.get(reverse("requests_app:upload_check_status", args=[alices_request.reference, check.pk])).status_code
        == 404
    )


def test_a_refused_upload_is_deleted_and_alice_reads_why_on_her_page(alice_client, alices_request, private_media):
    response = upload(alice_client, alices_request, ("agreement.pdf", issued_pdf(alices_request)))  # unsigned

    assert response.status_code == 302
    check = UploadCheck.objects.get()
    assert check.state == UploadCheck.State.REFUSED and "not signed" in check.message
    assert not QuarantinedFile.objects.exists() and stored_files(private_media) == []
    page = alice_client.get(alices_request.get_absolute_url()).content.decode()
    assert "was not accepted, and it was deleted" in page
    assert "data-upload-progress" in page  # she can upload again at once


def test_the_upload_form_answers_its_script_in_json(alice_client, alices_request, private_media):
    url = reverse("requests_app:signed_copy_upload", args=[alices_request.reference])
    from django.core.files.uploadedfile import SimpleUploadedFile

    refused = alice_client.post(url, {"files": [SimpleUploadedFile("a.txt", b"hello")]}, HTTP_ACCEPT="application/json")
    assert refused.status_code == 400 and "is not a PDF, JPEG or PNG" in refused.json()["errors"][0]
    accepted = alice_client.post(
        url,
        {"files": [SimpleUploadedFile("scan.pdf", as_pdf(scanned_pages(issued_pdf(alices_request))))]},
        HTTP_ACCEPT="application/json",
    )
    assert accepted.json() == {"redirect": alices_request.get_absolute_url() + "#agreement"}


def test_the_limits_are_shown_before_choosing_a_file(alice_client, alices_request, settings):
    page = alice_client.get(alices_request.get_absolute_url()).content.decode()
    assert page.index("at most 15 MB and 30 pages") < page.index('type="file"')
    assert f'data-max-bytes="{settings.SIGNED_COPY_MAX_BYTES}"' in page


def test_an_upload_that_fails_to_store_its_second_page_leaves_no_file_behind(
    alice, alices_request, private_media, monkeypatch
):
    saves = []

    def save_but_the_second(self, *args, **kwargs):
        saves.append(self.position)
        if self.position == 2:
            raise OSError("disk full")
        return original_save(self, *args, **kwargs)

    original_save = QuarantinedFile.save
    monkeypatch.setattr(QuarantinedFile, "save", save_but_the_second)
    page = UploadedPart(original_name="page.png", content_type=PNG, data=b"\x89PNG one page")
    with pytest.raises(OSError, match="disk full"):
        quarantine.signed_copy_quarantine(
            request=alices_request, issued=alices_request.issued_agreements.get(), user=alice, parts=[page, page]
        )
    assert saves == [1, 2]
    assert not (private_media / "quarantine").exists() or not any((private_media / "quarantine").iterdir())
