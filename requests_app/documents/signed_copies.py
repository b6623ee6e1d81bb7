"""Checking a signed copy before anything is stored: what the file is, and whose agreement it is.

The type is decided by content, never by name or browser-supplied content type: the first bytes
are sniffed, then the whole file is parsed (pypdf, Pillow) so a truncated, encrypted, polyglot or
bomb-shaped file is refused before it reaches the disk. Then the file is matched to the issued
agreement: a digitally signed PDF must start with the issued bytes and carry an intact signature
over the whole file (pyHanko); a scan must show this request's QR code on its pages (zxing-cpp).

Work is bounded by size, page, pixel and inflate limits from settings, and by a deadline checked
between steps (threads cannot be interrupted safely; the limits bound each step instead).
"""

import hashlib
import io
import logging
import re
import time
import unicodedata
import zipfile
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import cv2
import numpy as np
import pypdf
import pypdfium2
import zxingcpp
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image

from ..agreement_format import localised
from ..models import IssuedAgreement, SignedCopy
from .pdf import COUNTERSIGNATURE_FIELD_NAME, SIGNATURE_FIELD_NAME
from .pdf_safety import Budget, PdfRefused, check_pdf_safety, refuse_data_after_last_xref
from .scan_compare import PDFIUM_LOCK, REFERENCE_PAGES, ReferencePage, code_corners, compare_page

logger = logging.getLogger(__name__)

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}
INTEGRITY_VERIFIED = "integrity verified: signed copy of the issued agreement"
_QR_TEXT = re.compile(r"/verify/(?P<token>[A-Za-z0-9_-]+)/\?issue=(?P<issue>\d+)(?:&page=(?P<page>\d+))?$")


class UploadRefused(Exception):
    """The upload cannot be accepted; the message tells the applicant why and what to do."""


