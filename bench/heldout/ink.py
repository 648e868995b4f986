"""Pen ink: signatures, initials and check marks as variable-width strokes.

Owns the stroke geometry only. A signature is built from one cursive "run" per name part: a forward
motion plus a rotating oscillation (loops where the oscillation outruns the motion), a tall first
letter, a random slant and tilt, an optional flourish; pen width follows speed (thin when fast) and
tapers at both ends. Nothing here is text: a signature carries no characters of the name.
"""

from __future__ import annotations

import math
import random

from bench.heldout.model import INK_BLUE, Color, Ink

Pt = tuple[float, float]


def _run(rng: random.Random, letters: int, x0: float, cap: float, small: float) -> list[Pt]:
    """One cursive run starting at x0 on baseline 0 (y up is negative).

    Each letter is one cycle of x = X + v*t + r*sin(t), y = -h/2*(1 - cos(t)): the pen moves back left
    over the top when r > v (a loop, as in "l" or "e"), a hump when r < v; tall loops stand for
    ascenders, downward loops for descenders. The first cycle is a capital.
    """
    pts: list[Pt] = [(x0, 0.0)]
    for k in range(max(1, letters)):
        kind = "cap" if k == 0 else rng.choices(["hump", "loop", "asc", "desc"], [4, 4, 2, 1])[0]
        h = {"cap": cap, "hump": small * rng.uniform(0.6, 1.0), "loop": small * rng.uniform(0.8, 1.2),
             "asc": cap * rng.uniform(0.6, 0.9), "desc": small * rng.uniform(1.3, 1.9)}[kind]
        if kind == "cap" and rng.random() < 0.45:  # a round capital (O, C, G-like) instead of a tall loop
            h, r = cap * rng.uniform(0.7, 0.9), cap * rng.uniform(0.3, 0.42)
            v = r / rng.uniform(3.0, 5.0)
            sign, x_start = -1.0, pts[-1][0]
            for i in range(1, 29):
                t = i / 28 * 2 * math.pi
                pts.append((x_start + v * t + r * math.sin(t), -0.5 * h * (1 - math.cos(t))))
            continue
        r = h * {"cap": rng.uniform(0.2, 0.32), "asc": rng.uniform(0.14, 0.22), "desc": rng.uniform(0.14, 0.22),
                 "loop": rng.uniform(0.28, 0.4), "hump": rng.uniform(0.12, 0.2)}[kind]
        v = r / rng.uniform(1.4, 2.6) if kind != "hump" else small * rng.uniform(0.28, 0.4)
        sign = 1.0 if kind == "desc" else -1.0
        x_start = pts[-1][0]
        for i in range(1, 25):
            t = i / 24 * 2 * math.pi
            pts.append((x_start + v * t + r * math.sin(t), sign * 0.5 * h * (1 - math.cos(t))))
    wob_a, wob_f, wob_p = rng.uniform(0.2, 0.7), rng.uniform(0.05, 0.15), rng.uniform(0, 6.3)
    return [(x, y + wob_a * math.sin(x * wob_f + wob_p)) for x, y in pts]


def _bezier(p0: Pt, p1: Pt, p2: Pt, n: int = 30) -> list[Pt]:
    out = []
    for i in range(n + 1):
        t = i / n
        a, b, c = (1 - t) ** 2, 2 * (1 - t) * t, t * t
        out.append((a * p0[0] + b * p1[0] + c * p2[0], a * p0[1] + b * p1[1] + c * p2[1]))
    return out


