"""Where things are on a form page: fill-in labels, the value each one holds, and
whose block a label belongs to (the principal signer's, or a supervisor's, a
trainer's, the CoC Representative's).  PURE: positioned words in, positions out;
shared by `fields` (what is written) and `checks` (is there ink).

Nothing here knows a particular layout.  A label is a short phrase standing apart
on its line (or ending in a colon) whose words name a field; its value is written
right of it, under it (labels above boxes) or on the line above it (captions
under lines), whichever non-label words sit nearest in its column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from bot.documents.words import Box, Word, lines_of, norm

# label key -> phrasings (word tuples) that name it; qualifiers ("User", "Supervisor") may precede
LABELS: dict[str, tuple[tuple[str, ...], ...]] = {
    "organization": (("organization", "name"), ("organization", "legal", "name"), ("agency", "name"),
                     ("participating", "agency"), ("partner", "agency"), ("name", "of", "agency"),
                     ("name", "of", "organization"), ("organization",), ("agency",)),
    "name": (("printed", "name"), ("print", "name"), ("name", "of", "user"), ("user", "name"),
             ("full", "name"), ("name",)),
    "title": (("title",), ("its",)),
    "date": (("date",), ("date", "signed")),
    "email": (("email",), ("e", "mail"), ("email", "address"), ("e", "mail", "address")),
    "signature": (("signature",), ("signed",), ("by",), ("x",)),
    "other": (("phone",), ("telephone",), ("address",), ("street", "address"), ("initials",), ("entity",),
              ("program",), ("user", "id"), ("job", "title"), ("department",), ("role",), ("position",)),
}
_PHRASINGS = sorted(((k, p) for k, ps in LABELS.items() for p in ps), key=lambda kp: -len(kp[1]))
QUALIFIERS = frozenset({"user", "end", "supervisor", "supervisor's", "agency", "administrator", "program",
                        "manager", "trainer", "instructor", "participant", "employee", "staff", "authorized",
                        "executive", "director", "coc", "lahsa", "representative", "witness", "training",
                        "work", "your", "of", "job", "legal", "signer", "signatory"})
LABEL_WORDS = frozenset(w for _, p in _PHRASINGS for w in p if len(w) > 2) | {"signature", "initials"}
MAX_LABEL_WORDS = 5

# whose block: secondary roles are looked for first ("Agency Administrator" is a supervisor)
ROLE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("coc", ("coc representative", "continuum of care", "lahsa use only", "use only", "office use",
             "for lahsa", "lahsa", "hmis lead", "coc")),
    ("supervisor", ("supervisor", "administrator", "manager", "approved by", "approver")),
    ("trainer", ("trainer", "instructor", "facilitator", "training date", "date of training")),
    ("principal", ("executive director", "authorized representative", "participating organization",
                   "participating agency", "end user", "user", "participant", "employee", "agency",
                   "organization", "signer")),
)


@dataclass(frozen=True)
class Label:
    key: str
    box: Box  # the label's own words
    area: Box  # right of the label, up to the next label on its row (its column's right end)
    text: str = ""  # the whole label phrase, normalised ("agency administrator signature")
    colon: bool = False
    role: str = "principal"


def _word_ok(token: str, want: str) -> bool:
    t = norm(token).replace(" ", "").rstrip(".")
    colon = token.rstrip()[-1:] in ":;"
    if len(want) <= 4:  # "Dute:" is a date label that ink ran into; "Data" is not
        return t == want or (colon and len(t) == len(want) and fuzz.ratio(t, want) >= 75)
    # ink running into a long label ("Sigiimnure:") spoils OCR; its colon still marks a label
    return fuzz.ratio(t, want) >= (55 if colon and len(want) >= 8 else 78 if len(want) >= 7 else 80)


def phrases(line: Sequence[Word]) -> list[list[Word]]:
    """A line cut where the gap between words is wider than about a word space and a half."""
    out: list[list[Word]] = []
    for w in line:
        if out:
            prev = out[-1][-1]
            gap = w.x0 - prev.x1
            if gap <= 1.2 * max(prev.height, w.height) and not prev.text.endswith(":"):
                out[-1].append(w)
                continue
        out.append([w])
    return out


def _match_at(seg: Sequence[Word], i: int) -> tuple[str, int] | None:
    """The longest phrasing that starts at word i of the phrase."""
    for key, parts in _PHRASINGS:
        ws = seg[i:i + len(parts)]
        if len(ws) == len(parts) and all(_word_ok(w.text, p) for w, p in zip(ws, parts, strict=True)):
            return key, i + len(parts)
    return None


def _label_in(seg: Sequence[Word]) -> tuple[str, int] | None:
    """(key, words used) when the phrase is a label: qualifiers, a phrasing, maybe a colon;
    or a label with a colon followed by its value ("Email: a@b.org")."""
    for start in range(min(len(seg), 3)):
        if any(norm(w.text).replace(" ", "") not in QUALIFIERS for w in seg[:start]):
            break
        hit = _match_at(seg, start)
        if hit is None:
            continue
        key, end = hit
        while end < len(seg) and end < MAX_LABEL_WORDS and norm(seg[end].text) in QUALIFIERS | {"user"}:
            end += 1  # "Name of User", "Signature of Supervisor"
        colon = seg[end - 1].text.rstrip().endswith((":", ";"))
        if end == len(seg) or colon or _glued(seg[end - 1]):
            return key, end
    return None


def _glued(w: Word) -> bool:
    return bool(re.search(r"[:;]\S", w.text))


def find_labels(words: Sequence[Word], right: float = 0.97) -> list[Label]:
    """Every fill-in label on the page, with its role and the area right of it.  The
    reader asks for a page's labels several times (signature page, fields, checks):
    a page's words are a tuple, so they are found once per page."""
    return list(_labels_of(tuple(words), right))


