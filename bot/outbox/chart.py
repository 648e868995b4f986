"""The digest's picture: where the organizations stand, as a small PNG bar chart.

Drawn with Pillow (already needed for scans) so the digest needs no plotting
library; mail clients that block images still get the same numbers as HTML bars.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

WIDTH, ROW, LABEL = 560, 26, 170


def funnel_png(steps: list[tuple[str, int]]) -> bytes | None:
    if not steps or not any(n for _, n in steps):
        return None
    top = max(n for _, n in steps)
    img = Image.new("RGB", (WIDTH, ROW * len(steps) + 10), "white")
    draw = ImageDraw.Draw(img)
    for i, (label, n) in enumerate(steps):
        y = 5 + i * ROW
        draw.text((5, y + 6), label, fill="#222222")
        bar = int((WIDTH - LABEL - 50) * n / top)
        draw.rectangle((LABEL, y + 3, LABEL + max(bar, 1), y + ROW - 5), fill="#2b6cb0")
        draw.text((LABEL + bar + 6, y + 6), str(n), fill="#222222")
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()
