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
from dataclasses import dataclass

import zxingcpp
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, gettext_noop
from PIL import Image
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFString
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import Flowable, KeepTogether, SimpleDocTemplate, Spacer

from . import fonts

SIGNATURE_FIELD_NAME = "RepresentativeSignature"
# The owner's own field, in agreements the owner countersigns: the licensee's signed copy leaves it empty.
COUNTERSIGNATURE_FIELD_NAME = "OwnerCountersignature"
# In the agreement's language, like the rest of the PDF (not the reader's: the portal's strings are translated).
COUNTERSIGNATURE_FIELD_LABEL = "Owner's digital signature (optional)"
QR_SIZE = 22 * mm
QR_BOTTOM = 6 * mm
SIGNATURE_BOX = (80 * mm, 15 * mm)
MARGIN = 20 * mm
_COURTESY_INK = colors.HexColor("#404040")
# The marker of a courtesy translation, printed in the PDF's own (English) wording and again in the
# translation's language, for whoever reads only that one: catalogued for the second.
COURTESY_MARKER = gettext_noop("Courtesy translation (%(language)s) — the %(binding)s text above binds.")


def markup(text: str) -> str:
    """User or agreement text as safe Paragraph markup: escaped, line breaks kept, each script in
    an embedded font that prints it (documents.fonts)."""
    return fonts.markup(text)


@functools.cache
def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=fonts.BODY, fontSize=10, leading=13, spaceAfter=3)
    return {
        "title": ParagraphStyle(
            "title", parent=base["Title"], fontName=fonts.BOLD, fontSize=15, leading=19, spaceAfter=4
        ),
        "subtitle": ParagraphStyle("subtitle", parent=body, alignment=TA_CENTER, textColor=colors.grey),
        "heading": ParagraphStyle(
            "heading", parent=base["Heading2"], fontName=fonts.BOLD, fontSize=12, spaceBefore=6, spaceAfter=3
        ),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor=colors.grey),
        # A courtesy translation, set in under the binding text it translates, its marker kept with it.
        "courtesy_label": ParagraphStyle(
            "courtesy_label",
            parent=body,
            fontSize=8,
            leading=10.5,
            leftIndent=5 * mm,
            spaceBefore=1,
            spaceAfter=1,
            textColor=colors.grey,
            keepWithNext=1,
        ),
        "courtesy_heading": ParagraphStyle(
            "courtesy_heading", parent=body, fontName=fonts.BOLD, leftIndent=5 * mm, textColor=_COURTESY_INK
        ),
        "courtesy": ParagraphStyle("courtesy", parent=body, leftIndent=5 * mm, spaceAfter=5, textColor=_COURTESY_INK),
    }


def _paragraph(text_markup: str, style: ParagraphStyle) -> fonts.AgreementParagraph:
    """A paragraph of markup, shaped by HarfBuzz when a run needs it (Arabic, Hebrew, Devanagari)."""
    plain = re.sub(r"<[^>]*>", "", text_markup)
    if fonts.needs_shaping(plain):
        style = ParagraphStyle(f"{style.name}-shaped", parent=style, shaping=1)
    return fonts.AgreementParagraph(text_markup, style)


def _para(text: str, styles, style="body", bold_prefix: str = "") -> fonts.AgreementParagraph:
    """A paragraph of untrusted text; CJK word wrap when the text needs it."""
    chosen = styles[style]
    if fonts.has_cjk(text):
        chosen = ParagraphStyle(f"{style}-cjk", parent=chosen, wordWrap="CJK")
    prefix = f"<b>{markup(bold_prefix)}</b> " if bold_prefix else ""
    return _paragraph(prefix + markup(text), chosen)


