"""Is this scanned page the issued page, unchanged, with ink where it is to be signed?

The issued page is rendered (pypdfium2) at the comparison resolution; the scan is aligned onto it
by a homography fitted (MAGSAC++) to ORB features matched on both at a low resolution (a
page-wide baseline: the QR code's corners alone are too close together to warp a whole page, but
they give the scan's scale and place each feature well enough to match it only against the
issued page's features nearby),
then carried over any lines of repeated words by matching them near where the fit puts them.
Both are binarised with an adaptive threshold, which absorbs grey paper and uneven light, and
compared as dilated set differences: ink in the issued page with no scanned ink near it is
missing (whited out, cut), scanned ink with no issued ink near it is added (written over).
Differences inside the areas meant to be written in (`areas`, from the renderer) are expected;
there, added ink is what "signed" means.

Numpy arrays and PDF bytes in, a PageComparison out; no ORM, no settings. The one state kept is
REFERENCE_PAGES: each issued page is rendered and prepared once, not once per upload checked.
"""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
import pypdfium2
import zxingcpp

COMPARE_DPI = 100  # text stays legible (10 pt is ~14 px) and a page is under a megapixel
FEATURE_DPI = 60  # ~0.4 of a 150 dpi scan: enough structure for ORB, few pixels to search
_FEATURE_SCALE = FEATURE_DPI / COMPARE_DPI
_MIN_INLIERS = 40
_AREA_MARGIN_PT = 6  # a signature that overshoots its box a little is still inside it
_EDGE_PX = 12  # the page edge is where warping and scanner borders leave artefacts
_REGION_MIN_PX = 60  # smaller than a short word at 100 dpi: noise, dust, JPEG ringing
_ALTERED_PX = 600  # a few words or more missing or added: an altered page, not ambiguity
_SIGNED_MIN_PX = 120  # ink in the signature area beyond the printed line and label


@dataclass
class PageComparison:
    aligned: bool
    signed: bool | None = None  # None: this page has no signature area
    unsigned: list[str] = field(default_factory=list)  # the kinds of signature area left without ink
    missing: list[list[float]] = field(default_factory=list)  # boxes [l, b, r, t] in PDF points
    added: list[list[float]] = field(default_factory=list)
    changed_pixels: int = 0

    @property
    def altered(self) -> bool:
        return self.changed_pixels >= _ALTERED_PX

    @property
    def doubtful(self) -> bool:
        return not self.altered and bool(self.missing or self.added)


# PDFium is not thread-safe: every call into it, in any thread of a process, holds this lock.
PDFIUM_LOCK = threading.RLock()


def render_page(
    document: pypdfium2.PdfDocument, index: int, dpi: int = COMPARE_DPI
) -> tuple[np.ndarray, tuple[float, float]]:
    """The page as a grey image at `dpi`, and its size in points."""
    with PDFIUM_LOCK:
        page = document[index]
        try:
            bitmap = page.render(scale=dpi / 72, grayscale=True)
            try:
                image = np.array(bitmap.to_pil().convert("L"))  # a copy: the bitmap's memory is PDFium's
            finally:
                bitmap.close()
            return image, page.get_size()
        finally:
            page.close()


@dataclass(frozen=True)
class ReferencePage:
    """What a comparison needs of one issued page, computed once per page and kept (ReferencePages).

    `ink` is the issued page's clear ink at COMPARE_DPI, `trace_near` its faint ink dilated by the
    tolerance a scan is allowed; `keypoints`, `octaves` (each one's pyramid level) and
    `descriptors` are its ORB features at FEATURE_DPI, `code` the corners of its QR code there
    (None on a page without one).
    """

    ink: np.ndarray = field(repr=False)
    trace_near: np.ndarray = field(repr=False)
    keypoints: np.ndarray = field(repr=False)  # (n, 2) float32, in FEATURE_DPI pixels
    octaves: np.ndarray = field(repr=False)  # (n,) each keypoint's level in ORB's pyramid
    descriptors: np.ndarray | None = field(repr=False)
    size_points: tuple[float, float]
    code: np.ndarray | None = field(default=None, repr=False)

    @property
    def shape(self) -> tuple[int, int]:
        return self.ink.shape  # type: ignore[return-value]