def _widths(rng: random.Random, pts: list[Pt], base: float) -> list[tuple[float, float, float]]:
    speeds = [math.dist(pts[max(i - 1, 0)], pts[min(i + 1, len(pts) - 1)]) for i in range(len(pts))]
    med = sorted(speeds)[len(speeds) // 2] or 1.0
    out = []
    n = len(pts)
    for i, (x, y) in enumerate(pts):
        w = base * min(1.35, max(0.6, 1.3 - 0.4 * speeds[i] / med))
        taper = min(1.0, (i + 1) / 4, (n - i) / 5)
        out.append((x, y, max(0.25, w * (0.35 + 0.65 * taper) * rng.uniform(0.93, 1.07))))
    return out


def _place(strokes: list[list[Pt]], rng: random.Random, x: float, y: float, w: float, h: float,
           slant: float, tilt: float) -> list[list[Pt]]:
    """Slant, tilt, then scale into the box (x, y top-left, w, h) with the baseline low in the box."""
    ca, sa = math.cos(tilt), math.sin(tilt)
    moved = [[(px - py * slant, py) for px, py in s] for s in strokes]
    moved = [[(px * ca - py * sa, px * sa + py * ca) for px, py in s] for s in moved]
    xs = [p[0] for s in moved for p in s]
    ys = [p[1] for s in moved for p in s]
    bw, bh = max(xs) - min(xs) or 1.0, max(ys) - min(ys) or 1.0
    scale = min(w / bw, h / bh) * rng.uniform(0.8, 0.97)
    left = x + rng.uniform(0, max(0.0, w - bw * scale) * 0.6)
    base_y = y + h * rng.uniform(0.72, 0.9)
    return [[(left + (px - min(xs)) * scale, base_y + py * scale) for px, py in s] for s in moved]


def signature(rng: random.Random, name: str, x: float, y: float, w: float, h: float,
              color: Color = INK_BLUE) -> Ink:
    """A pen signature for ``name`` fitted into the box (x, y top-left, w x h points)."""
    parts = [p for p in name.replace(".", " ").split() if p]
    if rng.random() < 0.4 and len(parts) > 1:
        parts = [parts[0][0], parts[-1]]  # initial + surname
    small = 10.0
    cap = small * rng.uniform(2.0, 3.0)
    strokes: list[list[Pt]] = []
    cursor = 0.0
    for part in parts[:3]:
        letters = 1 if len(part) == 1 else max(2, min(7, len(part) // 2 + rng.randint(-1, 1)))
        run = _run(rng, letters, cursor, cap if len(part) > 1 or rng.random() < 0.5 else cap * 0.8, small)
        strokes.append(run)
        cursor = max(p[0] for p in run) + small * rng.uniform(0.6, 1.6)
    if rng.random() < 0.55:  # flourish back under the name
        end = strokes[-1][-1]
        start_x = rng.uniform(0.0, cursor * 0.3)
        strokes.append(_bezier((end[0], end[1] + 2), ((end[0] + start_x) / 2, small * rng.uniform(0.8, 1.8)),
                               (start_x, small * rng.uniform(-0.2, 0.6))))
    elif rng.random() < 0.3:  # a dot or tick
        cx, cy = cursor * rng.uniform(0.3, 0.7), -cap * 0.9
        strokes.append([(cx, cy), (cx + 1.5, cy - 0.6)])
    placed = _place(strokes, rng, x, y, w, h, rng.uniform(0.15, 0.55), math.radians(rng.uniform(-7, 4)))
    base = rng.uniform(0.7, 1.25)
    return Ink([_widths(rng, s, base) for s in placed], color)


def initials(rng: random.Random, name: str, x: float, y: float, w: float, h: float,
             color: Color = INK_BLUE) -> Ink:
    """Handwritten initials: one short looped run per initial."""
    small = 10.0
    strokes = []
    cursor = 0.0
    for _ in [p for p in name.split() if p][:2]:
        run = _run(rng, 1 + (rng.random() < 0.3), cursor, small * rng.uniform(1.8, 2.6), small)
        strokes.append(run)
        cursor = max(p[0] for p in run) + small * 0.5
    placed = _place(strokes, rng, x, y, w, h, rng.uniform(0.1, 0.5), math.radians(rng.uniform(-8, 6)))
    return Ink([_widths(rng, s, rng.uniform(0.7, 1.1)) for s in placed], color)


def check_mark(rng: random.Random, x: float, y: float, size: float, color: Color = INK_BLUE) -> Ink:
    """A hand tick or cross inside the square at (x, y) of side ``size``."""

    def j() -> float:
        return rng.uniform(-0.08, 0.08) * size

    if rng.random() < 0.6:
        pts = _bezier((x + 0.15 * size + j(), y + 0.5 * size + j()), (x + 0.35 * size, y + 1.0 * size),
                      (x + 0.4 * size + j(), y + 0.85 * size), 8)
        pts += _bezier((x + 0.4 * size, y + 0.85 * size), (x + 0.6 * size, y + 0.3 * size),
                       (x + 1.05 * size + j(), y - 0.15 * size + j()), 10)
        strokes = [pts]
    else:
        strokes = [[(x + 0.1 * size + j(), y + 0.1 * size + j()), (x + 0.9 * size + j(), y + 0.9 * size + j())],
                   [(x + 0.9 * size + j(), y + 0.1 * size + j()), (x + 0.1 * size + j(), y + 0.9 * size + j())]]
    width = rng.uniform(0.8, 1.2)
    return Ink([[(px, py, width) for px, py in s] for s in strokes], color)
