"""Capture effects: what a scanner, a fax machine or a phone camera does to a rendered page.

Owns the image pipelines only (input: a clean RGB page image; output: the degraded image):
``scan`` (200 dpi, skew within 2 degrees, blur, noise, speckles, lid shadow), ``fax`` (1-bit,
~204x98 dpi, thresholded, noisy, streaks, sender header line), ``photo`` (page on a table, perspective
warp, shadow, uneven light, colour cast, sensor noise).
"""

from __future__ import annotations

import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from bench.heldout.model import font_path

WHITE = 255


def _speckle(arr: np.ndarray, rng: np.random.Generator, density: float, value: float) -> None:
    h, w = arr.shape[:2]
    n = int(h * w * density)
    ys, xs = rng.integers(0, h - 2, n), rng.integers(0, w - 2, n)
    for dy, dx in ((0, 0), (1, 0), (0, 1), (1, 1)):
        keep = rng.random(n) < 0.6
        arr[ys[keep] + dy, xs[keep] + dx] = value


def scan(page: Image.Image, r: random.Random, rng: np.random.Generator, color: bool) -> Image.Image:
    """A flatbed/ADF scan of ``page`` (same resolution as the input)."""
    img = page if color else page.convert("L")
    fill = (WHITE,) * 3 if color else WHITE
    img = img.rotate(r.uniform(-2.0, 2.0), resample=Image.Resampling.BICUBIC, expand=False, fillcolor=fill)
    img = img.filter(ImageFilter.GaussianBlur(r.uniform(0.35, 0.8)))
    arr = np.asarray(img).astype(np.float32)
    h, w = arr.shape[:2]
    tone = r.uniform(0.93, 1.0)
    gy = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    shade = tone - r.uniform(0, 0.04) * gy  # slight top-to-bottom falloff
    gamma = r.uniform(0.85, 1.15)  # toner darkness
    arr = 255.0 * (arr / 255.0) ** gamma
    arr = arr * (shade[..., None] if color else shade)
    arr += rng.normal(0, r.uniform(2.0, 6.0), arr.shape).astype(np.float32)
    _speckle(arr, rng, r.uniform(2e-6, 2e-5), r.uniform(20, 90))
    if r.random() < 0.5:  # lid shadow along one edge
        band = r.randint(6, 30)
        ramp = np.linspace(r.uniform(0.35, 0.7), 1.0, band, dtype=np.float32)
        side = r.choice(["left", "right", "top"])
        if side == "left":
            arr[:, :band] *= ramp[None, :, None] if color else ramp[None, :]
        elif side == "right":
            arr[:, -band:] *= ramp[::-1][None, :, None] if color else ramp[::-1][None, :]
        else:
            arr[:band] *= ramp[:, None, None] if color else ramp[:, None]
    if r.random() < 0.3:  # a faint vertical streak from dust on the scan glass
        x = r.randint(0, w - 3)
        arr[:, x:x + r.randint(1, 2)] -= r.uniform(25, 70)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def fax(page: Image.Image, r: random.Random, rng: np.random.Generator, header: str, native: bool) -> Image.Image:
    """A received fax: 1728 px wide, ~98 lines per inch (rows doubled to ~196 unless ``native``), 1-bit."""
    g = page.convert("L")
    draw = ImageDraw.Draw(g)
    draw.text((24, 22), header, font=ImageFont.truetype(font_path("mono"), 22), fill=0)
    g = g.rotate(r.uniform(-1.2, 1.2), resample=Image.Resampling.BILINEAR, fillcolor=WHITE)
    g = g.resize((1728, round(g.height * 1728 / g.width * 98 / 204)), Image.Resampling.BILINEAR)
    arr = np.asarray(g).astype(np.float32)
    arr += rng.normal(0, r.uniform(10, 22), arr.shape).astype(np.float32)
    out = (arr > r.uniform(135, 180)).astype(np.uint8) * 255
    _speckle(out, rng, r.uniform(1e-5, 8e-5), 0)
    for _ in range(r.randint(0, 3)):  # transmission glitches: a white drop-out or a black streak row
        y = r.randint(60, out.shape[0] - 4)
        out[y:y + r.randint(1, 2)] = 255 if r.random() < 0.6 else 0
    img = Image.fromarray(out).convert("1", dither=Image.Dither.NONE)
    if not native:
        img = img.resize((img.width, img.height * 2), Image.Resampling.NEAREST)
    return img


