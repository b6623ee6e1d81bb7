"""Hostile signed copies: bombs under any filter spelling, active content, hidden data.

Every hostile file is made here from the agreement Alice was issued, so each test shows that
"the right agreement, plus something" is still refused, with nothing stored.
"""

import base64
import io
import os
import tracemalloc
import zlib

import pypdf
import pytest
from PIL import Image
from pypdf._codecs._codecs import LzwCodec
from pypdf.actions import JavaScript
from pypdf.annotations import Link
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

from requests_app.documents import pdf_safety
from requests_app.documents.signed_copies import UploadRefused, check_upload
from tests.documents.test_signed_copy import as_file, issued_pdf, refused, stored_files, upload

pytestmark = pytest.mark.usefixtures("private_media")

ZEROS = 20_000_000  # each bomb below decodes to this much, against a 10 MB budget


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.SIGNED_COPY_MAX_BYTES = 2_000_000
    settings.SIGNED_COPY_MAX_PIXELS = 10_000_000
    settings.SIGNED_COPY_MAX_TOTAL_PIXELS = 12_000_000
    settings.SIGNED_COPY_MAX_INFLATED_BYTES = 10_000_000


def writer_of(pdf: bytes) -> pypdf.PdfWriter:
    return pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf)))


def written(writer: pypdf.PdfWriter) -> bytes:
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def with_stream(pdf: bytes, raw: bytes, filters, **entries) -> bytes:
    """The issued agreement with one more stream object, its bytes and /Filter given as they are."""
    writer = writer_of(pdf)
    stream = StreamObject()
    stream._data = raw
    names = [NameObject(f) for f in filters]
    stream[NameObject("/Filter")] = names[0] if len(names) == 1 else ArrayObject(names)
    for key, value in entries.items():
        stream[NameObject(f"/{key}")] = value
    writer._add_object(stream)
    return written(writer)


def ascii_hex(data: bytes) -> bytes:
    return data.hex().encode() + b">"


