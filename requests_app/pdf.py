"""The agreement as a signable PDF: a pure function from (request, agreement version) to bytes.

No ORM writes and no HTTP request: the caller decides when a document is issued and stores the
bytes (services.agreement_issue). Every piece of user text is XML-escaped before it reaches
reportlab's Paragraph markup, so `<font>`, `<img src=...>` or an unclosed `<b>` print literally
and can never make reportlab read a local file.

One pass does everything the issued document needs, which keeps issuing within 1.5x of a bare
platypus render of the same story (bench/pdf.py): the QR code is one image XObject shared by every
page, "page X of Y" is drawn when the canvas is saved (pages are held until the total is known),
and the AcroForm /Sig field is written by reportlab itself, not by a second parse-and-rewrite of
the finished file (pyHanko's append_signature_field).
"""

import datetime
import functools
import io
import re
from xml.sax.saxutils import escape

import zxingcpp
from django.conf import settings
from django.urls import reverse
from PIL import Image
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFString
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer

SIGNATURE_FIELD_NAME = "RepresentativeSignature"
QR_SIZE = 22 * mm
QR_BOTTOM = 6 * mm
SIGNATURE_BOX = (80 * mm, 15 * mm)
MARGIN = 20 * mm

# CID fonts every PDF viewer knows (Adobe's CJK collections): nothing is embedded, so a Chinese
# name costs no file size. Each CJK run gets the collection that covers its script.
_HANGUL = "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"
_KANA = "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_HAN = "\u2e80-\u2fdf\u3000-\u303f\u3100-\u312f\u31a0-\u31bf\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uff65"
_CJK_RUN = re.compile(f"([{_HANGUL}]+|[{_KANA}{_HAN}]*[{_KANA}][{_KANA}{_HAN}]*|[{_HAN}]+)")
_CJK_FONTS = {"hangul": "HYSMyeongJo-Medium", "kana": "HeiseiMin-W3", "han": "STSong-Light"}


_HAS_HANGUL = re.compile(f"[{_HANGUL}]")
_HAS_KANA = re.compile(f"[{_KANA}]")


def _cjk_font(run: str) -> str:
    if _HAS_HANGUL.search(run):
        return _CJK_FONTS["hangul"]
    if _HAS_KANA.search(run):
        return _CJK_FONTS["kana"]
    return _CJK_FONTS["han"]


@functools.cache
def _register_cjk_fonts() -> None:
    """Once a process: registering costs a few ms, and a font only reaches a PDF that uses it."""
    for name in _CJK_FONTS.values():
        pdfmetrics.registerFont(UnicodeCIDFont(name))


def has_cjk(text: str) -> bool:
    return _CJK_RUN.search(text) is not None


def markup(text: str) -> str:
    """User or agreement text as safe Paragraph markup: escaped, line breaks kept, CJK in CJK fonts."""
    parts = _CJK_RUN.split(text.replace("\r\n", "\n"))
    out = []
    for i, part in enumerate(parts):
        if not part:
            continue
        safe = escape(part).replace("\n", "<br/>")
        # split() with one group alternates: odd indexes are the CJK runs.
        out.append(f'<font name="{_cjk_font(part)}">{safe}</font>' if i % 2 else safe)
    return "".join(out)


@functools.cache
def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontSize=10, leading=13, spaceAfter=3)
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontSize=15, leading=19, spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", parent=body, alignment=TA_CENTER, textColor=colors.grey),
        "heading": ParagraphStyle("heading", parent=base["Heading2"], fontSize=12, spaceBefore=6, spaceAfter=3),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor=colors.grey),
    }


def _para(text: str, styles, style="body", bold_prefix: str = "") -> Paragraph:
    """A paragraph of untrusted text; CJK word wrap when the text needs it."""
    chosen = styles[style]
    if has_cjk(text):
        chosen = ParagraphStyle(f"{style}-cjk", parent=chosen, wordWrap="CJK")
    prefix = f"<b>{markup(bold_prefix)}</b> " if bold_prefix else ""
    return Paragraph(prefix + markup(text), chosen)


