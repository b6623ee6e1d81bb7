"""The owner countersigns: after approval bob uploads the countersigned copy, alice downloads the executed agreement.

The dataset file decides: StreamerReID's file with `[agreement.countersignature]` ends its agreement
with the owner's signature block; LAGPeR's has none, and its pages show none of this.
"""

import io

import pypdf
import pypdfium2
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers

from requests_app.agreement_format.loading import load_dataset_file
from requests_app.documents import quarantine
from requests_app.documents.models import QuarantinedFile, UploadCheck
from requests_app.documents.pdf import COUNTERSIGNATURE_FIELD_NAME, SIGNATURE_FIELD_NAME
from requests_app.i18n.services import language_remember
from requests_app.models import LicenseRequest, RequestEvent, SignedCopy, SignedCopyFile
from requests_app.review.services import reviewer_grant
from tests import journeys
from tests.documents.test_signed_copy import (  # noqa: F401
    _patient_deadline,
    as_pdf,
    representative_signer,
    sign_by_hand,
    stored_files,
)
from tests.paths import ROOT

pytestmark = pytest.mark.usefixtures("private_media")

EXAMPLES = ROOT / "datasets" / "examples"
COUNTERSIGNATURE = (
    '\n[agreement.countersignature]\ntitle = "For the dataset owner"\nsignatory = "Head of the Vision Group"\n'
)
BOTH = ("signature", "countersignature")


@pytest.fixture
def streamerreid(db, tmp_path):
    """StreamerReID, whose owner countersigns every agreement (its file with the countersignature table)."""
    path = tmp_path / "streamerreid.toml"
    path.write_text((EXAMPLES / "streamerreid.toml").read_text(encoding="utf-8") + COUNTERSIGNATURE, encoding="utf-8")
    return load_dataset_file(path).dataset


@pytest.fixture
def alices_licence(alice, bob, streamerreid) -> LicenseRequest:
    """Alice's StreamerReID licence, approved by bob: awaiting the owner's countersignature."""
    reviewer_grant(dataset=streamerreid, reviewer=bob)
    return journeys.approved(applicant=alice, dataset=streamerreid, reviewer=bob, values={"applicant_name": "Li Wei"})


def scanned(request, *, kinds=BOTH) -> bytes:
    """The issued agreement printed, signed by hand on the lines of `kinds`, scanned crooked at 150 dpi: one PDF."""
    issued = request.issued_agreements.latest("issue")
    pages = [
        sign_by_hand(page.render(scale=150 / 72).to_pil().convert("L"), issued.areas, number, 150, kinds=kinds).rotate(
            1.5, expand=True, fillcolor=255
        )
        for number, page in enumerate(pypdfium2.PdfDocument(bytes(issued.pdf)), 1)
    ]
    return as_pdf(pages)


def countersign(client, request, *files):
    uploads = [SimpleUploadedFile(name, data, content_type="application/octet-stream") for name, data in files]
    return client.post(
        reverse("review:countersigned_copy_upload", args=[request.reference]), {"countersign-files": uploads}
    )


def countersign_refused(client, request, *files) -> str:
    """Upload; the worker refuses the quarantined copy: nothing kept. The decision page it leads back to."""
    response = countersign(client, request, *files)
    assert response.status_code == 302
    assert UploadCheck.objects.filter(countersigned=True).latest("pk").state == UploadCheck.State.REFUSED
    assert not QuarantinedFile.objects.exists()
    assert not SignedCopy.objects.filter(countersigned=True).exists()
    return client.get(response.url).content.decode()


def signed_digitally(pdf: bytes, field: str, common_name: str) -> bytes:
    output = io.BytesIO()
    signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)),
        signers.PdfSignatureMetadata(field_name=field),
        signer=representative_signer(common_name),
        output=output,
    )
    return output.getvalue()


def review_page(client, request) -> str:
    return client.get(reverse("review:request", args=[request.reference])).content.decode()


def test_bob_uploads_the_countersigned_scan_and_alice_is_emailed(
    client, alice, bob, alices_licence, django_capture_on_commit_callbacks
):
    client.force_login(bob)
    assert "Owner's countersignature" in review_page(client, alices_licence)
    scan = scanned(alices_licence)

    with django_capture_on_commit_callbacks(execute=True):
        response = countersign(client, alices_licence, ("countersigned.pdf", scan))

    assert response.status_code == 302
    copy = SignedCopy.objects.get(countersigned=True)
    assert (copy.kind, copy.uploaded_by) == (SignedCopy.Kind.SCAN_MATCHED, bob)
    assert "signed and countersigned" in copy.summary
    with copy.files.get().file.open("rb") as kept:
        assert kept.read() == scan
    alices_licence.refresh_from_db()
    assert alices_licence.status == LicenseRequest.Status.APPROVED
    event = alices_licence.events.last()
    assert (event.from_status, event.to_status, event.actor, event.transition) == (
        "approved",
        "approved",
        bob,
        "countersigned_copy_record",
    )
    assert event.note.startswith("Countersigned copy uploaded: scan checked")
    [message] = mail.outbox
    assert message.to == [alice.email]
    assert f"{alices_licence.reference}: your StreamerReID agreement is countersigned" in message.subject
    assert alices_licence.get_absolute_url() in message.body
    # On the record: the decision page's history and the audit trail export.
    assert "Countersigned copy uploaded: scan checked" in review_page(client, alices_licence)
    export = b"".join(client.get(reverse("review:export_events") + "?status=").streaming_content).decode()
    assert "Countersigned copy uploaded" in export
    # The licensee's own history says it too.
    client.force_login(alice)
    assert "Countersigned copy uploaded" in client.get(alices_licence.get_absolute_url()).content.decode()


