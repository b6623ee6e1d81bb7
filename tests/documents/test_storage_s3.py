"""Signed copies in an S3-compatible bucket (django-storages), against moto's S3 server on 127.0.0.1."""

import hashlib
import json
import os
import socket
import subprocess
import sys
import time

import boto3
import pytest
from django.urls import reverse

from requests_app.models import IssuedAgreement, SignedCopyFile
from tests.documents.test_signed_copy import digitally_signed, issued_pdf, upload
from tests.paths import ROOT

BUCKET = "portal-private"
KEYS = {"access_key": "testing", "secret_key": "testing"}


@pytest.fixture(scope="module")
def s3_server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def bucket(s3_server, settings):
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
    )
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_server,
                "region_name": "us-east-1",
                **KEYS,
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": 300,
                "file_overwrite": False,
            },
        },
    }
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def test_a_signed_copy_is_stored_in_the_bucket_privately_and_served_by_the_portal(
    bucket, alice_client, alices_request, private_media
):
    signed = digitally_signed(issued_pdf(alices_request))
    assert upload(alice_client, alices_request, ("signed.pdf", signed)).status_code == 302

    copy_file = SignedCopyFile.objects.get()
    issued = IssuedAgreement.objects.get()
    keys = sorted(item["Key"] for item in bucket.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert keys == sorted([copy_file.file.name, issued.file.name])
    assert copy_file.file.name.startswith("signed_copies/") and issued.file.name.startswith("issued_agreements/")
    assert not private_media.exists() or not any(private_media.rglob("*.*"))  # nothing on the local disk

    # Private: only the owner has any grant, nobody (AllUsers, AuthenticatedUsers) can read either.
    for key in keys:
        grants = bucket.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
        assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
        assert all(g["Grantee"]["Type"] == "CanonicalUser" for g in grants)
    # No public URL: any URL the storage makes is signed and expires.
    url = copy_file.file.url
    assert "X-Amz-Signature=" in url or "Signature=" in url
    assert "Expires=" in url or "X-Amz-Expires=300" in url

    # The portal streams it from the bucket, to Alice only.
    response = alice_client.get(reverse("requests_app:signed_copy_file", args=[alices_request.reference, copy_file.pk]))
    assert b"".join(response.streaming_content) == signed
    # The issued agreement too: the bytes in the bucket are the ones issued.
    response = alice_client.get(reverse("requests_app:agreement_pdf", args=[alices_request.reference]))
    downloaded = b"".join(response.streaming_content)
    assert hashlib.sha256(downloaded).hexdigest() == issued.sha256 and len(downloaded) == issued.length
    stored = bucket.get_object(Bucket=BUCKET, Key=issued.file.name)["Body"].read()
    assert stored == downloaded


def test_healthz_checks_the_bucket(bucket, client, s3_server, settings):
    assert client.get("/healthz").json()["checks"]["storage"] == "ok"
    assert bucket.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0  # the probe cleaned up

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"], "bucket_name": "missing"},
        },
    }
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["checks"]["storage"].startswith("error: ")
    assert s3_server not in response.content.decode()


def storages_from_environment(**variables) -> dict:
    """settings.STORAGES as a fresh process reads it from these environment variables (no network)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S3_", "DJANGO_", "PYTEST_"))}
    env.update(variables, DJANGO_SETTINGS_MODULE="accessportal.settings")
    shown = subprocess.run(
        [sys.executable, "-c", "import json; from django.conf import settings; print(json.dumps(settings.STORAGES))"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(shown.stdout)


def test_the_readmes_s3_variables_make_a_private_bucket_the_default_storage():
    storages = storages_from_environment(
        S3_BUCKET="portal-files",
        S3_ENDPOINT_URL="https://minio.lab.example:9000",
        S3_REGION="eu-west-1",
        S3_ACCESS_KEY_ID="AKIAEXAMPLE",
        S3_SECRET_ACCESS_KEY="not-a-real-secret",
        S3_PREFIX="portal/",
        S3_URL_SECONDS="120",
    )
    assert storages["default"] == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "portal-files",
            "endpoint_url": "https://minio.lab.example:9000",
            "region_name": "eu-west-1",
            "access_key": "AKIAEXAMPLE",
            "secret_key": "not-a-real-secret",
            "location": "portal/",
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 120,
            "file_overwrite": False,
        },
    }
    assert storages["staticfiles"]["BACKEND"].startswith("django.contrib.staticfiles"), "static files stay local"


def test_only_the_bucket_is_needed_on_aws_with_the_instances_role():
    options = storages_from_environment(S3_BUCKET="portal-files")["default"]["OPTIONS"]
    assert (options["bucket_name"], options["querystring_expire"]) == ("portal-files", 300)
    assert options["endpoint_url"] is options["region_name"] is options["access_key"] is options["secret_key"] is None
    assert (options["location"], options["default_acl"]) == ("", "private")


def test_without_a_bucket_files_stay_on_the_filesystem():
    assert storages_from_environment()["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
