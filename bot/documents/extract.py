"""Pages out of files.  A PDF page with a usable text layer is read from it
(pypdfium2, ~1 ms); any other page becomes a grey image that is oriented,
deskewed and OCRed only as far as a decision needs: the title band first, the
full page on demand (`read_full`).  Word boxes of text pages come from pdfium's
characters (`textlayer`), read only when a form's details are wanted.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageOps

from bot.documents import detect, ocr
from bot.documents.ink import ImageInk, PageInk, vector_ink
from bot.documents.model import OCR, TEXT_LAYER
from bot.documents.orient import orient
from bot.documents.textlayer import page_words
from bot.documents.words import Word

MAX_PIXELS = 60_000_000  # a letter page at ~900 dpi; beyond that it is a bomb, not a scan
MAX_RENDER_PIXELS = 8_000_000  # cap on what we render from a PDF page, whatever its size
MIN_TEXT_CHARS = 40  # fewer letters than this: the "text layer" is a stray header, OCR instead
SCAN_DPI = 200.0
INK_DPI = 100.0
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow raises DecompressionBombError above 2x this


@dataclass
class Page:
    """What is known so far about one page (filled in lazily, hence mutable)."""

    number: int
    source: str
    band_text: str = ""
    text: str = ""
    words: tuple[Word, ...] | None = None
    image: Image.Image | None = None  # oriented grey image at OCR scale (image pages)
    skew: float = 0.0  # still to be applied to `image` before full OCR
    complete: bool = False  # `text` covers the whole page
    band_words: tuple[Word, ...] = ()  # the title band's words (image pages), already paid for

    @property
    def blank(self) -> bool:
        return self.complete and not self.text.strip()


class Source(Protocol):
    page_count: int

    def look(self, index: int) -> Page: ...
    def read_full(self, page: Page) -> None: ...
    def ink_image(self, page: Page) -> Image.Image: ...
    def page_ink(self, page: Page) -> PageInk: ...
    def close(self) -> None: ...


def _alnum(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


def look_image(number: int, img: Image.Image, dpi: float) -> Page:
    """First look at an image page: grey, OCR scale, coarse orientation, title band."""
    g = ocr.to_ocr_scale(img, dpi)
    # a blank sheet (a scanned back side): 2x2 averaging melts single specks, not strokes
    small = np.asarray(g.reduce(2) if min(g.size) >= 4 else g)
    if float(np.mean(small < 150)) < 0.001:
        return Page(number, OCR, image=g, complete=True)
    g, skew, band = orient(g)
    f = ocr.BAND_FRACTION  # band words, placed on the whole page
    words = tuple(Word(w.text, w.x0, w.y0 * f, w.x1, w.y1 * f, w.conf) for w in band.words)
    return Page(number, OCR, band_text=band.text, image=g, skew=skew, band_words=words)


def read_image_full(page: Page) -> None:
    if page.image is None or (page.complete and page.words is not None):
        return
    if abs(page.skew) >= 0.3:
        page.image = page.image.rotate(-page.skew, resample=Image.Resampling.BILINEAR, fillcolor=255)
        page.skew = 0.0
    img = page.image
    f = ocr.FULL_DPI / ocr.OCR_DPI  # boxes are normalised, so the ink image keeps its resolution
    small = img.resize((max(1, int(img.width * f)), max(1, int(img.height * f))), Image.Resampling.BILINEAR)
    r = ocr.engine().read(small)
    page.text, page.words, page.complete = r.text, r.words, True


class PdfSource:
    """A PDF; pages are text-layer or image pages independently (mixed files exist)."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._doc = pdfium.PdfDocument(data)
        self.page_count = len(self._doc)

    def look(self, index: int) -> Page:
        page = self._doc[index]
        try:
            text = page.get_textpage().get_text_range()
            if _alnum(text) >= MIN_TEXT_CHARS:
                left, bottom, right, top = page.get_bbox()
                band = page.get_textpage().get_text_bounded(left, top - (top - bottom) * ocr.BAND_FRACTION,
                                                            right, top)
                return Page(index + 1, TEXT_LAYER, band_text=band, text=text, complete=True)
            img, dpi = self._page_image(page)
            return look_image(index + 1, img, dpi)
        finally:
            page.close()

    def _page_image(self, page: Any) -> tuple[Image.Image, float]:
        """The embedded scan when the page is one image (~20 ms), else a bounded render."""
        w_pt, h_pt = page.get_size()
        objs = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2))
        if len(objs) == 1 and page.get_rotation() == 0:
            obj = objs[0]
            pw, ph = obj.get_px_size()
            left, bottom, right, top = obj.get_bounds()
            covers = (right - left) * (top - bottom) >= 0.8 * w_pt * h_pt
            if covers and 0 < pw * ph <= MAX_PIXELS:
                img = obj.get_bitmap(render=False).to_pil()
                return img, pw / max((right - left) / 72.0, 1e-3)
        return self._render(page, SCAN_DPI), SCAN_DPI

    @staticmethod
    def _render(page: Any, dpi: float) -> Image.Image:
        w_pt, h_pt = page.get_size()
        scale = min(dpi / 72.0, math.sqrt(MAX_RENDER_PIXELS / max(w_pt * h_pt, 1.0)))
        img: Image.Image = page.render(scale=scale, grayscale=True).to_pil()
        return img.convert("L")

    def read_full(self, page: Page) -> None:
        if page.source == OCR:
            read_image_full(page)
            return
        if page.words is not None:
            return
        pdf_page = self._doc[page.number - 1]
        try:
            page.words = page_words(pdf_page)
        finally:
            pdf_page.close()

    def ink_image(self, page: Page) -> Image.Image:
        if page.source == OCR and page.image is not None:
            return page.image
        pdf_page = self._doc[page.number - 1]
        try:
            return self._render(pdf_page, INK_DPI)
        finally:
            pdf_page.close()

    def page_ink(self, page: Page) -> PageInk:
        """Vector strokes of a text-layer page (glyphs are never ink), pixels of a scan."""
        if page.source == OCR:
            return ImageInk(np.asarray(self.ink_image(page).convert("L"), dtype=np.uint8))
        pdf_page = self._doc[page.number - 1]
        try:
            return vector_ink(pdf_page)
        finally:
            pdf_page.close()

    def close(self) -> None:
        self._doc.close()


