"""Issuing an agreement against a bare platypus render of the same text, in the same run.

    make bench            (or: python bench/pdf.py)

"Issue" is what services.agreement_issue pays for the document: render_agreement (text, QR code
on every page, page X of Y, AcroForm /Sig field) and its sha256. The baseline is a bare platypus
render of the same story (every clause and field, same styles and pages) with the default
canvas: what issuing adds is the ratio. A render of plain default-style paragraphs is printed too,
for scale. Nothing touches the database: all work on unsaved models from datasets/lagper.toml.
"""

import hashlib
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accessportal.settings")

import django  # noqa: E402

django.setup()

from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.styles import getSampleStyleSheet  # noqa: E402
from reportlab.platypus import Paragraph, SimpleDocTemplate  # noqa: E402

from bench.harness.sample import lagper_request  # noqa: E402
from bench.report import exit_code, row, size  # noqa: E402
from requests_app.documents.pdf import agreement_story, document_template, markup, render_agreement  # noqa: E402

TARGET = 1.5


def bare_render(request, version) -> bytes:
    """The same story on the same pages: no QR code, no "page X of Y", no signature field."""
    buffer = io.BytesIO()
    document_template(buffer).build(agreement_story(request, version, signature_field=False))
    return buffer.getvalue()


def plain_paragraphs(request, version) -> bytes:
    """For scale: the clauses and fields as default-style paragraphs, no layout at all."""
    styles = getSampleStyleSheet()
    texts = [version.title, version.preamble, *(f"{c['number']}. {c['title']}: {c['text']}" for c in version.clauses)]
    texts += [f"{spec['label']}: {getattr(request, spec['name'])}" for spec in version.signer_fields]
    texts += [request.research_purpose, version.signatory, version.closing]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build([Paragraph(markup(t), styles["BodyText"]) for t in texts])
    return buffer.getvalue()


def issue(request, version) -> bytes:
    pdf = render_agreement(request, version, issue=1)
    hashlib.sha256(pdf).hexdigest()
    return pdf


def elapsed_ms(function) -> float:
    start = time.perf_counter()
    function()
    return (time.perf_counter() - start) * 1000


def main() -> int:
    request, version = lagper_request()
    for _ in range(size(10, 1)):  # warm up fonts, caches and the QR encoder
        bare_render(request, version)
        issue(request, version)
    # One of each in turn, so drift in machine load hits every side alike.
    timings = {"bare": [], "issue": [], "plain": []}
    rounds = size(300, 3)
    for _ in range(rounds):
        timings["bare"].append(elapsed_ms(lambda: bare_render(request, version)))
        timings["issue"].append(elapsed_ms(lambda: issue(request, version)))
        timings["plain"].append(elapsed_ms(lambda: plain_paragraphs(request, version)))
    bare_ms, issue_ms, plain_ms = (statistics.median(timings[k]) for k in ("bare", "issue", "plain"))
    ratio = issue_ms / bare_ms
    print(f"medians of {rounds} rounds; bare: the same story and pages with no QR code, page X of Y or /Sig field")
    met = row(
        "pdf",
        "issue an agreement / a bare render of the same story",
        f"{ratio:.2f}x ({issue_ms:.1f} / {bare_ms:.1f} ms)",
        f"<= {TARGET}x",
        ratio <= TARGET,
    )
    row(
        "pdf",
        "for scale: plain default-style paragraphs, no layout",
        f"{plain_ms:.1f} ms (issue {issue_ms / plain_ms:.2f}x)",
        "",
        None,
    )
    return exit_code(met)


if __name__ == "__main__":
    sys.exit(main())
