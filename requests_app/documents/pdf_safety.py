"""What an uploaded PDF may contain before anything renders it: bounded streams, no active content.

Every stream is measured through its whole filter chain, whatever spelling names the filters
(`/FlateDecode` or its abbreviation `/Fl`, and so on), against one budget for the whole file, with
constant memory: the decoders here count output bytes and keep none of them. Image filters
(CCITT, DCT, JPX, JBIG2) are not decoded at all: their output is what /Width x /Height says, and
that goes against a pixel budget summed over the file, not only a per-image one.

Anything that can act when the file is opened (JavaScript, Launch, URI, GoTo and other actions,
embedded files, XFA forms, rich media) is refused, as are bytes after the last cross-reference
section: a signed agreement needs none of them, and a reviewer's viewer might run them.
"""

import re
import zlib
from dataclasses import dataclass

import pypdf
import pypdf.filters
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject


class PdfRefused(Exception):
    """The PDF is unsafe or unreasonable to open; the message says why, for the applicant, in the
    active language."""


@dataclass(frozen=True)
class Budget:
    inflated_bytes: int
    total_pixels: int
    pixels_per_image: int


# Each spelling a filter may have, in a stream dictionary or an inline image.
_FILTERS = {
    "/FlateDecode": "flate",
    "/Fl": "flate",
    "/LZWDecode": "lzw",
    "/LZW": "lzw",
    "/RunLengthDecode": "runlength",
    "/RL": "runlength",
    "/ASCIIHexDecode": "asciihex",
    "/AHx": "asciihex",
    "/ASCII85Decode": "ascii85",
    "/A85": "ascii85",
    "/CCITTFaxDecode": "image",
    "/CCF": "image",
    "/DCTDecode": "image",
    "/DCT": "image",
    "/JPXDecode": "image",
    "/JBIG2Decode": "image",
}
_EXPANDING = {"flate", "lzw", "runlength"}
_CHUNK = 1 << 20


def _megabytes(n: int) -> str:
    return f"{n / 1_000_000:.0f} MB"


