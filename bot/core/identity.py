"""Who a message is from and which organization it may act for. Pure.

Identity and authorization are two questions, answered apart:

* **Which organization is this about?** From all the evidence, in order of trust: the
  sender's own record (an Executive Director, program manager or HMIS user on file),
  the sender's domain when it is one organization's domain, the thread (a reply to mail
  about that organization), what the mail itself says (the subject, "Organization: X"
  in the body, the signature block) and last the fields read from its forms, which
  OCR may garble. Every answer records which evidence decided.
* **May this sender change that organization?** Only its contacts (ED, program
  managers), senders at one of its domains, and for their own forms its registered
  users. A freemail address counts only as a registered contact or user. Naming an
  organization proves nothing: anyone can type a name. An organization nobody has
  claimed yet (imported from the CES implementation list, with no contact and no
  domain) is claimed by its agreement or setup request from a non-freemail domain that
  no other organization has, which is also how a new organization is founded.

When the evidence disagrees (the form names one organization, the sender writes from
another's domain), nothing is decided: the message goes to a person with a reason
that says what disagreed, in words a staff member understands.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

FREEMAIL = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "ymail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "aol.com", "icloud.com", "me.com", "mac.com", "protonmail.com", "proton.me", "gmx.com", "mail.com",
    "zoho.com", "yandex.com", "att.net", "sbcglobal.net", "comcast.net", "verizon.net", "charter.net", "cox.net",
})
MATCH = 88.0  # a name this close to a known organization's name (or alias) names it
NEAR = 75.0  # this close, and a new organization must not be founded under it without a person

Standing = Literal["staff", "contact", "member", "user", "claim", "new", "stranger", "nobody"]
Via = Literal["contact", "user", "domain", "thread", "subject", "body", "signature", "form", "none"]
_RANK: dict[str, int] = {"subject": 0, "body": 1, "signature": 2, "form": 3}
# The name a new organization is founded under: an explicit "Organization: X" line, then the
# agreement's own field (the formal name; subjects often shorten it), then the subject.
_FOUNDING_RANK: dict[str, int] = {"body": 0, "form": 1, "subject": 2, "signature": 3}


@dataclass(frozen=True)
class KnownOrg:
    """One organization as identification needs it: its names and domains, and whether anyone holds it."""

    id: int
    name: str
    aliases: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    claimed: bool = False  # has a contact or a domain: only they may act for it


@dataclass(frozen=True)
class SenderRecord:
    """What the database knows of the sender's address."""

    contact_of: int | None = None  # the organization the sender is an ED / program manager of
    user_of: int | None = None  # the organization the sender is a registered HMIS user of
    thread_org: int | None = None  # the organization of the mail this message answers


@dataclass(frozen=True)
class Named:
    """A name the message gives, and the known organization it matches, if any."""

    source: str  # subject | body | signature | form
    text: str
    org_id: int | None
    score: float


@dataclass(frozen=True)
class Evidence:
    """Everything identification looks at, gathered by the caller."""

    sender: str
    sender_domain: str
    subject: str
    body: str  # the sender's own text (quoted replies and forwards already cut)
    form_names: tuple[str, ...]  # "organization" fields read from the forms
    form_emails: tuple[str, ...]  # addresses read from user forms
    record: SenderRecord
    staff: bool = False
    may_found: bool = False  # the message carries an agreement or a setup request


@dataclass(frozen=True)
class Identity:
    """The answer: which organization, decided by what, and may the sender act for it."""

    org_id: int | None
    via: Via
    standing: Standing
    new_name: str | None = None  # the name to found an organization under
    problem: str | None = None  # why a person must look first (disagreement, no right to act)
    names: tuple[Named, ...] = ()

    @property
    def authorized(self) -> bool:
        return self.problem is None and self.standing not in ("stranger",)


# -- reading names from the mail ---------------------------------------------------------------

_PROCESS_WORDS = re.compile(
    r"agreement|acknowledg|request|set ?up|confirm|\bform|\bhmis\b|\bces\b|roster|\busers?\b|signed|scan|attached"
    r"|training|re:|fwd?:|\bpage\b|invoice|newsletter|question|password|account|\bcoc\b|continuum|lahsa",
    re.I,
)
_SEPARATORS = re.compile(r"\s+[-–—|/]\s+|:\s+|\s+for\s+|\s+from\s+|[()\[\]]", re.I)
_LABEL = re.compile(r"^\s*(?:organi[sz]ation(?: name)?|agency(?: name)?|org)\s*[:\-]\s*(.{2,100}?)\s*$", re.I | re.M)
_LEGAL_FORM = re.compile(r"[\s,]+(?:inc|incorporated|llc|l\.l\.c|corp|corporation|co|ltd|nfp|a nonprofit)\.?\s*$", re.I)
_NOT_A_NAME = re.compile(r"[@<>]|https?:|www\.|\d{3}[\s.-]\d{3,4}")


