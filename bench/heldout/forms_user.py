"""Six layouts of the HMIS User Agreement (Step 3: signed by every user, often also by a supervisor
or agency administrator). The principal signature is the user's.

Layouts 0-2 form the tune half, 3-5 the test half.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from bench.heldout.kit import Pen, who
from bench.heldout.legal import ETHICS, USER_CHECKS, USER_CLAUSES, numbered
from bench.heldout.model import LIGHT, Doc
from bench.heldout.people import FormData


def _dates(d: FormData) -> tuple[str, str, str]:
    """(user date as written, its ISO truth, supervisor date as written or '')."""
    if d.date is None or d.blank:
        return "", "", ""
    sup = d.fmt(d.date + dt.timedelta(days=d.date.day % 3)) if d.second_signs else ""
    return d.fmt(), d.date.isoformat(), sup


def user0(d: FormData, rng: random.Random) -> Doc:
    """Serif, two pages: user details in two columns of label lines, user and supervisor side by side."""
    p = Pen(d, rng, font="serif", bold="serif-b", size=9.8)
    p.heading("HMIS End User Agreement", 16, gap=2)
    p.center("Los Angeles Continuum of Care Homeless Management Information System", p.y + 10, "serif-i", 9.5)
    p.y += 22
    half = (p.width - 20) / 2
    date, iso, sup_date = _dates(d)
    p.label_line("User Name:", d.v(d.user_name), p.left, p.y + 14, half, key="user_name")
    p.label_line("Agency:", d.v(d.organization), p.left + half + 20, p.y + 14, half, key="organization")
    p.label_line("Email:", d.v(d.email), p.left, p.y + 36, half, key="email")
    p.label_line("Phone:", d.v(d.phone), p.left + half + 20, p.y + 36, half)
    p.y += 52
    p.para("HMIS users are responsible for protecting the privacy of the clients whose information is recorded in "
           "the system. As a condition of receiving a user account I agree to the following:")
    for line in numbered(USER_CLAUSES):
        p.para(line, indent=12)
    p.para("I understand and agree to comply with all of the statements listed above.", gap=12)
    p.ensure(120)
    xs = (p.left, p.left + half + 20)
    y = p.y + 14
    p.text(xs[0], y, "USER", "serif-b", 9)
    p.text(xs[1], y, "SUPERVISOR / AGENCY ADMINISTRATOR", "serif-b", 9)
    p.caption_line("User Signature", "", xs[0], y + 38, half, sig=who(d, d.user_name, d.principal_signs))
    p.caption_line("Supervisor Signature", "", xs[1], y + 38, half, sig=who(d, d.supervisor_name, d.second_signs))
    p.caption_line("Date", date, xs[0], y + 70, half, key="date", truth=iso)
    p.caption_line("Printed Name / Date", f"{d.supervisor_name}   {sup_date}" if sup_date else "", xs[1], y + 70, half)
    return p.finish("HMIS-EUA", numbers=True)


def user1(d: FormData, rng: random.Random) -> Doc:
    """Sans: policy, responsibility statements each initialled, code of ethics, captioned lines."""
    p = Pen(d, rng, font="sans", bold="sans-b", size=8.6, margin=56)
    p.heading("User Policy, Responsibility Statement & Code of Ethics", 14, gap=4)
    p.heading("User Policy", 10.5, align="left", gap=2)
    p.para("Partner agencies shall share information for provision of services to homeless persons through a "
           "networked infrastructure that establishes electronic communication among the partner agencies. "
           "Users shall at all times have rights to the data pertaining to their own agency's clients.")
    p.heading("User Responsibility", 10.5, align="left", gap=2)
    p.para("Your User ID and password give you access to the HMIS. Initial each item below to indicate your "
           "understanding and acceptance of the proper use of your User ID and password.", gap=8)
    initials = who(d, d.user_name, d.principal_signs)
    for clause in USER_CLAUSES[:7]:
        p.ensure(30)
        y = p.y + 14
        p.rule(p.left, y + 2, p.left + 40)
        p.initials(p.left + 2, y + 2, initials)
        p.y = y - 11
        p.para(clause, x=p.left + 50, width=p.width - 50, gap=4)
    p.heading("Code of Ethics", 10.5, align="left", gap=2)
    for item in ETHICS:
        p.para("•  " + item, indent=8, gap=2)
    p.ensure(130)
    date, iso, sup_date = _dates(d)
    y = p.y + 36
    w1 = p.width * 0.6
    p.caption_line("User Signature", "", p.left, y, w1, sig=initials)
    p.caption_line("Date", date, p.left + w1 + 20, y, p.width - w1 - 20, key="date", truth=iso)
    p.caption_line("Print Name", d.v(d.user_name), p.left, y + 32, w1, key="user_name")
    p.caption_line("Agency", d.v(d.organization), p.left + w1 + 20, y + 32, p.width - w1 - 20, key="organization")
    p.caption_line("Email address", d.v(d.email), p.left, y + 64, w1, key="email")
    p.caption_line("Agency Administrator Signature", "", p.left, y + 100, w1,
                   sig=who(d, d.supervisor_name, d.second_signs))
    p.caption_line("Date", sup_date, p.left + w1 + 20, y + 100, p.width - w1 - 20)
    return p.finish("Rev. 2023-09", numbers=True)


def user2(d: FormData, rng: random.Random) -> Doc:
    """Condensed sans, one page: user information table, lettered clauses, signature table."""
    p = Pen(d, rng, font="cond", bold="cond-b", size=9, margin=50)
    p.heading("HMIS User Agreement and Confidentiality Statement", 15, gap=8)
    date, iso, sup_date = _dates(d)
    half = p.width / 2
    p.y = p.grid(p.left, p.y, [half, half], [
        [("Name of User", d.v(d.user_name), "user_name", None, None), ("Job Title", d.v(d.user_title), None, None,
                                                                      None)],
        [("Agency", d.v(d.organization), "organization", None, None), ("Work Email", d.v(d.email), "email", None,
                                                                       None)],
        [("Phone", d.v(d.phone), None, None, None), ("Date", date, "date", iso, None)],
    ], h=28, header=["USER INFORMATION", ""]) + 10
    for line in numbered(USER_CLAUSES, "(a)"):
        p.para(line, indent=10, gap=3)
    p.para("Violation of this agreement may result in the revocation of HMIS access.", font="cond-b", gap=10)
    p.ensure(110)
    p.grid(p.left, p.y, [half * 1.25, half * 0.75], [
        [("User Signature", "", None, None, who(d, d.user_name, d.principal_signs)), ("Date", date, None, None, None)],
        [("Agency Administrator Signature", "", None, None, who(d, d.supervisor_name, d.second_signs)),
         ("Date", sup_date, None, None, None)],
    ], h=40, header=["SIGNATURES", ""])
    return p.finish("", numbers=False)


def user3(d: FormData, rng: random.Random) -> Doc:
    """Sans, one page: statements with check boxes, "X ____" signature lines."""
    p = Pen(d, rng, font="sans", bold="sans-b", size=9, margin=60)
    p.heading("Los Angeles CoC HMIS", 10, gap=0)
    p.heading("User Access & Confidentiality Agreement", 15, gap=10)
    p.para("Check each box to confirm, then sign and return a scanned copy to HMIS Support.", font="sans-i", gap=8)
    for text in USER_CHECKS:
        p.checkbox(p.left + 4, p.y + 13, rng.random() < 0.93, text, p.width - 4)
    p.y += 4
    for clause in USER_CLAUSES[:5]:
        p.para(clause, gap=3)
    p.ensure(200)
    date, iso, sup_date = _dates(d)
    y = p.y + 34
    w1 = p.width * 0.62
    p.text(p.left, y, "X", "sans-b", 16)
    p.caption_line("User signature", "", p.left + 16, y, w1 - 16, sig=who(d, d.user_name, d.principal_signs))
    p.caption_line("Date", date, p.left + w1 + 16, y, p.width - w1 - 16, key="date", truth=iso)
    p.caption_line("User name (print)", d.v(d.user_name), p.left + 16, y + 32, w1 - 16, key="user_name")
    p.caption_line("Agency / organization", d.v(d.organization), p.left + 16, y + 64, w1 - 16, key="organization")
    p.caption_line("E-mail", d.v(d.email), p.left + w1 + 16, y + 64, p.width - w1 - 16, key="email")
    p.text(p.left, y + 104, "X", "sans-b", 16)
    p.caption_line("Supervisor signature", "", p.left + 16, y + 104, w1 - 16,
                   sig=who(d, d.supervisor_name, d.second_signs))
    p.caption_line("Date", sup_date, p.left + w1 + 16, y + 104, p.width - w1 - 16)
    return p.finish("LA-HMIS-UACA", numbers=False)


def user4(d: FormData, rng: random.Random) -> Doc:
    """Serif, boxes with labels above them for the user details and both signatures."""
    p = Pen(d, rng, font="serif", bold="serif-b", size=9, margin=54)
    p.box(p.left, p.y, p.width, 30, 0, LIGHT, stroke=None)
    p.center("End User License and Responsibility Form", p.y + 20, "serif-b", 14)
    p.y += 48
    date, iso, sup_date = _dates(d)
    half = (p.width - 12) / 2
    p.label_box("FULL NAME", d.v(d.user_name), p.left, p.y + 10, half, 24, key="user_name", outside=True)
    p.label_box("JOB TITLE", d.v(d.user_title), p.left + half + 12, p.y + 10, half, 24, outside=True)
    p.label_box("AGENCY / ORGANIZATION", d.v(d.organization), p.left, p.y + 48, half, 24, key="organization",
                outside=True)
    p.label_box("WORK E-MAIL", d.v(d.email), p.left + half + 12, p.y + 48, half, 24, key="email", outside=True)
    p.y += 84
    p.para("The HMIS Lead grants the user named above a non-transferable license to use HMIS on the following "
           "conditions:", gap=6)
    for line in numbered(USER_CLAUSES, "i."):
        p.para(line, indent=14, gap=3)
    p.para("By signing below, I certify that I have read, understand and will abide by these conditions.", gap=14)
    p.ensure(120)
    w1 = p.width * 0.7
    p.label_box("SIGNATURE OF USER", "", p.left, p.y + 10, w1, 38, outside=True,
                sig=who(d, d.user_name, d.principal_signs))
    p.label_box("DATE", date, p.left + w1 + 12, p.y + 10, p.width - w1 - 12, 38, key="date", truth=iso, outside=True)
    p.label_box("SIGNATURE OF SUPERVISOR", "", p.left, p.y + 64, w1, 38, outside=True,
                sig=who(d, d.supervisor_name, d.second_signs))
    p.label_box("DATE", sup_date, p.left + w1 + 12, p.y + 64, p.width - w1 - 12, 38, outside=True)
    return p.finish("EULRF-01", numbers=True)


def user5(d: FormData, rng: random.Random) -> Doc:
    """Condensed serif, two pages initialled at the foot, "By: ____" blocks for user and supervisor."""
    p = Pen(d, rng, font="scond", bold="scond-b", size=10.5)
    p.heading("HMIS PARTICIPANT USER AGREEMENT", 15, gap=12)
    p.para("This agreement is made between the HMIS Lead for the Los Angeles Continuum of Care and the user signing "
           "below, who is employed by or volunteers for a participating organization.")
    for i, clause in enumerate(USER_CLAUSES, 1):
        p.para(clause, lead=f"Section {i}.")
    for item in ETHICS[:4]:
        p.para(item, indent=20)
    p.ensure(230)
    date, iso, sup_date = _dates(d)
    w = 320
    y = p.y + 16
    p.text(p.left, y, "USER", "scond-b", 10.5)
    p.label_line("By:", "", p.left, y + 28, w, sig=who(d, d.user_name, d.principal_signs))
    p.label_line("Name:", d.v(d.user_name), p.left, y + 50, w, key="user_name")
    p.label_line("Organization:", d.v(d.organization), p.left, y + 72, w + 80, key="organization")
    p.label_line("E-mail:", d.v(d.email), p.left, y + 94, w, key="email")
    p.label_line("Date:", date, p.left, y + 116, w, key="date", truth=iso)
    y += 146
    p.text(p.left, y, "APPROVED BY SUPERVISOR", "scond-b", 10.5)
    p.label_line("By:", "", p.left, y + 28, w, sig=who(d, d.supervisor_name, d.second_signs))
    p.label_line("Name:", d.supervisor_name if d.second_signs and not d.blank else "", p.left, y + 50, w)
    p.label_line("Date:", sup_date, p.left, y + 72, w)
    return p.finish("", initials_of=who(d, d.user_name, d.principal_signs))


LAYOUTS: list[Callable[[FormData, random.Random], Doc]] = [user0, user1, user2, user3, user4, user5]
NAMES = ["user-eua-2col", "user-policy-ethics-initials", "user-confidentiality-grid", "user-checkbox-xline",
         "user-license-boxes", "user-by-lines-initials"]