def _display(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def verify_url(token: str, issue: int) -> str:
    """What the QR code on every page says: the public verification page, and which issue it is."""
    return f"{settings.SITE_URL}{reverse('requests_app:verify', args=[token])}?issue={issue}"


def qr_image(text: str) -> ImageReader:
    """The QR code as an 8-bit image, 6 pixels a module so viewers never blur it into noise.

    The page margin around it is its quiet zone."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode)
    bitmap = zxingcpp.write_barcode_to_image(barcode, scale=6, add_quiet_zones=False)
    height, width = bitmap.shape
    return ImageReader(Image.frombuffer("L", (width, height), bytes(memoryview(bitmap)), "raw", "L", 0, 1))


class SignatureField(Flowable):
    """A box for the representative's digital signature: an empty AcroForm /Sig field.

    Drawn as a merged field/widget annotation on the page where the box lands, and listed in the
    document's AcroForm, so Acrobat, Okular or pyHanko can sign it without changing the page.
    """

    def __init__(self, width, height, name=SIGNATURE_FIELD_NAME):
        super().__init__()
        self.width, self.height, self.name = width, height, name

    def draw(self):
        canv = self.canv
        canv.saveState()
        canv.setStrokeColor(colors.grey)
        canv.setDash(2, 2)
        canv.rect(0, 0, self.width, self.height)
        canv.setFont("Helvetica", 7)
        canv.setFillColor(colors.grey)
        canv.drawString(3, 3, "Digital signature (optional)")
        canv.restoreState()
        x, y = canv.absolutePosition(0, 0)
        form = canv.acroForm
        field = PDFDictionary(
            {
                "Type": PDFName("Annot"),
                "Subtype": PDFName("Widget"),
                "FT": PDFName("Sig"),
                "T": PDFString(self.name),
                "F": 4,  # printable
                "Rect": PDFArray([x, y, x + self.width, y + self.height]),
            }
        )
        canv._addAnnotation(field)
        form.fields.append(form.getRef(field))


class _NumberedCanvas(pdf_canvas.Canvas):
    """Holds each page until the end so every page can say "page X of Y" in a single pass."""

    def __init__(self, *args, decorate, **kwargs):
        super().__init__(*args, **kwargs)
        self._decorate = decorate
        self._pages = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._decorate(self, self._pageNumber, total)
            super().showPage()
        super().save()


def agreement_story(request, version, *, signature_field: bool = True) -> list:
    """The document's flowables. Without the signature field it is the bare baseline of bench/pdf.py."""
    _register_cjk_fonts()
    styles = _styles()
    dataset = version.dataset
    story = [
        Paragraph(markup(version.title), styles["title"]),
        Paragraph(
            markup(f"{dataset.full_name} ({dataset.name}) · {dataset.owner}"), styles["subtitle"]
        ),
        Paragraph(
            markup(f"Agreement version {version.label} · sha256 {version.short_sha256} · reference {request.reference}"),
            styles["subtitle"],
        ),
        Spacer(1, 4 * mm),
    ]
    if version.preamble:
        story.append(_para(version.preamble, styles))
    for clause in version.clauses:
        if clause.get("heading"):
            story.append(Paragraph(markup(clause["heading"]), styles["heading"]))
        title = f"{clause['number']}. {clause['title']}:" if clause.get("title") else f"{clause['number']}."
        story.append(_para(clause["text"], styles, bold_prefix=title))

    story += _signer_blocks(request, version, styles)

    if version.signatory:
        story.append(Paragraph("Who must sign", styles["heading"]))
        story.append(_para(version.signatory, styles))
    story.append(
        KeepTogether(
            [
                *_legacy_signature_row(version, styles),
                SignatureField(*SIGNATURE_BOX) if signature_field else Spacer(*SIGNATURE_BOX),
                Paragraph(
                    "Sign by hand and scan every page, or sign the field above digitally without "
                    "changing anything else in this file.",
                    styles["small"],
                ),
            ]
        )
    )
    if version.closing:
        story.append(Spacer(1, 2 * mm))
        # The owner's contact lines, without the blank lines between them.
        story.append(_para(re.sub(r"\n\s*\n", "\n", version.closing.strip()), styles, style="small"))
    submission = (getattr(version, "layout", None) or {}).get("submission", "")
    if submission:
        story.append(Paragraph("How to submit", styles["heading"]))
        story.append(_para(submission, styles))
    return story


def render_agreement(request, agreement_version, *, issue: int = 1) -> bytes:
    """The agreement `request` accepted, filled in with its fields, as PDF bytes.

    Renders the stored text of `agreement_version` (never the dataset's current one). `issue`
    numbers the documents issued for one request; the QR code carries it so a page from an
    earlier issue can be told apart from the current one.
    """
    qr = qr_image(verify_url(request.token, issue))
    reference = request.reference or ""

    def decorate(canv, page, total):
        width, _ = canv._pagesize
        canv.saveState()
        canv.drawImage(qr, width - MARGIN - QR_SIZE, QR_BOTTOM, QR_SIZE, QR_SIZE)
        canv.setFont("Helvetica", 8.5)
        canv.setFillColor(colors.grey)
        canv.drawString(MARGIN, 10 * mm, f"{reference} · page {page} of {total}")
        canv.restoreState()

    buffer = io.BytesIO()
    document_template(
        buffer, title=f"{agreement_version.title} — {reference}", author=agreement_version.dataset.owner,
        subject=reference, creator="Licence portal",
    ).build(
        agreement_story(request, agreement_version),
        canvasmaker=lambda *a, **kw: _NumberedCanvas(*a, decorate=decorate, **kw),
    )
    return buffer.getvalue()


def document_template(buffer, **info) -> SimpleDocTemplate:
    """A4 with room at the foot of every page for the QR code and the footer."""
    return SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=15 * mm,
        bottomMargin=QR_BOTTOM + QR_SIZE + 4 * mm, **info,
    )


