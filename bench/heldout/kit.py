"""Layout kit: a cursor-based builder that layouts use to put forms on pages.

Owns paragraph wrapping and page breaks, and the field styles the layouts mix: label left of a line,
caption under a line, label inside/above a box, grid cells, check boxes, signature and initials
areas. Filled values are typed or handwritten according to the ``FormData``; every value drawn with
a ``key`` is recorded as ground truth, so truth is exactly what the page shows.
"""

from __future__ import annotations

import random

from bench.heldout import ink
from bench.heldout.model import (
    BLACK,
    GREY,
    HAND_FONTS,
    LIGHT,
    PAGE_H,
    PAGE_W,
    Box,
    Color,
    Doc,
    Line,
    Op,
    Page,
    Text,
    text_width,
)
from bench.heldout.people import FormData

Cell = tuple[str, str, str | None, str | None, str | None]  # label, value, truth key, truth value, signer


def who(d: FormData, name: str, flag: bool) -> str:
    """``name`` when ``flag`` holds and the form is not a blank template, else an empty string."""
    return name if flag and not d.blank else ""


class Pen:
    """Draws one document; ``y`` is the running cursor (top of the next block)."""

    def __init__(self, d: FormData, rng: random.Random, *, font: str = "serif", bold: str = "serif-b",
                 size: float = 10.0, margin: float = 64.0, top: float = 60.0) -> None:
        self.d, self.rng = d, rng
        self.font, self.bold, self.size = font, bold, size
        self.left, self.right, self.top, self.bottom = margin, PAGE_W - margin, top, PAGE_H - 60.0
        self.pages: list[Page] = [Page()]
        self.y = top
        self.fields: dict[str, str] = {}
        self.typed_font = rng.choice(["mono", "sans", "cond", "sans"])
        self.hand_font = rng.choice(HAND_FONTS)

    # -- primitives -------------------------------------------------------------------------------
    @property
    def width(self) -> float:
        """Usable text width."""
        return self.right - self.left

    def add(self, op: Op) -> None:
        """Append an operation to the current page."""
        self.pages[-1].ops.append(op)

    def new_page(self) -> None:
        """Start a new page and reset the cursor."""
        self.pages.append(Page())
        self.y = self.top

    def ensure(self, h: float) -> None:
        """Break the page unless ``h`` points still fit."""
        if self.y + h > self.bottom:
            self.new_page()

    def text(self, x: float, y: float, s: str, font: str | None = None, size: float | None = None,
             color: Color = BLACK) -> float:
        """Plain text at a baseline; returns its width."""
        font, size = font or self.font, size or self.size
        self.add(Text(x, y, s, font, size, color))
        return text_width(s, font, size)

    def center(self, s: str, y: float, font: str | None = None, size: float | None = None,
               x0: float | None = None, x1: float | None = None) -> None:
        """Text centred between x0 and x1 (default: the margins)."""
        font, size = font or self.font, size or self.size
        x0, x1 = self.left if x0 is None else x0, self.right if x1 is None else x1
        self.text((x0 + x1 - text_width(s, font, size)) / 2, y, s, font, size)

    def rule(self, x1: float, y: float, x2: float, width: float = 0.6, dash: tuple[float, float] | None = None,
             color: Color = BLACK) -> None:
        """Horizontal rule."""
        self.add(Line(x1, y, x2, y, width, color, dash))

    def box(self, x: float, y: float, w: float, h: float, width: float = 0.6, fill: Color | None = None,
            stroke: Color | None = BLACK) -> None:
        """Rectangle (top-left corner)."""
        self.add(Box(x, y, w, h, width, stroke, fill))

    # -- flowing text -----------------------------------------------------------------------------
    def wrap(self, s: str, width: float, font: str, size: float, first_offset: float = 0.0) -> list[str]:
        """Greedy word wrap."""
        lines: list[str] = []
        cur = ""
        avail = width - first_offset
        for word in s.split():
            trial = f"{cur} {word}" if cur else word
            if text_width(trial, font, size) <= avail or not cur:
                cur = trial
            else:
                lines.append(cur)
                cur, avail = word, width
        if cur:
            lines.append(cur)
        return lines

    def heading(self, s: str, size: float = 14.0, font: str | None = None, align: str = "center",
                gap: float = 8.0) -> None:
        """A (possibly wrapped) title line block."""
        font = font or self.bold
        for line in self.wrap(s, self.width, font, size):
            self.y += size * 1.15
            if align == "center":
                self.center(line, self.y, font, size)
            else:
                self.text(self.left, self.y, line, font, size)
        self.y += gap

    def para(self, s: str, *, lead: str = "", size: float | None = None, font: str | None = None,
             indent: float = 0.0, gap: float = 6.0, x: float | None = None, width: float | None = None,
             spacing: float = 1.32) -> None:
        """A wrapped paragraph with an optional bold lead-in; breaks pages as needed."""
        font, size = font or self.font, size or self.size
        x0 = (self.left if x is None else x) + indent
        width = (self.width if width is None else width) - indent
        lead_w = text_width(lead + "  ", self.bold, size) if lead else 0.0
        for i, line in enumerate(self.wrap(s, width, font, size, lead_w)):
            self.ensure(size * spacing)
            self.y += size * spacing
            if i == 0 and lead:
                self.text(x0, self.y, lead + " ", self.bold, size)
                self.text(x0 + lead_w, self.y, line, font, size)
            else:
                self.text(x0, self.y, line, font, size)
        self.y += gap

    # -- filled values ----------------------------------------------------------------------------
    def value(self, x: float, y: float, s: str, key: str | None = None, truth: str | None = None,
              size: float | None = None, maxw: float | None = None) -> None:
        """A filled-in value at a baseline: typed, or handwritten in ink."""
        if not s:
            return
        if key:
            self.fields[key] = truth if truth is not None else s
        size = (size or self.size) + 0.5
        if self.d.hand:
            size *= self.rng.uniform(1.15, 1.4)
            font = self.hand_font
        else:
            font = self.typed_font
        if maxw:
            while size > 6 and text_width(s, font, size) > maxw:
                size -= 0.5
        if self.d.hand:
            self.add(Text(x + self.rng.uniform(0, 6), y - self.rng.uniform(0, 2.5), s, font, size, self.d.ink,
                          hand=True, seed=self.rng.randrange(1 << 30)))
        else:
            self.add(Text(x + 2, y, s, font, size))

    def sign(self, x: float, y_line: float, w: float, name: str, h: float = 34.0) -> None:
        """A pen signature whose baseline sits on the line at ``y_line``."""
        if name:
            self.add(ink.signature(self.rng, name, x + 4, y_line - h * 0.85, min(w - 8, 190), h, self.d.ink))

    def initials(self, x: float, y_line: float, name: str, w: float = 36.0) -> None:
        """Handwritten initials on a short line."""
        if name:
            self.add(ink.initials(self.rng, name, x, y_line - 16, w, 18, self.d.ink))

    # -- field styles -----------------------------------------------------------------------------
    def label_line(self, label: str, value: str, x: float, y: float, w: float, *, key: str | None = None,
                   truth: str | None = None, sig: str | None = None, font: str | None = None,
                   size: float | None = None) -> None:
        """``Label: ______`` with the value written on the line."""
        lw = self.text(x, y, label, font or self.bold, size or self.size) + 5
        self.rule(x + lw, y + 2, x + w)
        if sig is not None:
            self.sign(x + lw, y + 2, w - lw, sig)
        else:
            self.value(x + lw + 3, y - 1, value, key, truth, maxw=w - lw - 6)

    def caption_line(self, caption: str, value: str, x: float, y: float, w: float, *, key: str | None = None,
                     truth: str | None = None, sig: str | None = None, size: float = 7.5) -> None:
        """A line with its caption underneath and the value above it."""
        self.rule(x, y, x + w, 0.7)
        self.text(x, y + size + 2, caption, self.font, size, GREY if self.rng.random() < 0.3 else BLACK)
        if sig is not None:
            self.sign(x, y, w, sig)
        else:
            self.value(x + 2, y - 3, value, key, truth, maxw=w - 6)

    def label_box(self, label: str, value: str, x: float, y: float, w: float, h: float = 30.0, *,
                  key: str | None = None, truth: str | None = None, sig: str | None = None,
                  outside: bool = False, fill: Color | None = None) -> None:
        """A box with a small label inside its top-left corner (or above it)."""
        if outside:
            self.text(x, y - 3, label, self.bold, 7.5)
        self.box(x, y, w, h, 0.7, fill)
        if not outside:
            self.text(x + 3, y + 9, label, self.font, 7)
        if sig is not None:
            self.sign(x + 4, y + h - 5, w - 8, sig, h=min(34.0, h * 0.9))
        else:
            self.value(x + 5, y + h - 7, value, key, truth, maxw=w - 10)

    def above_line(self, label: str, value: str, x: float, y: float, w: float, *, key: str | None = None,
                   truth: str | None = None, sig: str | None = None) -> None:
        """A small label above a line; the value is written on the line (y is the label baseline)."""
        size = 7.5
        while size > 5.5 and text_width(label, self.bold, size) > w - 4:
            size -= 0.25
        self.text(x, y, label, self.bold, size)
        self.rule(x, y + 24, x + w, 0.7)
        if sig is not None:
            self.sign(x, y + 24, w, sig)
        else:
            self.value(x + 2, y + 21, value, key, truth, maxw=w - 6)

    def columns(self, paras: list[tuple[str, str]], size: float, gap: float = 18.0) -> None:
        """Two balanced columns of (lead, text) paragraphs starting at the cursor (no page break inside)."""
        colw = (self.width - gap) / 2
        heights = [len(self.wrap(t, colw, self.font, size, text_width(lead + " ", self.bold, size) if lead else 0))
                   * size * 1.3 + 5 for lead, t in paras]
        half, acc, split = sum(heights) / 2, 0.0, len(paras)
        for i, h in enumerate(heights):
            acc += h
            if acc >= half:
                split = i + 1
                break
        y0, bottom = self.y, self.bottom
        self.bottom = PAGE_H
        for lead, t in paras[:split]:
            self.para(t, lead=lead, size=size, x=self.left, width=colw, gap=5, spacing=1.3)
        y_left, self.y = self.y, y0
        for lead, t in paras[split:]:
            self.para(t, lead=lead, size=size, x=self.left + colw + gap, width=colw, gap=5, spacing=1.3)
        self.y, self.bottom = max(self.y, y_left), bottom

    def grid(self, x: float, y: float, widths: list[float],
             rows: list[list[Cell]], h: float = 32.0,
             header: list[str] | None = None) -> float:
        """Table of labelled cells (label, value, key, truth, signature name or None); returns bottom y."""
        if header:
            cx = x
            for wd, title in zip(widths, header, strict=True):
                self.box(cx, y, wd, 16, 0.7, LIGHT)
                self.text(cx + 4, y + 11.5, title, self.bold, 8.5)
                cx += wd
            y += 16
        for row in rows:
            cx = x
            for wd, (label, value, key, truth, sig) in zip(widths, row, strict=True):
                self.label_box(label, value, cx, y, wd, h, key=key, truth=truth, sig=sig)
                cx += wd
            y += h
        return y

    def checkbox(self, x: float, y: float, checked: bool, text: str, width: float, size: float | None = None) -> None:
        """``[x] statement`` with the statement wrapped beside the box; advances ``self.y``."""
        size = size or self.size
        self.box(x, y - size * 0.8, size * 0.95, size * 0.95, 0.7)
        if checked and not self.d.blank:
            if self.d.hand:
                self.add(ink.check_mark(self.rng, x, y - size * 0.8, size * 0.95, self.d.ink))
            else:
                self.text(x + size * 0.12, y - 0.5, "X", "sans-b", size * 0.85)
        self.y = y - size * 1.32
        self.para(text, x=x + size * 1.6, width=width - size * 1.6, size=size, gap=4)

    def finish(self, footer: str = "", numbers: bool = True, initials_of: str | None = None) -> Doc:
        """Add footers (form id, page x of n, initials line on every page) and return the document."""
        n = len(self.pages)
        for i, page in enumerate(self.pages, 1):
            y = PAGE_H - 34
            if footer:
                page.ops.append(Text(self.left, y, footer, self.font, 7, GREY))
            if numbers:
                s = f"Page {i} of {n}"
                page.ops.append(Text((PAGE_W - text_width(s, self.font, 7.5)) / 2, y, s, self.font, 7.5))
            if initials_of is not None:
                x = self.right - 110
                page.ops.append(Text(x, y, "Initials:", self.bold, 8))
                page.ops.append(Line(x + 40, y + 2, x + 100, y + 2, 0.6))
                if initials_of:
                    page.ops.append(ink.initials(self.rng, initials_of, x + 44, y - 14, 40, 18, self.d.ink))
        return Doc(self.pages, dict(self.fields))