_NEAR = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))


_LEVELS = 8  # ORB's pyramid: features at scales within 1.2**7 (3.6x) of each other match ...
_LEVELS_AT_SCALE = 2  # ... and within 1.2x, all a photo's perspective needs once the QR code gave the scale


def _orb(levels: int = _LEVELS):
    return cv2.ORB_create(nfeatures=1000, fastThreshold=15, nlevels=levels)


def reference_page(image: np.ndarray, size_points: tuple[float, float]) -> ReferencePage:
    """`image`: the issued page rendered at COMPARE_DPI (render_page)."""
    ink, trace = _ink(image)
    small = cv2.resize(image, None, fx=_FEATURE_SCALE, fy=_FEATURE_SCALE, interpolation=cv2.INTER_AREA)
    keypoints, descriptors = _orb().detectAndCompute(small, None)
    codes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return ReferencePage(
        ink=ink,
        trace_near=cv2.dilate(trace, _NEAR),
        keypoints=_points(keypoints),
        octaves=np.int32([k.octave for k in keypoints]),
        descriptors=descriptors,
        size_points=size_points,
        code=code_corners(codes[0]) * _FEATURE_SCALE if codes else None,
    )


def _points(keypoints: Sequence[cv2.KeyPoint]) -> np.ndarray:
    """OpenCV keypoints' positions, (n, 2) float32."""
    return np.float32([k.pt for k in keypoints]).reshape(-1, 2)


def code_corners(code: zxingcpp.Barcode) -> np.ndarray:
    """A decoded QR code's four corners, (4, 2) float32, in the order of the code's own modules."""
    position = code.position
    corners = (position.top_left, position.top_right, position.bottom_right, position.bottom_left)
    return np.float32([[corner.x, corner.y] for corner in corners])


class ReferencePages:
    """The issued pages of the agreements checked lately, rendered and prepared once each.

    Keyed by the issued PDF's sha256, so a cached page is always the page of those exact bytes.
    A few agreements are kept (each page about 2 MB): uploads for one request come together.
    """

    def __init__(self, keep: int = 4):
        self.keep = keep
        self._documents: OrderedDict[str, list[ReferencePage]] = OrderedDict()
        self._lock = threading.Lock()

    def pages(self, pdf: bytes, sha256: str | None = None) -> list[ReferencePage]:
        key = sha256 or hashlib.sha256(pdf).hexdigest()
        with self._lock:
            if key in self._documents:
                self._documents.move_to_end(key)
                return self._documents[key]
        with PDFIUM_LOCK:
            document = pypdfium2.PdfDocument(pdf)
            try:
                rendered = [render_page(document, index) for index in range(len(document))]
            finally:
                document.close()
        pages = [reference_page(image, size) for image, size in rendered]
        with self._lock:
            self._documents[key] = pages
            while len(self._documents) > self.keep:
                self._documents.popitem(last=False)
        return pages


REFERENCE_PAGES = ReferencePages()


