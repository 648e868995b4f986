"""Drawing helpers for the specimen forms (reportlab canvas): wrapped paragraphs,
labelled fill-in lines, handwriting-like values and ink-stroke signatures.

Only `specimens.py` uses this; it is kept apart so each module stays small.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import inch
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

PAGE_W, PAGE_H = LETTER
INK = Color(0.08, 0.12, 0.45)  # blue-black ballpoint
MARGIN = 0.9 * inch


@dataclass
class Pen:
    """Where the next line goes and which faces to use (one per layout)."""

    c: Canvas
    y: float
    body_font: str = "Helvetica"
    bold_font: str = "Helvetica-Bold"
    hand_font: str = "Times-Italic"
    handwriting: bool = True
    rng: random.Random = random.Random(0)  # noqa: RUF009 - replaced per document

    def space(self, pts: float) -> None:
        self.y -= pts


def paragraph(pen: Pen, text: str, *, size: float = 9.5, x0: float = MARGIN,
              x1: float = PAGE_W - MARGIN, lead: float = 1.35, font: str | None = None) -> None:
    """Draw `text` wrapped between x0 and x1, moving the pen down."""
    face = font or pen.body_font
    words, line = text.split(), ""
    for w in words:
        trial = f"{line} {w}".strip()
        if stringWidth(trial, face, size) > x1 - x0 and line:
            pen.c.setFont(face, size)
            pen.c.drawString(x0, pen.y, line)
            pen.y -= size * lead
            line = w
        else:
            line = trial
    if line:
        pen.c.setFont(face, size)
        pen.c.drawString(x0, pen.y, line)
        pen.y -= size * lead
    pen.y -= size * 0.5


def heading(pen: Pen, text: str, *, size: float = 11, x: float = MARGIN, center: bool = False) -> None:
    pen.c.setFont(pen.bold_font, size)
    if center:
        pen.c.drawCentredString(PAGE_W / 2, pen.y, text)
    else:
        pen.c.drawString(x, pen.y, text)
    pen.y -= size * 1.6


def value(pen: Pen, x: float, y: float, text: str, size: float = 11) -> None:
    """A filled-in value: handwriting-like (italic, ink, wobbling) or typed."""
    c = pen.c
    if not pen.handwriting:
        c.setFont("Courier", size)
        c.setFillColorRGB(0, 0, 0)
        c.drawString(x, y + 2, text)
        return
    c.saveState()
    c.setFillColor(INK)
    cx = x
    for word in text.split(" "):
        c.saveState()
        c.translate(cx, y + 2 + pen.rng.uniform(-1.0, 1.0))
        c.rotate(pen.rng.uniform(-2.0, 2.0))
        c.setFont(pen.hand_font, size + pen.rng.uniform(-0.5, 1.0))
        c.drawString(0, 0, word)
        c.restoreState()
        cx += stringWidth(word, pen.hand_font, size + 0.3) + size * 0.5  # a hand leaves wide gaps
    c.restoreState()


def field_line(pen: Pen, label: str, x: float, y: float, width: float, text: str | None,
               size: float = 9.5) -> float:
    """`Label: ________` with an optional value on the line; returns the line's x end."""
    c = pen.c
    c.setFillColorRGB(0, 0, 0)
    c.setFont(pen.body_font, size)
    c.drawString(x, y, label)
    lx = x + stringWidth(label, pen.body_font, size) + 4
    c.setLineWidth(0.6)
    c.setStrokeColorRGB(0, 0, 0)
    c.line(lx, y - 2, x + width, y - 2)
    if text:
        value(pen, lx + 6, y, text)
    return x + width


def scribble(pen: Pen, x: float, y: float, width: float = 1.9 * inch, height: float = 0.3 * inch) -> None:
    """An ink signature: a chain of loose bezier loops over the line at (x, y)."""
    c, rng = pen.c, pen.rng
    c.saveState()
    c.setStrokeColor(INK)
    c.setLineWidth(rng.uniform(1.1, 1.7))
    c.setLineCap(1)
    c.setLineJoin(1)
    p = c.beginPath()
    px, py = x, y + rng.uniform(0.1, 0.4) * height
    p.moveTo(px, py)
    steps = rng.randint(6, 10)
    for i in range(steps):
        nx = x + width * (i + 1) / steps
        ny = y + rng.uniform(0.0, 0.7) * height
        p.curveTo(px + rng.uniform(-8, 14), y + rng.uniform(0.5, 1.0) * height,
                  nx - rng.uniform(-10, 6), y + rng.uniform(-0.2, 0.3) * height, nx, ny)
        px, py = nx, ny
    c.drawPath(p, stroke=1, fill=0)
    # the final flourish under the name, as most people add one
    c.line(x + width * 0.1, y + 1, x + width * rng.uniform(0.7, 1.0), y + rng.uniform(2, 6))
    c.restoreState()


def signature_line(pen: Pen, label: str, x: float, y: float, width: float, signed: bool) -> None:
    """A signature label and line, with an ink scribble when `signed`."""
    end = field_line(pen, label, x, y, width, None)
    if signed:
        start = x + stringWidth(label, pen.body_font, 9.5) + 14  # people sign clear of the label
        span = min(1.9 * inch, end - start - 30)
        scribble(pen, start + pen.rng.uniform(0, 24), y - 1, width=span)