def _display(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def verify_url(token: str, issue: int, page: int | None = None) -> str:
    """What the QR code on a page says: the public verification page, which issue, which page.

    The page number lets a scan be put in order and a missing page be named."""
    url = f"{settings.SITE_URL}{reverse('requests_app:verify', args=[token])}?issue={issue}"
    return url if page is None else f"{url}&page={page}"


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

    def __init__(self, width, height, name=SIGNATURE_FIELD_NAME, label="Digital signature (optional)"):
        super().__init__()
        self.width, self.height, self.name, self.label = width, height, name, label

    def draw(self):
        canv = self.canv
        canv.saveState()
        canv.setStrokeColor(colors.grey)
        canv.setDash(2, 2)
        canv.rect(0, 0, self.width, self.height)
        canv.setFont(fonts.BODY, 7)
        canv.setFillColor(colors.grey)
        canv.drawString(3, 3, self.label)
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
        # What a signer sets (signatures exist, append only) set already: the signing revision then
        # changes nothing in the form but the field, as the difference analysis of an upload expects.
        form.sigFlags = 3


class SignatureBlock(Flowable):
    """The line the representative signs on, the date beside it, their printed name and title under it.

    Records where it drew the places meant to be written in (`areas`: the signature, and the date
    when the form gave none), in PDF points on the page it landed on, so a scan can be checked
    for ink there and for no change anywhere else. A `date` of None prints no date beside the line:
    the agreement has the signer write it elsewhere.
    """

    LINE = 95 * mm
    INK_HEIGHT = 16 * mm  # the room above the line a hand signature takes

    def __init__(self, *, name: str, title: str, date: str | None, areas: list, styles, kind: str = "signature"):
        super().__init__()
        self.name, self.title, self.date, self.areas, self.styles = name, title, date, areas, styles
        # The owner's countersignature is an area of its own kind: the licensee leaves it blank.
        self.kind = kind
        self.height = self.INK_HEIGHT + 14 * mm

    def wrap(self, available_width, available_height):
        self.width = available_width
        return self.width, self.height

    def draw(self):
        canv = self.canv
        line_y = self.height - self.INK_HEIGHT
        canv.saveState()
        canv.setStrokeColor(colors.black)
        canv.setLineWidth(0.6)
        canv.line(0, line_y, self.LINE, line_y)
        canv.setFont(fonts.BODY, 7)
        canv.setFillColor(colors.grey)
        canv.drawString(0, line_y + self.INK_HEIGHT - 3 * mm, "Signature")
        canv.restoreState()
        self._record(self.kind, 0, line_y - 1 * mm, self.LINE, line_y + self.INK_HEIGHT)
        if self.date is not None:
            self._draw_date(line_y)
        printed = _para(self.name, self.styles)
        _, used = printed.wrapOn(canv, self.LINE, 7 * mm)
        printed.drawOn(canv, 0, line_y - 1.5 * mm - used)
        if self.title:
            title = _para(self.title, self.styles, style="small")
            _, title_height = title.wrapOn(canv, self.LINE, 6 * mm)
            title.drawOn(canv, 0, line_y - 2 * mm - used - title_height)

    def _draw_date(self, line_y: float) -> None:
        canv = self.canv
        date_x = self.LINE + 8 * mm
        date = _paragraph(f"<b>Date:</b> {markup(self.date)}" if self.date else "<b>Date:</b>", self.styles["body"])
        date.wrapOn(canv, self.width - date_x, 10 * mm)
        date.drawOn(canv, date_x, line_y + 1 * mm)
        if not self.date:
            canv.line(date_x + 11 * mm, line_y, self.width, line_y)
            self._record(
                "date" if self.kind == "signature" else f"{self.kind}_date",
                date_x + 10 * mm,
                line_y - 1 * mm,
                self.width,
                line_y + 8 * mm,
            )

    def _record(self, kind, x0, y0, x1, y1):
        left, bottom = self.canv.absolutePosition(x0, y0)
        right, top = self.canv.absolutePosition(x1, y1)
        self.areas.append(
            {"page": self.canv.getPageNumber(), "kind": kind, "box": [round(v, 2) for v in (left, bottom, right, top)]}
        )


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


def agreement_story(request, version, *, signature_field: bool = True, areas: list | None = None) -> list:
    """The document's flowables. Without the signature field it is the bare baseline of bench/pdf.py.

    `areas` collects, as the document is built, where the places meant to be written in were drawn."""
    fonts.register()
    styles = _styles()
    dataset = version.dataset
    story = [
        _paragraph(markup(version.title), styles["title"]),
        _paragraph(markup(f"{dataset.full_name} ({dataset.name}) · {dataset.owner}"), styles["subtitle"]),
        _paragraph(
            markup(
                f"Agreement version {version.label} · sha256 {version.short_sha256} · reference {request.reference}"
            ),
            styles["subtitle"],
        ),
        Spacer(1, 4 * mm),
    ]
    if version.preamble:
        story.append(_para(version.preamble, styles))
    for clause in version.clauses:
        if clause.get("heading"):
            story.append(_paragraph(markup(clause["heading"]), styles["heading"]))
        story.append(_para(clause["text"], styles, bold_prefix=_clause_prefix(clause)))
        story += _courtesy_translations(version, clause, styles)

    areas = areas if areas is not None else []
    story += _signer_blocks(request, version, styles, areas)

    if version.signatory:
        story.append(_paragraph("Who must sign", styles["heading"]))
        story.append(_para(version.signatory, styles))
    closing = (
        [
            Spacer(1, 2 * mm),
            # The owner's contact lines, without the blank lines between them.
            _para(re.sub(r"\n\s*\n", "\n", version.closing.strip()), styles, style="small"),
        ]
        if version.closing
        else []
    )
    # The closing lines travel with the signature block: a page never holds only them.
    story.append(
        KeepTogether(
            [
                *_legacy_signature_row(request, version, styles, areas),
                SignatureField(*SIGNATURE_BOX) if signature_field else Spacer(*SIGNATURE_BOX),
                _paragraph(
                    "Sign by hand and scan every page, or sign the field above digitally without "
                    "changing anything else in this file.",
                    styles["small"],
                ),
                *_countersignature(version, styles, areas),
                *closing,
            ]
        )
    )
    submission = (getattr(version, "layout", None) or {}).get("submission", "")
    if submission:
        story.append(_paragraph("How to submit", styles["heading"]))
        story.append(_para(submission, styles))
    return story


@dataclass(frozen=True)
class RenderedAgreement:
    pdf: bytes
    # The places meant to be written in: [{"page": 1-based, "kind": "signature" | "date", "box":
    # [left, bottom, right, top] in PDF points}], for checking a scan of the signed copy.
    areas: list[dict]
    pages: int  # as many as the canvas drew: the footers' "of Y"


def render_agreement(request, agreement_version, *, issue: int = 1) -> bytes:
    """The agreement `request` accepted, filled in with its fields, as PDF bytes.

    Renders the stored text of `agreement_version` (never the dataset's current one). `issue`
    numbers the documents issued for one request; the QR code carries it so a page from an
    earlier issue can be told apart from the current one.
    """
    return render_agreement_with_areas(request, agreement_version, issue=issue).pdf


def render_agreement_with_areas(request, agreement_version, *, issue: int = 1) -> RenderedAgreement:
    """render_agreement, with where the signature (and any blank to fill in) was drawn."""
    reference = request.reference or ""
    label = f"{reference} · issue {issue} · agreement version {agreement_version.label}"

    pages = 0

    def decorate(canv, page, total):
        nonlocal pages
        pages = total
        width, _ = canv._pagesize
        canv.saveState()
        canv.drawImage(
            qr_image(verify_url(request.token, issue, page)), width - MARGIN - QR_SIZE, QR_BOTTOM, QR_SIZE, QR_SIZE
        )
        canv.setFont(fonts.BODY, 8.5)
        canv.setFillColor(colors.grey)
        canv.drawString(MARGIN, 10 * mm, f"{label} · page {page} of {total}")
        canv.restoreState()

    buffer = io.BytesIO()
    areas: list[dict] = []
    document_template(
        buffer,
        title=f"{agreement_version.title} — {reference}",
        author=agreement_version.dataset.owner,
        subject=reference,
        creator="Licence portal",
    ).build(
        agreement_story(request, agreement_version, areas=areas),
        canvasmaker=lambda *a, **kw: _NumberedCanvas(*a, decorate=decorate, **kw),
    )
    return RenderedAgreement(pdf=buffer.getvalue(), areas=areas, pages=pages)


def document_template(buffer, **info) -> SimpleDocTemplate:
    """A4 with room at the foot of every page for the QR code and the footer."""
    return SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=15 * mm,
        bottomMargin=QR_BOTTOM + QR_SIZE + 4 * mm,
        # The canvas's own first font is an embedded one too: no page names an unembedded Helvetica.
        initialFontName=fonts.BODY,
        **info,
    )