def compare_page(
    scan: np.ndarray,
    reference: ReferencePage,
    areas: list[dict],
    signature_kinds: tuple[str, ...] = ("signature",),
    code: np.ndarray | None = None,
) -> PageComparison:
    """Compare a grey scan (any resolution that shows the whole page) with an issued page.

    `areas` are this page's areas to write in, boxes in points with the origin at the bottom
    left, as the renderer records them. `code`: the corners of the page's QR code in the scan
    (code_corners), when it was read there; it gives the scan's scale and narrows where the
    features are matched.
    The page is signed when the areas of each of `signature_kinds` it has hold ink, each kind on
    its own: the licensee's signature does not stand in for the owner's countersignature.
    """
    warped = _align(scan, reference, code)
    if warped is None:
        return PageComparison(aligned=False)
    # Hysteresis: a mark counts as there when faint, as a difference only when clear, so faded
    # grey print and JPEG blur are not mistaken for a change either way.
    reference_ink = reference.ink
    scanned_ink, scanned_trace = _ink(warped)
    scale = COMPARE_DPI / 72
    height = reference_ink.shape[0]

    def pixels(box, margin=0.0):
        left, bottom, right, top = box
        return (
            max(int((left - margin) * scale), 0),
            max(int((height / scale - top - margin) * scale), 0),
            min(int((right + margin) * scale), reference_ink.shape[1]),
            min(int((height / scale - bottom + margin) * scale), height),
        )

    expected = np.zeros(reference_ink.shape, bool)
    for area in areas:
        x0, y0, x1, y1 = pixels(area["box"], _AREA_MARGIN_PT)
        expected[y0:y1, x0:x1] = True
    expected[:_EDGE_PX, :] = expected[-_EDGE_PX:, :] = True
    expected[:, :_EDGE_PX] = expected[:, -_EDGE_PX:] = True

    dilated_scan = cv2.dilate(scanned_trace, _NEAR)
    missing = reference_ink.view(bool) & ~dilated_scan.view(bool)
    added = scanned_ink.view(bool) & ~reference.trace_near.view(bool)
    outside = ~expected
    missing_boxes, missing_px = _regions(missing & outside, reference_ink, dilated_scan)
    added_boxes, added_px = _regions(added & outside, scanned_ink, reference.trace_near)

    ink: dict[str, int] = {}
    for area in areas:
        if area["kind"] in signature_kinds:
            x0, y0, x1, y1 = pixels(area["box"])
            ink[area["kind"]] = ink.get(area["kind"], 0) + int(added[y0:y1, x0:x1].sum())
    unsigned = [kind for kind in signature_kinds if kind in ink and ink[kind] < _SIGNED_MIN_PX]
    signed = not unsigned if ink else None

    def points(box):
        x0, y0, x1, y1 = box
        return [
            round(x0 / scale, 1),
            round(height / scale - y1 / scale, 1),
            round(x1 / scale, 1),
            round(height / scale - y0 / scale, 1),
        ]

    return PageComparison(
        aligned=True,
        signed=signed,
        unsigned=unsigned,
        missing=[points(b) for b in missing_boxes],
        added=[points(b) for b in added_boxes],
        changed_pixels=missing_px + added_px,
    )


_CLEAR, _FAINT = 25, 8  # how much darker than its neighbourhood a pixel is to count as ink


