"""PDF writers: text PDFs drawn with reportlab (real text layer, signatures as vector paths) and
image-only PDFs wrapped around rendered scans (Pillow's PDF writer, CCITT G4 for 1-bit pages).

Both are deterministic: reportlab runs in invariant mode and image PDFs carry fixed dates.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from pathlib import Path

from PIL import Image
from reportlab.pdfgen import canvas

from bench.heldout.model import PAGE_H, PAGE_W, Box, Doc, Ink, Line, Text, pdf_font, text_width


def _rgb(c: tuple[int, int, int]) -> tuple[float, float, float]:
    return c[0] / 255, c[1] / 255, c[2] / 255


def text_pdf(doc: Doc, path: Path, title: str, author: str) -> None:
    """Write ``doc`` as a born-digital PDF with a text layer."""
    c = canvas.Canvas(str(path), pagesize=(PAGE_W, PAGE_H), invariant=1)
    c.setTitle(title)
    c.setAuthor(author)
    c.setLineCap(1)
    c.setLineJoin(1)
    for page in doc.pages:
        for op in page.ops:
            if isinstance(op, Box):
                if op.fill is not None:
                    c.setFillColorRGB(*_rgb(op.fill))
                if op.stroke is not None:
                    c.setStrokeColorRGB(*_rgb(op.stroke))
                c.setLineWidth(op.width)
                c.rect(op.x, PAGE_H - op.y - op.h, op.w, op.h, stroke=int(op.stroke is not None),
                       fill=int(op.fill is not None))
            elif isinstance(op, Line):
                c.setStrokeColorRGB(*_rgb(op.color))
                c.setLineWidth(op.width)
                c.setDash(list(op.dash) if op.dash else [])
                c.line(op.x1, PAGE_H - op.y1, op.x2, PAGE_H - op.y2)
                c.setDash([])
            elif isinstance(op, Text):
                c.setFillColorRGB(*_rgb(op.color))
                if not op.hand:
                    c.setFont(pdf_font(op.font), op.size)
                    c.drawString(op.x, PAGE_H - op.y, op.s)
                    continue
                rng = random.Random(op.seed)  # script-font fill: word by word on a wavering baseline
                x = op.x
                for word in op.s.split(" "):
                    size = op.size * rng.uniform(0.96, 1.04)
                    c.setFont(pdf_font(op.font), size)
                    c.drawString(x, PAGE_H - op.y + rng.uniform(-0.8, 0.8), word)
                    x += text_width(word + " ", op.font, size)
            elif isinstance(op, Ink):
                c.setStrokeColorRGB(*_rgb(op.color))
                for stroke in op.strokes:
                    for (ax, ay, aw), (bx, by, bw) in itertools.pairwise(stroke):
                        c.setLineWidth((aw + bw) / 2)
                        c.line(ax, PAGE_H - ay, bx, PAGE_H - by)
        c.showPage()
    c.save()


def image_pdf(pages: list[Image.Image], path: Path, dpi: tuple[float, float], when: dt.date,
              producer: str, quality: int = 75) -> None:
    """Write images as an image-only PDF (one image per page, page size from ``dpi``)."""
    stamp = dt.datetime(when.year, when.month, when.day, 9, 30).timetuple()
    first, rest = pages[0], pages[1:]
    extra = {} if first.mode == "1" else {"quality": quality}  # 1-bit pages go in as CCITT G4
    first.save(path, "PDF", save_all=True, append_images=rest, dpi=dpi, producer=producer, creator=producer,
               creationDate=stamp, modDate=stamp, title="", **extra)