def plausible_name(text: str) -> bool:
    """A name an organization could have: not a form's own words, not an address, not OCR dust."""
    text = " ".join(text.split())
    words = text.split()
    letters = sum(ch.isalpha() for ch in text)
    return (4 <= len(text) <= 90 and 1 <= len(words) <= 10 and letters >= 4
            and letters >= 0.7 * len(text.replace(" ", "")) and any(len(w) >= 3 for w in words)
            and not _PROCESS_WORDS.search(text) and not _NOT_A_NAME.search(text)
            and any(w[:1].isupper() for w in words))


def name_like(text: str) -> bool:
    """Written as a name ("Sunrise Bridge Community Services"), not a sentence ("Sorry, I only have my phone")."""
    bare = _LEGAL_FORM.sub("", " ".join(text.split()))  # "Echo Park Common Table, Inc." is a name
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'&.-]*", bare) if len(w) > 3]
    capitals = sum(w[0].isupper() for w in words)
    return plausible_name(text) and not re.search(r"[.?!,;]\s*$|,", bare) and capitals >= max(1, 0.6 * len(words))


def subject_names(subject: str) -> list[str]:
    """'Signed Organization Agreement - Sunrise Bridge Community Services' -> ['Sunrise Bridge Community Services']."""
    subject = re.sub(r"^\s*(?:(?:re|fwd?|aw|sv|tr)\s*:\s*)+", "", subject, flags=re.I)
    parts = [p.strip(" .,;") for p in _SEPARATORS.split(subject) if p and p.strip(" .,;")]
    return [p for p in parts if name_like(p)]


def body_names(body: str) -> list[str]:
    return [m.group(1) for m in _LABEL.finditer(body) if plausible_name(m.group(1))]


def signature_names(body: str) -> list[str]:
    """Lines of the closing signature block (after the sign-off), which often name the organization."""
    lines = [ln.strip() for ln in body.strip().splitlines() if ln.strip()]
    for i, line in enumerate(lines):
        if re.match(r"^(?:thanks?|thank you|best|regards|sincerely|respectfully|cheers|--)\b", line, re.I):
            return [ln for ln in lines[i + 1:i + 6] if name_like(ln)]
    return [ln for ln in lines[-4:] if name_like(ln)]


# -- matching names against the organizations we know ----------------------------------------------

def core_name(name: str) -> str:
    """A name as matched: lower case, single spaces, without its legal form ("Hope Harbor, Inc." = "Hope Harbor")."""
    name = " ".join(name.split())
    return _LEGAL_FORM.sub("", name).strip(" ,.").lower()


def match_name(text: str, orgs: Sequence[KnownOrg]) -> tuple[int | None, float]:
    """The known organization this name is, and how sure (0-100); OCR noise scores low."""
    choices = {(o.id, i): alias for o in orgs for i, alias in enumerate((o.name, *o.aliases))}
    if not choices or not text.strip():
        return None, 0.0
    best = process.extractOne(text, choices, scorer=fuzz.token_sort_ratio, processor=core_name)
    if best is None:
        return None, 0.0
    return best[2][0], float(best[1])


def named(ev: Evidence, orgs: Sequence[KnownOrg]) -> tuple[Named, ...]:
    found: list[Named] = []
    for source, texts in (("subject", subject_names(ev.subject)), ("body", body_names(ev.body)),
                          ("signature", signature_names(ev.body)), ("form", list(ev.form_names))):
        for text in dict.fromkeys(texts):
            org_id, score = match_name(text, orgs)
            found.append(Named(source, text, org_id if score >= MATCH else None, score))
    for email in dict.fromkeys(ev.form_emails):  # a user's address at an organization's own domain names it
        if (org_id := domain_org(email.rpartition("@")[2], orgs)) is not None:
            found.append(Named("form", email, org_id, 100.0))
    return tuple(found)