def _signer_blocks(request, version, styles) -> list:
    """Each signer's heading and values, in the file's order, then the purpose if asked.

    Read from the version's declared fields (agreement_format.spec), never from the request's
    current agreement. A format 1 agreement prints as it always did: one block and the signature
    row after the signatory.
    """
    from .agreement_format import formfields, spec

    out = []
    legacy = spec.is_format_1(version)
    before = spec.layout(version).get("before_signers", "")
    for paragraph in spec.paragraphs(before):
        out.append(_para(paragraph, styles))
    for signer in spec.signers(version):
        out.append(Paragraph(markup(signer.title), styles["heading"]))
        for field in signer.fields:
            if field.type == "signature":
                out.append(_signature_row(field.label, styles))
                continue
            text = _display(formfields.display(field.type, request.value(field.name)))
            out.append(_para(text.upper() if field.capitals else text, styles, bold_prefix=_label(field.label)))
            # Format 1 asks for the Latin form only beside another script: printed when given.
            if field.romanised_name and not (legacy and not request.value(field.romanised_name)):
                text = _display(request.value(field.romanised_name))
                out.append(_para(text.upper(), styles, bold_prefix=f"{field.romanised_label}:"))
        if not legacy and signer.signs_at_end:
            out.append(_signature_row("", styles))
    purpose = spec.purpose_field(version)
    if purpose is not None:
        out.append(_para(_display(request.value(purpose.name)), styles, bold_prefix=f"{purpose.label}:"))
    return out


def _legacy_signature_row(version, styles) -> list:
    """Format 1 agreements print one signature row here; format 2 signers sign in their blocks."""
    from .agreement_format import spec

    if not spec.is_format_1(version):
        return [Spacer(1, 3 * mm)]
    return [Spacer(1, 3 * mm), _signature_row("", styles), Spacer(1, 2 * mm)]


def _label(label: str) -> str:
    """A field's label as the owner wrote it, with a colon unless it already ends in punctuation."""
    return label if label.endswith((":", ".", "?")) else f"{label}:"


def _signature_row(label: str, styles) -> Paragraph:
    prefix = f"<b>{markup(label)}</b><br/>" if label else ""
    return Paragraph(f"{prefix}Signature: {'_' * 44}&nbsp;&nbsp;&nbsp;Date: {'_' * 20}", styles["body"])