@lru_cache(maxsize=8)
def _labels_of(words: tuple[Word, ...], right: float) -> tuple[Label, ...]:
    return tuple(_find_labels(words, right))


def _find_labels(words: Sequence[Word], right: float) -> list[Label]:
    found: list[tuple[str, Box, str, bool]] = []
    for line in lines_of(words):
        for seg in phrases(line):
            got = _label_in(seg)
            if got is None or len(seg[:got[1]]) > MAX_LABEL_WORDS:
                continue
            key, end = got
            ws = seg[:end]
            text = norm(" ".join(w.text for w in ws))
            found.append((key, Box(ws[0].x0, min(w.y0 for w in ws), ws[-1].x1, max(w.y1 for w in ws)), text,
                          ws[-1].text.rstrip().endswith((":", ";"))))
    out: list[Label] = []
    for key, box, text, colon in found:
        h = max(box.y1 - box.y0, 0.004)
        cy = (box.y0 + box.y1) / 2
        row = [o.x0 for _, o, _, _ in found if o.x0 > box.x1 and abs((o.y0 + o.y1) / 2 - cy) < h]
        x1 = min(row) - 0.005 if row else right
        out.append(Label(key, box, Box(box.x1 + 0.004, box.y0 - 0.9 * h, x1, box.y1 + 0.4 * h), text, colon))
    return [_with_role(lb, words, out) for lb in out]


def _role_of(text: str) -> str | None:
    t = f" {norm(text)} "
    for role, terms in ROLE_WORDS:
        if any(f" {term} " in t for term in terms):
            return role
    return None


def _with_role(label: Label, words: Sequence[Word], labels: Sequence[Label]) -> Label:
    """The label's own qualifiers decide; else the nearest block heading above it in its column."""
    own = _role_of(label.text.replace("agency name", "").replace("organization", "").replace("name of", ""))
    if own is None or (label.key == "organization" and own == "principal"):
        own = None
    return Label(label.key, label.box, label.area, label.text, label.colon, own or _heading_role(label, words, labels))


def _heading_role(label: Label, words: Sequence[Word], labels: Sequence[Label]) -> str:
    """The role named by the nearest heading above the label in its column.  Walking up
    stops at body text (a long line): the block begins below it.  A heading is short and
    does not start mid-sentence, so a paragraph that mentions LAHSA names no block."""
    h = label.box.y1 - label.box.y0
    # the column ends where the next block's labels begin, on this row or any near it
    x1 = min([lb.box.x0 for lb in labels if lb.box.x0 > label.box.x1 + 0.05
              and abs(lb.box.y0 - label.box.y0) < 0.15], default=label.area.x1)
    above = [w for w in words if w.y1 < label.box.y0 - 0.2 * h and w.y0 > label.box.y0 - 0.3]
    for line in reversed(lines_of(above)):
        if _prose(line):
            break
        # two blocks' headings share a line ("Executive Director ...   CoC Representative"):
        # the label's is the phrase that starts nearest left of it
        starts = [p for p in phrases(line) if p[0].x0 <= label.box.x0 + 0.03 and p[-1].x1 > label.box.x0 - 0.05]
        col = [w for w in (max(starts, key=lambda p: p[0].x0) if starts else []) if w.x0 < x1]
        if not col or len(col) > 10 or col[0].text[:1].islower():
            continue
        whole = [w for w in line if w.x0 < x1 and w.x1 > label.box.x0 - 0.05]  # a phrase cut by a lost word
        if (found := _role_of(" ".join(w.text for w in col)) or _role_of(" ".join(w.text for w in whole))):
            return found
    return "principal"


