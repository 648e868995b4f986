"""The labelled corpus of forms and look-alikes, generated (never stored).

Each sample says what the bot must find: kind, pages, signed / CoC blank, fields.
Renders: text PDF, noisy 200-dpi scan (small skew), rotated scan (90/180/270) and
phone photo (JPEG of the signature page).  `corpus(full=False)` is the small set
the unit tests use; the benchmark uses `full=True`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from bot.demo import specimens as sp

PEOPLE = [
    ("Carlos Rivera", "Hope Harbor Services", "crivera@hopeharbor.org", "Executive Director"),
    ("Jane Q. Doe", "Sunrise Family Center", "jdoe@sunrisefc.org", "Authorized Representative"),
    ("Ana Kim", "Downtown Outreach Project", "akim@dop-la.org", "Chief Executive Officer"),
    ("Marcus Lee", "Valley Shelter Alliance", "mlee@valleyshelter.org", "Executive Director"),
]
DATES = [("11/02/2026", "2026-11-02"), ("2026-03-15", "2026-03-15"), ("07/30/2026", "2026-07-30"),
         ("01/09/2027", "2027-01-09")]
RENDERS = ("text", "scan", "rotated", "photo")


@dataclass(frozen=True)
class Paper:
    """One generated document before rendering, with what it should yield."""

    name: str
    kind: str
    pdf: bytes
    pages: int
    signed: bool | None = None
    coc_blank: bool | None = None
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Sample:
    name: str
    render: str
    data: bytes
    paper: Paper
    pages: tuple[int, ...]


def _forms(layouts: range) -> Iterator[Paper]:
    for layout in layouts:
        user, agency, email, title = PEOPLE[layout % len(PEOPLE)]
        raw, iso = DATES[layout % len(DATES)]
        org_fields = {"organization": agency, "signer_name": user, "signer_title": title, "date": iso}
        for state, signed, coc in (("signed", True, False), ("unsigned", False, False), ("cocsigned", True, True)):
            pdf = sp.organization_agreement_pdf(agency, user, title, raw, signed=signed, coc_signed=coc,
                                                layout=layout)
            yield Paper(f"org-l{layout}-{state}", "organization_agreement", pdf, 2, signed, not coc, org_fields)
        ufields = {"user_name": user, "agency": agency, "email": email, "date": iso}
        for state, signed in (("signed", True), ("unsigned", False)):
            pdf = sp.user_agreement_pdf(user, agency, email, raw, signed=signed, layout=layout)
            yield Paper(f"user-l{layout}-{state}", "user_agreement", pdf, 1 + layout % 2, signed, None, ufields)
            pdf = sp.hmis10_acknowledgement_pdf(user, agency, email, raw, signed=signed, layout=layout)
            yield Paper(f"ack-l{layout}-{state}", "hmis10_acknowledgement", pdf, 1, signed, None, ufields)


def _blank_and_lookalikes() -> Iterator[Paper]:
    yield Paper("org-blank", "organization_agreement",
                sp.organization_agreement_pdf("", "", "", "", filled=False, signed=False), 2, False, None)
    yield Paper("user-blank", "user_agreement", sp.user_agreement_pdf("", "", "", "", filled=False, layout=1),
                2, False)
    looks: list[tuple[str, Callable[[], bytes]]] = [
        ("w9", sp.w9_pdf), ("certificate", lambda: sp.training_certificate_pdf("Carlos Rivera")),
        ("flyer", sp.flyer_pdf), ("other-confidentiality", sp.other_agency_confidentiality_pdf)]
    for name, make in looks:
        yield Paper(name, "unknown", make(), 1)


def papers(full: bool = True) -> list[Paper]:
    return [*_forms(range(4) if full else range(2)), *_blank_and_lookalikes()]


def render(paper: Paper, how: str, seed: int) -> Sample:
    all_pages = tuple(range(1, paper.pages + 1))
    if how == "text":
        return Sample(paper.name, how, paper.pdf, paper, all_pages)
    if how == "scan":
        skew = (-1.0, -0.5, 0.6, 1.2)[seed % 4]
        return Sample(paper.name, how, sp.scan(paper.pdf, skew=skew, seed=seed), paper, all_pages)
    if how == "rotated":
        rot = (90, 180, 270)[seed % 3]
        return Sample(paper.name, f"rot{rot}", sp.scan(paper.pdf, rotate=rot, skew=0.4, seed=seed), paper,
                      all_pages)
    return Sample(paper.name, how, sp.photo(paper.pdf, seed, page=paper.pages - 1), paper, (1,))


def corpus(full: bool = True, renders: tuple[str, ...] = RENDERS) -> list[Sample]:
    out = []
    for i, paper in enumerate(papers(full)):
        for how in renders:
            out.append(render(paper, how, i))
    return out
