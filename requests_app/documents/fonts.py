"""The fonts the agreement is printed in: which one prints each character, and what none can print.

Every font is TrueType (glyf outlines), embedded in the PDF as a subset, so the agreement reads
the same in every viewer and on every printer: Noto Sans for Latin, Greek and Cyrillic (and the
digits and punctuation of every run), Noto Sans Arabic, Noto Sans Hebrew, Noto Sans Devanagari,
and WenQuanYi Zen Hei for Chinese, Japanese and Korean. Debian ships them (fonts-noto-core,
fonts-wqy-zenhei; `make system-packages` installs them), under settings.AGREEMENT_FONT_DIR.

Text is cut into runs of one font each (`runs`): a letter goes to the font of its script, a
space, digit or punctuation mark stays in the run it follows when that font has it. Arabic and
Devanagari are shaped by HarfBuzz (reportlab does it when uharfbuzz is installed: joining forms,
conjuncts, vowel signs placed before their consonant); a line holding right-to-left runs is put
in visual order when it is drawn (`AgreementParagraph`). What no font here prints is refused at
the form (`unprintable`), never printed as a box.
"""

import functools
import itertools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.platypus import Paragraph
from reportlab.platypus import paragraph as rl_paragraph


@dataclass(frozen=True)
class Face:
    name: str  # the name registered with reportlab (the family; `name-Bold` is its bold face)
    regular: str  # file, relative to settings.AGREEMENT_FONT_DIR
    bold: str
    rtl: bool = False
    shaped: bool = False  # HarfBuzz must shape it: without, the letters print unjoined or misplaced
    package: str = "fonts-noto-core"


LATIN = Face("AgreementSans", "noto/NotoSans-Regular.ttf", "noto/NotoSans-Bold.ttf")
FACES = {
    "latin": LATIN,
    "arabic": Face(
        "AgreementArabic", "noto/NotoSansArabic-Regular.ttf", "noto/NotoSansArabic-Bold.ttf", rtl=True, shaped=True
    ),
    "hebrew": Face(
        "AgreementHebrew", "noto/NotoSansHebrew-Regular.ttf", "noto/NotoSansHebrew-Bold.ttf", rtl=True, shaped=True
    ),
    "devanagari": Face(
        "AgreementDevanagari", "noto/NotoSansDevanagari-Regular.ttf", "noto/NotoSansDevanagari-Bold.ttf", shaped=True
    ),
    # One weight only: bold CJK prints in the regular face.
    "cjk": Face("AgreementCJK", "wqy/wqy-zenhei.ttc", "wqy/wqy-zenhei.ttc", package="fonts-wqy-zenhei"),
}
BODY = LATIN.name
BOLD = f"{LATIN.name}-Bold"
RTL_FONTS = frozenset(n for f in FACES.values() if f.rtl for n in (f.name, f"{f.name}-Bold"))
SHAPED_FONTS = frozenset(n for f in FACES.values() if f.shaped for n in (f.name, f"{f.name}-Bold"))
# What the refusal names as printable, in the reader's order of likelihood.
SCRIPTS = "Latin, Greek, Cyrillic, Arabic, Hebrew, Devanagari, Chinese, Japanese, Korean"

# The blocks whose characters belong to one font, whatever the others hold.
_BLOCKS = {
    "arabic": ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
    "hebrew": ((0x0590, 0x05FF), (0xFB1D, 0xFB4F)),
    "devanagari": ((0x0900, 0x097F), (0xA8E0, 0xA8FF), (0x1CD0, 0x1CFF)),
    "cjk": (
        (0x1100, 0x11FF),
        (0x2E80, 0x2FDF),
        (0x3000, 0x303F),
        (0x3040, 0x30FF),
        (0x3100, 0x318F),
        (0x31A0, 0x31FF),
        (0x3400, 0x4DBF),
        (0x4E00, 0x9FFF),
        (0xAC00, 0xD7AF),
        (0xF900, 0xFAFF),
        (0xFF00, 0xFFEF),
    ),
}
# Without HarfBuzz's discretionary ligatures (dlig): Noto Sans Arabic would print محمد with vowel
# marks nobody typed, and Noto Sans Hebrew would join two yods into one letter.
_FEATURES = {"kern": True, "liga": True}


