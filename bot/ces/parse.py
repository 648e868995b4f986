"""Tolerant recognisers for the CES vocabulary as people write it in mail.

Owns: turning free text ("HN/CM", "street outreach", "509 - Full Class", "returning user")
into the enums of bot.ces.rules. Pure: text in, values out; no I/O. Every pattern is
word-boundary aware so that abbreviations such as "TH" or "ES" never match inside words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.ces.rules import IndividualRole, OrgRole, ProgramType, Training

_I = re.IGNORECASE
_SEP = r"[\s\-_/]*"  # people write "case-manager", "case_manager", "HMIS-509", "HMIS509"


def _rx(pattern: str, flags: int = _I) -> re.Pattern[str]:
    return re.compile(pattern, flags)


_ROLE_PATTERNS: tuple[tuple[IndividualRole, re.Pattern[str]], ...] = (
    (IndividualRole.HOUSING_PROVIDER, _rx(rf"\bhousing{_SEP}providers?\b")),
    (IndividualRole.ASSESSMENT_ONLY, _rx(rf"\bassessments?{_SEP}only\b|\bassessors?\b")),
    (IndividualRole.HOUSING_NAVIGATOR, _rx(
        rf"\bhousing{_SEP}navigat\w*|\bnavigators?\b|\bcase{_SEP}manag\w*|\bHN{_SEP}(?:/|&|and)?{_SEP}CM\b")),
    (IndividualRole.OUTREACH, _rx(r"\boutreach\b")),
    # A bare "coordinator" is too common a job title ("program coordinator") to count.
    (IndividualRole.COMMUNITY_COORDINATOR, _rx(rf"\b(?:community|CES){_SEP}coordinat(?:or|ors|ion)\b")),
    (IndividualRole.COMMUNITY_MATCHER, _rx(rf"\bmatchers?\b|\bcommunity{_SEP}match\w*")),
)

# Upper-case abbreviations are matched case-sensitively: "es"/"th" in running text are not programs.
_PROGRAM_PATTERNS: tuple[tuple[ProgramType, re.Pattern[str]], ...] = (
    (ProgramType.PERMANENT_HOUSING, _rx(
        rf"\bpermanent{_SEP}(?:supportive{_SEP})?housing\b|\brapid{_SEP}re{_SEP}housing\b")),
    (ProgramType.PERMANENT_HOUSING, _rx(r"\b(?:PSH|RRH)\b", 0)),
    (ProgramType.SHELTER, _rx(
        rf"\b(?:emergency{_SEP})?shelters?\b|\btransitional{_SEP}housing\b|\b(?:interim|bridge){_SEP}housing\b")),
    (ProgramType.SHELTER, _rx(r"\b(?:ES|TH|IH)\b", 0)),
    (ProgramType.ACCESS_CENTER, _rx(
        rf"\baccess{_SEP}cent(?:er|re)s?\b|\bsupportive{_SEP}services?\b|\bservices{_SEP}only\b")),
    (ProgramType.ACCESS_CENTER, _rx(r"\bSSO\b", 0)),
    (ProgramType.OUTREACH, _rx(r"\boutreach\b")),
    (ProgramType.ASSESSMENT_ONLY, _rx(rf"\bassessments?{_SEP}only\b")),
)

_ORG_ROLE_PATTERNS: tuple[tuple[OrgRole, re.Pattern[str]], ...] = (
    (OrgRole.ASSESSMENT_ONLY, _rx(rf"\bassessments?{_SEP}only\b")),
    (OrgRole.HOUSING_NAVIGATION, _rx(
        rf"\bhousing{_SEP}navigat\w*|\bcase{_SEP}manag\w*|\bHN{_SEP}(?:/|&|and)?{_SEP}CM\b")),
    (OrgRole.HOUSING_PROVIDER, _rx(rf"\bhousing{_SEP}providers?\b")),
)

# A course number, with or without "HMIS" before it; "10" alone is too common to count.
_COURSE = _rx(r"\bHMIS[\s\-_#:]*(10|102|509|510|511)\b|(?<![\w.$#])(102|509|510|511)\b(?![.,]?\d)")
_FULL = _rx(rf"\bfull\b|\b7{_SEP}(?:hours?|hrs?)\b")
_HALF = _rx(rf"\bhalf\b|\bpart{_SEP}(?:1|one|i)\b|\b3{_SEP}(?:hours?|hrs?)\b")
_QUALIFIER_END = _rx(r"[;\n]|\bHMIS\b")
_BY_NUMBER = {
    "10": Training.HMIS_10, "102": Training.HMIS_102, "510": Training.HMIS_510, "511": Training.HMIS_511,
}

_NOT_NEW = _rx(rf"\bnot{_SEP}(?:an?{_SEP})?new{_SEP}(?:hmis{_SEP})?users?\b")
_EXISTING = _rx(
    rf"\b(?:existing|returning|current|former){_SEP}(?:hmis{_SEP})?users?\b"
    rf"|\b(?:already|still){_SEP}(?:has|have){_SEP}(?:an?{_SEP})?(?:hmis{_SEP})?(?:account|login)\b"
    rf"|\bexisting{_SEP}(?:hmis{_SEP})?(?:account|login)\b"
)
_NEW = _rx(
    rf"\bnew{_SEP}(?:hmis{_SEP})?users?\b|\bnew{_SEP}to{_SEP}hmis\b|\bfirst{_SEP}time{_SEP}(?:hmis{_SEP})?users?\b"
    rf"|\b(?:no|never\s+had\s+an?|does\s+not\s+have\s+an?|doesn'?t\s+have\s+an?){_SEP}(?:hmis{_SEP})?account\b"
)


def _first_by_position(
    pairs: Iterable[tuple[ProgramType, re.Pattern[str]]], text: str
) -> ProgramType | None:
    hits = [(m.start(), value) for value, rx in pairs if (m := rx.search(text))]
    return min(hits, key=lambda hit: hit[0])[1] if hits else None


def parse_individual_roles(text: str) -> frozenset[IndividualRole]:
    """Every individual role named in the text ("HN/CM and matcher" -> two roles)."""
    return frozenset(role for role, rx in _ROLE_PATTERNS if rx.search(text))


def parse_program_types(text: str) -> frozenset[ProgramType]:
    """Every program type named in the text."""
    return frozenset(kind for kind, rx in _PROGRAM_PATTERNS if rx.search(text))


def parse_program_type(text: str) -> ProgramType | None:
    """The program type named first in the text, or None when none is recognised."""
    return _first_by_position(_PROGRAM_PATTERNS, text)


def parse_org_roles(text: str) -> frozenset[OrgRole]:
    return frozenset(role for role, rx in _ORG_ROLE_PATTERNS if rx.search(text))


def _training_from(match: re.Match[str], text: str) -> Training:
    number = match.group(1) or match.group(2)
    if number != "509":
        return _BY_NUMBER[number]
    # "HMIS 509" alone is the full class (the 7-hour class keeps the bare name); only an explicit
    # "first half", "part 1" or "3 hours" right after the number, before the next course, means the half.
    after = text[match.end(): match.end() + 40]
    end = _QUALIFIER_END.search(after)
    qualifier = after[: end.start()] if end else after
    if _HALF.search(qualifier) and not _FULL.search(qualifier):
        return Training.HMIS_509_HALF
    return Training.HMIS_509_FULL


def parse_training(text: str) -> Training | None:
    """The first HMIS course named in the text ("HMIS 509 - Full Class", "509 first half", ...)."""
    match = _COURSE.search(text)
    return _training_from(match, text) if match else None


def parse_trainings(text: str) -> frozenset[Training]:
    """Every HMIS course named in the text, e.g. one roster line listing several classes."""
    return frozenset(_training_from(m, text) for m in _COURSE.finditer(text))


# A one-word answer, as in a roster's "New/Existing" column. Bare "returning" only counts here:
# in a sentence it is usually about returning a form.
_ONE_WORD = {"new": True, "existing": False, "returning": False, "current": False}


def parse_new_user(text: str) -> bool | None:
    """True for a new HMIS user, False for an existing/returning one, None when unsaid or contradictory."""
    word = text.strip().strip(".:;!").lower()
    if word in _ONE_WORD:
        return _ONE_WORD[word]
    existing = bool(_NOT_NEW.search(text) or _EXISTING.search(text))
    new = bool(_NEW.search(_NOT_NEW.sub(" ", text)))
    if existing == new:
        return None
    return new
