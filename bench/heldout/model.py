"""The page model: the display list that layouts draw into and that both renderers read.

Owns the drawing primitives (text, rules, boxes, pen ink), the page and document containers, and
the font registry shared by the PDF renderer (reportlab) and the raster renderer (Pillow), so that a
page measures the same in both. Coordinates are PDF points on a US-letter page, origin top-left,
y growing downwards; text ``y`` is the baseline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

PAGE_W = 612.0
PAGE_H = 792.0

Color = tuple[int, int, int]
BLACK: Color = (0, 0, 0)
GREY: Color = (90, 90, 90)
LIGHT: Color = (225, 225, 225)
INK_BLUE: Color = (28, 44, 140)
INK_BLACK: Color = (22, 22, 30)

_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES: dict[str, str] = {
    "sans": "DejaVuSans.ttf",
    "sans-b": "DejaVuSans-Bold.ttf",
    "sans-i": "DejaVuSans-Oblique.ttf",
    "serif": "DejaVuSerif.ttf",
    "serif-b": "DejaVuSerif-Bold.ttf",
    "serif-i": "DejaVuSerif-Italic.ttf",
    "cond": "DejaVuSansCondensed.ttf",
    "cond-b": "DejaVuSansCondensed-Bold.ttf",
    "scond": "DejaVuSerifCondensed.ttf",
    "scond-b": "DejaVuSerifCondensed-Bold.ttf",
    "mono": "DejaVuSansMono.ttf",
    "mono-b": "DejaVuSansMono-Bold.ttf",
    # "handwriting": slanted faces, jittered per letter by the raster renderer
    "hand1": "DejaVuSerif-Italic.ttf",
    "hand2": "DejaVuSansCondensed-Oblique.ttf",
    "hand3": "DejaVuSerifCondensed-Italic.ttf",
    "hand4": "DejaVuSans-Oblique.ttf",
}
HAND_FONTS = ("hand1", "hand2", "hand3", "hand4")


def font_path(key: str) -> str:
    """Absolute path of the TrueType file behind a font key."""
    return str(_FONT_DIR / FONT_FILES[key])


@cache
def pdf_font(key: str) -> str:
    """Register the font with reportlab (once) and return its reportlab name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    name = f"HO-{key}"
    pdfmetrics.registerFont(TTFont(name, font_path(key)))
    return name


def text_width(s: str, font: str, size: float) -> float:
    """Advance width of ``s`` in points."""
    from reportlab.pdfbase import pdfmetrics

    return float(pdfmetrics.stringWidth(s, pdf_font(font), size))


@dataclass
class Text:
    """A run of text; ``hand`` runs are drawn as handwriting (ink colour, jitter)."""

    x: float
    y: float
    s: str
    font: str
    size: float
    color: Color = BLACK
    hand: bool = False
    seed: int = 0


@dataclass
class Line:
    """A straight rule."""

    x1: float
    y1: float
    x2: float
    y2: float
    width: float = 0.6
    color: Color = BLACK
    dash: tuple[float, float] | None = None


@dataclass
class Box:
    """A rectangle, stroked and/or filled."""

    x: float
    y: float
    w: float
    h: float
    width: float = 0.6
    stroke: Color | None = BLACK
    fill: Color | None = None


@dataclass
class Ink:
    """Pen strokes: each stroke is a polyline of (x, y, pen width) points."""

    strokes: list[list[tuple[float, float, float]]]
    color: Color = INK_BLUE


Op = Text | Line | Box | Ink


@dataclass
class Page:
    """One sheet: its drawing operations in painting order."""

    ops: list[Op] = field(default_factory=list)


@dataclass
class Doc:
    """A rendered form: pages plus the ground-truth fields the layout actually printed."""

    pages: list[Page]
    fields: dict[str, str] = field(default_factory=dict)