_FIRST_BLOCK = min(low for blocks in _BLOCKS.values() for low, _ in blocks)


def _home(c: str) -> str | None:
    code = ord(c)
    if code < _FIRST_BLOCK:  # Latin, Greek, Cyrillic (Armenian), digits, punctuation: most of any agreement
        return None
    for key, blocks in _BLOCKS.items():
        if any(low <= code <= high for low, high in blocks):
            return key
    return None


@functools.cache
def register() -> None:
    """Register the faces with reportlab, once a process (reading them takes ~0.4 s)."""
    root = Path(settings.AGREEMENT_FONT_DIR)
    for face in FACES.values():
        for name, file in ((face.name, face.regular), (f"{face.name}-Bold", face.bold)):
            path = root / file
            if not path.is_file():
                raise ImproperlyConfigured(
                    f"The agreement's font {path} is missing: install the Debian package {face.package} "
                    "(make system-packages) or set AGREEMENT_FONT_DIR."
                )
            # Shapable all: reportlab shapes a paragraph only if its body font is; _shape_each_font
            # then shapes the runs of the faces that need it and leaves the others as they are.
            pdfmetrics.registerFont(ttfonts.TTFont(name, str(path), shapable=True))
        pdfmetrics.registerFontFamily(
            face.name, normal=face.name, bold=f"{face.name}-Bold", italic=face.name, boldItalic=f"{face.name}-Bold"
        )
    # reportlab shapes a word with the font of its first part; a word that changes font midway
    # ("Lab(视觉)") would be shaped with the wrong font's glyphs. Shape each font's part by itself.
    rl_paragraph.shapeFragWord = _shape_each_font
    ttfonts.makeToUnicodeCMap = _to_unicode_cmap


def _glyphs(face: Face) -> frozenset[int]:
    return _coverage()[face.name]


@functools.cache
def _coverage() -> dict[str, frozenset[int]]:
    register()
    return {face.name: frozenset(pdfmetrics.getFont(face.name).face.charToGlyph) for face in FACES.values()}


@functools.lru_cache(maxsize=4096)  # an agreement is thousands of characters, of a few dozen kinds
def _font_for(c: str, current: Face | None) -> Face | None:
    """The face that prints `c` after a run in `current`; None when no face can."""
    code = ord(c)
    home = _home(c)
    if home is not None:
        face = FACES[home]
        return face if code in _glyphs(face) else None
    category = unicodedata.category(c)
    letter = category[0] == "L"
    # Marks and joiners belong to what they follow; neutral characters too, but a digit leaves a
    # right-to-left run (it reads left to right inside it).
    follows = (
        category[0] == "M" or c in "\u200c\u200d" or (not letter and not (current and current.rtl and category == "Nd"))
    )
    if current is not None and code in _glyphs(current) and follows:
        return current
    for face in (LATIN, FACES["cjk"]):
        if code in _glyphs(face):
            return face
    return None


def runs(text: str) -> list[tuple[Face, str]]:
    """`text` as consecutive (face, text) runs; raises ValueError naming what no face prints."""
    out: list[tuple[Face, str]] = []
    current: Face | None = None
    for c in text:
        if c == "\n":
            face = current or LATIN
        else:
            face = _font_for(c, current)
        if face is None:
            raise ValueError(c)
        if out and out[-1][0] is face:
            out[-1] = (face, out[-1][1] + c)
        else:
            out.append((face, c))
        current = face
    return out


def unprintable(text: str) -> list[str]:
    """The distinct characters of `text` that no face prints, in the order they first appear."""
    bad: list[str] = []
    current: Face | None = None
    for c in text:
        if c in "\n\t":
            continue
        face = _font_for(c, current)
        if face is None:
            if c not in bad:
                bad.append(c)
        else:
            current = face
    return bad


