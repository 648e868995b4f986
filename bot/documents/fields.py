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

from bot.documents.layout import find_labels, value_words
from bot.documents.model import ORGANIZATION_AGREEMENT
from bot.documents.words import Word, text_of

# field -> the label key that holds it (the principal signer's block only)
ORG_FIELDS: dict[str, str] = {"organization": "organization", "signer_name": "name", "signer_title": "title",
                              "date": "date"}
USER_FIELDS: dict[str, str] = {"user_name": "name", "agency": "organization", "email": "email", "date": "date"}
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# an address ends at its top-level domain; letters glued after it are the next label ("...orgWork")
_TLDS = ("org", "com", "net", "gov", "edu", "info", "biz", "us", "io", "co")
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


def _run_on_date(text: str) -> str | None:
    """A date written in a date field whose separators OCR lost ("11302026"): month,
    day, year, only where it makes a real date of this or the last century."""
    digits = text.translate(_OCR_DIGITS).replace(" ", "")
    if m := re.fullmatch(r"(\d{2})(\d{2})((?:19|20)\d{2})", digits):
        return _mk(int(m[3]), int(m[1]), int(m[2]))
    return None


def clean_email(text: str) -> str | None:
    """The address in `text`, cut after its top-level domain, or None."""
    t = re.sub(r"^e-?mai[l1i]?(address)?[:;_.]*", "", text.replace(" ", ""), flags=re.I)
    m = _EMAIL.search(t)
    if m is None:
        return None
    addr = m.group(0)
    host, _, tld = addr.rpartition(".")
    low = tld.lower()
    if low not in _TLDS:
        known = [k for k in _TLDS if low.startswith(k)]
        if known:
            addr = f"{host}.{max(known, key=len)}"
    return addr.lower()


def _name_like(text: str, min_letters: int) -> bool:
    """A name or organization, not OCR dust: mostly words of letters."""
    tokens = text.split()
    wordy = [t for t in tokens if sum(c.isalpha() for c in t) >= max(2, 0.6 * len(t))]
    return (sum(c.isalpha() for c in text) >= min_letters and len(wordy) >= 0.6 * len(tokens)
            and any(sum(c.isalpha() for c in t) >= 3 for t in tokens))


_WORDLIKE = re.compile(r"_*[A-Za-z0-9][A-Za-z0-9'&./@-]*[.,]?")


def _trusted(words: Sequence[Word]) -> list[Word]:
    """The value's words worth reading.  Tesseract's confidence is a line's as much as a
    word's: a value typed on a rule (read with the rule as a leading "_") or next to a
    scanner's speckle comes out at low confidence though its letters are right.  So a
    value is judged as one run: when any word of it is confident or sits on a rule,
    every clean word of the run is kept ("_James Carter", "Hope Harbor Services");
    a run of nothing but doubtful words is dust.  The field's own validation decides."""
    words = [w for w in words if any(c.isalnum() or c == "&" for c in w.text)]
    if any(w.conf >= 40 or w.text.startswith("_") for w in words):
        return [w for w in words if w.conf >= 40 or _WORDLIKE.fullmatch(w.text)]
    return []


def _clean(field: str, words: Sequence[Word]) -> str | None:
    good = _trusted(words)
    if field == "date" and not good:  # a date's own pattern is its check
        good = [w for w in words if _WORDLIKE.fullmatch(w.text)]
    text = " ".join(text_of(good).replace("_", " ").split()).strip(" .,;:-|")
    if not text:
        return None
    if field == "date":
        return normalise_date(text) or _run_on_date(text)
    if field == "email":
        return clean_email(text)
    if "@" in text or normalise_date(text):
        return None  # an address or a date is nobody's name
    return text if _name_like(text, 5 if field in ("organization", "agency") else 3) else None


def extract_fields(kind: str, words: Sequence[Word]) -> dict[str, str]:
    """The fields of a form of `kind` from the words of one of its pages."""
    spec = ORG_FIELDS if kind == ORGANIZATION_AGREEMENT else USER_FIELDS
    labels = find_labels(words)
    out: dict[str, str] = {}
    for field, key in spec.items():
        # an organization label names the signer's organization, whichever block it sits in
        mine = [lb for lb in labels if lb.key == key and (lb.role == "principal" or key == "organization")]
        for lb in mine:
            if value := _clean(field, value_words(lb, words, labels)):
                out[field] = value
                break
    if "date" not in out:  # its label lost to OCR: the last date no one else's label holds
        others = {id(w) for lb in labels if lb.key == "date" and lb.role != "principal"
                  for w in value_words(lb, words, labels)}
        dates = [d for w in words if id(w) not in others and w.conf >= 40 and (d := normalise_date(w.text))]
        if dates:
            out["date"] = dates[-1]
    if kind != ORGANIZATION_AGREEMENT and "email" not in out:
        for w in words:
            if (e := clean_email(w.text)) and not e.endswith("lahsa.org"):
                out["email"] = e
                break
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