@dataclass(frozen=True)
class UploadedPart:
    original_name: str
    content_type: str
    data: bytes = field(repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed every check, with what the reviewer should be told about it."""

    issued: IssuedAgreement
    parts: list[UploadedPart]
    kind: str
    page_results: list[dict]
    summary: str


class _Deadline:
    def __init__(self, seconds: float):
        self.ends = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.ends:
            raise UploadRefused(_("Checking this file took too long. Upload a smaller or simpler scan."))


def _budget() -> Budget:
    return Budget(
        inflated_bytes=settings.SIGNED_COPY_MAX_INFLATED_BYTES,
        total_pixels=settings.SIGNED_COPY_MAX_TOTAL_PIXELS,
        pixels_per_image=settings.SIGNED_COPY_MAX_PIXELS,
    )


def _megabytes(n: int) -> str:
    return f"{n / 1_000_000:.0f} MB"


def check_upload(files, *, issued: IssuedAgreement, countersigned: bool = False) -> CheckedUpload:
    """Check uploaded files (Django UploadedFile objects) against `issued`, or raise UploadRefused.

    `countersigned`: the owner's copy of the executed agreement, which must carry the owner's
    signature (ink in the countersignature areas, or the owner's signature field signed) as well
    as the licensee's.
    """
    return check_parts(read_upload(files), issued=issued, countersigned=countersigned)


def read_upload(files) -> list[UploadedPart]:
    """The uploaded files read and typed, or UploadRefused: what is cheap to tell at once.

    Size, count and type (sniffed from the first bytes, and no second file riding along) are known
    before anything parses the files; everything else is check_parts, run off the request thread.
    """
    if not files:
        raise UploadRefused(_("Choose the signed agreement to upload: one PDF, or JPEG/PNG page images."))
    max_bytes = settings.SIGNED_COPY_MAX_BYTES
    if sum(f.size for f in files) > max_bytes:
        raise UploadRefused(
            _("The upload is larger than %(size)s. Scan at 150–300 dpi and try again.")
            % {"size": _megabytes(max_bytes)}
        )
    parts = [_read(f, max_bytes) for f in files]
    types = {p.content_type for p in parts}
    if PDF in types and len(parts) > 1:
        raise UploadRefused(_("Upload a PDF on its own, or page images (JPEG/PNG) only, not both."))
    if len(parts) > settings.SIGNED_COPY_MAX_PAGES:
        raise UploadRefused(_("Upload at most %(limit)s pages.") % {"limit": settings.SIGNED_COPY_MAX_PAGES})
    return parts


def check_parts(parts: list[UploadedPart], *, issued: IssuedAgreement, countersigned: bool = False) -> CheckedUpload:
    """Parse, render and compare the parts read_upload returned; UploadRefused unless accepted.

    Touches no database: `issued` must come with its request loaded, and the bytes of its PDF.
    `countersigned`: as for check_upload.
    """
    deadline = _Deadline(settings.SIGNED_COPY_CHECK_SECONDS)
    if parts[0].content_type == PDF:
        return _check_pdf(parts[0], issued, deadline, countersigned)
    _refuse_too_many_pixels_in_all(parts)
    pages = (_image_page(part, deadline) for part in parts)
    return _scan_result(issued, parts, pages, deadline, countersigned)


def _read(uploaded, max_bytes: int) -> UploadedPart:
    uploaded.seek(0)
    data = uploaded.read(max_bytes + 1)
    name = _safe_name(uploaded.name or "")
    return UploadedPart(original_name=name, content_type=_sniff(data, name), data=data)


def download_name(original_name: str, content_type: str) -> str:
    """The name a stored file is offered under: the browser's name, ending as its sniffed type.

    "agreement.pdf.html" holding a PDF is offered as "agreement.pdf", "scan" as "scan.pdf".
    """
    endings = _NAME_ENDINGS[content_type]
    stem, dot, suffix = original_name.rpartition(".")
    if dot and stem and f".{suffix.lower()}" not in endings:
        original_name = stem
    if original_name.lower().endswith(endings):
        return original_name
    return original_name + EXTENSIONS[content_type]


_NAME_ENDINGS = {PDF: (".pdf",), JPEG: (".jpg", ".jpeg"), PNG: (".png",)}


def _safe_name(name: str) -> str:
    """The browser's filename reduced to letters, digits, '-', '_' and '.', for display only."""
    try:
        return get_valid_filename(name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1])[-100:]
    except SuspiciousFileOperation:  # nothing usable left, e.g. "..", or only symbols
        return "upload"


def _sniff(data: bytes, name: str) -> str:
    head = data[:1024]
    if head.startswith(b"%PDF-"):
        content_type = PDF
    elif head.startswith(b"\xff\xd8\xff"):
        content_type = JPEG
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        content_type = PNG
    elif b"<svg" in head.lower():
        raise UploadRefused(
            _("%(name)s is an SVG image; SVG is not accepted. Upload a PDF, JPEG or PNG.") % {"name": name}
        )
    else:
        raise UploadRefused(_("%(name)s is not a PDF, JPEG or PNG file, whatever its name says.") % {"name": name})
    _refuse_polyglot(data, content_type, name)
    return content_type


# What a complete file of each type ends with; anything after it is another file riding along.
_ENDINGS = {PDF: (b"%%EOF",), JPEG: (b"\xff\xd9",), PNG: (b"IEND\xaeB`\x82",)}


def _refuse_polyglot(data: bytes, content_type: str, name: str) -> None:
    if not data.rstrip(b"\x00\r\n\t ").endswith(_ENDINGS[content_type]):
        raise UploadRefused(
            _(
                "%(name)s is incomplete or has other data appended after its end. "
                "Export or scan it again and upload the new file."
            )
            % {"name": name}
        )
    if zipfile.is_zipfile(io.BytesIO(data)):
        raise UploadRefused(_("%(name)s is also a ZIP archive. Upload a plain PDF, JPEG or PNG.") % {"name": name})


# --- PDFs ---------------------------------------------------------------------------------------


def _check_pdf(part: UploadedPart, issued: IssuedAgreement, deadline: _Deadline, countersigned: bool) -> CheckedUpload:
    if _parse_pdf(part, deadline):
        return _check_digital_signature(part, issued, countersigned)
    return _scan_result(issued, [part], _render_pdf(part, deadline), deadline, countersigned)


def _parse_pdf(part: UploadedPart, deadline: _Deadline) -> bool:
    """Parse the whole PDF within the limits; return whether it is digitally signed."""
    name = part.original_name
    try:
        refuse_data_after_last_xref(part.data, name)
        reader = pypdf.PdfReader(io.BytesIO(part.data))
        if reader.is_encrypted:
            raise UploadRefused(
                _("%(name)s is encrypted or password-protected. Upload an unprotected PDF.") % {"name": name}
            )
        count = len(reader.pages)
        if count > settings.SIGNED_COPY_MAX_PAGES:
            raise UploadRefused(
                _("%(name)s has %(count)s pages; upload at most %(limit)s.")
                % {"name": name, "count": count, "limit": settings.SIGNED_COPY_MAX_PAGES}
            )
        if count == 0:
            raise UploadRefused(_("%(name)s has no pages.") % {"name": name})
        if reader.attachments:
            raise UploadRefused(
                _("%(name)s carries attached files. Upload the signed agreement alone.") % {"name": name}
            )
        check_pdf_safety(reader, name, _budget(), deadline)
        return _has_signature(reader)
    except UploadRefused:
        raise
    except PdfRefused as refusal:
        raise UploadRefused(str(refusal)) from None
    except Exception as error:  # pypdf raises many types on malformed input; all mean "damaged".
        logger.info("Refused unreadable PDF upload: %r", error)
        raise UploadRefused(
            _("%(name)s could not be read as a PDF: it may be damaged or incomplete.") % {"name": name}
        ) from None


def _has_signature(reader: pypdf.PdfReader) -> bool:
    fields = reader.get_fields() or {}
    return any(f.get("/FT") == "/Sig" and f.get("/V") is not None for f in fields.values())


def _check_digital_signature(part: UploadedPart, issued: IssuedAgreement, countersigned: bool) -> CheckedUpload:
    """The issued bytes, then one revision that only fills the signature field, signed intact.

    The issued document must be the file's first revision byte for byte; pyHanko's difference
    analysis then reviews every later revision against it, so a signing revision that also adds
    content, changes a page or lays an annotation over the text is refused, whoever signed it.
    The certificate is checked against the trust store named by SIGNED_COPY_TRUST_ROOTS (none by
    default): an intact signature it cannot vouch for is accepted for review as "identity not
    verified". Nothing is fetched: an uploaded certificate must never make the server open URLs.
    The owner's countersigned copy fills the owner's field too, in a later revision.
    """
    # Imported here: pyHanko is heavy and only digitally signed uploads need it.
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, ModificationLevel, SuspiciousModification
    from pyhanko.sign.fields import MDPPerm
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    name = part.original_name
    if not part.data.startswith(bytes(issued.pdf)):
        raise UploadRefused(
            _(
                "%(name)s is digitally signed, but it is not the agreement issued for %(reference)s "
                "(issue %(issue)s), or it was changed before signing. Download the agreement again, "
                "sign it without editing it, and upload the signed file."
            )
            % {"name": name, "reference": issued.request.reference, "issue": issued.issue}
        )
    try:
        reader = PdfFileReader(io.BytesIO(part.data), strict=False)
        signatures = reader.embedded_signatures
        context = ValidationContext(trust_roots=_trust_roots(), allow_fetching=False)
        statuses = [validate_pdf_signature(s, signer_validation_context=context) for s in signatures]
        changes = DEFAULT_DIFF_POLICY.review_file(reader, 0, doc_mdp=MDPPerm.FILL_FORMS)
    except Exception as error:
        logger.info("Refused PDF whose signature cannot be validated: %r", error)
        raise UploadRefused(_("The digital signature in %(name)s could not be read.") % {"name": name}) from None
    last = statuses[-1] if statuses else None
    if last is None or not all(s.intact and s.valid for s in statuses):
        raise UploadRefused(
            _("The digital signature in %(name)s does not match its content: the file was changed after signing.")
            % {"name": name}
        )
    if last.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        raise UploadRefused(
            _("%(name)s was changed after it was signed: the signature does not cover the whole file.") % {"name": name}
        )
    if isinstance(changes, SuspiciousModification):
        raise UploadRefused(
            _(
                "%(name)s changes the agreement, not only its signature field (%(changes)s). "
                "Sign the issued PDF without editing it, and upload the signed file."
            )
            % {"name": name, "changes": changes}
        )
    fields = {SIGNATURE_FIELD_NAME, COUNTERSIGNATURE_FIELD_NAME} if countersigned else {SIGNATURE_FIELD_NAME}
    if changes.modification_level > ModificationLevel.FORM_FILLING or not changes.changed_form_fields <= fields:
        raise UploadRefused(
            _(
                "%(name)s adds annotations or fills fields other than the signature field. "
                "Sign the issued PDF without editing it, and upload the signed file."
            )
            % {"name": name}
        )
    by_field = {signature.field_name: status for signature, status in zip(signatures, statuses, strict=True)}
    if countersigned and COUNTERSIGNATURE_FIELD_NAME not in by_field:
        raise UploadRefused(
            _(
                "%(name)s is not countersigned: the owner's digital signature field is empty. Sign that field "
                "digitally, or print the agreement, sign it by hand on the owner's line and upload a scan."
            )
            % {"name": name}
        )
    if countersigned and SIGNATURE_FIELD_NAME not in by_field:
        raise UploadRefused(
            _("%(name)s is not signed by the licensee: countersign the copy the licensee signed.") % {"name": name}
        )
    licensee = by_field.get(SIGNATURE_FIELD_NAME, last)
    signer = licensee.signing_cert.subject.human_friendly
    common_name = _common_name(licensee.signing_cert)
    representative = getattr(issued.request, "representative_name", "") or ""
    same_person = _same_name(common_name, representative)
    trusted = all(bool(status.trusted) for status in statuses)
    identity = (
        "identity verified by the trust store"
        if trusted
        else "identity not verified (certificate not in the trust store)"
    )
    name_check = (
        f"signer {common_name} is the representative named in the form"
        if same_person
        else f"signer {common_name or signer} differs from the representative named in the form ({representative or '—'})"
    )
    countersigner = (
        f"; countersigned by {by_field[COUNTERSIGNATURE_FIELD_NAME].signing_cert.subject.human_friendly}"
        if countersigned
        else ""
    )
    summary = (
        f"{INTEGRITY_VERIFIED} (issue {issued.issue}; signed by {signer}{countersigner}; "
        f"no change but the signature{'s' if countersigned else ''}; {identity}; {name_check})"
    )
    details = {
        "status": "digital",
        "signer": signer,
        "signer_name": common_name,
        "representative": representative,
        "name_matches": same_person,
        "trusted": trusted,
        "changes": "the signature field only",
        "message": f"digital signature: intact, no change after issue but the signature; {identity}; {name_check}",
    }
    return CheckedUpload(
        issued=issued,
        parts=[part],
        page_results=[details],
        summary=summary,
        kind=SignedCopy.Kind.DIGITAL_SIGNATURE_VERIFIED if trusted else SignedCopy.Kind.DIGITAL_SIGNATURE_UNTRUSTED,
    )


def _trust_roots() -> list:
    """The certificates in the bundle SIGNED_COPY_TRUST_ROOTS names (PEM or DER); none when unset."""
    from pyhanko.keys import load_certs_from_pemder

    path = settings.SIGNED_COPY_TRUST_ROOTS
    return list(load_certs_from_pemder([path])) if path else []


def _common_name(certificate) -> str:
    return str(certificate.subject.native.get("common_name", "")) if certificate is not None else ""


def _same_name(a: str, b: str) -> bool:
    """Names compared as people write them: case, accents' composition and spacing aside."""

    def fold(text):
        return " ".join(unicodedata.normalize("NFKC", text).casefold().replace(".", " ").replace(",", " ").split())

    return bool(a.strip()) and fold(a) == fold(b)


def _render_pdf(part: UploadedPart, deadline: _Deadline) -> Generator["_Page", None, None]:
    """Each page as a working copy (scaled down to the pixel limit), one at a time.

    Every PDFium call holds PDFIUM_LOCK, but not across the yield: the comparison runs unlocked.
    """
    with PDFIUM_LOCK:
        try:
            document = pypdfium2.PdfDocument(part.data)
        except Exception as error:
            logger.info("Refused PDF that PDFium does not open: %r", error)
            raise _unrenderable(part) from None
    try:
        for index in range(len(document)):
            deadline.check()
            yield _Page(
                _render_grey(document, index, _WORKING_DPI, part),
                lambda index=index: _render_grey(document, index, _SHARPER_DPI, part),
            )
    finally:
        with PDFIUM_LOCK:
            document.close()


def _unrenderable(part: UploadedPart) -> UploadRefused:
    return UploadRefused(_("%(name)s could not be rendered: it may be damaged.") % {"name": part.original_name})


def _render_grey(document, index: int, dpi: int, part: UploadedPart) -> np.ndarray:
    with PDFIUM_LOCK:
        try:
            page = document[index]
            try:
                width, height = page.get_size()
                scale = min(dpi / 72, (settings.SIGNED_COPY_MAX_PIXELS / max(width * height, 1)) ** 0.5)
                bitmap = page.render(scale=scale, grayscale=True)
                try:
                    return np.array(bitmap.to_pil().convert("L"))  # a copy: the bitmap's memory is PDFium's
                finally:
                    bitmap.close()
            finally:
                page.close()
        except Exception as error:
            logger.info("Refused PDF that does not render: %r", error)
            raise _unrenderable(part) from None


# --- Images and QR codes ------------------------------------------------------------------------


def _refuse_too_many_pixels_in_all(parts: list[UploadedPart]) -> None:
    """Sizes from the headers only: nothing is decoded before the whole upload is known to fit."""
    total = 0
    for part in parts:
        try:
            with Image.open(io.BytesIO(part.data), formats=["JPEG", "PNG"]) as image:
                total += image.width * image.height
        except Exception:
            continue  # unreadable: _open_image says so, naming the file
    limit = settings.SIGNED_COPY_MAX_TOTAL_PIXELS
    if total > limit:
        raise UploadRefused(
            _("These pages hold more than %(megapixels)s megapixels in all. Scan at 150–300 dpi.")
            % {"megapixels": limit // 1_000_000}
        )


@dataclass(frozen=True)
class _Page:
    """One page of an upload: a working copy in grey, and how to get a sharper one for its QR code."""

    grey: np.ndarray = field(repr=False)
    sharper: Callable[[], np.ndarray] | None = None


def _image_page(part: UploadedPart, deadline: _Deadline) -> _Page:
    """The image as a working copy. A JPEG is decoded straight at that size (its DCT scales)."""
    image = _open_image(part, deadline, draft=True)
    full_size = image.size
    _load(image, part)
    grey = _working_copy(image)
    if grey.shape[::-1] == full_size:
        return _Page(grey)
    return _Page(grey, lambda: np.asarray(_load(_open_image(part, deadline), part).convert("L")))


def _open_image(part: UploadedPart, deadline: _Deadline, *, draft: bool = False) -> Image.Image:
    deadline.check()
    name, limit = part.original_name, settings.SIGNED_COPY_MAX_PIXELS
    too_large = UploadRefused(
        _("%(name)s has too many pixels (limit %(megapixels)s megapixels). Scan at 150–300 dpi.")
        % {"name": name, "megapixels": limit // 1_000_000}
    )
    try:
        image = Image.open(io.BytesIO(part.data), formats=["JPEG", "PNG"])
        if image.width * image.height > limit:
            raise too_large
        if draft and image.format == "JPEG" and image.height >= 2 * _WORKING_MIN_HEIGHT:
            image.draft("L", (image.width * _WORKING_MIN_HEIGHT // image.height + 1, _WORKING_MIN_HEIGHT))
    except UploadRefused:
        raise
    except Image.DecompressionBombError:
        raise too_large from None
    except Exception as error:
        logger.info("Refused unreadable image upload: %r", error)
        raise UploadRefused(
            _("%(name)s could not be read as an image: it may be damaged or incomplete.") % {"name": name}
        ) from None
    if Image.MIME.get(image.format or "") != part.content_type:
        raise UploadRefused(_("%(name)s is not a plain JPEG or PNG image.") % {"name": name})
    return image


def _load(image: Image.Image, part: UploadedPart) -> Image.Image:
    try:
        image.load()
    except Exception as error:
        logger.info("Refused unreadable image upload: %r", error)
        raise UploadRefused(
            _("%(name)s could not be read as an image: it may be damaged or incomplete.") % {"name": part.original_name}
        ) from None
    return image


def _identify(
    image: np.ndarray, issued: IssuedAgreement, position: int, *, sharper: bool = False
) -> tuple[int, np.ndarray] | None:
    """Which page of `issued` the image shows, by its QR code, and the code's corners in the image;
    None when it carries no code of ours. The working copy is read at its own size only (its
    code's modules are a few pixels each there); a `sharper` copy at reduced sizes too.

    Raises UploadRefused for a page of someone else's agreement or of another issue. A code
    without a page number (documents issued before codes carried one) counts as `position`.
    """
    read = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode, try_downscale=sharper)
    found = [(match, code) for code in read if (match := _QR_TEXT.search(code.text))]
    codes = [match for match, _ in found]
    reference = issued.request.reference
    for code in codes:
        if code["token"] != issued.request.token:
            raise UploadRefused(
                _(
                    "Page %(position)s of the upload belongs to another request's agreement, not %(reference)s. "
                    "Upload only the pages of the agreement issued for this request."
                )
                % {"position": position, "reference": reference}
            )
        if int(code["issue"]) != issued.issue:
            raise UploadRefused(
                _(
                    "Page %(position)s of the upload is from another issue of this agreement (issue %(other)s); "
                    "the current one is issue %(issue)s. Download it, sign it and upload that."
                )
                % {"position": position, "other": code["issue"], "issue": issued.issue}
            )
    if not found:
        return None
    first, code = found[0]
    return (int(first["page"]) if first["page"] else position), code_corners(code)


# The working copy of a page is at least this high (about 95 dpi for A4): the QR code keeps two
# pixels and more a module, and the comparison (at 100 dpi) loses nothing. It is reduced by a
# whole factor only, which is exact and many times faster than any other. A code not read there
# is looked for again in the full image (`_Page.sharper`), so a small or blurred one is not lost.
_WORKING_MIN_HEIGHT = 1100
_WORKING_DPI = 120  # PDF pages are rendered at this resolution, ...
_SHARPER_DPI = 200  # ... and at this one when their code was not read


def _working_copy(image: Image.Image) -> np.ndarray:
    """The page in grey, reduced by the largest whole factor that keeps it _WORKING_MIN_HEIGHT high."""
    grey = np.asarray(image if image.mode == "L" else image.convert("L"))
    factor = grey.shape[0] // _WORKING_MIN_HEIGHT
    if factor <= 1:
        return grey
    return cv2.resize(grey, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA)


def _pages(numbers, *, read: bool = False) -> str:
    """ "page 2", "pages 1, 2 and 4": in English for the stored results, in the reader's language if `read`."""
    numbers = list(numbers)
    if read:
        if len(numbers) == 1:
            return _("page %(number)s") % {"number": numbers[0]}
        return _("pages %(numbers)s and %(last)s") % {"numbers": ", ".join(map(str, numbers[:-1])), "last": numbers[-1]}
    return (
        f"page {numbers[0]}"
        if len(numbers) == 1
        else "pages " + ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"
    )


def _where(box: list[float], page_height: float) -> str:
    """Where on the page a box is, in words a person holding the paper understands."""
    middle = page_height - (box[1] + box[3]) / 2
    return (
        "at the top"
        if middle < page_height / 3
        else "in the middle"
        if middle < 2 * page_height / 3
        else "at the bottom"
    )


def _where_read(box: list[float], page_height: float) -> str:
    """`_where` in the reader's language, for a refusal."""
    return {"at the top": _("at the top"), "in the middle": _("in the middle"), "at the bottom": _("at the bottom")}[
        _where(box, page_height)
    ]


def _scan_result(
    issued, parts, pages: Generator[_Page, None, None], deadline: _Deadline, countersigned: bool
) -> CheckedUpload:
    """Every issued page present once, in order, unchanged outside its areas to write in, and signed."""
    reference = issued.request.reference
    references = REFERENCE_PAGES.pages(bytes(issued.pdf), issued.sha256 or None)
    try:
        results = []
        seen: list[int] = []
        for position, page in enumerate(pages, 1):
            deadline.check()
            grey = page.grey
            identified = _identify(grey, issued, position)
            if identified is None and page.sharper is not None:
                sharper = page.sharper()
                identified = _identify(sharper, issued, position, sharper=True)
                if identified is not None:  # the code's corners, from the sharper copy's pixels to the working copy's
                    identified = identified[0], identified[1] * (grey.shape[0] / sharper.shape[0])
            if identified is None:
                results.append(None)
                continue
            number, code = identified
            if number in seen:
                raise UploadRefused(
                    _("Page %(number)s of the agreement is in the upload twice. Upload each page once.")
                    % {"number": number}
                )
            if not 1 <= number <= issued.pages:
                raise UploadRefused(
                    _("Page %(position)s of the upload is not a page of the agreement issued for %(reference)s.")
                    % {"position": position, "reference": reference}
                )
            seen.append(number)
            results.append(_compare(grey, code, references[number - 1], issued, number, position, countersigned))
        if not seen:
            raise UploadRefused(
                _(
                    "No page of this upload is a page of the agreement issued for %(reference)s (issue %(issue)s): "
                    "none carries its QR code. Upload a scan or photo of every page of the signed agreement."
                )
                % {"reference": reference, "issue": issued.issue}
            )
        unread = [position for position, result in enumerate(results, 1) if result is None]
        if unread:
            raise UploadRefused(
                _(
                    "The QR code of %(pages)s of the upload could not be read. "
                    "Scan or photograph the whole page again, flat, sharp and well lit."
                )
                % {"pages": _pages(unread, read=True)}
            )
        missing = [n for n in range(1, issued.pages + 1) if n not in seen]
        if missing:
            raise UploadRefused(
                ngettext(
                    "%(pages)s of the agreement is missing (it has %(total)s pages). Upload every page.",
                    "%(pages)s of the agreement are missing (it has %(total)s pages). Upload every page.",
                    len(missing),
                )
                % {"pages": _pages(missing, read=True).capitalize(), "total": issued.pages}
            )
        if seen != sorted(seen):
            raise UploadRefused(
                _("The pages are out of order (the upload has %(order)s). Upload them in the agreement's order.")
                % {"order": ", ".join(map(str, seen))}
            )
    finally:
        pages.close()  # a PDF's document is closed now, not when the generator is collected
    return _scan_verdict(issued, parts, results, countersigned)


def _compare(
    scan: np.ndarray,
    code: np.ndarray | None,
    reference: ReferencePage,
    issued,
    number: int,
    position: int,
    countersigned: bool,
) -> dict:
    width, height = reference.size_points
    areas = [area for area in issued.areas if area["page"] == number]
    kinds = ("signature", "countersignature") if countersigned else ("signature",)
    comparison = compare_page(scan, reference, areas, signature_kinds=kinds, code=code)
    where = f"page {number} of {issued.pages}"
    where_read = _("page %(number)s of %(total)s") % {"number": number, "total": issued.pages}
    if not comparison.aligned:
        raise UploadRefused(
            _(
                "Page %(position)s of the upload could not be matched with %(where)s of the agreement. "
                "Scan or photograph the whole page again, flat, with all four edges visible."
            )
            % {"position": position, "where": where_read}
        )
    if comparison.altered:
        regions = comparison.missing + comparison.added
        raise UploadRefused(
            _(
                "%(where)s differs from the issued agreement %(place)s of the page (text missing or added outside "
                "the places to sign). Sign the agreement as issued, without changing it, and upload a new scan."
            )
            % {"where": where_read.capitalize(), "place": _where_read(regions[0], height)}
        )
    if comparison.signed is False and "signature" not in comparison.unsigned:
        [box] = [area["box"] for area in areas if area["kind"] == "countersignature"][:1]
        raise UploadRefused(
            _(
                "%(where)s is not countersigned: no signature was found on the owner's signature line %(place)s "
                "of the page. Sign there for the owner and upload a new scan."
            )
            % {"where": where_read.capitalize(), "place": _where_read(box, height)}
        )
    if comparison.signed is False:
        [box] = [area["box"] for area in areas if area["kind"] == "signature"][:1]
        raise UploadRefused(
            _(
                "%(where)s is not signed: no signature was found on the signature line %(place)s of the page, "
                "where %(who)s must sign. Sign there and upload a new scan."
            )
            % {
                "where": where_read.capitalize(),
                "place": _where_read(box, height),
                "who": localised.who_signs(issued.agreement_version),
            }
        )
    status = "doubtful" if comparison.doubtful else "matched"
    message = f"{where}: matches the issued page"
    if comparison.signed:
        countersigned_here = countersigned and any(area["kind"] == "countersignature" for area in areas)
        message += ", signed and countersigned" if countersigned_here else ", signed"
    if comparison.doubtful:
        spots = [f"ink missing {_where(box, height)}" for box in comparison.missing]
        spots += [f"ink added {_where(box, height)}" for box in comparison.added]
        message += "; for the reviewer to look at: " + ", ".join(spots) + " of the page"
    return {
        "page": number,
        "status": status,
        "signed": comparison.signed,
        "message": message,
        "missing": comparison.missing,
        "added": comparison.added,
        "page_size": [width, height],
        "upload_position": position,
    }


def _scan_verdict(issued, parts, results: list[dict], countersigned: bool) -> CheckedUpload:
    doubtful = [r["page"] for r in results if r["status"] == "doubtful"]
    count = len(results)
    pages = "the page matches" if count == 1 else f"all {count} pages match"
    summary = f"scan checked: {pages} the agreement as issued (issue {issued.issue}), signed{' and countersigned' if countersigned else ''}"
    if doubtful:
        summary += f"; small differences on {_pages(doubtful)} for the reviewer to look at"
        kind = SignedCopy.Kind.SCAN_TO_CHECK
    else:
        kind = SignedCopy.Kind.SCAN_MATCHED
    return CheckedUpload(issued=issued, parts=parts, kind=kind, page_results=results, summary=summary)