def script_names(chars: list[str]) -> str:
    """What the characters are, in the Unicode's words ("THAI", "TAMIL"), for the refusal."""
    names = []
    for c in chars:
        word = unicodedata.name(c, "").split(" ")[0] or f"U+{ord(c):04X}"
        if word not in names:
            names.append(word)
    return ", ".join(n.title() for n in names)


def markup(text: str) -> str:
    """Text as safe Paragraph markup: XML-escaped, line breaks kept, each run in its own font.

    Runs in the body font carry no tag, so the paragraph's style (bold, size) applies as is.
    """
    out = []
    for face, part in runs(text.replace("\r\n", "\n")):
        safe = escape(part).replace("\n", "<br/>")
        out.append(safe if face is LATIN else f'<font name="{face.name}">{safe}</font>')
    return "".join(out)


def needs_shaping(text: str) -> bool:
    return any(FACES[home].shaped for home in map(_home, text) if home is not None)


def has_cjk(text: str) -> bool:
    return any(_home(c) == "cjk" for c in text)


# --- Shaping and visual order -------------------------------------------------------------------

_reportlab_shape = ttfonts.shapeFragWord


def _shape_each_font(word, features=None, force=False):
    """reportlab's shapeFragWord, one font at a time, only for the faces that need it (Latin keeps
    its letters as typed: no "fi" ligature in the text layer), without discretionary ligatures."""
    parts = word[1:]
    fonts = {getattr(frag, "fontName", None) for frag, _ in parts}
    if not fonts & SHAPED_FONTS:
        return word
    if len(fonts) == 1:
        result = _reportlab_shape(word, features=_FEATURES, force=force)
        _remember_glyph_text("".join(text for _, text in parts), result)
        return result
    width, out, shaped = 0.0, [], False
    for font, group in itertools.groupby(parts, key=lambda part: getattr(part[0], "fontName", None)):
        group = list(group)
        piece = word.__class__([sum(pdfmetrics.stringWidth(s, f.fontName, f.fontSize) for f, s in group), *group])
        result = _reportlab_shape(piece, features=_FEATURES, force=force) if font in SHAPED_FONTS else piece
        _remember_glyph_text("".join(text for _, text in group), result)
        shaped = shaped or isinstance(result, ttfonts.ShapedFragWord)
        width += result[0]
        out += result[1:]
    klass = ttfonts.makeShapedFragWord(word) if shaped else word.__class__
    return klass([width, *out])


# What each glyph HarfBuzz chose outside the font's character map stands for (a conjunct such as
# प्र, a vowel sign's variant, a reph): reportlab numbers such glyphs in the Private Use Area, and
# the PDF's text layer says these characters instead, so copying the text gives letters, not
# blanks. (A vowel sign drawn before its consonant is read before it, as it is drawn.)
_GLYPH_TEXT: dict[tuple[str, int], str] = {}
_PRIVATE = range(0xE000, 0xF900)


def _remember_glyph_text(source: str, shaped) -> None:
    if not isinstance(shaped, ttfonts.ShapedFragWord):
        return
    glyphs = [
        (frag.fontName, c, data.cluster)
        for frag, text in shaped[1:]
        if isinstance(text, ttfonts.ShapedStr)
        for c, data in zip(text, text.__shapeData__, strict=True)
    ]
    starts = sorted({cluster for _, _, cluster in glyphs if cluster < len(source)}) + [len(source)]
    for font, c, cluster in glyphs:
        if ord(c) not in _PRIVATE or cluster >= len(source):
            continue
        text = source[cluster : starts[starts.index(cluster) + 1]]
        # What the cluster's other glyphs already say (they are in the character map) is not repeated.
        for _, other, other_cluster in glyphs:
            if other_cluster == cluster and ord(other) not in _PRIVATE:
                text = text.replace(other, "", 1)
        face = pdfmetrics.getFont(font).face.name.decode("latin-1")
        _GLYPH_TEXT.setdefault((face, ord(c)), text or c)


_reportlab_cmap = ttfonts.makeToUnicodeCMap