def _signer_blocks(request, version, styles, areas: list) -> list:
    """Each signer's heading and values, in the file's order, then the purpose if asked.

    Read from the version's declared fields (agreement_format.spec), never from the request's
    current agreement. A format 1 agreement prints as it always did: one block and the signature
    row after the signatory.
    """
    from ..agreement_format import formfields, spec

    out = []
    legacy = spec.is_format_1(version)
    before = spec.layout(version).get("before_signers", "")
    for paragraph in spec.paragraphs(before):
        out.append(_para(paragraph, styles))
    for signer in spec.signers(version):
        out.append(_paragraph(markup(signer.title), styles["heading"]))
        beside = _date_beside_signature(signer)
        for field in signer.fields:
            if field.type == "signature":
                out += _signer_signature(request, signer, styles, areas, label=field.label)
                continue
            if field is beside:  # printed beside the signature line
                continue
            text = _display(formfields.display(field.type, request.value(field.name)))
            out.append(_para(text.upper() if field.capitals else text, styles, bold_prefix=_label(field.label)))
            # Format 1 asks for the Latin form only beside another script: printed when given.
            if field.romanised_name and not (legacy and not request.value(field.romanised_name)):
                text = _display(request.value(field.romanised_name))
                out.append(_para(text.upper(), styles, bold_prefix=f"{field.romanised_label}:"))
        if not legacy and signer.signs_at_end:
            out += _signer_signature(request, signer, styles, areas)
    purpose = spec.purpose_field(version)
    if purpose is not None:
        out.append(_para(_display(request.value(purpose.name)), styles, bold_prefix=f"{purpose.label}:"))
    return out


