"""Is the form signed, is the CoC Representative block blank, is it filled in at all.

Decided from ink, never from text: a signature is strokes, which OCR cannot read
and text layers do not hold.  The areas to look at come from the labels' word
boxes (OCR or text layer) and the ink is measured as dark-pixel density against
the local paper tone, after dropping isolated specks (scanner noise) and the
printed underline.  PURE: words and a grey-level array in, booleans out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from bot.documents.layout import Label, coc_block, find_labels, signature_area
from bot.documents.model import ORGANIZATION_AGREEMENT
from bot.documents.words import Box, Word

INK_FRACTION = 0.004  # share of the area's pixels that are ink
SIGNATURE_WIDTH = 0.09  # page width (~3/4 inch) a signature's ink spreads over: strokes, not a blot
VALUE_WIDTH = 0.04  # a written value (a short date) may be narrower
SIGNATURE_LABELS = {"signature", "user signature"}
FILL_LABELS = {"printed name", "name", "title", "date", "organization name", "participating agency",
               "agency", "email", "e mail"}


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


def _printed_above(label: Label, words: Sequence[Word]) -> list[Word]:
    """Printed words above a signature line (a block heading) that reach into its area.
    OCR confidence is no guide (headings near ink score 0), word shape is: ink read
    as text gives short junk, printed headings give long, mostly alphabetic words."""
    area = signature_area(label)
    h = label.box.y1 - label.box.y0

    def wordlike(t: str) -> bool:
        letters = sum(c.isalpha() for c in t)
        return letters >= 3 and letters >= 0.75 * len(t)
    # a heading ends well above the label's row; ink read as words reaches down to the line
    return [w for w in words if wordlike(w.text) and w.y1 < label.box.y0 - 0.3 * h
            and w.y1 > area.y0 and w.x1 > area.x0 and w.x0 < area.x1]


def _ink_at(label: Label, words: Sequence[Word], gray: NDArray[np.uint8]) -> Ink:
    if label.key in SIGNATURE_LABELS:
        ink = measure(gray, signature_area(label), _printed_above(label, words))
        return Ink(ink.fraction, ink.width, SIGNATURE_WIDTH)
    return measure(gray, label.area)


def _row_above(labels: Sequence[Label], coc: Box | None) -> Label | None:
    """Where the signature line must be when ink over its label spoiled the OCR: the
    unlabelled row one row pitch above "Printed Name" (or "Date"), the layout of
    every version seen."""
    own = sorted((lb for lb in labels if not (coc and coc.contains_box(lb.box))), key=lambda lb: lb.box.y0)
    gaps = [b.box.y0 - a.box.y0 for a, b in pairwise(own)
            if 0.01 < b.box.y0 - a.box.y0 < 0.06 and abs(a.box.x0 - b.box.x0) < 0.12]
    if not gaps:
        return None
    pitch = sorted(gaps)[len(gaps) // 2]
    for p in (lb for lb in own if lb.key in ("printed name", "name", "date")):
        y0, y1 = p.box.y0 - pitch, p.box.y1 - pitch
        taken = any(abs(lb.box.y0 - y0) < pitch / 3 and abs(lb.box.x0 - p.box.x0) < 0.12 for lb in labels)
        if not taken:
            box = Box(p.box.x0, y0, p.box.x0 + 0.07, y1)
            return Label("signature", box, Box(box.x1 + 0.004, y0, p.area.x1, y1))
    return None


def _signature_label(kind: str, labels: Sequence[Label], coc: Box | None) -> Label | None:
    mine = [lb for lb in labels if lb.key in SIGNATURE_LABELS and not (coc and coc.contains_box(lb.box))]
    mine.sort(key=lambda lb: (lb.key != "user signature", lb.box.y0))
    return mine[0] if mine else _row_above(labels, coc)


def run_checks(kind: str, words: Sequence[Word], gray: NDArray[np.uint8]) -> dict[str, bool]:
    """signed, filled and (Organization Agreement) coc_section_blank for one page."""
    labels = find_labels(words)
    coc = coc_block(words) if kind == ORGANIZATION_AGREEMENT else None
    sig = _signature_label(kind, labels, coc)
    signed = sig is not None and _ink_at(sig, words, gray).present
    own = [lb for lb in labels if lb.key in FILL_LABELS and not (coc and coc.contains_box(lb.box))]
    filled = signed or any(_ink_at(lb, words, gray).present for lb in own)
    out = {"signed": signed, "filled": filled}
    if coc is not None:
        inside = [lb for lb in labels if coc.contains_box(lb.box)]
        out["coc_section_blank"] = not any(_ink_at(lb, words, gray).present for lb in inside)
    return out


def has_signature_label(kind: str, words: Sequence[Word]) -> bool:
    """Whether this page holds the signer's signature line (where to look for ink)."""
    labels = find_labels(words)
    coc = coc_block(words) if kind == ORGANIZATION_AGREEMENT else None
    return _signature_label(kind, labels, coc) is not None
