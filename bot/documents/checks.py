"""Is the form signed by its principal signer, is the CoC Representative block
blank, is it filled in at all.

Decided from ink, never from text: a signature is strokes, which OCR cannot read
and text layers do not hold (`ink`).  The areas to look at come from the labels
(`layout`): a signature label's area is right of it ("By:", "X", "Signature:"),
over the rule it captions, or under it (a label above a box).  Whose signature it
is comes from the label's role.  PURE: words and page ink in, booleans out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from bot.documents.ink import SIGNATURE_SPAN, ImageInk, PageInk
from bot.documents.layout import Label, find_labels, value_words
from bot.documents.model import ORGANIZATION_AGREEMENT
from bot.documents.words import Box, Word

INK_FRACTION = 0.004  # share of the area's pixels that are ink
SIGNATURE_WIDTH = 0.09  # page width (~3/4 inch) a signature's ink spreads over: strokes, not a blot
VALUE_WIDTH = 0.04  # a written value (a short date) may be narrower
FILL_KEYS = frozenset({"name", "title", "date", "organization", "email"})


@dataclass(frozen=True)
class Ink:
    fraction: float
    width: float  # share of the page's width with ink in the area
    min_width: float = VALUE_WIDTH

    @property
    def present(self) -> bool:
        return self.fraction >= INK_FRACTION and self.width >= self.min_width


def _crop(gray: NDArray[np.uint8], box: Box) -> NDArray[np.uint8]:
    h, w = gray.shape
    x0, x1 = int(max(box.x0, 0) * w), int(min(box.x1, 1) * w)
    y0, y1 = int(max(box.y0, 0) * h), int(min(box.y1, 1) * h)
    return gray[y0:y1, x0:x1]


def _long_runs(mask: NDArray[np.bool_], length: int) -> NDArray[np.bool_]:
    """Pixels that lie in a horizontal run of at least `length` set pixels."""
    h, w = mask.shape
    if w < length:
        return np.zeros_like(mask)
    c = np.zeros((h, w + 1), dtype=np.int32)
    c[:, 1:] = np.cumsum(mask, axis=1)
    full = (c[:, length:] - c[:, :-length]) == length  # window starting at column j is all set
    cf = np.zeros((h, full.shape[1] + 1), dtype=np.int32)
    cf[:, 1:] = np.cumsum(full, axis=1)
    x = np.arange(w)
    hi = np.minimum(x, full.shape[1] - 1) + 1
    lo = np.maximum(x - length + 1, 0)
    return (cf[:, hi] - cf[:, lo]) > 0


def _rows_dilate(mask: NDArray[np.bool_], n: int) -> NDArray[np.bool_]:
    out = mask.copy()
    for k in range(1, n + 1):
        out[k:] |= mask[:-k]
        out[:-k] |= mask[k:]
    return out


def measure(gray: NDArray[np.uint8], box: Box, printed: Sequence[Word] = ()) -> Ink:
    """Ink in `box` (normalised) of a grey page image, ignoring the `printed` words."""
    a = _crop(gray, box).copy()
    h, w = gray.shape
    for wd in printed:  # white out printed text that reaches into the area
        x0, x1 = int((wd.x0 - box.x0) * w) - 1, int((wd.x1 - box.x0) * w) + 2
        y0, y1 = int((wd.y0 - box.y0) * h) - 1, int((wd.y1 - box.y0) * h) + 2
        a[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)] = 255
    if a.shape[0] < 3 or a.shape[1] < 3:
        return Ink(0.0, 0.0)
    paper = float(np.percentile(a, 90))  # the area's own paper tone copes with shading
    dark = a < max(paper * 0.62, 20)
    # the printed underline: a long horizontal run, even when slanted (photo keystone,
    # residual skew) once each row is merged with its neighbours; it goes with its fringe
    rule = _long_runs(_rows_dilate(dark, 1), max(gray.shape[1] // 25, 8))
    dark &= ~_rows_dilate(rule, 2)
    # keep pixels with >= 2 dark neighbours: strokes are connected, specks are not
    p = np.pad(dark, 1).astype(np.uint8)
    neigh = np.zeros(p.shape, dtype=np.uint8)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                neigh += np.roll(np.roll(p, dy, 0), dx, 1)
    dark &= neigh[1:-1, 1:-1] >= 2
    return Ink(float(dark.mean()), float(dark.any(axis=0).sum()) / gray.shape[1])


def rule_rows(gray: NDArray[np.uint8], box: Box) -> list[float]:
    """Heights (normalised) of the long horizontal rules drawn in `box` of an image."""
    a = _crop(gray, box)
    if a.shape[0] < 2 or a.shape[1] < 8:
        return []
    dark = a < max(float(np.percentile(a, 90)) * 0.62, 20)
    rows = np.nonzero(_long_runs(dark, max(int(a.shape[1] * 0.5), 8)).any(axis=1))[0]
    h = gray.shape[0]
    return [box.y0 + float(r) / h for r in rows]


def _printed(area: Box, words: Sequence[Word], label: Box) -> list[Word]:
    """OCR'd words that are print (long, alphabetic, no taller than the label's type):
    not ink.  Ink read as text gives junk, or tall words.  On the label's own row a word
    must also be read with confidence; a heading that ends well above the row is print
    whatever its confidence (ink just under a heading drags Tesseract's score down)."""
    size = label.y1 - label.y0

    def wordlike(w: Word) -> bool:
        letters = sum(c.isalpha() for c in w.text)
        sure = w.conf >= 60 or w.y1 < label.y0 - 0.3 * size
        return sure and letters >= 3 and letters >= 0.75 * len(w.text) and w.height <= 1.4 * size
    return [w for w in words if wordlike(w) and w.x1 > area.x0 and w.x0 < area.x1
            and w.y1 > area.y0 and w.y0 < area.y1]


def signature_areas(label: Label, labels: Sequence[Label], ink: PageInk) -> list[Box]:
    """Where the pen goes for a signature label, by the page's own geometry."""
    b, h = label.box, max(label.box.y1 - label.box.y0, 0.006)
    x1 = label.area.x1
    right = Box(b.x1 + 0.003, b.y1 - 3.0 * h, x1, b.y1 + 0.6 * h)
    if label.colon or label.text.split()[-1:] in (["by"], ["x"]):
        return [right]
    others = [lb.box for lb in labels if lb is not label]
    for cell in ink.cells(b):  # a label in a drawn cell of its own (a grid): the pen stays in the cell
        if not any(cell.contains_box(o) for o in others):
            return [cell]
    over = ink.rules(Box(b.x0, b.y0 - 1.8 * h, x1, b.y0))
    if over:  # a caption under a line: the signature sits on that line
        y = max(over)
        return [Box(b.x0 - 0.01, y - 3.2 * h, x1, y + 0.3 * h)]
    below = [lb.box.y0 for lb in labels if lb is not label and lb.box.y0 > b.y1 and lb.box.x1 > b.x0
             and lb.box.x0 < x1]
    bottom = min([b.y1 + 4.5 * h, *below]) - 0.002
    return [Box(b.x0 - 0.01, b.y1 + 0.002, x1, bottom), right]


def _signed(label: Label, labels: Sequence[Label], words: Sequence[Word], ink: PageInk) -> bool:
    return any(ink.has_ink(a, _printed(a, words, label.box), SIGNATURE_SPAN)
               for a in signature_areas(label, labels, ink))


def _has_value(label: Label, words: Sequence[Word], labels: Sequence[Label]) -> bool:
    text = "".join(w.text for w in value_words(label, words, labels) if w.conf >= 40)
    return sum(c.isalnum() for c in text) >= 2


def _lost_signature_label(labels: Sequence[Label], words: Sequence[Word], role: str = "principal") -> Label | None:
    """Where the signature line must be when ink over its label spoiled the OCR: the
    row one row pitch above the block's printed name (else date), when its labels
    are stacked at an even pitch and that row holds neither a label nor clean print
    (an "Initials:" line is print; the junk OCR makes of a signed label is not)."""
    if (beside := _mirrored_signature_label(labels, role)) is not None:
        return beside
    own = sorted((lb for lb in labels if lb.role == role), key=lambda lb: lb.box.y0)
    gaps = sorted(b.box.y0 - a.box.y0 for a, b in pairwise(own)
                  if 0.01 < b.box.y0 - a.box.y0 < 0.06 and abs(a.box.x0 - b.box.x0) < 0.05)
    if not gaps:
        return None
    pitch = gaps[len(gaps) // 2]
    for ref in [lb for lb in own if lb.key == "name"] + [lb for lb in own if lb.key == "date"]:
        y0, y1 = ref.box.y0 - pitch, ref.box.y1 - pitch
        near = [lb.box.y0 for lb in labels if abs(lb.box.x0 - ref.box.x0) < 0.12]
        near += [w.y0 for w in words if abs(w.x0 - ref.box.x0) < 0.12 and w.conf >= 85
                 and sum(c.isalpha() for c in w.text) >= 4]
        if not any(abs(y - y0) < pitch / 2 for y in near):
            box = Box(ref.box.x0, y0, ref.box.x0 + 0.07, y1)
            return Label("signature", box, Box(box.x1 + 0.004, y0, ref.area.x1, y1), "signature", True, role)
    return None


def _mirrored_signature_label(labels: Sequence[Label], role: str = "principal") -> Label | None:
    """Two blocks side by side (the signer's and the CoC's, the user's and the
    supervisor's) share their rows: when the other block's signature label was read
    and this block's was not, this block's is on the same row, over this block's name."""
    for name in (lb for lb in labels if lb.key == "name" and lb.role == role):
        h = name.box.y1 - name.box.y0
        for other in (lb for lb in labels if lb.key == "name" and lb.role != role
                      and abs(lb.box.y0 - name.box.y0) < 1.5 * h and abs(lb.box.x0 - name.box.x0) > 0.2):
            sig = [lb for lb in labels if lb.key == "signature" and lb.role == other.role
                   and abs(lb.box.x0 - other.box.x0) < 0.05 and 0 < other.box.y0 - lb.box.y0 < 0.08]
            if sig:
                s = sig[-1].box
                box = Box(name.box.x0, s.y0, name.box.x0 + (s.x1 - s.x0), s.y1)
                x1 = min(name.area.x1, other.box.x0 - 0.005) if other.box.x0 > name.box.x0 else name.area.x1
                return Label("signature", box, Box(box.x1 + 0.004, s.y0, x1, s.y1), "signature", True, role)
    return None


def run_checks(kind: str, words: Sequence[Word], page: PageInk | NDArray[np.uint8]) -> dict[str, bool]:
    """signed (the principal signer), filled and (Organization Agreement)
    coc_section_blank for one page."""
    ink: PageInk = ImageInk(page) if isinstance(page, np.ndarray) else page
    labels = find_labels(words)
    sigs = [lb for lb in labels if lb.key == "signature" and lb.role == "principal"]
    if not sigs and (lost := _lost_signature_label(labels, words)) is not None:
        sigs = [lost]
    signed = any(_signed(lb, labels, words, ink) for lb in sigs)
    own = [lb for lb in labels if lb.key in FILL_KEYS and lb.role == "principal"]
    filled = signed or any(_has_value(lb, words, labels) for lb in own)
    out = {"signed": signed, "filled": filled}
    if kind == ORGANIZATION_AGREEMENT:
        coc = [lb for lb in labels if lb.role == "coc"]
        coc_sigs = [lb for lb in coc if lb.key == "signature"]
        if coc and not coc_sigs and (lost := _lost_signature_label(labels, words, "coc")) is not None:
            coc_sigs = [lost]  # the CoC's signature label spoiled by its ink, as the signer's can be
        used = any(_signed(lb, labels, words, ink) for lb in coc_sigs) or any(
            _has_value(lb, words, labels) for lb in coc if lb.key in FILL_KEYS - {"organization"})
        out["coc_section_blank"] = not used
    return out


def has_signature_label(kind: str, words: Sequence[Word]) -> bool:
    """Whether this page holds the principal signer's signature line."""
    return any(lb.key == "signature" and lb.role == "principal" for lb in find_labels(words))