def _countersignature(version, styles, areas: list) -> list:
    """The owner's signature block, when the dataset file asks for one: signed after approval."""
    from ..agreement_format import spec

    block = spec.countersignature(version)
    if block is None:
        return []
    return [
        _paragraph(markup(block["title"]), styles["heading"]),
        SignatureBlock(
            name=block.get("signatory", ""),
            title=version.dataset.owner,
            date="",
            areas=areas,
            styles=styles,
            kind="countersignature",
        ),
        # Clear of the owner's name and title, which may take two lines under the signature line.
        Spacer(1, 4 * mm),
        SignatureField(*SIGNATURE_BOX, name=COUNTERSIGNATURE_FIELD_NAME, label=COUNTERSIGNATURE_FIELD_LABEL),
    ]


def _legacy_signature_row(request, version, styles, areas: list) -> list:
    """Format 1 agreements print one signature block here; format 2 signers sign in their blocks."""
    from ..agreement_format import spec

    if not spec.is_format_1(version):
        return [Spacer(1, 3 * mm)]
    signing_date = getattr(request, "signing_date", None)
    return [
        Spacer(1, 4 * mm),
        SignatureBlock(
            name=_display(getattr(request, "representative_name", "")),
            title=getattr(request, "representative_title", "") or "",
            date=_display(signing_date) if signing_date else "",
            areas=areas,
            styles=styles,
        ),
    ]


# Which of a format 2 signer's fields print under their signature line, first match wins.
_SIGNEE_NAME_FIELDS = ("representative_name",)
_SIGNEE_TITLE_FIELDS = ("representative_title",)