def _ink(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dark marks against their neighbourhood, clear and faint: paper tone and shading do not count.

    An adaptive (local mean) threshold at two contrasts, sharing one mean."""
    smoothed = cv2.GaussianBlur(image, (3, 3), 0)
    darker = cv2.subtract(cv2.blur(smoothed, (31, 31)), smoothed)  # saturates: lighter than the mean is 0
    speck = np.ones((2, 2), np.uint8)  # a speck of JPEG noise or dust is not ink
    clear, faint = (cv2.threshold(darker, contrast, 1, cv2.THRESH_BINARY)[1] for contrast in (_CLEAR, _FAINT))
    return cv2.morphologyEx(clear, cv2.MORPH_OPEN, speck), cv2.morphologyEx(faint, cv2.MORPH_OPEN, speck)


def _regions(
    difference: np.ndarray, ink: np.ndarray, other_trace: np.ndarray
) -> tuple[list[tuple[int, int, int, int]], int]:
    """Differences grouped into word-sized regions; those too small to mean anything are dropped.

    A homography fitted to a whole page can be a few pixels off in a corner with little print
    (a footer under a blank half page): a region that a small local shift explains (`ink` then
    lies within `other_trace`) is misregistration, not a change, and is dropped too.
    """
    mask = difference.view(np.uint8)
    if cv2.countNonZero(mask) < _REGION_MIN_PX:
        return [], 0
    # Labelled within the differences' bounding box only: most of a page has none.
    left, top, box_width, box_height = cv2.boundingRect(mask)
    left, top = max(left - 12, 0), max(top - 6, 0)
    crop = mask[top : top + box_height + 12, left : left + box_width + 24]
    grouped = cv2.dilate(crop, np.ones((9, 21), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(grouped, connectivity=8)
    boxes, total = [], 0
    for label in range(1, count):
        x, y, w, h, _ = stats[label]
        inside = int(crop[y : y + h, x : x + w][labels[y : y + h, x : x + w] == label].sum())
        x, y = x + left, y + top
        if inside < _REGION_MIN_PX or _explained_by_a_shift(ink, other_trace, (x, y, x + w, y + h)):
            continue
        boxes.append((int(x), int(y), int(x + w), int(y + h)))
        total += inside
    return boxes, total


_SHIFT_PX = 5


def _explained_by_a_shift(ink: np.ndarray, other_trace: np.ndarray, box) -> bool:
    x0, y0, x1, y1 = box
    height, width = ink.shape
    if x0 < _SHIFT_PX or y0 < _SHIFT_PX or x1 + _SHIFT_PX > width or y1 + _SHIFT_PX > height:
        return False
    patch = ink[y0:y1, x0:x1].astype(bool)
    for dy in range(-_SHIFT_PX, _SHIFT_PX + 1):
        for dx in range(-_SHIFT_PX, _SHIFT_PX + 1):
            moved = other_trace[y0 + dy : y1 + dy, x0 + dx : x1 + dx].astype(bool)
            if int((patch & ~moved).sum()) < _REGION_MIN_PX // 2:
                return True
    return False


_NEAREST_PAGE = 0.9  # the page fills the frame (a little cropped, at most) ...
_FARTHEST_PAGE = 4.0  # ... or as little as a quarter of it: a QR code read as smaller is misread


def _align(scan: np.ndarray, reference: ReferencePage, code: np.ndarray | None) -> np.ndarray | None:
    """The scan warped onto the reference's pixels, or None when no page-wide fit is found.

    The features come from a copy of the scan at FEATURE_DPI, whose resolution is unknown. When
    the QR code was read, its size gives the scale, whatever share of the frame the page fills,
    and the features then differ in scale by a photo's perspective only: two pyramid levels
    match them. Otherwise (or when that finds no fit), the page is assumed to fill the frame and
    features are matched across eight levels, which also covers a page filling less of it.
    The warp then resamples the scan itself once, straight to the comparison resolution.
    """
    if reference.descriptors is None:
        return None
    height, width = reference.shape
    filling = _FEATURE_SCALE * max(height, width) / max(scan.shape)  # the page as large as the frame
    homography = None
    if code is not None and reference.code is not None:
        coded = _side(reference.code) / max(_side(code), 1e-6)
        if _NEAREST_PAGE * filling <= coded <= _FARTHEST_PAGE * filling:
            homography = _homography(scan, reference, coded, _LEVELS_AT_SCALE, code)
    if homography is None:
        homography = _homography(scan, reference, filling, _LEVELS, code)
    if homography is None:
        return None
    return cv2.warpPerspective(scan, homography, (width, height), flags=cv2.INTER_LINEAR, borderValue=255)


def _homography(
    scan: np.ndarray, reference: ReferencePage, to_features: float, levels: int, code: np.ndarray | None
) -> np.ndarray | None:
    """From the scan's pixels to the reference's, fitted on features of the scan scaled by `to_features`
    and of `levels` pyramid levels; None when no page-wide fit is found."""
    small_scan = _reduced(scan, to_features)
    keypoints, scan_descriptors = _orb(levels).detectAndCompute(small_scan, None)
    if scan_descriptors is None or len(keypoints) < _MIN_INLIERS:
        return None
    scan_points = _points(keypoints)
    fitted = None
    if code is not None and reference.code is not None:
        fitted = _fit(*_matched_near(scan_points, scan_descriptors, reference, code * to_features, levels))
    if fitted is None:
        fitted = _fit(*_matched(scan_points, scan_descriptors, reference, np.arange(len(scan_points))))
    if fitted is None:
        return None
    homography, chosen = _grown(fitted, scan_points, scan_descriptors, reference)
    # Refit on every inlier by least squares: the sampled minimal fit is not the most precise.
    refined, _ = cv2.findHomography(*chosen, 0)
    if refined is not None:
        homography = refined
    # From the scan's pixels to the small scan, across to the small reference, up to the reference.
    return np.diag([1 / _FEATURE_SCALE, 1 / _FEATURE_SCALE, 1]) @ homography @ np.diag([to_features, to_features, 1])


def _side(corners: np.ndarray) -> float:
    """The mean length of a quadrilateral's four sides."""
    return float(np.linalg.norm(corners - np.roll(corners, 1, axis=0), axis=1).mean())


def _reduced(image: np.ndarray, scale: float) -> np.ndarray:
    """`image` scaled by `scale`: averaged over blocks by the whole factor within it, which is exact
    and cheap, and interpolated the rest of the way (by more than a half, so little is skipped over:
    the scan is blurred anyway). A fractional INTER_AREA costs ten times as much as both together."""
    whole = int(1 / scale)
    if whole > 1:
        image = cv2.resize(image, None, fx=1 / whole, fy=1 / whole, interpolation=cv2.INTER_AREA)
        scale *= whole
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)