def test_a_scan_the_owner_did_not_sign_is_refused_saying_where_to_sign(client, bob, alices_licence, private_media):
    client.force_login(bob)
    files_before = len(stored_files(private_media))
    events_before = RequestEvent.objects.count()

    page = countersign_refused(
        client, alices_licence, ("only-the-licensee.pdf", scanned(alices_licence, kinds=("signature",)))
    )

    assert "The countersigned copy was not accepted: Page 2 of 2 is not countersigned" in page
    assert "was not accepted, and it was deleted: Page 2 of 2" in page
    assert "is not countersigned: no signature was found on the owner&#x27;s signature line" in page
    assert "Sign there for the owner and upload a new scan." in page
    assert (len(stored_files(private_media)), RequestEvent.objects.count()) == (files_before, events_before)
    assert mail.outbox == []


def test_a_countersignature_without_the_licensees_signature_is_refused(client, bob, alices_licence):
    client.force_login(bob)

    page = countersign_refused(
        client, alices_licence, ("owner-only.pdf", scanned(alices_licence, kinds=("countersignature",)))
    )

    assert "is not signed: no signature was found on the signature line" in page


def test_a_digitally_countersigned_copy_is_accepted_and_one_the_owner_did_not_sign_is_refused(
    client, bob, alices_licence
):
    client.force_login(bob)
    licensee_signed = signed_digitally(
        bytes(alices_licence.issued_agreements.get().pdf), SIGNATURE_FIELD_NAME, "PROF. LI WEI"
    )

    refused = countersign_refused(client, alices_licence, ("licensee.pdf", licensee_signed))
    assert "is not countersigned: the owner&#x27;s digital signature field is empty" in refused

    both = signed_digitally(licensee_signed, COUNTERSIGNATURE_FIELD_NAME, "Head of the Vision Group")
    assert countersign(client, alices_licence, ("executed.pdf", both)).status_code == 302
    copy = SignedCopy.objects.get(countersigned=True)
    assert copy.kind == SignedCopy.Kind.DIGITAL_SIGNATURE_UNTRUSTED
    assert "countersigned by Common Name: Head of the Vision Group" in copy.summary
    assert "signer PROF. LI WEI is the representative named in the form" in copy.summary


def test_alice_downloads_the_executed_agreement_and_charlie_cannot(client, alice, bob, charlie, alices_licence):
    client.force_login(alice)
    page = client.get(alices_licence.get_absolute_url()).content.decode()
    assert "Awaiting the countersignature of Signal and Information Processing Lab" in page
    assert "Download the executed agreement" not in page
    client.force_login(bob)
    scan = scanned(alices_licence)
    countersign(client, alices_licence, ("countersigned.pdf", scan))
    stored = SignedCopyFile.objects.get(signed_copy__countersigned=True)
    url = reverse("requests_app:signed_copy_file", args=[alices_licence.reference, stored.pk])

    client.force_login(alice)
    page = client.get(alices_licence.get_absolute_url()).content.decode()
    assert f'href="{url}">Download the executed agreement</a>' in page
    assert "Awaiting the countersignature" not in page
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == scan
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="countersigned.pdf"'
    assert (response["X-Content-Type-Options"], response["Content-Security-Policy"]) == ("nosniff", "sandbox")

    client.force_login(charlie)
    assert client.get(url).status_code == 404
    assert client.get(alices_licence.get_absolute_url()).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_a_dataset_without_the_block_shows_none_of_it(client, alice, bob, lagper):
    licence = journeys.approved(applicant=alice, dataset=lagper, reviewer=bob)
    client.force_login(bob)
    assert "countersign" not in review_page(client, licence).lower()

    response = countersign(client, licence, ("scan.pdf", scanned(licence, kinds=("signature",))))

    assert response.status_code == 302
    assert "is not waiting for the owner&#x27;s countersignature" in client.get(response.url).content.decode()
    assert not SignedCopy.objects.filter(countersigned=True).exists()
    client.force_login(alice)
    page = client.get(licence.get_absolute_url()).content.decode().lower()
    assert "countersign" not in page and "executed agreement" not in page