def lzw_zeros(n: int) -> bytes:
    """LZW codes for n zeros or more, written directly: code 258 + i stands for i + 2 zeros."""
    codes = [256]
    per_table = sum(i + 2 for i in range(4094 - 258 + 1)) + 1
    for _ in range(-(-n // per_table)):
        codes += [0, *range(258, 4095), 256]
    return LzwCodec()._pack_codes_into_bytes([*codes, 257])


def deflated_zeros(megabytes: int) -> bytes:
    """A Flate stream of `megabytes` MB of zeros, made from one compressed megabyte repeated.

    A full flush makes each segment independent of the ones before, so copies concatenate."""
    deflater = zlib.compressobj(9)
    first = deflater.compress(b"\0" * 1_000_000) + deflater.flush(zlib.Z_FULL_FLUSH)
    again = deflater.compress(b"\0" * 1_000_000) + deflater.flush(zlib.Z_FULL_FLUSH)
    return first + again * (megabytes - 1) + deflater.flush()


def runlength_zeros(n: int) -> bytes:
    return bytes([129, 0]) * (n // 128) + b"\x80"


BOMBS = {
    "Fl": lambda: ([zlib.compress(b"\0" * ZEROS, 9)], ["/Fl"]),
    "FlateDecode": lambda: ([zlib.compress(b"\0" * ZEROS, 9)], ["/FlateDecode"]),
    "AHx-Fl": lambda: ([ascii_hex(zlib.compress(b"\0" * ZEROS, 9))], ["/AHx", "/Fl"]),
    "A85-Fl": lambda: ([base64.a85encode(zlib.compress(b"\0" * ZEROS, 9)) + b"~>"], ["/A85", "/Fl"]),
    "LZW": lambda: ([lzw_zeros(ZEROS)], ["/LZW"]),
    "RL": lambda: ([runlength_zeros(ZEROS)], ["/RL"]),
}


@pytest.mark.parametrize("bomb", BOMBS, ids=list(BOMBS))
def test_a_decompression_bomb_under_any_filter_name_is_refused(alice_client, alices_request, private_media, bomb):
    [raw], filters = BOMBS[bomb]()
    hostile = with_stream(issued_pdf(alices_request), raw, filters)
    assert len(hostile) < 2_000_000

    body = refused(alice_client, alices_request, private_media, ("agreement.pdf", hostile))

    assert "expands to more than 10 MB when opened" in body


def test_many_small_streams_share_one_budget(alice_client, alices_request, private_media):
    writer = writer_of(issued_pdf(alices_request))
    for _ in range(12):  # 12 x 1 MB, each well under the budget alone
        stream = StreamObject()
        stream._data = zlib.compress(b"\0" * 1_000_000, 9)
        stream[NameObject("/Filter")] = NameObject("/Fl")
        writer._add_object(stream)

    body = refused(alice_client, alices_request, private_media, ("agreement.pdf", written(writer)))

    assert "expands to more than 10 MB" in body


@pytest.mark.parametrize("image_filter", ["/DCT", "/DCTDecode", "/CCF", "/JPXDecode", "/JBIG2Decode"])
def test_an_image_declaring_too_many_pixels_is_refused_without_decoding_it(
    alice_client, alices_request, private_media, image_filter
):
    hostile = with_stream(
        issued_pdf(alices_request),
        b"\xff\xd8\xff\xd9",
        [image_filter],
        Type=NameObject("/XObject"),
        Subtype=NameObject("/Image"),
        Width=NumberObject(40_000),
        Height=NumberObject(40_000),
        BitsPerComponent=NumberObject(8),
        ColorSpace=NameObject("/DeviceGray"),
    )

    body = refused(alice_client, alices_request, private_media, ("agreement.pdf", hostile))

    assert "contains an image with too many pixels" in body


def test_images_each_within_the_limit_but_too_many_pixels_in_all_are_refused(
    alice_client, alices_request, private_media, settings
):
    settings.SIGNED_COPY_MAX_INFLATED_BYTES = 100_000_000
    writer = writer_of(issued_pdf(alices_request))
    for _ in range(3):  # 3 x 5 MP: each under the 10 MP image limit, together over the 12 MP total
        image = StreamObject()
        image._data = b"\xff\xd8\xff\xd9"
        image.update(
            {
                NameObject("/Type"): NameObject("/XObject"),
                NameObject("/Subtype"): NameObject("/Image"),
                NameObject("/Width"): NumberObject(2500),
                NameObject("/Height"): NumberObject(2000),
                NameObject("/Filter"): NameObject("/DCT"),
                NameObject("/BitsPerComponent"): NumberObject(8),
                NameObject("/ColorSpace"): NameObject("/DeviceGray"),
            }
        )
        writer._add_object(image)

    body = refused(alice_client, alices_request, private_media, ("agreement.pdf", written(writer)))

    assert "more image pixels than 12 megapixels in all" in body


def test_page_images_with_too_many_pixels_in_all_are_refused(alice_client, alices_request, private_media, settings):
    settings.SIGNED_COPY_MAX_BYTES = 5_000_000
    page = as_file(Image.new("L", (2500, 2000), 255), "PNG")  # 5 MP each

    body = refused(alice_client, alices_request, private_media, *[(f"p{n}.png", page) for n in range(3)])

    assert "These pages hold more than 12 megapixels in all" in body


def test_an_unknown_filter_is_refused(alice_client, alices_request, private_media):
    hostile = with_stream(issued_pdf(alices_request), b"x", ["/MadeUpDecode"])

    body = refused(alice_client, alices_request, private_media, ("agreement.pdf", hostile))

    assert "uses an encoding (/MadeUpDecode) this portal does not open" in body


def test_the_fl_bomb_is_refused_with_little_memory(alices_request, settings):
    """A 1 MB file that inflates to 1 GB, against the default 300 MB budget, counted in 1 MB steps."""
    settings.SIGNED_COPY_MAX_BYTES = 15_000_000
    settings.SIGNED_COPY_MAX_INFLATED_BYTES = 300_000_000
    hostile = with_stream(issued_pdf(alices_request), deflated_zeros(1000), ["/Fl"])
    assert len(hostile) < 1_100_000
    from django.core.files.uploadedfile import SimpleUploadedFile

    tracemalloc.start()
    try:
        with pytest.raises(UploadRefused, match="expands to more than 300 MB"):
            check_upload([SimpleUploadedFile("bomb.pdf", hostile)], issued=alices_request.issued_agreements.get())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40_000_000


def test_the_lzw_counter_agrees_with_a_real_decoder():
    for encoded in (LzwCodec().encode(os.urandom(20_000)), LzwCodec().encode(b"abcabd" * 4000), lzw_zeros(1)):
        assert pdf_safety._count_lzw(encoded, 10**9) == len(LzwCodec().decode(encoded))


def test_the_bombs_made_here_hold_what_they_say():
    assert len(zlib.decompressobj(-15).decompress(deflated_zeros(3)[2:])) == 3_000_000  # raw: no checksum
    assert pdf_safety._count_runlength(runlength_zeros(1280), 10**9) == 1280


# --- Active content -------------------------------------------------------------------------------


def with_annotation(pdf: bytes, annotation) -> bytes:
    writer = writer_of(pdf)
    writer.add_annotation(page_number=0, annotation=annotation)
    return written(writer)


def with_action(pdf: bytes, action: dict, where="annotation") -> bytes:
    writer = writer_of(pdf)
    action = DictionaryObject({NameObject(k): v for k, v in action.items()})
    if where == "open":
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    else:
        annotation = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Widget"),
                NameObject("/Rect"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(10), FloatObject(10)]),
                NameObject("/A"): action,
            }
        )
        writer.add_annotation(page_number=0, annotation=annotation)
    return written(writer)