def _matched(
    scan_points: np.ndarray,
    scan_descriptors: np.ndarray,
    reference: ReferencePage,
    mine: np.ndarray,
    theirs: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The scan features `mine` matched among the reference's `theirs` (all by default), as point pairs.

    A match is kept when clearly nearer than the second nearest (Lowe's ratio test)."""
    descriptors = reference.descriptors if theirs is None else reference.descriptors[theirs]  # type: ignore[index]
    if len(descriptors) < 2 or not len(mine):  # no second nearest to test against
        return np.empty((0, 2), np.float32), np.empty((0, 2), np.float32)
    distances, nearest = cv2.batchDistance(
        scan_descriptors[mine], descriptors, cv2.CV_32S, normType=cv2.NORM_HAMMING, K=2
    )
    good = distances[:, 0] < 0.8 * distances[:, 1]
    train = nearest[good, 0] if theirs is None else theirs[nearest[good, 0]]
    return scan_points[mine[good]], reference.keypoints[train]


_CELL_PX = 150  # at FEATURE_DPI: the scan's features are matched a patch of the page at a time ...
_NEAR_PX = 60  # ... against the reference's within this of the patch where the QR code puts them


def _matched_near(
    scan_points: np.ndarray, scan_descriptors: np.ndarray, reference: ReferencePage, code: np.ndarray, levels: int
) -> tuple[np.ndarray, np.ndarray]:
    """The scan's features matched only against the reference's near where the QR code places them.

    The code's corners give the page's rotation, scale and offset (a similarity: its corners are
    too close together for perspective to be read from them); out at the far corner of the page
    that is off by the code's imprecision and the photo's perspective, some 30 px here, well
    within _NEAR_PX. Fewer candidates make the matching several times faster, and a word repeated
    further down the page no longer competes with the one at the place.
    """
    none = (np.empty((0, 2), np.float32),) * 2
    coarse, _ = cv2.estimateAffinePartial2D(code, reference.code)
    if coarse is None:
        return none
    placed = cv2.transform(scan_points.reshape(-1, 1, 2), coarse).reshape(-1, 2)
    # The scan's features of `levels` levels are at the scales of the reference's of as many.
    comparable = reference.octaves < levels
    cells = np.floor(placed / _CELL_PX).astype(np.int64)
    key = cells[:, 0] * 1_000_003 + cells[:, 1]
    order = np.argsort(key, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(key[order]) != 0])
    sources, targets = [], []
    for mine in np.split(order, starts[1:]):
        low = cells[mine[0]] * _CELL_PX - _NEAR_PX
        high = low + _CELL_PX + 2 * _NEAR_PX
        theirs = np.flatnonzero(comparable & ((reference.keypoints >= low) & (reference.keypoints < high)).all(axis=1))
        if len(theirs) >= 2:
            source, target = _matched(scan_points, scan_descriptors, reference, mine, theirs)
            sources.append(source)
            targets.append(target)
    if not sources:
        return none
    return np.concatenate(sources), np.concatenate(targets)


_Fit = tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]  # a homography, and its inliers (source, target)


def _fit(source: np.ndarray, target: np.ndarray) -> _Fit | None:
    # MAGSAC++ rather than plain RANSAC: on a page of repeated words (a purpose pasted many times)
    # RANSAC could settle on the fit one line off, which makes every line look rewritten. USAC
    # seeds its own generator, so the same upload is always judged the same way.
    if len(source) < _MIN_INLIERS:  # too few to fit (findHomography raises on fewer than four)
        return None
    homography, inliers = cv2.findHomography(source, target, cv2.USAC_MAGSAC, 3.0, maxIters=4000, confidence=0.999)
    if homography is None or int(inliers.sum()) < _MIN_INLIERS:
        return None
    chosen = inliers.ravel().astype(bool)
    return homography, (source[chosen], target[chosen])


