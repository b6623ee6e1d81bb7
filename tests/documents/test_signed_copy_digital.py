"""Digitally signed copies: the issued bytes, then a revision that only signs; the signer's identity."""

import datetime
import io

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import RawContent
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers

from requests_app.documents.pdf import SIGNATURE_FIELD_NAME
from requests_app.models import LicenseRequest, SignedCopy
from tests.documents.test_signed_copy import _patient_deadline, issued_pdf, refused, representative_signer, upload  # noqa: F401

pytestmark = pytest.mark.usefixtures("private_media")


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _der_key(key) -> asn1_keys.PrivateKeyInfo:
    return asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


@pytest.fixture
def test_ca(tmp_path):
    """A certificate authority made here, and the bundle file that names it as trusted."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Test University CA"))
        .issuer_name(_name("Test University CA"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=60))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    bundle = tmp_path / "trust.pem"
    bundle.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert, bundle


def signer_issued_by(ca, common_name="PROF. LI WEI") -> signers.SimpleSigner:
    ca_key, ca_cert, _ = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    return signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        signing_key=_der_key(key),
        cert_registry=SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(ca_cert.public_bytes(serialization.Encoding.DER))]
        ),
    )


def signed_with(pdf: bytes, signer, *, also=None) -> bytes:
    """Sign the signature field; `also(writer)` adds more to the same, signing revision."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    if also:
        also(writer)
    output = io.BytesIO()
    signers.sign_pdf(
        writer, signers.PdfSignatureMetadata(field_name=SIGNATURE_FIELD_NAME), signer=signer, output=output
    )
    return output.getvalue()


def paint_over_page_one(writer: IncrementalPdfFileWriter) -> None:
    """A white box over the clauses and new words on it, in the revision that carries the signature."""
    font = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Font"),
            generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
            generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica"),
        }
    )
    resources = generic.DictionaryObject(
        {
            generic.NameObject("/Font"): generic.DictionaryObject({generic.NameObject("/Fx"): writer.add_object(font)}),
        }
    )
    content = RawContent(b"q 1 g 50 300 500 400 re f Q BT /Fx 18 Tf 0 g 60 500 Td (CLAUSES 2 AND 3 DO NOT APPLY) Tj ET")
    stream = generic.StreamObject(stream_data=content.render())
    writer.add_stream_to_page(0, writer.add_object(stream), resources=resources)


def test_an_intact_self_signed_copy_is_accepted_with_identity_not_verified(alice_client, alices_request):
    upload(
        alice_client, alices_request, ("signed.pdf", signed_with(issued_pdf(alices_request), representative_signer()))
    )

    copy = SignedCopy.objects.get()
    assert copy.kind == SignedCopy.Kind.DIGITAL_SIGNATURE_UNTRUSTED
    assert "identity not verified (certificate not in the trust store)" in copy.summary
    [details] = copy.page_results
    assert (details["signer_name"], details["representative"], details["name_matches"], details["trusted"]) == (
        "PROF. LI WEI",
        "PROF. LI WEI",
        True,
        False,
    )
    alices_request.refresh_from_db()
    assert alices_request.status == LicenseRequest.Status.UNDER_REVIEW


def test_a_copy_signed_under_a_trusted_ca_is_verified(alice_client, alices_request, settings, test_ca):
    settings.SIGNED_COPY_TRUST_ROOTS = str(test_ca[2])

    upload(
        alice_client, alices_request, ("signed.pdf", signed_with(issued_pdf(alices_request), signer_issued_by(test_ca)))
    )

    copy = SignedCopy.objects.get()
    assert copy.kind == SignedCopy.Kind.DIGITAL_SIGNATURE_VERIFIED
    assert "identity verified by the trust store" in copy.summary
    assert copy.page_results[0]["trusted"] is True


def test_a_signer_other_than_the_representative_is_flagged(alice_client, alices_request, settings, test_ca):
    settings.SIGNED_COPY_TRUST_ROOTS = str(test_ca[2])
    signer = signer_issued_by(test_ca, common_name="Mallory Example")

    upload(alice_client, alices_request, ("signed.pdf", signed_with(issued_pdf(alices_request), signer)))

    copy = SignedCopy.objects.get()
    assert copy.page_results[0]["name_matches"] is False
    assert "signer Mallory Example differs from the representative named in the form (PROF. LI WEI)" in copy.summary


def test_a_signing_revision_that_paints_over_page_one_is_refused(
    alice_client, alices_request, private_media, settings, test_ca
):
    settings.SIGNED_COPY_TRUST_ROOTS = str(test_ca[2])  # even a trusted signer may not change the text
    hostile = signed_with(issued_pdf(alices_request), signer_issued_by(test_ca), also=paint_over_page_one)

    body = refused(alice_client, alices_request, private_media, ("signed.pdf", hostile))

    assert "changes the agreement, not only its signature field" in body
