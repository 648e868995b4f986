"""Ink on a page that is not printed text: pen strokes, signatures, handwriting.

Two sources, one question ("is there ink in this box?", "where are the drawn rules?"):
- a text-layer PDF page: its vector paths and images.  Text-layer glyphs are never
  ink; a path is ink unless it is a rule or a box edge (straight, axis-aligned), so a
  signature drawn as curves or many short strokes counts, a typed name does not;
- an image page: dark pixels against the local paper tone, minus the OCR'd printed
  words, the long horizontal rules and isolated specks (`checks.measure`).
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pypdfium2.raw as pdfium_c
from numpy.typing import NDArray

from bot.documents.words import Box, Word

RULE_THICK = 2.5  # points: thinner than this and long, a path is a printed rule
RULE_LONG = 30.0  # points
SIGNATURE_SPAN = 0.05  # page width a signature's strokes spread over at least
VALUE_SPAN = 0.02


class PageInk(Protocol):
    def has_ink(self, box: Box, printed: Sequence[Word], min_span: float) -> bool: ...
    def rules(self, box: Box) -> list[float]: ...
    def cells(self, box: Box) -> list[Box]: ...


@dataclass(frozen=True)
class VectorInk:
    """Ink boxes and rule heights of a text-layer page (normalised, y down)."""

    strokes: tuple[Box, ...]
    rule_ys: tuple[tuple[float, float, float], ...]  # (y, x0, x1)
    boxes: tuple[Box, ...] = ()  # drawn rectangles: table cells, signature boxes, block frames

    def has_ink(self, box: Box, printed: Sequence[Word] = (), min_span: float = VALUE_SPAN) -> bool:
        inside = [s for s in self.strokes if box.contains_box(s)]
        if not inside:
            return False
        return max(s.x1 for s in inside) - min(s.x0 for s in inside) >= min_span

    def rules(self, box: Box) -> list[float]:
        return [y for y, x0, x1 in self.rule_ys if box.y0 <= y <= box.y1 and x1 > box.x0 and x0 < box.x1]

    def cells(self, box: Box) -> list[Box]:
        """The drawn rectangles that hold `box`'s centre, smallest first."""
        return sorted((b for b in self.boxes if b.contains_box(box)), key=lambda b: (b.x1 - b.x0) * (b.y1 - b.y0))


def _diagonal(obj: Any) -> bool:
    """Whether a path has a curve or a slanted line: handwriting, not a rule or a box."""
    raw = obj.raw
    n = pdfium_c.FPDFPath_CountSegments(raw)
    x, y = ctypes.c_float(), ctypes.c_float()
    last: tuple[float, float] | None = None
    for i in range(max(n, 0)):
        seg = pdfium_c.FPDFPath_GetPathSegment(raw, i)
        kind = pdfium_c.FPDFPathSegment_GetType(seg)
        if kind == pdfium_c.FPDF_SEGMENT_BEZIERTO:
            return True
        pdfium_c.FPDFPathSegment_GetPoint(seg, ctypes.byref(x), ctypes.byref(y))
        slanted = last is not None and abs(x.value - last[0]) > 0.2 and abs(y.value - last[1]) > 0.2
        if kind == pdfium_c.FPDF_SEGMENT_LINETO and slanted:
            return True
        last = (x.value, y.value)
    return False


def vector_ink(page: Any) -> VectorInk:
    """Strokes (non-rule paths, images) and horizontal rules of a pdfium page."""
    w, h = page.get_size()
    strokes: list[Box] = []
    rules: list[tuple[float, float, float]] = []
    boxes: list[Box] = []
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3):
        left, bottom, right, top = obj.get_bounds()
        box = Box(left / w, 1 - top / h, right / w, 1 - bottom / h)
        if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            if (right - left) * (top - bottom) < 0.5 * w * h:  # a pasted signature, not a page scan
                strokes.append(box)
            continue
        bw, bh = right - left, top - bottom
        if bw >= RULE_LONG and bh <= RULE_THICK:
            rules.append(((box.y0 + box.y1) / 2, box.x0, box.x1))
        elif _diagonal(obj):
            strokes.append(box)
        elif bw >= RULE_LONG and bh >= RULE_LONG:  # a box: its top and bottom edges are rules
            rules += [(box.y0, box.x0, box.x1), (box.y1, box.x0, box.x1)]
            boxes.append(box)
    return VectorInk(tuple(strokes), tuple(rules), tuple(boxes))


@dataclass(frozen=True)
class ImageInk:
    """Ink of a grey page image (OCR'd words known as `printed` are whited out)."""

    gray: NDArray[np.uint8]

    def has_ink(self, box: Box, printed: Sequence[Word] = (), min_span: float = VALUE_SPAN) -> bool:
        from bot.documents.checks import measure  # the pixel work lives with the checks

        ink = measure(self.gray, box, printed)
        return ink.fraction >= 0.004 and ink.width >= min_span

    def rules(self, box: Box) -> list[float]:
        from bot.documents.checks import rule_rows

        return rule_rows(self.gray, box)

    def cells(self, box: Box) -> list[Box]:
        return []  # not found in pixels yet: the label geometry decides
