"""Positioned words: the common currency between text extraction (text layer or
OCR) and the pure stages (classify, fields, checks).

Boxes are normalised to the page (0..1, origin top-left, y down), so that the same
rules read a 72-dpi text layer and a 200-dpi scan.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    conf: float = 100.0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def contains(self, w: Word) -> bool:
        cx = (w.x0 + w.x1) / 2
        return self.x0 <= cx <= self.x1 and self.y0 <= w.cy <= self.y1

    def contains_box(self, b: Box) -> bool:
        cx, cy = (b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2
        return self.x0 <= cx <= self.x1 and self.y0 <= cy <= self.y1


_NON_ALNUM = re.compile(r"[^a-z0-9@.]+")


def norm(text: str) -> str:
    """Lower case, punctuation to spaces (keeping @ and . for addresses), one space."""
    return _NON_ALNUM.sub(" ", text.lower()).strip()


def lines_of(words: Sequence[Word]) -> list[list[Word]]:
    """Group words into visual lines (top to bottom, left to right).  A word joins the
    first line whose first word sits within half a word height of it; lines are made in
    order of height, so only the lines started within reach need looking at (bisect),
    which keeps a page of 500 words at a millisecond instead of a quadratic scan."""
    out: list[list[Word]] = []
    starts: list[float] = []  # cy of each line's first word, ascending
    tallest = 0.0
    for w in sorted(words, key=lambda w: (w.cy, w.x0)):
        reach = 0.5 * max(tallest, w.height, 1e-6)
        for i in range(bisect_left(starts, w.cy - reach), len(out)):
            ref = out[i][0]
            if abs(ref.cy - w.cy) < 0.5 * max(ref.height, w.height, 1e-6):
                out[i].append(w)
                break
        else:
            out.append([w])
            starts.append(w.cy)
            tallest = max(tallest, w.height)
    for line in out:
        line.sort(key=lambda w: w.x0)
    out.sort(key=lambda ln: min(w.cy for w in ln))
    return out


def text_of(words: Iterable[Word]) -> str:
    return " ".join(w.text for w in words)