def _prose(line: Sequence[Word]) -> bool:
    """A line of body text: many words, most of them read as words.  Signature ink
    OCR'd as a row of junk ("Blaiaanis i ¢ SRR (T ET NE") is long but no prose."""
    readable = [w for w in line if w.conf >= 30 and sum(c.isalpha() for c in w.text) >= 0.75 * len(w.text) >= 1.5]
    return len(line) > 10 and len(readable) >= len(line) / 2


def is_label_word(text: str) -> bool:
    t = norm(text).replace(" ", "")
    return t in LABEL_WORDS


def value_words(label: Label, words: Sequence[Word], labels: Sequence[Label]) -> list[Word]:
    """The words written as this label's value: right of it on its row, else the
    nearest line under or over it in its column that no nearer label claims."""
    free = _free_words(tuple(words), tuple(lb.box for lb in labels))
    h = max(label.box.y1 - label.box.y0, 0.006)
    right = [w for w in free if label.area.x0 <= w.x0 < label.area.x1 and abs(w.cy - label.box.y0 - h / 2) < 0.8 * h]
    right = _first_run(sorted(right, key=lambda w: w.x0), h)
    if _role_of(" ".join(w.text for w in right)) in ("coc", "supervisor", "trainer"):
        right = []  # the next column's block heading ("LAHSA USE ONLY"), not a value
    if right or label.colon:  # "Date:" holds what follows it, not the heading under it
        return right
    near: list[tuple[float, list[Word]]] = []
    for line in lines_of([w for w in free if label.box.x0 - 0.03 <= w.x0 < label.area.x1
                          and 0.6 * h < abs(w.cy - (label.box.y0 + label.box.y1) / 2) < 3.2 * h]):
        dy = line[0].cy - (label.box.y0 + label.box.y1) / 2
        heading = _role_of(" ".join(w.text for w in line)) in ("coc", "supervisor", "trainer")
        if len(line) > 8 or heading or _claimed_elsewhere(line, label, labels, abs(dy)):
            continue
        near.append((abs(dy), _first_run(line, h)))
    return min(near, key=lambda n: n[0])[1] if near else []


@lru_cache(maxsize=8)
def _free_words(words: tuple[Word, ...], boxes: tuple[Box, ...]) -> tuple[Word, ...]:
    """The page's words that are no label's (once per page, not once per label)."""
    return tuple(w for w in words if not any(b.contains(w) for b in boxes) and not is_label_word(w.text)
                 and any(c.isalnum() or c == "&" for c in w.text))  # "President & CEO" is one value


def _first_run(line: list[Word], h: float) -> list[Word]:
    """Words up to the first wide gap: a value is one run, not the rest of a table row."""
    out: list[Word] = []
    for w in line:
        if out and w.x0 - out[-1].x1 > 2.5 * h:
            break
        out.append(w)
    return out


def _claimed_elsewhere(line: list[Word], label: Label, labels: Sequence[Label], dy: float) -> bool:
    """Another label in the same column is nearer to this line, or has it on its own row."""
    cy = sum(w.cy for w in line) / len(line)
    x = line[0].x0
    for other in labels:
        if other is label:
            continue
        oh = other.box.y1 - other.box.y0
        ocy = (other.box.y0 + other.box.y1) / 2
        if abs(ocy - cy) < 0.8 * oh and other.box.x1 <= x:  # a label on the value's own row
            return True
        if other.box.x0 - 0.03 <= x < other.area.x1 and abs(ocy - cy) < dy:
            return True
    return False


def signature_area(label: Label) -> Box:
    """Ink of a signature rises well above its line: a taller area than a value's."""
    h = label.box.y1 - label.box.y0
    return Box(label.area.x0, label.box.y1 - 3.4 * h, label.area.x1, label.box.y1 + 0.5 * h)


def coc_block(words: Sequence[Word]) -> Box | None:
    """The CoC Representative block, as the region under its heading (kept for callers
    that want a region; the checks use each label's role)."""
    for line in lines_of(words):
        if len(line) <= 10 and _role_of(" ".join(w.text for w in line)) == "coc":
            return Box(max(line[0].x0 - 0.02, 0.0), line[0].y0, 1.0, 1.0)
    return None