def check_pdf_safety(reader: pypdf.PdfReader, name: str, budget: Budget, deadline) -> None:
    """Raise PdfRefused unless every object of `reader` is bounded and inert. `deadline.check()`
    is called between objects."""
    remaining = budget.inflated_bytes
    pixels = 0
    for obj in _every_object(reader):
        deadline.check()
        _refuse_active(obj, name)
        if not isinstance(obj, StreamObject):
            continue
        if obj.get("/Subtype") == "/Image":
            image_pixels = _image_pixels(obj, name)
            if image_pixels > budget.pixels_per_image:
                raise PdfRefused(
                    _("%(name)s contains an image with too many pixels. Scan at 150–300 dpi.") % {"name": name}
                )
            pixels += image_pixels
            if pixels > budget.total_pixels:
                raise PdfRefused(
                    _("%(name)s holds more image pixels than %(megapixels)s megapixels in all. Scan at 150–300 dpi.")
                    % {"name": name, "megapixels": budget.total_pixels // 1_000_000}
                )
        remaining -= _decoded_length(obj, name, remaining)
        if remaining < 0:
            raise PdfRefused(
                _("%(name)s expands to more than %(size)s when opened. Scan it again at a normal resolution.")
                % {"name": name, "size": _megabytes(budget.inflated_bytes)}
            )


def _every_object(reader: pypdf.PdfReader):
    """Every object the cross-reference names, those inside object streams included."""
    for generation, objects in reader.xref.items():
        for number in objects:
            yield reader.get_object(IndirectObject(number, generation, reader))
    for number in getattr(reader, "xref_objStm", {}):
        yield reader.get_object(IndirectObject(number, 0, reader))


_TAIL = re.compile(rb"startxref\s+\d+\s+%%EOF\s*\Z")


def refuse_data_after_last_xref(data: bytes, name: str) -> None:
    last = data.rfind(b"startxref")
    if last < 0:
        raise PdfRefused(_("%(name)s could not be read as a PDF: it may be damaged or incomplete.") % {"name": name})
    if not _TAIL.match(data, last):
        raise PdfRefused(
            _(
                "%(name)s has data hidden after its last cross-reference section. "
                "Export or scan it again and upload the new file."
            )
            % {"name": name}
        )


# --- Active content -----------------------------------------------------------------------------

_ACTIVE_KEYS = {
    "/JS": gettext_noop("JavaScript"),
    "/JavaScript": gettext_noop("JavaScript"),
    "/AA": gettext_noop("actions that run on events"),
    "/OpenAction": gettext_noop("an action that runs when it is opened"),
    "/A": gettext_noop("a link or action"),
    "/XFA": gettext_noop("an XFA form"),
    "/EmbeddedFile": gettext_noop("an embedded file"),
    "/EmbeddedFiles": gettext_noop("embedded files"),
    "/RichMedia": gettext_noop("rich media"),
    "/RichMediaContent": gettext_noop("rich media"),
}
_ACTIVE_TYPES = {
    "/Action": gettext_noop("an action"),
    "/EmbeddedFile": gettext_noop("an embedded file"),
    "/Filespec": gettext_noop("a reference to another file"),
}
_ACTIVE_SUBTYPES = {
    "/FileAttachment": gettext_noop("an attached file"),
    "/Link": gettext_noop("a link"),
    "/Movie": gettext_noop("a movie"),
    "/Sound": gettext_noop("a sound"),
    "/Screen": gettext_noop("a media player"),
    "/RichMedia": gettext_noop("rich media"),
    "/3D": gettext_noop("3D content"),
}
_ACTIONS = {
    "/JavaScript": gettext_noop("JavaScript"),
    "/Launch": gettext_noop("an action that launches a program"),
    "/URI": gettext_noop("a link to a web address"),
    "/GoTo": gettext_noop("a go-to action"),
    "/GoToR": gettext_noop("a link to another file"),
    "/GoToE": gettext_noop("a link to an embedded file"),
    "/SubmitForm": gettext_noop("a form that submits data"),
    "/ImportData": gettext_noop("an action that imports data"),
    "/Rendition": gettext_noop("a media action"),
    "/Sound": gettext_noop("a sound"),
    "/Movie": gettext_noop("a movie"),
}


def _refuse_active(obj, name: str, depth: int = 0) -> None:
    """Refuse `obj` if it (or a dictionary nested in it directly) is active content."""
    if depth > 32:  # a deliberately deep structure: no signed agreement needs one
        raise PdfRefused(_("%(name)s has an unusually deep structure and could not be checked.") % {"name": name})
    if isinstance(obj, DictionaryObject):
        what = _active_in(obj)
        if what:
            raise PdfRefused(
                _(
                    "%(name)s contains %(what)s. Signed agreements may not carry active content: "
                    "print it and scan it, or sign the issued PDF without adding anything."
                )
                % {"name": name, "what": _(what)}
            )
        values = dict.values(obj)  # unresolved: references stay references
    elif isinstance(obj, ArrayObject):
        values = list.__iter__(obj)
    else:
        return
    for value in values:
        # Indirect objects are visited on their own; only direct ones nest here.
        if isinstance(value, (DictionaryObject, ArrayObject)) and not isinstance(value, IndirectObject):
            _refuse_active(value, name, depth + 1)


def _active_in(obj: DictionaryObject) -> str | None:
    for key, what in _ACTIVE_KEYS.items():
        if key in obj:
            return what
    kind = obj.get("/Type")
    if isinstance(kind, NameObject) and kind in _ACTIVE_TYPES:
        return _ACTIVE_TYPES[kind]
    subtype = obj.get("/Subtype")
    if isinstance(subtype, NameObject) and subtype in _ACTIVE_SUBTYPES and obj.get("/Type") != "/XObject":
        return _ACTIVE_SUBTYPES[subtype]
    action = obj.get("/S")
    if isinstance(action, NameObject) and action in _ACTIONS:
        return _ACTIONS[action]
    return None


# --- Bounded decoding ---------------------------------------------------------------------------


def _image_pixels(image: StreamObject, name: str) -> int:
    width, height = image.get("/Width", 0), image.get("/Height", 0)
    if not isinstance(width, int) or not isinstance(height, int) or width < 0 or height < 0:
        raise PdfRefused(_("An image in %(name)s has no valid size: the file may be damaged.") % {"name": name})
    return width * height


def _filters(stream: StreamObject, name: str) -> list[str]:
    filters = stream.get("/Filter")
    if filters is None:
        return []
    names = list(filters) if isinstance(filters, ArrayObject) else [filters]
    kinds = []
    for filter_name in names:
        if filter_name not in _FILTERS:
            raise PdfRefused(
                _("%(name)s uses an encoding (%(filter)s) this portal does not open.")
                % {"name": name, "filter": filter_name}
            )
        kinds.append(_FILTERS[filter_name])
    return kinds


def _decoded_length(stream: StreamObject, name: str, budget: int) -> int:
    """The bytes `stream` decodes to, counted without keeping them; at most budget + 1 is counted.

    ASCII filters only shrink data and are decoded in memory. One expanding filter (Flate, LZW,
    run-length) is counted by streaming; a second one after it would need the first one's output
    in memory, and no scanner or signing tool writes such a chain, so it is refused.
    """
    kinds = _filters(stream, name)
    data = stream._data
    for position, kind in enumerate(kinds):
        last = position == len(kinds) - 1
        if kind == "asciihex":
            data = pypdf.filters.ASCIIHexDecode.decode(data)
        elif kind == "ascii85":
            data = pypdf.filters.ASCII85Decode.decode(data)
        elif kind == "image":
            if not last:
                raise PdfRefused(
                    _("%(name)s uses an unusual chain of encodings this portal does not open.") % {"name": name}
                )
            return _image_bytes(stream)
        else:
            rest = kinds[position + 1 :]
            if rest not in ([], ["image"]):
                raise PdfRefused(
                    _("%(name)s uses an unusual chain of encodings this portal does not open.") % {"name": name}
                )
            counted = _COUNTERS[kind](data, budget + 1)
            return counted + (_image_bytes(stream) if rest else 0)
    return len(data)


def _image_bytes(stream: StreamObject) -> int:
    """What an image filter's output holds: width x height x components, at 8 bits or more."""
    width, height = stream.get("/Width", 0), stream.get("/Height", 0)
    if not isinstance(width, int) or not isinstance(height, int):
        return 0  # not an image XObject: nothing renders it as one
    components = _COMPONENTS.get(stream.get("/ColorSpace"), 4)  # others (ICC, indexed...): at most 4
    return abs(width * height) * components


_COMPONENTS = {"/DeviceGray": 1, "/G": 1, "/DeviceRGB": 3, "/RGB": 3, "/DeviceCMYK": 4, "/CMYK": 4}


def _count_flate(data: bytes, limit: int) -> int:
    inflater = zlib.decompressobj()
    total = 0
    try:
        chunk = inflater.decompress(data, _CHUNK)
        total += len(chunk)
        while inflater.unconsumed_tail and total <= limit:
            chunk = inflater.decompress(inflater.unconsumed_tail, _CHUNK)
            total += len(chunk)
    except zlib.error:
        # Viewers render what inflates before the damage; that part is what counts.
        pass
    return total


def _count_runlength(data: bytes, limit: int) -> int:
    total, position, end = 0, 0, len(data)
    while position < end and total <= limit:
        length = data[position]
        if length == 128:
            break
        if length < 128:
            total += length + 1
            position += length + 2
        else:
            total += 257 - length
            position += 2
    return total


def _count_lzw(data: bytes, limit: int) -> int:
    """LZW (early change 1, as PDF writers use) counted by entry lengths only, never the strings."""
    lengths: list[int] = []
    previous = None
    width, bits, buffer, total = 9, 0, 0, 0
    for byte in data:
        buffer = (buffer << 8) | byte
        bits += 8
        while bits >= width:
            bits -= width
            code = (buffer >> bits) & ((1 << width) - 1)
            buffer &= (1 << bits) - 1
            if code == 256:  # clear table
                lengths, previous, width = [], None, 9
                continue
            if code == 257:  # end of data
                return total
            if code < 256:
                length = 1
            elif code - 258 < len(lengths):
                length = lengths[code - 258]
            elif code - 258 == len(lengths) and previous is not None:
                length = previous + 1
            else:
                return total  # damaged: viewers stop here too
            if previous is not None and len(lengths) + 258 < 4096:
                lengths.append(previous + 1)
            previous = length
            total += length
            if total > limit:
                return total
            if len(lengths) + 258 >= (1 << width) - 1 and width < 12:
                width += 1
    return total


_COUNTERS = {"flate": _count_flate, "lzw": _count_lzw, "runlength": _count_runlength}
