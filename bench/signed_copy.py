"""Checking a signed scan against rendering the issued pages, in the same run; and the /Fl bomb.

    make bench            (or: python bench/signed_copy.py [rounds]; BENCH_SMOKE=1: one round)

Baseline: pypdfium2 renders the two issued pages of the LAGPeR agreement at 200 dpi. Check:
signed_copies.check_upload on a two-page 200 dpi scan of those pages (signed by hand, rotated,
JPEG): QR codes, alignment, comparison, signature ink. Target: the check within 4x the baseline.
Peak memory is measured in a fresh child process per case (ru_maxrss, the whole process, Django
included), targets 300 MB: the check of that scan, and refusing a 1 MB PDF whose /Fl stream
inflates to 1 GB (target also <= 2 s). Nothing touches the database: unsaved models only.
OpenCV runs on one thread, as in the worker that checks uploads (several checks share the cores).
"""

import io
import math
import multiprocessing
import os
import resource
import statistics
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accessportal.settings")

from report import exit_code, row, size  # noqa: E402

RATIO_TARGET, MEGABYTES_TARGET, BOMB_SECONDS_TARGET = 4.0, 300, 2.0


def _setup():
    import django
    from django.test.utils import override_settings

    django.setup()
    # The issued bytes are kept in memory, as the unsaved rows are kept off the database.
    override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()


def issued_agreement():
    from bench.harness.sample import lagper_request
    from requests_app.documents.pdf import render_agreement_with_areas
    from requests_app.models import IssuedAgreement

    request, version = lagper_request()
    request.token = "bench-token-0123456789"  # the check identifies pages by the token in their QR codes
    rendered = render_agreement_with_areas(request, version, issue=1)
    import pypdf

    pages = len(pypdf.PdfReader(io.BytesIO(rendered.pdf)).pages)
    from django.core.files.base import ContentFile

    issued = IssuedAgreement(request=request, agreement_version=version, issue=1, pages=pages, areas=rendered.areas)
    issued.file.save("agreement.pdf", ContentFile(rendered.pdf), save=False)  # into _setup's in-memory storage
    return issued


def render_issued(pdf: bytes, dpi=200) -> list:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        images = []
        for page in document:
            images.append(page.render(scale=dpi / 72, grayscale=True).to_pil())
            page.close()
        return images
    finally:
        document.close()


def scan_files(issued, dpi=200) -> list:
    """The issued pages printed, signed by hand, scanned crooked at `dpi`, as JPEG files."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import ImageDraw, ImageFilter

    files = []
    scale = dpi / 72
    for number, image in enumerate(render_issued(bytes(issued.pdf), dpi), 1):
        image = image.convert("L")
        draw = ImageDraw.Draw(image)
        for area in issued.areas:
            if area["page"] == number and area["kind"] == "signature":
                left, bottom, _, top = area["box"]
                base = image.height - (bottom + (top - bottom) * 0.4) * scale
                draw.line(
                    [(left * scale + (15 + i * 6) * scale, base - 9 * scale * math.sin(i / 1.7)) for i in range(24)],
                    fill=25,
                    width=3,
                )
        image = image.rotate(2.5 if number % 2 else -2.0, expand=True, fillcolor=235).filter(
            ImageFilter.GaussianBlur(0.8)
        )
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=80)
        files.append(SimpleUploadedFile(f"page{number}.jpg", buffer.getvalue()))
    return files


def fl_bomb(issued) -> bytes:
    """The issued PDF plus one /Fl stream: 1 MB on disk, 1 GB inflated."""
    import pypdf
    from pypdf.generic import NameObject, StreamObject

    deflater = zlib.compressobj(9)
    first = deflater.compress(b"\0" * 1_000_000) + deflater.flush(zlib.Z_FULL_FLUSH)
    again = deflater.compress(b"\0" * 1_000_000) + deflater.flush(zlib.Z_FULL_FLUSH)
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(bytes(issued.pdf))))
    stream = StreamObject()
    stream._data = first + again * 999 + deflater.flush()
    stream[NameObject("/Filter")] = NameObject("/Fl")
    writer._add_object(stream)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def _child(case: str, queue) -> None:
    """One case in a fresh process: its peak RSS is the case's, not the benchmark's."""
    _setup()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from requests_app.documents.signed_copies import UploadRefused, check_upload

    issued = issued_agreement()
    files = scan_files(issued) if case == "scan" else [SimpleUploadedFile("bomb.pdf", fl_bomb(issued))]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    try:
        outcome = check_upload(files, issued=issued).kind
    except UploadRefused as refusal:
        outcome = f"refused: {refusal}"
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((outcome, seconds, before / 1024, peak / 1024))


def in_child(case: str):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(case, queue))
    process.start()
    result = queue.get(timeout=300)
    process.join()
    return result


def main(rounds: int | None = None) -> int:
    rounds = rounds or size(9, 1)
    _setup()
    import cv2

    from requests_app.documents.signed_copies import check_upload

    cv2.setNumThreads(1)  # as in the checking worker: one check, one core
    issued = issued_agreement()
    files = scan_files(issued)
    check_upload(files, issued=issued)  # warm up: imports, OpenCV, the issued pages' cache
    render_ms, check_ms = [], []
    for _ in range(rounds):  # one of each in turn, so drift in machine load hits both alike
        start = time.perf_counter()
        render_issued(bytes(issued.pdf))
        render_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        kind = check_upload(files, issued=issued).kind
        check_ms.append((time.perf_counter() - start) * 1000)
    render, check = statistics.median(render_ms), statistics.median(check_ms)
    ratio = check / render
    scan_outcome, _, scan_before, scan_peak = in_child("scan")
    bomb_outcome, bomb_seconds, bomb_before, bomb_peak = in_child("bomb")
    name = "signed_copy"
    print(f"signed copy check, medians of {rounds} rounds")
    met = [
        row(name, "render the 2 issued pages at 200 dpi (pypdfium2)", f"{render:.1f} ms", "baseline", None),
        row(name, f"check a 2-page 200 dpi scan ({kind})", f"{check:.1f} ms", "", None),
        row(name, "check / render", f"{ratio:.2f}x", f"<= {RATIO_TARGET}x", ratio <= RATIO_TARGET),
        row(
            name,
            f"check, peak RSS of the process ({scan_outcome})",
            f"{scan_peak:.0f} MB",
            f"<= {MEGABYTES_TARGET} MB",
            scan_peak <= MEGABYTES_TARGET,
        ),
        row(
            name,
            "1 MB /Fl stream inflating to 1 GB, refused",
            f"{bomb_seconds:.2f} s",
            f"<= {BOMB_SECONDS_TARGET} s",
            bomb_seconds <= BOMB_SECONDS_TARGET,
        ),
        row(
            name,
            "/Fl bomb, peak RSS of the process",
            f"{bomb_peak:.0f} MB",
            f"<= {MEGABYTES_TARGET} MB",
            bomb_peak <= MEGABYTES_TARGET,
        ),
    ]
    print(f"  ({scan_before:.0f} MB and {bomb_before:.0f} MB before the checks; bomb: {bomb_outcome[:80]})")
    if not bomb_outcome.startswith("refused"):
        met.append(row(name, "/Fl bomb refused", "accepted", "refused", False))
    return exit_code(all(met))


if __name__ == "__main__":
    sys.exit(main(*(int(a) for a in sys.argv[1:])))
