"""What is written on a form: organization, signer, user, agency, email, date.
PURE: positioned words in, strings out; dates normalised to ISO 8601.

Also `match_organization`, the fuzzy match of a written organization name
against the known organizations (names and aliases).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date

from rapidfuzz import fuzz, process, utils

from bot.documents.layout import Label, coc_block, find_labels, value_words
from bot.documents.model import ORGANIZATION_AGREEMENT
from bot.documents.words import Word, text_of

# field -> label keys that hold it, best first
ORG_FIELDS: dict[str, tuple[str, ...]] = {
    "organization": ("organization name", "participating agency", "agency"),
    "signer_name": ("printed name", "name"),
    "signer_title": ("title",),
    "date": ("date",),
}
USER_FIELDS: dict[str, tuple[str, ...]] = {
    "user_name": ("printed name", "name"),
    "agency": ("agency", "participating agency", "organization name"),
    "email": ("email", "e mail"),
    "date": ("date",),
}
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_OCR_DIGITS = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1", "S": "5", "B": "8"})


def _mk(y: int, m: int, d: int) -> str | None:
    if y < 100:
        y += 2000
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def normalise_date(text: str) -> str | None:
    """ISO date from 11/02/2026, 2026-11-02, 11-02-26, Nov 2, 2026, 2 November 2026."""
    t = text.strip()
    digits = t.translate(_OCR_DIGITS) if re.search(r"\d", t) else t
    if m := re.search(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", digits):
        return _mk(int(m[1]), int(m[2]), int(m[3]))
    if m := re.search(r"(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4}|\d{2})\b", digits):
        return _mk(int(m[3]), int(m[1]), int(m[2]))  # US order: month first
    low = t.lower()
    m = re.search(r"([a-z]{3})[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", low)
    if m and m[1] in _MONTHS:
        return _mk(int(m[3]), _MONTHS[m[1]], int(m[2]))
    m = re.search(r"(\d{1,2})\s+([a-z]{3})[a-z]*\.?,?\s+(\d{4})", low)
    if m and m[2] in _MONTHS:
        return _mk(int(m[3]), _MONTHS[m[2]], int(m[1]))
    return None


def _clean(key: str, words: Sequence[Word]) -> str | None:
    good = [w for w in words if w.conf >= 40 and any(c.isalnum() for c in w.text)]
    text = " ".join(text_of(good).replace("_", " ").split()).strip(" .,;:-|")
    if not text:
        return None
    if key == "date":
        return normalise_date(text)
    if key == "email":
        # OCR glues the label onto the address ("emai_akim@...", "Email:akim@...")
        m = _EMAIL.search(re.sub(r"^e-?mai[l1i]?[:;_.]*", "", text.replace(" ", ""), flags=re.I))
        return m.group(0).lower() if m else None
    return text if sum(c.isalpha() for c in text) >= 2 else None


def _usable(kind: str, words: Sequence[Word]) -> list[Label]:
    """Labels that belong to the signer: not the CoC Representative's, not a supervisor's."""
    labels = find_labels(words)
    coc = coc_block(words) if kind == ORGANIZATION_AGREEMENT else None
    return [lb for lb in labels if not (coc and coc.contains_box(lb.box))]


def extract_fields(kind: str, words: Sequence[Word]) -> dict[str, str]:
    """The fields of a form of `kind` from the words of its signature page."""
    spec = ORG_FIELDS if kind == ORGANIZATION_AGREEMENT else USER_FIELDS
    all_labels = find_labels(words)
    labels = _usable(kind, words)
    out: dict[str, str] = {}
    for field, keys in spec.items():
        for key in keys:
            for lb in (x for x in labels if x.key == key):
                value = _clean(field if field in ("date", "email") else key, value_words(lb, words, all_labels))
                if value:
                    out[field] = value
                    break
            if field in out:
                break
    if "date" not in out:  # its label lost to OCR: the last date written on the page
        dates = [d for w in words if (d := normalise_date(w.text)) and w.conf >= 40]
        if dates:
            out["date"] = dates[-1]
    if kind != ORGANIZATION_AGREEMENT and "email" not in out:
        found = [e for e in _EMAIL.findall(" ".join(w.text for w in words)) if not e.lower().endswith("lahsa.org")]
        if found:
            out["email"] = found[0].lower()
    return out


_SUFFIXES = re.compile(r"\b(inc|incorporated|llc|corp|corporation|co|the|ltd|a california nonprofit)\b")


def _org_key(name: str) -> str:
    """Case, punctuation and corporate suffixes do not tell organizations apart."""
    return " ".join(_SUFFIXES.sub(" ", utils.default_process(name.replace("&", " and "))).split())


def match_organization(name: str, candidates: Sequence[tuple[int, Sequence[str]]],
                       threshold: float = 85.0) -> tuple[int, float] | None:
    """(id, score 0..1) of the organization whose name or alias best matches `name`."""
    choices: Mapping[tuple[int, int], str] = {
        (org_id, i): alias for org_id, names in candidates for i, alias in enumerate(names) if alias.strip()}
    if not name.strip() or not choices:
        return None
    best = process.extractOne(name, choices, scorer=fuzz.token_sort_ratio, processor=_org_key,
                              score_cutoff=threshold)
    if best is None:
        return None
    _, score, key = best
    return key[0], round(float(score) / 100, 3)
