"""An administrator uploads a dataset file, sees the form, the PDF and what changed, then publishes it."""

import base64
import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from requests_app.models import AgreementVersion, Dataset
from tests.factories import UserFactory
from tests.paths import LAGPER_TOML

LAGPER = LAGPER_TOML.read_text(encoding="utf-8")
URL = "/admin/requests_app/dataset/publish/"


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def upload(client, text: str, name="lagper.toml"):
    return client.post(URL, {"file": SimpleUploadedFile(name, text.encode("utf-8"))})


def test_a_changed_agreement_is_previewed_with_its_clause_diff_then_published(admin_client, lagper):
    assert reverse("admin:requests_app_dataset_publish") == URL
    assert URL in admin_client.get(reverse("admin:requests_app_dataset_changelist")).content.decode()
    changed = LAGPER.replace("may not be used in any commercial activity", "may not be used in any paid activity")
    page = upload(admin_client, changed).content.decode()
    assert "What changed since version 1" in page
    assert "Clause 3 (Commercial Use): changed" in page
    assert re.search(r"<del[^>]*>commercial</del><ins[^>]*>paid</ins>", page)
    assert "Clause 1 (Requests): unchanged" in page
    pdf = base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", page).group(1))
    assert pdf.startswith(b"%PDF")
    assert "Apply for LAGPeR" in page  # the form, in the frame
    assert AgreementVersion.objects.count() == 1  # a preview writes nothing

    content = re.search(r'name="content" value="([^"]*)"', page, re.S).group(1)
    digest = re.search(r'name="content_sha256" value="([0-9a-f]{64})"', page).group(1)
    response = admin_client.post(URL, {"content": html.unescape(content), "content_sha256": digest, "publish": "1"})
    assert response.status_code == 302
    assert AgreementVersion.objects.count() == 2
    assert "paid activity" in Dataset.objects.get().current_agreement.clauses[2]["text"]


def test_a_file_changed_after_its_preview_is_not_published(admin_client, lagper):
    response = admin_client.post(
        URL, {"content": LAGPER + "\n# x", "content_sha256": "0" * 64, "publish": "1"}, follow=True
    )
    assert "The file changed after its preview" in response.content.decode()
    assert AgreementVersion.objects.count() == 1


def test_a_malformed_upload_names_every_problem_and_writes_nothing(admin_client, db):
    page = upload(
        admin_client, LAGPER.replace('slug = "lagper"', 'slug = "Not A Slug"'), name="mine.toml"
    ).content.decode()
    assert "mine.toml: slug: must use lower-case letters" in page
    assert Dataset.objects.count() == 0


def test_a_stranger_cannot_publish(client, charlie):
    client.force_login(charlie)
    assert client.get(URL).status_code == 302  # to the admin login