def _signer_signature(request, signer, styles, areas: list, *, label: str = "") -> list:
    """A format 2 signer's signature line, with the signee's printed name and title and the date.

    The name is the signer's representative_name field, else their first field that is a name; the
    title their representative_title field, else one whose name ends in "title". The date is the date
    field next to the signature; none when the signer gave the date the agreement asks elsewhere (it is
    printed there, not twice); otherwise a blank to date by hand.
    """
    from ..agreement_format import formfields

    def first(names, test) -> str:
        chosen = next((f for f in signer.fields if f.name in names), None)
        chosen = chosen or next((f for f in signer.fields if f.asked and test(f)), None)
        if chosen is None:
            return ""
        return str(formfields.display(chosen.type, request.value(chosen.name)) or "")

    name = _display(first(_SIGNEE_NAME_FIELDS, lambda f: f.type in ("text", "capitals") and f.name.endswith("name")))
    title = first(_SIGNEE_TITLE_FIELDS, lambda f: f.type == "text" and f.name.endswith("title"))
    beside = _date_beside_signature(signer)
    if beside is not None:
        date: str | None = str(formfields.display(beside.type, request.value(beside.name)) or "")
    else:  # a date the signer gave elsewhere is printed there; else a blank beside the line to date by hand
        dated = next((f for f in signer.fields if f.type == "date"), None)
        date = None if dated is not None and request.value(dated.name) else ""
    out: list = [_paragraph(f"<b>{markup(label)}</b>", styles["body"])] if label else []
    out.append(
        KeepTogether([Spacer(1, 2 * mm), SignatureBlock(name=name, title=title, date=date, areas=areas, styles=styles)])
    )
    return out


def _date_beside_signature(signer):
    """The signer's date field that comes right after their signature (or right before it), if any.

    A signer without a signature field signs after their last field.
    """
    fields = signer.fields
    at = next((i for i, f in enumerate(fields) if f.type == "signature"), len(fields))
    neighbours = fields[at + 1 : at + 2] + fields[max(at - 1, 0) : at]
    return next((f for f in neighbours if f.type == "date"), None)


def _courtesy_translations(version, clause: dict, styles) -> list:
    """After a clause's binding text, each translation the owner gave of it, marked as one.

    Nothing for a clause without translations: its page prints as it did before translations existed.
    """
    from ..agreement_format import localised, spec

    out: list = []
    for language, translated in localised.courtesy_translations(clause):
        out.append(_para(courtesy_marker(version, language), styles, style="courtesy_label"))
        if translated.get("heading"):
            out.append(_para(translated["heading"], styles, style="courtesy_heading"))
        shown = {"number": clause["number"], "title": translated.get("title", "")}
        if translated.get("text"):
            out.append(_para(translated["text"], styles, style="courtesy", bold_prefix=_clause_prefix(shown)))
        elif shown["title"]:
            out.append(_para("", styles, style="courtesy", bold_prefix=spec.clause_label(shown)))
    return out


def _clause_prefix(clause: dict) -> str:
    """The bold "2. Citation:" (or an untitled "2.") that opens a clause's text."""
    from ..agreement_format import spec

    label = spec.clause_label(clause)
    return f"{label}:" if clause.get("title") else label


def courtesy_marker(version, language: str) -> str:
    """What marks the translation in `language` (a portal language): the English marker, then the same
    in that language ("参考译文（简体中文）——具有约束力的是上方的英语文本。") unless it reads the same."""
    from ..agreement_format import localised

    name = dict(settings.LANGUAGES)[language]  # as the language switcher names it
    with translation.override(None):  # the language names in English, as the PDF's own words are
        english = COURTESY_MARKER % {"language": name, "binding": localised.binding_language(version)}
    with translation.override(language):  # the binding language named again, now in `language`
        local = gettext(COURTESY_MARKER) % {"language": name, "binding": localised.binding_language(version)}
    return english if local == english else f"{english}\n{local}"


def _label(label: str) -> str:
    """A field's label as the owner wrote it, with a colon unless it already ends in punctuation."""
    return label if label.endswith((":", ".", "?")) else f"{label}:"


def warm() -> None:
    """Load what the first agreement of a process would otherwise pay for: fonts, styles, the QR encoder."""
    fonts.register()
    styles = _styles()
    buffer = io.BytesIO()
    document_template(buffer).build([_para("Licence 许可 Лицензия ترخيص", styles)])
    qr_image("https://example.org/verify/warm/?issue=1&page=1")
