"""Imitations of how forms reach LAHSA: office scans (image-only PDF with a JPEG
inside), phone photos, multi-page fax/scanner TIFFs and several forms in one PDF.

Test and demo support only: the bot itself never calls these.
"""

from __future__ import annotations

import io
import random

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageFilter

JPEG_QUALITY = 75


def _pages(pdf: bytes, dpi: int) -> list[Image.Image]:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [doc[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
                for i in range(len(doc))]
    finally:
        doc.close()


def _speckle(img: Image.Image, noise: float, rng: np.random.Generator) -> Image.Image:
    """Scanner noise: sensor grain plus dust specks (`noise` = share of speckled pixels)."""
    a = np.asarray(img, dtype=np.int16)
    a = a + rng.normal(0, 6, a.shape).astype(np.int16)
    mask = rng.random(a.shape) < noise
    a[mask] = rng.integers(0, 256, int(mask.sum()))
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L")


def _scan_page(img: Image.Image, rotate: int, skew: float, noise: float, rng: np.random.Generator) -> Image.Image:
    if skew:
        img = img.rotate(skew, resample=Image.Resampling.BILINEAR, expand=False, fillcolor=255)
    img = img.filter(ImageFilter.GaussianBlur(0.6))  # scanner optics soften edges
    img = _speckle(img, noise, rng)
    if rotate % 360:
        img = img.rotate(-(rotate % 360), expand=True)  # page fed sideways / upside down
    return img


def images_to_pdf(images: list[Image.Image], dpi: int) -> bytes:
    """An image-only PDF, one JPEG per page, as office scanners make."""
    out = io.BytesIO()
    first, rest = images[0], images[1:]
    first.save(out, "PDF", save_all=True, append_images=rest, resolution=float(dpi),
               quality=JPEG_QUALITY)
    return out.getvalue()


def scan(pdf: bytes, *, dpi: int = 200, rotate: int = 0, skew: float = 0.0, noise: float = 0.02,
         seed: int = 0) -> bytes:
    """Render every page, rotate/skew/soil it, and return an image-only PDF."""
    rng = np.random.default_rng(seed)
    pages = [_scan_page(p, rotate, skew, noise, rng) for p in _pages(pdf, dpi)]
    return images_to_pdf(pages, dpi)


def _perspective(img: Image.Image, rnd: random.Random) -> Image.Image:
    """Phone held not quite parallel to the page: a mild keystone, on a desk."""
    w, h = img.size
    d = [rnd.uniform(0.0, 0.045) for _ in range(8)]
    quad = (-d[0] * w, -d[1] * h, -d[2] * w, h * (1 + d[3]),
            w * (1 + d[4]), h * (1 + d[5]), w * (1 + d[6]), -d[7] * h)
    return img.transform((w, h), Image.Transform.QUAD, quad, Image.Resampling.BILINEAR, fillcolor=95)


def _shade(img: Image.Image, rnd: random.Random) -> Image.Image:
    """Uneven light: a gradient from one corner, the page a little grey."""
    w, h = img.size
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    ang = rnd.uniform(0, 6.28)
    g = (np.cos(ang) * xs / w + np.sin(ang) * ys / h)
    g = 0.72 + 0.22 * (g - g.min()) / max(float(np.ptp(g)), 1e-6)
    a = np.asarray(img, dtype=np.float32) * g
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L")


def photo(pdf: bytes, seed: int = 0, *, page: int = 0, dpi: int = 150) -> bytes:
    """A phone photo (JPEG, RGB) of one page: keystone, shading, lower resolution, soft focus."""
    rnd = random.Random(seed)
    img = _pages(pdf, dpi)[page]
    img = _perspective(img, rnd)
    img = _shade(img, rnd).filter(ImageFilter.GaussianBlur(0.8))
    out = io.BytesIO()
    Image.merge("RGB", (img, img, img.point(lambda v: int(v * 0.93)))).save(out, "JPEG", quality=80)
    return out.getvalue()


def tiff(pdf: bytes, *, dpi: int = 200) -> bytes:
    """A multi-page bilevel (CCITT G4) TIFF, as fax-style office scanners make."""
    pages = [p.point(lambda v: 255 if v > 150 else 0).convert("1") for p in _pages(pdf, dpi)]
    out = io.BytesIO()
    pages[0].save(out, "TIFF", save_all=True, append_images=pages[1:], compression="group4",
                  dpi=(dpi, dpi))
    return out.getvalue()


def combine(*pdfs: bytes) -> bytes:
    """Several PDFs (text or scanned) as one, pages in the order given."""
    dest = pdfium.PdfDocument.new()
    try:
        for data in pdfs:
            src = pdfium.PdfDocument(data)
            dest.import_pages(src)
            src.close()
        out = io.BytesIO()
        dest.save(out)
        return out.getvalue()
    finally:
        dest.close()
