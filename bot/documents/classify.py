"""Which form a page is, and which pages make one form.  PURE: text in, kinds out.

A page is recognised by its title (fuzzy, so OCR slips do not matter), read from
the title band; a page without a title (the signature page of a two-page form, a
lone signed page) by the distinctive phrases of each form.  Look-alikes (W-9,
training certificates, flyers, other agencies' confidentiality agreements) have
titles of their own: when one of those wins, the page is "unknown".
"""

from __future__ import annotations

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
