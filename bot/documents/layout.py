"""Where things are on a form page: fill-in labels (`Printed Name:`), the value
each one holds, the signature and CoC Representative blocks.  PURE: positioned
words in, positions out; shared by `fields` (what is written) and `checks` (is
there ink).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.documents.words import Box, Word, lines_of, norm

# Label key -> the words that make it up (as they appear on the forms).
LABELS: dict[str, tuple[str, ...]] = {
    "organization name": ("organization", "name"),
    "participating agency": ("participating", "agency"),
    "printed name": ("printed", "name"),
    "supervisor name": ("supervisor", "name"),
    "user signature": ("user", "signature"),
    "supervisor signature": ("supervisor", "signature"),
    "signature": ("signature",),
    "title": ("title",),
    "date": ("date",),
    "agency": ("agency",),
    "email": ("email",),
    "e mail": ("e", "mail"),
    "name": ("name",),
    "initials": ("initials",),
}
_ORDER = sorted(LABELS, key=lambda k: -len(LABELS[k]))  # longest first: "printed name" before "name"


@dataclass(frozen=True)
class Label:
    key: str
    box: Box  # the label's own words
    area: Box  # where its value (or ink) goes: right of the label, up to the next label


def _word_ok(token: str, want: str) -> bool:
    t = norm(token).replace(" ", "")
    if len(want) <= 4:
        return t == want or (len(t) == len(want) and fuzz.ratio(t, want) >= 75)
    # ink running into a long label ("Shnatire:") spoils OCR; its colon still marks a label
    loose = len(want) >= 8 and token.rstrip()[-1:] in ":;"
    return fuzz.ratio(t, want) >= (65 if loose else 80)


def _labels_on_line(line: list[Word]) -> list[tuple[str, int, int]]:
    found: list[tuple[str, int, int]] = []
    i = 0
    while i < len(line):
        for key in _ORDER:
            parts = LABELS[key]
            seg = line[i:i + len(parts)]
            if len(seg) == len(parts) and all(_word_ok(w.text, p) for w, p in zip(seg, parts, strict=True)):
                colon = seg[-1].text.rstrip()[-1:] in ":;"
                if colon or (i == 0 and len(line) <= len(parts) + 4):
                    found.append((key, i, i + len(parts)))
                    i += len(parts) - 1
                    break
        i += 1
    return found


def find_labels(words: Sequence[Word], right: float = 0.97) -> list[Label]:
    """Every fill-in label on the page, with the area its value occupies: right of
    the label, up to the next label on the same row (two-column blocks) or `right`."""
    boxes: list[tuple[str, Box]] = []
    for line in lines_of(words):
        for key, a, b in _labels_on_line(line):
            seg = line[a:b]
            boxes.append((key, Box(seg[0].x0, min(w.y0 for w in seg), seg[-1].x1, max(w.y1 for w in seg))))
    out: list[Label] = []
    for key, box in boxes:
        h = max(box.y1 - box.y0, 0.004)
        cy = (box.y0 + box.y1) / 2
        row = [o.x0 for _, o in boxes if o.x0 > box.x1 and abs((o.y0 + o.y1) / 2 - cy) < h]
        end = min(row) - 0.005 if row else right
        out.append(Label(key, box, Box(box.x1 + 0.004, box.y0 - 0.9 * h, end, box.y1 + 0.4 * h)))
    return out


def signature_area(label: Label) -> Box:
    """Ink of a signature rises well above its line: a taller area than a value's."""
    h = label.box.y1 - label.box.y0
    return Box(label.area.x0, label.box.y1 - 3.4 * h, label.area.x1, label.box.y1 + 0.5 * h)


def value_words(label: Label, words: Sequence[Word], labels: Sequence[Label]) -> list[Word]:
    """Words written in a label's area (handwriting may sit above the line)."""
    boxes = [lb.box for lb in labels]
    picked = [w for w in words if label.area.contains(w)
              and not any(b.contains(w) for b in boxes)]
    return sorted(picked, key=lambda w: w.x0)


def _heading(words: Sequence[Word], phrase: str) -> Box | None:
    """The box of the words that spell `phrase` (a block heading), best match first."""
    n = len(phrase.split())
    best: tuple[float, Box] | None = None
    for line in lines_of(words):
        for k in (n - 1, n, n + 1):
            for i in range(max(len(line) - k + 1, 0) if k > 0 else 0):
                seg = line[i:i + k]
                score = fuzz.ratio(phrase, norm(" ".join(w.text for w in seg)))
                if score >= 85 and (best is None or score > best[0]):
                    best = (score, Box(seg[0].x0, min(w.y0 for w in seg), seg[-1].x1,
                                       max(w.y1 for w in seg)))
    return best[1] if best else None


def coc_block(words: Sequence[Word]) -> Box | None:
    """The CoC Representative block (LAHSA signs it), as a page region."""
    coc = _heading(words, "coc representative")
    if coc is None:
        return None
    ed = _heading(words, "authorized representative")
    x0, x1, y1 = max(coc.x0 - 0.02, 0.0), 1.0, 1.0
    if ed is not None and abs(ed.y0 - coc.y0) < 0.01:  # side by side: split the row
        if ed.x0 > coc.x0:
            x1 = ed.x0 - 0.01
        else:
            x0 = coc.x0 - 0.01
    elif ed is not None and ed.y0 > coc.y0:  # ED block below the CoC block
        y1 = ed.y0 - 0.005
    return Box(x0, coc.y0, x1, y1)
