"""Realistic specimens of LAHSA's three HMIS forms and of look-alike documents.

Used by `hmisbot demo`, the tests and the benchmarks, so that the bot is always
exercised on the same kinds of paper it meets in the mail: 4 layouts per form
(two designs x handwritten-looking or typed values), ink-stroke signatures, a CoC
Representative block that must stay blank.  The scanner/phone imitations live in
`scanner.py` and are re-exported here.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable

from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas

from bot.demo._draw import MARGIN, PAGE_H, PAGE_W, Pen, field_line, heading, paragraph, signature_line
from bot.demo._text import (
    FLYER,
    HMIS10_TERMS,
    ORG_TERMS,
    OTHER_CONFIDENTIALITY,
    USER_TERMS,
    W9_TEXT,
)
from bot.demo.scanner import combine, photo, scan, tiff

__all__ = [
    "LAYOUTS", "combine", "flyer_pdf", "hmis10_acknowledgement_pdf", "organization_agreement_pdf",
    "other_agency_confidentiality_pdf", "photo", "scan", "tiff", "training_certificate_pdf",
    "user_agreement_pdf", "w9_pdf",
]

LAYOUTS = 4  # design = layout % 2; values handwritten-looking in layouts 0 and 3
Draw = Callable[[Pen], None]


def _pen(c: Canvas, layout: int, seed: str) -> Pen:
    design = layout % 2
    hand = (layout % 2 == 0) != (layout >= 2)
    return Pen(c, PAGE_H - MARGIN,
               body_font="Helvetica" if design == 0 else "Times-Roman",
               bold_font="Helvetica-Bold" if design == 0 else "Times-Bold",
               hand_font="Times-Italic" if design == 0 else "Helvetica-Oblique",
               handwriting=hand, rng=random.Random(f"{seed}/{layout}"))


def _document(pages: list[Draw], layout: int, seed: str, title: str) -> bytes:
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(PAGE_W, PAGE_H), invariant=True)
    c.setTitle(title)
    pen = _pen(c, layout, seed)
    for number, draw in enumerate(pages, 1):
        pen.y = PAGE_H - MARGIN
        draw(pen)
        c.setFont(pen.body_font, 7.5)
        c.setFillColorRGB(0.3, 0.3, 0.3)
        footer = f"{title}  -  Page {number} of {len(pages)}" if layout % 2 == 0 else f"Page {number}"
        c.drawCentredString(PAGE_W / 2, 0.5 * inch, footer)
        c.setFillColorRGB(0, 0, 0)
        c.showPage()
    c.save()
    return buf.getvalue()


def _title(pen: Pen, title: str, subtitle: str) -> None:
    if pen.body_font == "Helvetica":
        pen.space(6)
        heading(pen, title, size=16, center=True)
        paragraph(pen, subtitle, size=9.5, x0=MARGIN + 0.9 * inch)
    else:
        heading(pen, "LOS ANGELES HOMELESS SERVICES AUTHORITY", size=9)
        paragraph(pen, "707 Wilshire Blvd., 10th Floor, Los Angeles, CA 90017", size=7.5)
        pen.space(14)
        heading(pen, title, size=15)
        paragraph(pen, subtitle, size=9.5)
    pen.space(6)


def _terms(pen: Pen, terms: list[str], start: int = 1) -> None:
    for i, term in enumerate(terms, start):
        paragraph(pen, f"{i}. {term}", size=9.5)


def _block(pen: Pen, head: str, rows: list[tuple[str, str | None]], signed: bool,
           x: float = MARGIN, width: float = PAGE_W - 2 * MARGIN, sig_label: str = "Signature:") -> None:
    """A signature block: heading, the signature line and `Label: value` lines."""
    pen.c.setFont(pen.bold_font, 10)
    pen.c.drawString(x, pen.y, head)
    pen.y -= 34
    signature_line(pen, sig_label, x, pen.y, width, signed)
    for label, text in rows:
        pen.y -= 26
        field_line(pen, label, x, pen.y, width, text)
    pen.y -= 30


def organization_agreement_pdf(org: str, signer_name: str, signer_title: str, date: str, *,
                               signed: bool = True, coc_signed: bool = False, filled: bool = True,
                               layout: int = 0) -> bytes:
    """The HMIS Organization Agreement (2 pages); the CoC block is blank unless `coc_signed`."""
    def val(s: str) -> str | None:
        return s if filled else None
    design = layout % 2
    title = ("HMIS ORGANIZATION AGREEMENT", "Agency Participation Agreement")[design]
    sub = ("Los Angeles Continuum of Care - Homeless Management Information System (HMIS)",
           "Homeless Management Information System (HMIS) - Los Angeles CoC")[design]
    terms = ORG_TERMS if design == 0 else ORG_TERMS[::-1]
    ed = ("EXECUTIVE DIRECTOR / AUTHORIZED REPRESENTATIVE",
          "Agency Executive Director or Authorized Representative")[design]
    coc = ("COC REPRESENTATIVE (LAHSA USE ONLY)", "CoC Representative (LAHSA)")[design]
    coc_rows: list[tuple[str, str | None]] = [("Printed Name:", "Maria Lopez" if coc_signed else None),
                                              ("Date:", date if coc_signed else None)]

    def page1(pen: Pen) -> None:
        _title(pen, title, sub)
        paragraph(pen, "This Agreement is entered into between the Los Angeles Homeless Services Authority "
                  "(LAHSA), the HMIS Lead Agency for the Los Angeles Continuum of Care (CoC), and the "
                  "Participating Organization named on page 2 of this Agreement.")
        _terms(pen, terms[:7])

    def page2(pen: Pen) -> None:
        if design == 0:
            heading(pen, "HMIS Organization Agreement (continued)", size=9)
        _terms(pen, terms[7:], 8)
        pen.space(10)
        paragraph(pen, "IN WITNESS WHEREOF, the parties have executed this Agreement.", size=9.5)
        field_line(pen, "Organization Name:", MARGIN, pen.y, PAGE_W - 2 * MARGIN, val(org))
        pen.y -= 34
        ed_rows: list[tuple[str, str | None]] = [("Printed Name:", val(signer_name)),
                                                 ("Title:", val(signer_title)), ("Date:", val(date))]
        if design == 0:
            _block(pen, ed, ed_rows, signed and filled)
            _block(pen, coc, [*coc_rows, ("Title:", None)], coc_signed)
        else:
            top, half = pen.y, (PAGE_W - 2 * MARGIN) / 2
            _block(pen, ed, ed_rows, signed and filled, width=half - 18)
            pen.y = top
            _block(pen, coc, coc_rows, coc_signed, x=MARGIN + half + 18, width=half - 18)
    return _document([page1, page2], layout, f"org/{org}", title.title())


def _user_rows(user_name: str, agency: str, email: str, date: str,
               filled: bool) -> list[tuple[str, str | None]]:
    vals = (user_name, agency, email, date) if filled else (None,) * 4
    labels = ("Printed Name:", "Agency:", "Email:", "Date:")
    return list(zip(labels, vals, strict=True))


def user_agreement_pdf(user_name: str, agency: str, email: str, date: str, *, signed: bool = True,
                       filled: bool = True, layout: int = 0, supervisor: bool = True) -> bytes:
    """The HMIS User Agreement: confidentiality terms, user (and supervisor) signature."""
    design = layout % 2
    title = ("HMIS USER AGREEMENT", "HMIS User Agreement Form")[design]
    sub = ("User Confidentiality and Responsibility Statement",
           "Los Angeles CoC Homeless Management Information System - End User Responsibilities")[design]
    rows = _user_rows(user_name, agency, email, date, filled)

    def signatures(pen: Pen) -> None:
        pen.space(8)
        _block(pen, "USER", rows, signed and filled, sig_label="User Signature:")
        if supervisor:
            _block(pen, "SUPERVISOR / AGENCY ADMINISTRATOR", [("Supervisor Name:", None)], False,
                   sig_label="Supervisor Signature:")

    def page1(pen: Pen) -> None:
        _title(pen, title, sub)
        paragraph(pen, "As an HMIS user I agree to protect the confidentiality of client information "
                  "and to follow the LAHSA HMIS Policies and Procedures, including:")
        _terms(pen, USER_TERMS if design == 0 else USER_TERMS[:9])
        if design == 0:
            signatures(pen)

    def page2(pen: Pen) -> None:
        _terms(pen, USER_TERMS[9:], 10)
        signatures(pen)
    return _document([page1] if design == 0 else [page1, page2], layout, f"user/{user_name}", title.title())


def hmis10_acknowledgement_pdf(user_name: str, agency: str, email: str, date: str, *, signed: bool = True,
                               filled: bool = True, layout: int = 0) -> bytes:
    """The HMIS 10 Acknowledgement Form that a new user signs after the HMIS 10 class."""
    design = layout % 2
    title = ("HMIS 10 ACKNOWLEDGEMENT FORM", "Acknowledgement of HMIS 10 Training")[design]
    sub = ("HMIS 10: Introduction to HMIS, Privacy and Security - New User Acknowledgement",
           "To be signed by each new HMIS user after completing HMIS 10")[design]
    rows = _user_rows(user_name, agency, email, date, filled)

    def page1(pen: Pen) -> None:
        _title(pen, title, sub)
        if design == 1:
            _block(pen, "NEW USER", rows[:3], False, sig_label="Initials:")
        paragraph(pen, "By signing below, I acknowledge that I have completed HMIS 10 and that:")
        _terms(pen, HMIS10_TERMS)
        pen.space(10)
        _block(pen, "NEW USER", rows if design == 0 else rows[3:], signed and filled,
               sig_label="Signature:")
    return _document([page1], layout, f"ack/{user_name}", title.title())


def _simple(title: str, body: list[str], seed: str, signer: str | None = None, layout: int = 1) -> bytes:
    def page(pen: Pen) -> None:
        _title(pen, title, body[0])
        for text in body[1:]:
            paragraph(pen, text)
        if signer:
            pen.space(20)
            _block(pen, signer, [("Date:", None)], True)
    return _document([page], layout, seed, title)


def w9_pdf() -> bytes:
    """An IRS Form W-9 look-alike (signed)."""
    return _simple("Form W-9 Request for Taxpayer Identification Number and Certification", W9_TEXT,
                   "w9", "Signature of U.S. person", layout=0)


def training_certificate_pdf(user: str, course: str = "HMIS 10: Introduction to HMIS") -> bytes:
    """A training certificate: mentions HMIS 10, LAHSA and a signature, yet is not a form."""
    body = ["Los Angeles Homeless Services Authority - HMIS Training",
            f"This certifies that {user} has successfully completed {course}.",
            "The HMIS Trainer confirms attendance of the full session and the passing of the quiz. "
            "Keep this certificate for your records; it is not the HMIS 10 Acknowledgement Form."]
    return _simple("CERTIFICATE OF COMPLETION", body, f"cert/{user}", "HMIS Trainer", layout=0)


def flyer_pdf() -> bytes:
    """A training flyer that names the forms without being one."""
    return _simple("New to HMIS? Join Our Training Webinars!", FLYER, "flyer")


def other_agency_confidentiality_pdf(agency: str = "Westside Family Shelter") -> bytes:
    """Another agency's staff confidentiality agreement, with words like the User Agreement's."""
    return _simple(f"{agency} Staff Confidentiality Agreement", OTHER_CONFIDENTIALITY,
                   f"conf/{agency}", "Employee Signature")