def _frames(img: Image.Image) -> Iterator[Image.Image]:
    for i in range(getattr(img, "n_frames", 1)):
        img.seek(i)
        yield img


class ImageSource:
    """A photo or scan file: JPEG, PNG, HEIC/HEIF, (multi-page) TIFF."""

    def __init__(self, data: bytes, kind: str, max_pages: int) -> None:
        if kind == detect.HEIF:
            import pillow_heif

            pillow_heif.register_heif_opener()
        img = Image.open(io.BytesIO(data))
        self._pages: list[tuple[Image.Image, float]] = []
        for frame in _frames(img):
            if len(self._pages) >= max_pages:
                break
            if frame.width * frame.height > MAX_PIXELS:
                raise Image.DecompressionBombError(f"image of {frame.width}x{frame.height} pixels")
            page = ImageOps.exif_transpose(frame).convert("L")  # phones store rotation in EXIF
            dpi = float(frame.info.get("dpi", (0, 0))[0] or 0)
            self._pages.append((page, dpi if dpi >= 50 else page.width / 8.5))  # assume letter width
        self.page_count = len(self._pages)

    def look(self, index: int) -> Page:
        img, dpi = self._pages[index]
        return look_image(index + 1, img, dpi)

    def read_full(self, page: Page) -> None:
        read_image_full(page)

    def ink_image(self, page: Page) -> Image.Image:
        assert page.image is not None
        return page.image

    def page_ink(self, page: Page) -> PageInk:
        return ImageInk(np.asarray(self.ink_image(page).convert("L"), dtype=np.uint8))

    def close(self) -> None:
        self._pages.clear()


def open_source(data: bytes, max_pages: int) -> Source:
    """A Source for the bytes, by their magic number; ValueError for other files."""
    kind = detect.detect(data)
    if kind == detect.PDF:
        return PdfSource(data)
    if kind in detect.IMAGE_TYPES:
        return ImageSource(data, kind, max_pages)
    raise ValueError(f"not a document: {kind} file")