def with_javascript(pdf: bytes) -> bytes:
    writer = writer_of(pdf)
    writer.add_open_action(JavaScript("app.alert('signed');"))
    return written(writer)


def with_attachment(pdf: bytes) -> bytes:
    writer = writer_of(pdf)
    writer.add_attachment("setup.exe", b"MZ\x90\x00" + b"\0" * 100)
    return written(writer)


def with_file_attachment_annotation(pdf: bytes) -> bytes:
    """A ZIP hidden in an annotation's file, not in the document's list of attachments."""
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/FileAttachment"),
            NameObject("/Rect"): ArrayObject([FloatObject(50), FloatObject(50), FloatObject(70), FloatObject(70)]),
        }
    )
    return with_annotation(pdf, annotation)


def with_xfa(pdf: bytes) -> bytes:
    writer = writer_of(pdf)
    xfa = DecodedStreamObject()
    xfa.set_data(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'><script>app.alert(1)</script></xdp:xdp>")
    writer._root_object["/AcroForm"][NameObject("/XFA")] = writer._add_object(xfa)
    return written(writer)


def with_data_after_the_last_xref(pdf: bytes) -> bytes:
    """A stream after the final startxref, inside the last %%EOF: no cross-reference names it."""
    body, _, _ = pdf.rstrip().rpartition(b"%%EOF")
    hidden = zlib.compress(b"PK\x03\x04 hidden archive" * 10)
    return (
        body
        + b"\n99 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(hidden)
        + hidden
        + b"\nendstream\nendobj\n%%EOF\n"
    )


ACTIVE = {
    "javascript": (with_javascript, "contains JavaScript"),
    "launch": (
        lambda pdf: with_action(pdf, {"/S": NameObject("/Launch"), "/F": TextStringObject("calc.exe")}),
        "contains a link or action",
    ),
    "uri-link": (
        lambda pdf: with_annotation(pdf, Link(rect=(50, 50, 200, 80), url="https://example.org/x")),
        "contains a link",
    ),
    "goto-on-open": (
        lambda pdf: with_action(
            pdf, {"/S": NameObject("/GoTo"), "/D": ArrayObject([NumberObject(0), NameObject("/Fit")])}, where="open"
        ),
        "contains an action that runs when it is opened",
    ),
    "embedded-exe": (with_attachment, "carries attached files"),
    "file-attachment-annotation": (with_file_attachment_annotation, "contains an attached file"),
    "xfa": (with_xfa, "contains an XFA form"),
    "data-after-the-last-xref": (
        with_data_after_the_last_xref,
        "has data hidden after its last cross-reference section",
    ),
}


@pytest.mark.parametrize("kind", ACTIVE, ids=list(ACTIVE))
def test_active_content_is_refused(alice_client, alices_request, private_media, kind):
    make, message = ACTIVE[kind]
    hostile = make(issued_pdf(alices_request))

    body = refused(alice_client, alices_request, private_media, ("agreement.pdf", hostile))

    assert message in body


def test_the_issued_agreement_itself_carries_no_active_content(alices_request):
    reader = pypdf.PdfReader(io.BytesIO(issued_pdf(alices_request)))

    for obj in pdf_safety._every_object(reader):
        pdf_safety._refuse_active(obj, "issued")  # raises on anything active


# --- Stored and served ----------------------------------------------------------------------------


def test_a_file_named_like_html_is_stored_and_served_as_what_it_is(client, alice, bob, alices_request, private_media):
    from django.urls import reverse

    from requests_app.models import SignedCopyFile
    from tests.documents.test_signed_copy import digitally_signed

    client.force_login(alice)
    upload(client, alices_request, ("agreement.pdf.html", digitally_signed(issued_pdf(alices_request))))
    stored = SignedCopyFile.objects.get()
    [on_disk] = stored_files(private_media)
    assert on_disk.suffix == ".pdf" and "agreement" not in on_disk.name
    url = reverse("requests_app:signed_copy_file", args=[alices_request.reference, stored.pk])

    client.force_login(bob)
    for query in ("", "?inline=1"):
        response = client.get(url + query)
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "sandbox"
        assert response["Content-Disposition"].endswith('filename="agreement.pdf"')
        assert response["Content-Disposition"].startswith("inline" if query else "attachment")