_GUIDED_PX = 5.0  # at FEATURE_DPI: under half a line of body text (11 px), so never the next line's word
_GUIDED_MAX_DISTANCE = 64  # Hamming, of ORB's 256 bits: alike enough to be the same mark
_GROWTH_PX = 30  # at FEATURE_DPI, about three lines: how far past its inliers each round extends a fit
_GROWTH_ROUNDS = 12  # enough to cross a page from a few lines of distinct text


def _grown(fitted: _Fit, scan_points: np.ndarray, scan_descriptors: np.ndarray, reference: ReferencePage) -> _Fit:
    """The fit carried, a few lines at a time, over words that repeat down the page.

    Words repeated line after line (a purpose pasted many times) match the same words on every
    other line as well as their own, so the ratio test drops them all and the fit rests on the
    page's few distinct lines; far from those it can be off by a line or more, and the page then
    looks rewritten. Near where the fit puts them a repeated word is not ambiguous: matched again
    within half a line of that place, a few lines past the inliers at a time, and refitted, they
    carry the fit over the whole page. A fit with inliers near every line of the page's features
    is kept as it is; growing stops when a round changes nothing.
    """
    homography, (_, target) = fitted
    for _ in range(_GROWTH_ROUNDS):
        if _near_every_line(target, reference.keypoints):
            break
        predicted = cv2.perspectiveTransform(scan_points.reshape(-1, 1, 2), homography).reshape(-1, 2)
        reach = (predicted[:, 1] >= target[:, 1].min() - _GROWTH_PX) & (
            predicted[:, 1] <= target[:, 1].max() + _GROWTH_PX
        )
        allowed = np.zeros((len(scan_points), len(reference.keypoints)), np.uint8)
        for point, near in enumerate(
            cv2.BFMatcher(cv2.NORM_L2).radiusMatch(predicted, reference.keypoints, _GUIDED_PX)
        ):
            if reach[point]:
                allowed[point, [m.trainIdx for m in near]] = 1
        matches = cv2.BFMatcher(cv2.NORM_HAMMING).match(scan_descriptors, reference.descriptors, allowed)
        matches = [m for m in matches if m.distance < _GUIDED_MAX_DISTANCE]
        grown = _fit(scan_points[[m.queryIdx for m in matches]], reference.keypoints[[m.trainIdx for m in matches]])
        if grown is None:
            break
        before = _extent(target)
        fitted = grown
        homography, (_, target) = fitted
        if _extent(target) == before:
            break
    return fitted


def _near_every_line(inliers: np.ndarray, keypoints: np.ndarray) -> bool:
    """Whether every feature of the page has an inlier within _GROWTH_PX above or below it."""
    rows = np.sort(inliers[:, 1])
    after = np.clip(np.searchsorted(rows, keypoints[:, 1]), 1, len(rows) - 1)
    nearest = np.minimum(np.abs(keypoints[:, 1] - rows[after - 1]), np.abs(keypoints[:, 1] - rows[after]))
    return bool((nearest <= _GROWTH_PX).all())


def _extent(points: np.ndarray) -> tuple[int, float, float]:
    return len(points), float(points[:, 1].min()), float(points[:, 1].max())


def outlined_thumbnail(pdf: bytes, page: int, *, missing: list, added: list, dpi: int = 60) -> bytes:
    """The issued page `page` (1-based) as a PNG, with missing ink outlined in red, added in blue."""
    # PDFium is not thread-safe, and a review page loads its thumbnails in parallel.
    with PDFIUM_LOCK:
        document = pypdfium2.PdfDocument(pdf)
        try:
            image, (_, height_pt) = render_page(document, page - 1, dpi)
        finally:
            document.close()
    picture = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    scale = dpi / 72
    for boxes, colour in ((missing, (40, 40, 220)), (added, (220, 90, 20))):
        for left, bottom, right, top in boxes:
            cv2.rectangle(
                picture,
                (int(left * scale) - 3, int((height_pt - top) * scale) - 3),
                (int(right * scale) + 3, int((height_pt - bottom) * scale) + 3),
                colour,
                2,
            )
    ok, png = cv2.imencode(".png", picture)
    return png.tobytes()