def domain_org(domain: str, orgs: Sequence[KnownOrg]) -> int | None:
    if not domain or domain in FREEMAIL:
        return None
    return next((o.id for o in orgs if domain in o.domains), None)


# -- the decision ------------------------------------------------------------------------------------

def _name_of(org_id: int, orgs: Sequence[KnownOrg]) -> str:
    return next((o.name for o in orgs if o.id == org_id), f"organization {org_id}")


def _sender_backed(ev: Evidence, orgs: Sequence[KnownOrg]) -> tuple[int | None, Via, Standing]:
    rec = ev.record
    if rec.contact_of is not None:
        return rec.contact_of, "contact", "contact"
    if (org_id := domain_org(ev.sender_domain, orgs)) is not None:
        return org_id, "domain", "member"
    if rec.user_of is not None:
        return rec.user_of, "user", "user"
    return None, "none", "stranger"


def _disagreement(org_id: int, via: Via, names: Sequence[Named], ev: Evidence, orgs: Sequence[KnownOrg]) -> str | None:
    """A name that is clearly another organization's, against the sender's own organization."""
    for n in names:
        if n.org_id is not None and n.org_id != org_id:
            where = {"subject": "the subject", "body": "the message", "signature": "the signature",
                     "form": "the form"}[n.source]
            whose = (f"writes from {ev.sender_domain}" if via == "domain"
                     else f"is on file for {_name_of(org_id, orgs)}")
            return (f"{where.capitalize()} names {_name_of(n.org_id, orgs)}, but the sender {ev.sender} {whose}"
                    f"{f' ({_name_of(org_id, orgs)})' if via == 'domain' else ''}")
    return None


def _first_named(names: Sequence[Named]) -> Named | None:
    hits = sorted((n for n in names if n.org_id is not None), key=lambda n: (_RANK[n.source], -n.score))
    return hits[0] if hits else None


def identify(ev: Evidence, orgs: Sequence[KnownOrg]) -> Identity:
    """Which organization the message concerns, by which evidence, and whether the sender may act for it."""
    names = named(ev, orgs)
    org_id, via, standing = _sender_backed(ev, orgs)
    if ev.staff:
        org_id = org_id or ev.record.thread_org or getattr(_first_named(names), "org_id", None)
        return Identity(org_id, "thread" if org_id else "none", "staff", names=names)
    if org_id is not None:
        return Identity(org_id, via, standing, problem=_disagreement(org_id, via, names, ev, orgs), names=names)
    # The sender holds no organization: what the message names decides which one it is about ...
    hit = _first_named(names)
    target, target_via = (ev.record.thread_org, "thread") if ev.record.thread_org else (
        (hit.org_id, hit.source) if hit else (None, "none"))
    if target is not None:
        return _unheld(target, target_via, ev, orgs, names)
    return _new(ev, names)


def _unheld(target: int, via: str, ev: Evidence, orgs: Sequence[KnownOrg], names: tuple[Named, ...]) -> Identity:
    """... and only an unclaimed organization may be claimed, from a domain of its own."""
    org = next(o for o in orgs if o.id == target)
    v: Via = via  # type: ignore[assignment]
    if not org.claimed and ev.may_found and ev.sender_domain and ev.sender_domain not in FREEMAIL:
        return Identity(target, v, "claim", names=names)
    why = (f"{ev.sender or 'The sender'} is not a contact of {org.name} on file and does not write from one of "
           f"its domains, so the message may not change its records")
    return Identity(target, v, "stranger", problem=why, names=names)


def _new(ev: Evidence, names: tuple[Named, ...]) -> Identity:
    """Nothing known: a new organization, if the message may found one and gives a name no one has."""
    candidates = sorted(names, key=lambda n: _FOUNDING_RANK[n.source])
    near = next((n for n in candidates if n.score >= NEAR), None)
    if near is not None:
        return Identity(None, "none", "nobody", names=names,
                        problem=f'"{near.text}" looks like an organization we know, but does not match its name')
    # A signature block names people as often as organizations: it may match one, never found one.
    name = next((n.text for n in candidates if n.source != "signature" and plausible_name(n.text)), None)
    if ev.may_found and name:
        return Identity(None, "none", "new", new_name=" ".join(name.split()), names=names)
    return Identity(None, "none", "nobody", names=names)


def user_may_file(standing: Standing, sender: str, user_email: str) -> bool:
    """A registered user files only their own forms; contacts, members and claimants file anyone's."""
    return standing != "user" or sender.lower() == user_email.lower()
