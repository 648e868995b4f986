"""Which form a page is, and which pages make one form.  PURE: text in, kinds out.

A page is recognised by its title (fuzzy, so OCR slips do not matter), read from
the title band; a page without a title (the signature page of a two-page form, a
lone signed page) by the distinctive phrases of each form.  Look-alikes (W-9,
training certificates, flyers, other agencies' confidentiality agreements) have
titles of their own: when one of those wins, the page is "unknown".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.documents.model import HMIS10_ACKNOWLEDGEMENT, ORGANIZATION_AGREEMENT, UNKNOWN, USER_AGREEMENT
from bot.documents.words import norm

TITLES: dict[str, tuple[str, ...]] = {
    ORGANIZATION_AGREEMENT: ("hmis organization agreement", "agency participation agreement",
                             "organization participation agreement", "hmis agency participation agreement",
                             "organization agreement"),
    USER_AGREEMENT: ("hmis user agreement", "hmis user agreement form", "user agreement form",
                     "hmis end user agreement", "user agreement"),
    HMIS10_ACKNOWLEDGEMENT: ("hmis 10 acknowledgement form", "hmis 10 acknowledgment form",
                             "acknowledgement of hmis 10 training", "hmis10 acknowledgement form"),
}
LOOKALIKE = "lookalike"
LOOKALIKE_TITLES = ("request for taxpayer identification number and certification", "form w 9",
                    "certificate of completion", "certificate of attendance", "certificate of training",
                    "confidentiality agreement", "staff confidentiality agreement",
                    "join our training webinars", "training calendar", "training schedule")
PHRASES: dict[str, tuple[str, ...]] = {
    ORGANIZATION_AGREEMENT: ("executive director", "authorized representative", "coc representative",
                             "participating organization", "lahsa use only", "organization name",
                             "in witness whereof"),
    USER_AGREEMENT: ("user signature", "supervisor signature", "agency administrator",
                     "my user id and password", "hmis user agreement", "end user responsibilities"),
    HMIS10_ACKNOWLEDGEMENT: ("hmis 10 acknowledgement", "completed hmis 10", "full hmis 10 session",
                             "presented in hmis 10", "new user"),
}
TITLE_MIN = 86.0
KEYWORD_SCORE = 88.0  # a title recognised by its words, not by a known wording
MAX_TITLE_WORDS = 12
# a form's title names what it is (an agreement, an acknowledgement) and whose it is;
# documents of these kinds are about the forms, never one of them
NOT_A_FORM = ("certificate", "invoice", "sign in sheet", "sign in", "consent", "flyer", "newsletter",
              "receipt", "roster", "w 9", "webinars")
AGREEMENT = ("agreement", "memorandum", "mou")
PARTY = ("organization", "agency", "partner", "participating", "participation")
USER_DOC = ("agreement", "statement", "ethics", "license", "responsibility", "confidentiality")
CONTINUED = ("continued", "cont d")


@dataclass(frozen=True)
class TitleMatch:
    kind: str  # a form kind or LOOKALIKE
    score: float  # 0..100
    continued: bool  # a running header ("... (continued)"), not a first page


@dataclass(frozen=True)
class PageVote:
    kind: str  # a form kind, UNKNOWN (other text) or "" (blank page)
    score: float  # 0..1
    starts: bool  # begins a new document (a title page, a look-alike, other text)


def _line_score(title: str, line: str) -> float:
    if len(line) < 0.6 * len(title):
        return 0.0
    if len(line) <= 1.6 * len(title):
        # the line is about the title's size: allow a few extra words around it
        return float(fuzz.partial_ratio(title, line)) if len(line) > len(title) else float(
            fuzz.ratio(title, line))
    return float(fuzz.ratio(title, line))  # a long line must be mostly the title


def _has(tokens: Sequence[str], word: str) -> bool:
    if " " in word:
        return f" {word} " in f" {' '.join(tokens)} "
    return any(t == word or (len(word) >= 5 and t.startswith(word[:5]) and fuzz.ratio(t, word) >= 75)
               for t in tokens)


def keyword_title(line: str) -> str | None:
    """The kind a short title line names by its words (any wording), LOOKALIKE, or None."""
    t = norm(line).replace("hmis 1o", "hmis 10").replace("hmis10", "hmis 10").replace("hmis lo", "hmis 10")
    tokens = t.split()
    if not tokens or len(tokens) > MAX_TITLE_WORDS:
        return None
    if any(_has(tokens, w) for w in NOT_A_FORM):
        return LOOKALIKE
    acknowledges = _has(tokens, "acknowledgement") or _has(tokens, "acknowledgment")
    if "hmis 10" in t and acknowledges:
        return HMIS10_ACKNOWLEDGEMENT
    if _has(tokens, "user") and any(_has(tokens, w) for w in USER_DOC):
        return USER_AGREEMENT
    if any(_has(tokens, w) for w in AGREEMENT) and any(_has(tokens, w) for w in PARTY):
        return ORGANIZATION_AGREEMENT
    return None


_BODY_START = re.compile(r"^\W*(?:[a-z]|\(?\d{1,2}[.)]?\s)")


def _keyword_match(band_text: str) -> TitleMatch | None:
    # a title starts with a capital or a year, never mid-sentence or with a list number
    # ("1. obtain client consent before sharing ..." is a clause, not a consent form)
    lines = [ln for ln in band_text.splitlines() if len(norm(ln)) >= 6 and not _BODY_START.match(ln)]
    for i, line in enumerate(lines):
        # a long title wraps: join a short line that does not end a sentence with the next
        wraps = i + 1 < len(lines) and len(line.split()) <= 7 and not line.rstrip().endswith((".", ":"))
        for cand in (line, f"{line} {lines[i + 1]}" if wraps else ""):
            kind = keyword_title(cand)
            if cand and kind is not None:
                core = norm(cand)
                continued = any(c in core for c in CONTINUED)
                return TitleMatch(kind, KEYWORD_SCORE, continued)
    return None


def title_match(band_text: str) -> TitleMatch | None:
    """The best title among the lines of `band_text`, if any reaches TITLE_MIN."""
    best: TitleMatch | None = None
    candidates = [(kind, t) for kind, ts in TITLES.items() for t in ts]
    candidates += [(LOOKALIKE, t) for t in LOOKALIKE_TITLES]
    for raw in band_text.splitlines():
        line = norm(raw)
        if len(line) < 6:
            continue
        core = line
        for c in CONTINUED:
            core = core.replace(c, " ")
        core = " ".join(core.split())
        for kind, title in candidates:
            s = _line_score(title, core)
            if kind == LOOKALIKE and len(core) <= 3 * len(title):
                # a look-alike's title only has to veto: "<agency> Staff Confidentiality Agreement"
                s = max(s, float(fuzz.partial_ratio(title, core)))
            if s >= TITLE_MIN and (best is None or s > best.score):
                best = TitleMatch(kind, s, core != line)
    if best is None or best.kind == LOOKALIKE:
        # a title that says it is a form (any wording) beats a look-alike's fuzzy veto
        kw = _keyword_match(band_text)
        if kw is not None and (best is None or kw.kind != LOOKALIKE):
            return kw
    return best


def phrase_votes(text: str) -> dict[str, int]:
    """How many distinctive phrases of each form occur in `text` (fuzzy)."""
    t = norm(text)
    return {kind: sum(fuzz.partial_ratio(p, t) >= 90 for p in ps) for kind, ps in PHRASES.items()}


def classify_page(band_text: str, full_text: str | None) -> PageVote | None:
    """The vote for one page; None when the band says nothing and `full_text` is needed."""
    m = title_match(band_text)
    if m is not None:
        if m.kind == LOOKALIKE:
            return PageVote(UNKNOWN, m.score / 100, True)
        return PageVote(m.kind, m.score / 100, not m.continued)
    if full_text is None:
        return None
    head = "\n".join(full_text.strip().splitlines()[:12])
    m = title_match(head)  # a title lower than the band (a letterhead above it)
    if m is not None:
        return PageVote(UNKNOWN if m.kind == LOOKALIKE else m.kind, m.score / 100 * 0.95,
                        not m.continued or m.kind == LOOKALIKE)
    if not full_text.strip():
        return PageVote("", 0.0, False)
    votes = phrase_votes(full_text)
    kind, hits = max(votes.items(), key=lambda kv: kv[1])
    others = max((v for k, v in votes.items() if k != kind), default=0)
    if hits >= 2 and hits >= others + 2:
        return PageVote(kind, min(0.95, 0.6 + 0.08 * hits), False)
    return PageVote(UNKNOWN, 0.6, True)


@dataclass(frozen=True)
class Group:
    kind: str
    pages: tuple[int, ...]  # 1-based
    confidence: float


def group_pages(votes: Sequence[PageVote]) -> list[Group]:
    """Cut the pages of a file into documents: a title page starts one, phrase-only
    pages continue the form before them (or stand alone when none matches), blank
    pages go with what precedes them, neighbouring unknown pages stay together."""
    groups: list[tuple[str, list[int], float]] = []
    pending_blank: list[int] = []
    for number, v in enumerate(votes, 1):
        prev = groups[-1] if groups else None
        if v.kind == "":
            (prev[1] if prev else pending_blank).append(number)
            continue
        same = prev is not None and prev[0] == v.kind
        if same and prev is not None and (not v.starts or v.kind == UNKNOWN):
            prev[1].append(number)
            continue
        conf = v.score if v.starts or v.kind == UNKNOWN else v.score * 0.85
        groups.append((v.kind, [*pending_blank, number], conf))
        pending_blank = []
    if pending_blank:  # nothing but blank pages
        groups.append((UNKNOWN, pending_blank, 0.0))
    return [Group(kind, tuple(pages), round(conf, 3)) for kind, pages, conf in groups]