def _coeffs(dst: list[tuple[float, float]], src: list[tuple[float, float]]) -> list[float]:
    """Perspective coefficients mapping output points ``dst`` to input points ``src`` (for PIL)."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return [float(c) for c in np.linalg.solve(np.array(rows, float), np.array(rhs, float))]


def _background(r: random.Random, rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    w, h = size
    base = np.array(r.choice([(138, 98, 62), (110, 78, 50), (128, 128, 122), (48, 56, 74), (205, 200, 188),
                              (170, 150, 120)]), np.float32)
    low = rng.normal(0, 1, (6, 8)).astype(np.float32)
    low_img = Image.fromarray(((low - low.min()) / (np.ptp(low) + 1e-6) * 255).astype(np.uint8)).resize(
        (w, h), Image.Resampling.BICUBIC)
    field = (np.asarray(low_img, np.float32) / 255.0 - 0.5) * r.uniform(20, 50)
    if r.random() < 0.6:  # wood grain: stripes bent by a second low-frequency field
        bend = rng.normal(0, 1, (4, 5)).astype(np.float32)
        bend_img = Image.fromarray(((bend - bend.min()) / (np.ptp(bend) + 1e-6) * 255).astype(np.uint8)).resize(
            (w, h), Image.Resampling.BICUBIC)
        coord = np.arange(w, dtype=np.float32)[None, :] if r.random() < 0.5 else np.arange(h, dtype=np.float32)[:, None]
        phase = np.asarray(bend_img, np.float32) / 255.0 * r.uniform(20, 60)
        field = field + r.uniform(4, 9) * np.sin(coord / r.uniform(7, 20) + phase)
    arr = base[None, None, :] + field[..., None] + rng.normal(0, 4, (h, w, 3)).astype(np.float32)
    return arr


def photo(page: Image.Image, r: random.Random, rng: np.random.Generator,
          size: tuple[int, int] = (1800, 2400)) -> Image.Image:
    """A phone photo of ``page`` lying on a surface."""
    w, h = size
    pw, ph = page.size
    scale = r.uniform(0.78, 0.92) * min(w / pw, h / ph)
    cx, cy = w / 2 + r.uniform(-0.04, 0.04) * w, h / 2 + r.uniform(-0.03, 0.03) * h
    ang = np.radians(r.uniform(-6, 6))
    ca, sa = np.cos(ang), np.sin(ang)
    dst = []
    for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        x, y = sx * pw * scale / 2, sy * ph * scale / 2
        keystone = 1 + r.uniform(-0.02, 0.05) * (-sy)  # the far edge looks narrower
        x *= keystone
        dst.append((cx + x * ca - y * sa + r.uniform(-0.015, 0.015) * w,
                    cy + x * sa + y * ca + r.uniform(-0.015, 0.015) * h))
    src = [(0.0, 0.0), (float(pw), 0.0), (float(pw), float(ph)), (0.0, float(ph))]
    c = _coeffs(dst, src)
    warped = page.transform(size, Image.Transform.PERSPECTIVE, c, Image.Resampling.BICUBIC)
    mask = Image.new("L", page.size, 255).transform(size, Image.Transform.PERSPECTIVE, c, Image.Resampling.BILINEAR)
    arr = _background(r, rng, size)
    shadow = Image.new("L", size, 0)
    off = (r.uniform(6, 24), r.uniform(8, 28))
    ImageDraw.Draw(shadow).polygon([(x + off[0], y + off[1]) for x, y in dst], fill=150)
    sh = np.asarray(shadow.filter(ImageFilter.GaussianBlur(18)), np.float32)[..., None] / 255.0
    arr = arr * (1 - 0.55 * sh)
    m = np.asarray(mask, np.float32)[..., None] / 255.0
    arr = arr * (1 - m) + np.asarray(warped, np.float32) * m
    ys = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
    xs = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    light = (r.uniform(0.85, 1.02) + r.uniform(-0.18, 0.18) * xs + r.uniform(-0.18, 0.18) * ys
             - r.uniform(0.05, 0.25) * (xs ** 2 + ys ** 2))
    if r.random() < 0.5:  # the phone's own shadow across part of the page
        bx, by = r.uniform(-0.6, 0.6), r.uniform(-0.6, 0.6)
        light = light - r.uniform(0.1, 0.25) * np.exp(-(((xs - bx) / 0.45) ** 2 + ((ys - by) / 0.35) ** 2))
    cast = np.array([r.uniform(0.97, 1.04), r.uniform(0.96, 1.01), r.uniform(0.86, 0.98)], np.float32)
    arr = arr * light[..., None] * cast[None, None, :]
    arr += rng.normal(0, r.uniform(2, 5), arr.shape).astype(np.float32)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    return img.filter(ImageFilter.GaussianBlur(r.uniform(0.6, 1.5)))