def _to_unicode_cmap(fontname: str, subset) -> str:
    """reportlab's ToUnicode CMap, with the private-use glyphs mapped to the text they stand for."""
    face = fontname.split("+", 1)[-1]
    cmap = _reportlab_cmap(fontname, subset)
    for i, code in enumerate(subset):
        text = _GLYPH_TEXT.get((face, code))
        if text:
            utf16 = text.encode("utf-16-be").hex().upper()
            cmap = cmap.replace(f"<{i:02X}> <{code:04X}>", f"<{i:02X}> <{utf16}>", 1)
    return cmap


_TOKEN = re.compile(r"\s+|\S+")


def _kind(piece: str, rtl: bool) -> str:
    if piece.isspace():
        return "N"
    if all(unicodedata.category(c) == "Nd" for c in piece):
        return "EN"
    if rtl:
        return "R"
    return "L" if any(c.isalpha() for c in piece) else "N"


def _levels(kinds: list[str]) -> list[int]:
    """Embedding levels in a left-to-right paragraph, the Unicode bidi algorithm's rules at word
    granularity: R is 1, L is 0, a number after R is 2 (after L, 0), and neutrals between two
    right-to-left pieces (numbers count as such) are 1, else 0."""
    levels = []
    strong = "L"
    for kind in kinds:
        if kind == "R":
            strong = "R"
            levels.append(1)
        elif kind == "L":
            strong = "L"
            levels.append(0)
        elif kind == "EN":
            levels.append(2 if strong == "R" else 0)
        else:
            levels.append(-1)  # resolved below
    for i, level in enumerate(levels):
        if level != -1:
            continue
        before = next((levels[j] for j in range(i - 1, -1, -1) if levels[j] != -1), 0)
        after = next((levels[j] for j in range(i + 1, len(levels)) if levels[j] != -1), 0)
        levels[i] = 1 if before >= 1 and after >= 1 else 0
    return levels


def _visual(levels: list[int]) -> list[int]:
    """Rule L2: from the highest level down to 1, reverse every run at that level or higher."""
    order = list(range(len(levels)))
    for level in range(max(levels, default=0), 0, -1):
        i = 0
        while i < len(order):
            if levels[order[i]] >= level:
                j = i
                while j < len(order) and levels[order[j]] >= level:
                    j += 1
                order[i:j] = order[i:j][::-1]
                i = j
            else:
                i += 1
    return order


def visual_order(frags: list) -> list:
    """A drawn line's fragments in visual order: right-to-left words reversed with their neighbours.

    HarfBuzz has already put the letters of each right-to-left word in visual order; this orders
    the words (and the numbers among them), word by word.
    """
    pieces = []
    for frag in frags:
        text = getattr(frag, "text", None)
        if not text or hasattr(frag, "cbDefn"):
            pieces.append((frag, text, "N"))
            continue
        rtl = frag.fontName in RTL_FONTS
        for match in _TOKEN.finditer(str(text)):
            piece = text[match.start() : match.end()]  # a ShapedStr slice keeps its glyph positions
            pieces.append((frag, piece, _kind(str(piece), rtl)))
    if not any(kind == "R" for _, _, kind in pieces):
        return frags
    out: list = []
    owner = None
    for i in _visual(_levels([kind for _, _, kind in pieces])):
        frag, piece, _ = pieces[i]
        if frag is owner and piece is not None:
            out[-1].text = out[-1].text + piece
        else:
            out.append(frag.clone(text=piece) if piece is not None else frag)
            owner = frag
    return out


class AgreementParagraph(Paragraph):
    """A Paragraph whose lines holding right-to-left text are drawn in visual order.

    Reordered when drawn, on copies of the lines: a split paragraph is rebuilt from its lines in
    logical order, and must stay so.
    """

    def drawPara(self, debug=0):
        para = getattr(self, "blPara", None)
        if (
            para is None
            or para.kind != 1
            or not any(getattr(frag, "fontName", None) in RTL_FONTS for line in para.lines for frag in line.words)
        ):
            return super().drawPara(debug)
        logical = para.lines
        para.lines = [line.clone(words=visual_order(line.words)) for line in logical]
        try:
            return super().drawPara(debug)
        finally:
            para.lines = logical
