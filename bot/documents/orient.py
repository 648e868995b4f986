"""Which way up an image page is, and its small skew, found by reading title bands.

Upright is tried first (portrait pages) or 90/270 first (landscape images: a
portrait form fed sideways); a rotation is accepted as soon as its band holds a
known title or reads as confident text.  Four band reads (~0.15 s each) are
cheaper than Tesseract's OSD (~0.65 s) and also give the title.
"""

from __future__ import annotations

from PIL import Image

from bot.documents import ocr
from bot.documents.classify import title_match

BAND_DPI_FACTOR = 0.7  # the band is read at ~105 dpi: titles are large, smaller is faster
_TRANSPOSE = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180,
              270: Image.Transpose.ROTATE_270}


def _read_band(img: Image.Image, skew: float) -> ocr.OcrText:
    top = img.crop((0, 0, img.width, int(img.height * (ocr.BAND_FRACTION + 0.04))))
    if abs(skew) >= 0.3:
        top = top.rotate(-skew, resample=Image.Resampling.BILINEAR, fillcolor=255)
    top = top.crop((0, 0, top.width, int(img.height * ocr.BAND_FRACTION)))
    small = top.resize((max(1, int(top.width * BAND_DPI_FACTOR)), max(1, int(top.height * BAND_DPI_FACTOR))),
                       Image.Resampling.BILINEAR)
    return ocr.engine().read(small, 6)  # psm 6: one block, right for a band


def _upright_score(r: ocr.OcrText) -> float:
    """2 for a known title, 1 for clearly readable text, less for junk (wrong way up)."""
    if title_match(r.text) is not None:
        return 2.0
    good = [w for w in r.words if w.conf >= 80 and sum(c.isalpha() for c in w.text) >= 4]
    if len(good) >= 4:
        return 1.0
    return len(good) / 4 * 0.5 + r.mean_conf / 400


def orient(img: Image.Image) -> tuple[Image.Image, float, ocr.OcrText]:
    """(image turned upright, remaining skew in degrees, the title band's OCR; its
    word boxes are normalised to the band, the top BAND_FRACTION of the page)."""
    order = (0, 180, 90, 270) if img.height >= img.width else (90, 270, 0, 180)
    best: tuple[float, Image.Image, float, ocr.OcrText] | None = None
    for rot in order:
        im = img if rot == 0 else img.transpose(_TRANSPOSE[rot])
        skew = ocr.skew_angle(im)
        r = _read_band(im, skew)
        score = _upright_score(r)
        if score >= 1.0:
            return im, skew, r
        if best is None or score > best[0]:
            best = (score, im, skew, r)
    assert best is not None
    return best[1], best[2], best[3]
