"""Aligning a scan on the issued page when most of the page is one phrase repeated.

The words of every line of such a page match those of every other line, so only its few distinct
lines place the scan; the fit must still hold at the far end of the page, or the repeated lines
there look rewritten and an honest scan is refused as altered.
"""

import dataclasses
import io

import numpy as np
import pypdfium2
import pytest
from PIL import Image, ImageFilter
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from requests_app.documents.scan_compare import compare_page, reference_page, render_page


def a_page_of_one_phrase_repeated() -> bytes:
    """The top two thirds one phrase pasted 150 times, as a research purpose; a few clauses below."""
    body = ParagraphStyle("body", fontName="Helvetica", fontSize=10, leading=13)
    story = [Paragraph("Re-identification. " * 150, body), Spacer(1, 20)]
    story += [
        Paragraph(
            f"Clause {n}. The licensee keeps the data on a server of {n} named hosts, under clause {n * 7}.", body
        )
        for n in range(1, 9)
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build(story)
    return buffer.getvalue()


def flatbed_scan(pdf: bytes, *, dpi: int, degrees: float, blur: float) -> np.ndarray:
    """Grey paper, a little noise, crooked on the glass, slightly soft, JPEG."""
    page = pypdfium2.PdfDocument(pdf)[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    tone = np.asarray(page, dtype=np.float32) * (225 / 255)
    noisy = np.clip(tone + np.random.default_rng(7).normal(0, 4, tone.shape), 0, 255).astype(np.uint8)
    crooked = Image.fromarray(noisy).rotate(degrees, expand=True, fillcolor=225, resample=Image.BICUBIC)
    buffer = io.BytesIO()
    crooked.filter(ImageFilter.GaussianBlur(blur)).save(buffer, "JPEG", quality=80)
    return np.asarray(Image.open(buffer).convert("L"))


def test_an_honest_scan_of_a_page_of_one_phrase_repeated_matches_it_top_to_bottom():
    pdf = a_page_of_one_phrase_repeated()
    issued = reference_page(*render_page(pypdfium2.PdfDocument(pdf), 0))
    # Fitted on the distinct clauses alone, this scan came out lines off at the top of the page.
    scan = flatbed_scan(pdf, dpi=150, degrees=3, blur=0.9)

    comparison = compare_page(scan, issued, areas=[])

    assert comparison.aligned
    assert (comparison.missing, comparison.added, comparison.changed_pixels) == ([], [], 0)


def test_a_page_with_a_single_feature_is_not_aligned_rather_than_raising():
    """A near-blank issued page (one ORB feature) leaves the ratio test no second nearest to compare."""
    pdf = a_page_of_one_phrase_repeated()
    issued = reference_page(*render_page(pypdfium2.PdfDocument(pdf), 0))
    one_feature = dataclasses.replace(issued, keypoints=issued.keypoints[:1], descriptors=issued.descriptors[:1])

    comparison = compare_page(flatbed_scan(pdf, dpi=150, degrees=3, blur=0.9), one_feature, areas=[])

    assert not comparison.aligned


def square(left: float, top: float, side: float) -> np.ndarray:
    return np.float32([[left, top], [left + side, top], [left + side, top + side], [left, top + side]])


@pytest.mark.parametrize("misread", [0.0, 0.3, 0.7, 40.0])
def test_a_qr_code_misread_in_size_leaves_the_page_aligned_as_if_none_was_read(misread):
    """A code's size gives the scan's scale; one read as a point, or far too small or large, must not."""
    pdf = a_page_of_one_phrase_repeated()
    issued = dataclasses.replace(reference_page(*render_page(pypdfium2.PdfDocument(pdf), 0)), code=square(400, 40, 40))
    scan = flatbed_scan(pdf, dpi=150, degrees=3, blur=0.9)  # 150 dpi: that code is 100 px wide in it

    comparison = compare_page(scan, issued, areas=[], code=square(1000, 100, 100 * misread))

    assert comparison.aligned
    assert (comparison.missing, comparison.added) == ([], [])