def test_before_approval_bob_cannot_upload_a_countersigned_copy(client, alice, bob, streamerreid):
    reviewer_grant(dataset=streamerreid, reviewer=bob)
    request = journeys.under_review(applicant=alice, dataset=streamerreid, values={"applicant_name": "Li Wei"})
    client.force_login(bob)
    assert "Owner's countersignature" not in review_page(client, request)

    response = countersign(client, request, ("scan.pdf", scanned(request)))

    assert response.status_code == 302
    assert not SignedCopy.objects.filter(countersigned=True).exists()


def test_alice_reads_it_in_chinese(client, alice, bob, alices_licence, django_capture_on_commit_callbacks):
    language_remember(user=alice, language="zh-hans")
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        countersign(client, alices_licence, ("countersigned.pdf", scanned(alices_licence)))

    [message] = mail.outbox
    with translation.override("zh-hans"):
        assert translation.gettext("Download the executed agreement") != "Download the executed agreement"
    assert "会签" in message.subject
    client.force_login(alice)
    page = client.get(alices_licence.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    with translation.override("zh-hans"):
        assert translation.gettext("Download the executed agreement") in page
    assert "已上传会签件：扫描件已核验：全部" in page and "Countersigned copy uploaded" not in page  # the history


def test_alices_own_signed_copy_leaves_the_owners_block_blank_and_cannot_fill_it(alice, bob, streamerreid, client):
    """The licensee signs her line only; a copy of hers that also signs the owner's field is refused."""
    reviewer_grant(dataset=streamerreid, reviewer=bob)
    request = journeys.submitted(applicant=alice, dataset=streamerreid, values={"applicant_name": "Li Wei"})
    fields = pypdf.PdfReader(io.BytesIO(bytes(request.issued_agreements.get().pdf))).get_fields()
    assert {SIGNATURE_FIELD_NAME, COUNTERSIGNATURE_FIELD_NAME} <= set(fields)
    client.force_login(alice)
    upload = reverse("requests_app:signed_copy_upload", args=[request.reference])
    licensee_signed = signed_digitally(bytes(request.issued_agreements.get().pdf), SIGNATURE_FIELD_NAME, "PROF. LI WEI")
    both = signed_digitally(licensee_signed, COUNTERSIGNATURE_FIELD_NAME, "PROF. LI WEI")

    refused = client.post(upload, {"files": [SimpleUploadedFile("both.pdf", both)]})
    assert refused.status_code == 302
    assert UploadCheck.objects.get().state == UploadCheck.State.REFUSED
    assert "fills fields other than the signature field" in client.get(refused.url).content.decode()

    client.post(upload, {"files": [SimpleUploadedFile("mine.pdf", scanned(request, kinds=("signature",)))]})
    request.refresh_from_db()
    assert request.status == LicenseRequest.Status.UNDER_REVIEW
    assert SignedCopy.objects.get().kind == SignedCopy.Kind.SCAN_MATCHED


def test_bob_sees_checking_until_the_worker_ends_the_countersigned_copys_check(
    client, alice, bob, alices_licence, monkeypatch
):
    """The countersigned copy goes through the same quarantine and worker as the licensee's signed copy."""
    monkeypatch.setattr(quarantine, "upload_check_enqueue", lambda check: None)  # no worker has taken it yet
    client.force_login(bob)

    response = countersign(client, alices_licence, ("countersigned.pdf", scanned(alices_licence)))

    assert response.status_code == 302
    check = UploadCheck.objects.get()
    assert (check.countersigned, check.state, check.uploaded_by) == (True, UploadCheck.State.CHECKING, bob)
    assert QuarantinedFile.objects.filter(check_run=check).count() == 1
    assert not SignedCopy.objects.filter(countersigned=True).exists()
    page = client.get(response.url).content.decode()
    status_url = reverse("review:countersign_check_status", args=[alices_licence.reference, check.pk])
    assert f'data-upload-check="{status_url}"' in page
    assert "is being checked" in page and 'name="countersign-files"' not in page
    assert client.get(status_url).json() == {"state": "checking", "message": ""}
    # Not the licensee's upload: her page and her poll know nothing of it.
    client.force_login(alice)
    assert "being checked" not in client.get(alices_licence.get_absolute_url()).content.decode()
    assert (
        client.get(reverse("requests_app:upload_check_status", args=[alices_licence.reference, check.pk])).status_code
        == 404
    )

    assert quarantine.upload_check_run(check_id=check.pk) == UploadCheck.State.ACCEPTED

    copy = SignedCopy.objects.get(countersigned=True)
    assert copy.uploaded_by == bob
    assert alices_licence.events.last().transition == "countersigned_copy_record"
    assert not QuarantinedFile.objects.exists()
    client.force_login(bob)
    assert client.get(status_url).json()["state"] == "accepted"
    page = client.get(response.url).content.decode()
    assert "is being checked" not in page and 'name="countersign-files"' in page
