"""Positioned words of a text-layer PDF page, straight from pdfium.

pdfplumber gave the same words at ~300 ms a page (it re-parses the content stream in
Python); pdfium already holds every character with its box, so reading them costs a
few milliseconds.  Words are cut where pdfplumber cut them: at spaces, line breaks
and gaps wider than X_TOLERANCE points.  Boxes are the characters' loose boxes
(font ascent to descent, as pdfplumber's top/bottom), so a word's height is its type
size whatever its letters, which the layout rules rely on.
"""

from __future__ import annotations

import ctypes
from typing import Any

import pypdfium2.raw as pdfium_c

from bot.documents.words import Word

X_TOLERANCE = 1.5  # points between two characters of one word at most


def page_words(page: Any) -> tuple[Word, ...]:
    """Every word of a pypdfium2 page, boxes normalised to its crop box (y down)."""
    left, bottom, right, top = page.get_bbox()
    width, height = max(right - left, 1.0), max(top - bottom, 1.0)
    textpage = page.get_textpage()
    try:
        raw = textpage.raw
        rect = pdfium_c.FS_RECTF()
        out: list[Word] = []
        chars: list[str] = []
        x0 = y0 = x1 = y1 = 0.0

        def flush() -> None:
            if chars:
                out.append(Word("".join(chars), (x0 - left) / width, (top - y1) / height,
                                (x1 - left) / width, (top - y0) / height))
                chars.clear()

        for i in range(pdfium_c.FPDFText_CountChars(raw)):
            ch = chr(pdfium_c.FPDFText_GetUnicode(raw, i) or 32)
            if ch.isspace() or ch == "\x00" or not pdfium_c.FPDFText_GetLooseCharBox(raw, i, ctypes.byref(rect)):
                flush()
                continue
            # a new word: a wide gap, or a character that does not sit on this line
            if chars and (rect.left - x1 > X_TOLERANCE or rect.left < x0 - X_TOLERANCE
                          or abs((rect.top + rect.bottom) - (y0 + y1)) > (y1 - y0)):
                flush()
            if not chars:
                x0, y0, x1, y1 = rect.left, rect.bottom, rect.right, rect.top
            else:
                x0, y0, x1, y1 = min(x0, rect.left), min(y0, rect.bottom), max(x1, rect.right), max(y1, rect.top)
            chars.append(ch)
        flush()
        return tuple(out)
    finally:
        textpage.close()
