"""Raster renderer: draws a ``Page`` with Pillow at a given resolution (no PDF rasterizer involved).

Owns pixel drawing of every primitive: anti-aliased text, handwriting (per-letter jitter in size,
baseline and spacing, the whole run tilted), and pen ink (variable-width strokes drawn on a
supersampled mask so edges look like ink, not like vector hairlines).
"""

from __future__ import annotations

import itertools
import math
import random
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from bench.heldout.model import PAGE_H, PAGE_W, Box, Color, Ink, Line, Page, Text, font_path

INK_SS = 3  # supersampling factor for ink strokes


@cache
def _font(key: str, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_path(key), max(4, px))


def _line(draw: ImageDraw.ImageDraw, op: Line, s: float) -> None:
    w = max(1, round(op.width * s))
    if not op.dash:
        draw.line([(op.x1 * s, op.y1 * s), (op.x2 * s, op.y2 * s)], fill=op.color, width=w)
        return
    on, off = op.dash
    length = math.dist((op.x1, op.y1), (op.x2, op.y2)) or 1.0
    ux, uy = (op.x2 - op.x1) / length, (op.y2 - op.y1) / length
    t = 0.0
    while t < length:
        e = min(length, t + on)
        draw.line([((op.x1 + ux * t) * s, (op.y1 + uy * t) * s), ((op.x1 + ux * e) * s, (op.y1 + uy * e) * s)],
                  fill=op.color, width=w)
        t = e + off


def _hand(img: Image.Image, op: Text, s: float) -> None:
    """Handwriting: letters jittered, run tilted, drawn through a mask in the ink colour."""
    rng = random.Random(op.seed)
    px = op.size * s
    base_font = _font(op.font, round(px))
    width = int(base_font.getlength(op.s) * 1.15 + px * 2)
    height = int(px * 2.2)
    mask = Image.new("L", (width, height), 0)
    md = ImageDraw.Draw(mask)
    x = px * 0.5
    for ch in op.s:
        f = _font(op.font, round(px * rng.uniform(0.92, 1.08)))
        md.text((x, height * 0.66 + rng.uniform(-0.06, 0.06) * px), ch, font=f, fill=rng.randint(200, 255),
                anchor="ls")
        x += f.getlength(ch) * rng.uniform(0.96, 1.1)
    mask = mask.rotate(rng.uniform(-2.5, 2.0), resample=Image.Resampling.BICUBIC, expand=True)
    left = round(op.x * s - px * 0.5)
    top = round(op.y * s - mask.height / 2 - px * 0.16)
    img.paste(Image.new("RGB", mask.size, op.color), (left, top), mask)


def _ink(img: Image.Image, op: Ink, s: float) -> None:
    pts = [p for st in op.strokes for p in st]
    if not pts:
        return
    pad = 4.0
    x0 = min(p[0] for p in pts) - pad
    y0 = min(p[1] for p in pts) - pad
    x1 = max(p[0] for p in pts) + pad
    y1 = max(p[1] for p in pts) + pad
    k = s * INK_SS
    mask = Image.new("L", (max(1, int((x1 - x0) * k)), max(1, int((y1 - y0) * k))), 0)
    md = ImageDraw.Draw(mask)
    for stroke in op.strokes:
        for (ax, ay, aw), (bx, by, bw) in itertools.pairwise(stroke):
            w = (aw + bw) / 2 * k
            a, b = ((ax - x0) * k, (ay - y0) * k), ((bx - x0) * k, (by - y0) * k)
            md.line([a, b], fill=235, width=max(1, round(w)))
            r = w / 2
            md.ellipse([b[0] - r, b[1] - r, b[0] + r, b[1] + r], fill=235)
    small = mask.resize((max(1, round(mask.width / INK_SS)), max(1, round(mask.height / INK_SS))),
                        Image.Resampling.BOX)
    img.paste(Image.new("RGB", small.size, op.color), (round(x0 * s), round(y0 * s)), small)


def render(page: Page, dpi: float = 200.0, paper: Color = (255, 255, 255)) -> Image.Image:
    """The page as an RGB image at ``dpi``."""
    s = dpi / 72.0
    img = Image.new("RGB", (round(PAGE_W * s), round(PAGE_H * s)), paper)
    draw = ImageDraw.Draw(img)
    for op in page.ops:
        if isinstance(op, Box):
            box = [op.x * s, op.y * s, (op.x + op.w) * s, (op.y + op.h) * s]
            if op.fill is not None:
                draw.rectangle(box, fill=op.fill)
            if op.stroke is not None:
                draw.rectangle(box, outline=op.stroke, width=max(1, round(op.width * s)))
        elif isinstance(op, Line):
            _line(draw, op, s)
        elif isinstance(op, Text):
            if op.hand:
                _hand(img, op, s)
            else:
                draw.text((op.x * s, op.y * s), op.s, font=_font(op.font, round(op.size * s)), fill=op.color,
                          anchor="ls")
        elif isinstance(op, Ink):
            _ink(img, op, s)
    return img
