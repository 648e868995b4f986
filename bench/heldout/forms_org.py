"""Six layouts of the Organization Agreement (Step 1: signed by the Executive Director or Authorized
Representative; the CoC Representative section is LAHSA's and must be left blank).

Layouts 0-2 form the tune half, 3-5 the test half. Each differs in title wording, fonts, body
structure, page count and signature-block style.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from bench.heldout.kit import Pen, who
from bench.heldout.legal import ORG_CLAUSES, ORG_INTRO, ORG_SIGN_NOTE, numbered
from bench.heldout.model import GREY, LIGHT, Doc
from bench.heldout.people import FormData


def _coc(d: FormData) -> tuple[str, str, str, str]:
    """(signature, name, title, date) written into the CoC section, usually nothing."""
    vals = d.coc_values and not d.blank
    return (who(d, d.coc_name, d.coc_signs), d.coc_name if vals else "", d.coc_title if vals else "",
            d.fmt() if vals else "")


def _iso(d: FormData) -> str:
    return d.date.isoformat() if d.date else ""


def org0(d: FormData, rng: random.Random) -> Doc:
    """Serif, numbered clauses over two pages, ED and CoC blocks side by side with captions under lines."""
    p = Pen(d, rng, font="serif", bold="serif-b", size=9.5)
    p.center("LOS ANGELES HOMELESS SERVICES AUTHORITY", p.y + 10, "serif-b", 9)
    p.rule(p.left, p.y + 16, p.right, 1.2)
    p.y += 24
    p.heading("HMIS Participating Organization Agreement", 15)
    p.label_line("Organization Name:", d.v(d.organization), p.left, p.y + 12, p.width, key="organization")
    p.label_line("Address:", d.v(d.address), p.left, p.y + 34, p.width)
    p.y += 48
    p.para(ORG_INTRO)
    for i, (lead, body) in enumerate(ORG_CLAUSES, 1):
        p.para(body, lead=f"{i}. {lead}")
    p.para("IN WITNESS WHEREOF, the parties have executed this Agreement as of the dates written below.")
    p.ensure(170)
    colw = (p.width - 30) / 2
    xs = (p.left, p.left + colw + 30)
    y = p.y + 16
    p.text(xs[0], y - 10, "EXECUTIVE DIRECTOR /", "serif-b", 8)
    p.text(xs[0], y, "AUTHORIZED REPRESENTATIVE", "serif-b", 8)
    p.text(xs[1], y - 10, "COC REPRESENTATIVE", "serif-b", 8)
    p.text(xs[1], y, "(LAHSA)", "serif-b", 8)
    sig, name, title, date = _coc(d)
    p.caption_line("Signature", "", xs[0], y + 40, colw, sig=who(d, d.signer_name, d.principal_signs))
    p.caption_line("Signature", "", xs[1], y + 40, colw, sig=sig)
    p.caption_line("Printed Name", d.v(d.signer_name), xs[0], y + 72, colw, key="signer_name")
    p.caption_line("Printed Name", name, xs[1], y + 72, colw)
    p.caption_line("Title", d.v(d.signer_title), xs[0], y + 104, colw, key="signer_title")
    p.caption_line("Title", title, xs[1], y + 104, colw)
    p.caption_line("Date", d.fmt(), xs[0], y + 136, colw, key="date", truth=_iso(d))
    p.caption_line("Date", date, xs[1], y + 136, colw)
    return p.finish("LAHSA HMIS Org Agreement  rev. 03/2024")


def org1(d: FormData, rng: random.Random) -> Doc:
    """Sans, one page, lettered clauses, signatures in a two-column grid."""
    p = Pen(d, rng, font="sans", bold="sans-b", size=8.2, margin=54, top=48)
    p.heading("Agency Participation Agreement – Los Angeles CoC HMIS", 15, align="left", gap=2)
    p.rule(p.left, p.y, p.right, 2.0)
    p.y += 8
    p.para(ORG_INTRO.replace("the organization named below", "the Participating Agency identified in the table "
                             "below (\"Agency\")"))
    for line in numbered([c[1] for c in ORG_CLAUSES[1:9]], "(a)"):
        p.para(line, indent=10, gap=3)
    p.para(ORG_SIGN_NOTE, font="sans-b", gap=10)
    sig, name, title, date = _coc(d)
    ed = who(d, d.signer_name, d.principal_signs)
    iso = _iso(d)
    p.grid(p.left, p.y, [p.width / 2, p.width / 2], [
        [("Agency Name", d.v(d.organization), "organization", None, None), ("Entity", "LAHSA – HMIS Lead", None, None,
                                                                             None)],
        [("Signature", "", None, None, ed), ("Signature", "", None, None, sig)],
        [("Printed Name", d.v(d.signer_name), "signer_name", None, None), ("Printed Name", name, None, None, None)],
        [("Title", d.v(d.signer_title), "signer_title", None, None), ("Title", title, None, None, None)],
        [("Date", d.fmt(), "date", iso, None), ("Date", date, None, None, None)],
    ], h=30, header=["PARTICIPATING AGENCY", "LOS ANGELES COC (LAHSA USE ONLY)"])
    return p.finish("Form HMIS-PA-1", numbers=False)


def org2(d: FormData, rng: random.Random) -> Doc:
    """Condensed serif, two pages with initials on each, "By: ____" signature blocks stacked."""
    p = Pen(d, rng, font="scond", bold="scond-b", size=10)
    p.heading("ORGANIZATION AGREEMENT", 16, gap=0)
    p.center("Los Angeles Homeless Management Information System (LA HMIS)", p.y + 12, "scond", 10)
    p.y += 26
    p.para(ORG_INTRO + " The organization agrees to the following terms:")
    for lead, body in ORG_CLAUSES:
        p.para(body, lead=lead.upper(), indent=14)
    p.ensure(260)
    ed = who(d, d.signer_name, d.principal_signs)
    y = p.y + 14
    p.text(p.left, y, "PARTICIPATING ORGANIZATION", "scond-b", 10)
    w = 300
    p.label_line("Organization:", d.v(d.organization), p.left, y + 22, w + 120, key="organization")
    p.label_line("By:", "", p.left, y + 50, w, sig=ed)
    p.label_line("Name:", d.v(d.signer_name), p.left, y + 72, w, key="signer_name")
    p.label_line("Its:", d.v(d.signer_title), p.left, y + 94, w, key="signer_title")
    p.label_line("Date:", d.fmt(), p.left, y + 116, w, key="date", truth=_iso(d))
    sig, name, title, date = _coc(d)
    y += 146
    p.text(p.left, y, "CONTINUUM OF CARE REPRESENTATIVE – FOR LAHSA USE ONLY", "scond-b", 10)
    p.label_line("By:", "", p.left, y + 28, w, sig=sig)
    p.label_line("Name:", name, p.left, y + 50, w)
    p.label_line("Its:", title, p.left, y + 72, w)
    p.label_line("Date:", date, p.left, y + 94, w)
    return p.finish("", initials_of=who(d, d.signer_name, d.principal_signs))


def org3(d: FormData, rng: random.Random) -> Doc:
    """Sans, lettered sections A-C in boxes with labels above, the LAHSA section shaded."""
    p = Pen(d, rng, font="sans", bold="sans-b", size=8.6, margin=50)
    p.heading("Memorandum of Understanding: HMIS Participation", 14, gap=0)
    p.center("Los Angeles Continuum of Care  ·  Coordinated Entry System", p.y + 12, "sans", 9)
    p.y += 26
    p.box(p.left, p.y, p.width, 16, 0.7, LIGHT)
    p.text(p.left + 5, p.y + 11.5, "SECTION A – PARTICIPATING ORGANIZATION", "sans-b", 9)
    p.label_box("Organization legal name", d.v(d.organization), p.left, p.y + 30, p.width * 0.62, 24,
                key="organization", outside=True)
    p.label_box("Street address", d.v(d.address), p.left + p.width * 0.62 + 8, p.y + 30, p.width * 0.38 - 8, 24,
                outside=True)
    p.y += 64
    p.para(ORG_INTRO, gap=4)
    for i, (_lead, body) in enumerate(ORG_CLAUSES[:10], 1):
        p.para(body, lead=f"A.{i}", gap=3)
    p.ensure(200)
    p.box(p.left, p.y, p.width, 16, 0.7, LIGHT)
    p.text(p.left + 5, p.y + 11.5, "SECTION B – EXECUTIVE DIRECTOR OR AUTHORIZED REPRESENTATIVE", "sans-b", 9)
    y = p.y + 28
    w1 = p.width * 0.68
    p.label_box("Signature", "", p.left, y, w1, 38, sig=who(d, d.signer_name, d.principal_signs), outside=True)
    p.label_box("Date", d.fmt(), p.left + w1 + 8, y, p.width - w1 - 8, 38, key="date", truth=_iso(d), outside=True)
    p.label_box("Printed name", d.v(d.signer_name), p.left, y + 52, w1, 24, key="signer_name", outside=True)
    p.label_box("Title", d.v(d.signer_title), p.left + w1 + 8, y + 52, p.width - w1 - 8, 24, key="signer_title",
                outside=True)
    p.y = y + 90
    p.ensure(110)
    p.box(p.left, p.y, p.width, 96, 0.7, (240, 240, 240))
    p.text(p.left + 5, p.y + 12, "SECTION C – CONTINUUM OF CARE REPRESENTATIVE  (LAHSA USE ONLY – DO NOT COMPLETE)",
           "sans-b", 8.5)
    sig, name, title, date = _coc(d)
    y = p.y + 30
    p.label_box("CoC Representative signature", "", p.left + 6, y, w1 - 6, 34, sig=sig)
    p.label_box("Date", date, p.left + w1 + 8, y, p.width - w1 - 14, 34)
    p.label_box("Name / Title", f"{name}, {title}" if name else "", p.left + 6, y + 36, p.width - 12, 26)
    p.y += 100
    return p.finish("MOU-HMIS  v2.1", numbers=True)


def org4(d: FormData, rng: random.Random) -> Doc:
    """Condensed sans, one page: name written inline in the first sentence, check boxes, "X ____" lines."""
    p = Pen(d, rng, font="cond", bold="cond-b", size=9.5, margin=58)
    p.heading("Los Angeles HMIS", 11, gap=0)
    p.heading("ORGANIZATION PARTICIPATION AGREEMENT", 15, gap=10)
    y = p.y + 12
    w = p.text(p.left, y, "The undersigned organization,", "cond", 10) + 4
    p.rule(p.left + w, y + 2, p.right, 0.6)
    p.value(p.left + w + 4, y - 1, d.v(d.organization), "organization", maxw=p.right - p.left - w - 8)
    p.y = y + 4
    p.para("(the \"Organization\"), by the signature of its Executive Director or Authorized Representative, "
           "confirms each of the following:", size=10)
    for lead, body in ORG_CLAUSES[1:7]:
        p.checkbox(p.left + 6, p.y + 14, rng.random() < 0.9, f"{lead} {body}", p.width - 6)
    p.para(ORG_CLAUSES[10][1], gap=14)
    p.ensure(190)
    y = p.y + 30
    p.text(p.left, y, "X", "sans-b", 16)
    p.caption_line("Signature of Executive Director or Authorized Representative", "", p.left + 16, y, 300,
                   sig=who(d, d.signer_name, d.principal_signs))
    p.caption_line("Date", d.fmt(), p.left + 340, y, p.width - 340, key="date", truth=_iso(d))
    p.caption_line("Print name", d.v(d.signer_name), p.left + 16, y + 32, 300, key="signer_name")
    p.caption_line("Title", d.v(d.signer_title), p.left + 340, y + 32, p.width - 340, key="signer_title")
    y += 62
    p.rule(p.left, y, p.right, 0.8, dash=(4, 3))
    p.center("  LAHSA USE ONLY  ", y + 12, "cond-b", 8.5)
    sig, name, title, date = _coc(d)
    p.text(p.left, y + 44, "X", "sans-b", 16)
    p.caption_line("CoC Representative", f"{name}, {title}" if name else "", p.left + 16, y + 44, 300,
                   sig=sig if sig else None)
    p.caption_line("Date received / countersigned", date, p.left + 340, y + 44, p.width - 340)
    return p.finish("LA-HMIS-OPA  (one page)", numbers=False)


def org5(d: FormData, rng: random.Random) -> Doc:
    """Serif, two-column clauses, signature page with labels above lines and an office-use panel."""
    p = Pen(d, rng, font="serif", bold="serif-b", size=8.4, margin=50)
    p.text(p.left, p.y + 8, "Los Angeles Continuum of Care", "serif-i", 9, GREY)
    p.y += 14
    p.heading("Partner Agency HMIS Participation & Data Sharing Agreement", 14, align="left", gap=6)
    p.rule(p.left, p.y, p.right, 0.8)
    p.y += 6
    p.para(ORG_INTRO, gap=8)
    p.columns([(f"§{i}. {lead}", body) for i, (lead, body) in enumerate(ORG_CLAUSES, 1)], 8.4)
    p.new_page()
    p.heading("Signature Page", 12, align="left")
    p.para("Partner Agency: by signing, the Executive Director or Authorized Representative binds the agency to "
           "this Agreement.", size=9.5, gap=16)
    half = (p.width - 24) / 2
    y = p.y + 10
    p.above_line("PARTNER AGENCY NAME", d.v(d.organization), p.left, y, p.width, key="organization")
    p.above_line("SIGNATURE OF EXECUTIVE DIRECTOR / AUTHORIZED REPRESENTATIVE", "", p.left, y + 44, half,
                 sig=who(d, d.signer_name, d.principal_signs))
    p.above_line("DATE SIGNED", d.fmt(), p.left + half + 24, y + 44, half, key="date", truth=_iso(d))
    p.above_line("NAME (PRINT)", d.v(d.signer_name), p.left, y + 88, half, key="signer_name")
    p.above_line("TITLE", d.v(d.signer_title), p.left + half + 24, y + 88, half, key="signer_title")
    y += 150
    p.rule(p.left, y, p.right, 0.8, dash=(2, 2))
    p.box(p.left, y + 10, p.width, 118, 0.6, (236, 236, 236))
    p.text(p.left + 6, y + 24, "OFFICE USE ONLY – CoC Representative (to be completed by LAHSA)", "serif-b", 9)
    sig, name, title, date = _coc(d)
    p.above_line("SIGNATURE", "", p.left + 6, y + 42, half - 6, sig=sig)
    p.above_line("DATE", date, p.left + half + 24, y + 42, half - 30)
    p.above_line("NAME / TITLE", f"{name}, {title}" if name else "", p.left + 6, y + 84, p.width - 12)
    return p.finish("PA-DSA 2024", numbers=True)


LAYOUTS: list[Callable[[FormData, random.Random], Doc]] = [org0, org1, org2, org3, org4, org5]
NAMES = ["org-witness-2col", "org-agency-grid", "org-by-lines-initials", "org-mou-sections",
         "org-checkbox-xline", "org-2col-officeuse"]
