"""An owner previews a dataset file before publishing it: the form and the filled-in PDF, nothing saved."""

import io
from io import StringIO

import pypdf
import pytest
from django.core.management import CommandError, call_command

from tests.paths import DATA

TWO_SIGNERS = DATA / "two_signers.toml"


def pdf_words(data: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in pypdf.PdfReader(io.BytesIO(data)).pages)


# No `db` fixture: pytest-django fails any test here that touches the database.
def test_the_preview_writes_the_form_and_the_sample_filled_pdf_without_a_database(tmp_path):
    out = StringIO()
    call_command("preview_dataset", str(TWO_SIGNERS), "--out", str(tmp_path), stdout=out)
    assert "valid; agreement version 1" in out.getvalue()
    html = (tmp_path / "two-signers-form.html").read_text(encoding="utf-8")
    for text in (
        "Apply for TwoSig",
        "Researcher",
        "Supervisor",
        "Student ID",
        "As printed on your student card.",
        'name="intended_use"',
        'name="supervisor_consents"',
        "I accept clause 1.",
        "I accept clause 2 (Citation).",
        "The second paragraph of the preamble.",
        "Email the signed agreement with the subject TwoSig request.",
        "Nothing was saved",
    ):
        assert text in html, text
    assert html.index("Researcher") < html.index("Supervisor")
    words = pdf_words((tmp_path / "two-signers-agreement.pdf").read_bytes())
    for text in (
        "Release Agreement",
        "reference TWO-SIG-PREVIEW",
        "Email: researcher@example.org",
        "Country: United Kingdom",
        "Intended use: academic",
        "ORCID iD: 0000-0002-1825-0097",
    ):
        assert text in words, text


def test_a_bad_file_is_reported_and_nothing_is_written(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        TWO_SIGNERS.read_text(encoding="utf-8").replace('type = "orcid"', 'type = "orcid-id"'), encoding="utf-8"
    )
    with pytest.raises(CommandError, match=r"agreement\.signers\[0\]\.fields\[4\]\.type"):
        call_command("preview_dataset", str(bad), "--out", str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()
