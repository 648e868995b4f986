"""Six layouts of the HMIS 10 Acknowledgement Form (Step 3: signed by each new user after HMIS 10).
The principal signature is the user's; some layouts also carry a trainer's signature.

Layouts 0-2 form the tune half, 3-5 the test half.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from bench.heldout.kit import Pen, who
from bench.heldout.legal import HMIS10_BODY, HMIS10_TOPICS, USER_CLAUSES
from bench.heldout.model import GREY, Doc
from bench.heldout.people import FormData


def _dates(d: FormData) -> tuple[str, str, str]:
    """(signature date as written, ISO truth, training date as written)."""
    if d.date is None or d.blank:
        return "", "", ""
    return d.fmt(), d.date.isoformat(), d.fmt(d.date - dt.timedelta(days=d.date.day % 5))


def h10_0(d: FormData, rng: random.Random) -> Doc:
    """Serif, short: title, body, captioned lines for signature, date, name and agency."""
    p = Pen(d, rng, font="serif", bold="serif-b", size=10.5, top=90)
    p.heading("HMIS 10 Acknowledgement", 18, gap=16)
    for text in HMIS10_BODY:
        p.para(text, gap=9)
    date, iso, _ = _dates(d)
    y = p.y + 60
    w1 = p.width * 0.6
    p.caption_line("Participant Signature", "", p.left, y, w1, sig=who(d, d.user_name, d.principal_signs), size=8.5)
    p.caption_line("Date", date, p.left + w1 + 24, y, p.width - w1 - 24, key="date", truth=iso, size=8.5)
    p.caption_line("Printed Name", d.v(d.user_name), p.left, y + 40, w1, key="user_name", size=8.5)
    p.caption_line("Agency", d.v(d.organization), p.left, y + 80, w1, key="organization", size=8.5)
    return p.finish("", numbers=False)


def h10_1(d: FormData, rng: random.Random) -> Doc:
    """Sans, a table for details and signature."""
    p = Pen(d, rng, font="sans", bold="sans-b", size=9.5, top=70)
    p.heading("Acknowledgment of HMIS 10 Training Completion", 15, gap=4)
    p.center("New User Training  ·  Los Angeles CoC HMIS", p.y + 8, "sans", 9.5)
    p.y += 26
    p.para(HMIS10_BODY[0], gap=6)
    p.para(HMIS10_BODY[1], gap=6)
    p.para(HMIS10_BODY[2], gap=14)
    date, iso, train = _dates(d)
    half = p.width / 2
    p.grid(p.left, p.y, [half, half], [
        [("Name of new user", d.v(d.user_name), "user_name", None, None),
         ("Agency", d.v(d.organization), "organization", None, None)],
        [("HMIS 10 training date", train, None, None, None), ("E-mail", d.v(d.email), None, None, None)],
        [("Signature", "", None, None, who(d, d.user_name, d.principal_signs)),
         ("Date signed", date, "date", iso, None)],
    ], h=36, header=["PARTICIPANT", ""])
    return p.finish("HMIS10-ACK", numbers=False)


def h10_2(d: FormData, rng: random.Random) -> Doc:
    """Condensed sans, topics ticked in check boxes, label lines, no organization printed."""
    p = Pen(d, rng, font="cond", bold="cond-b", size=10, top=64)
    p.heading("HMIS 10: New User Training", 16, gap=0)
    p.heading("Acknowledgement Form", 13, gap=12)
    p.para("I attended HMIS 10 and the following topics were covered:", gap=6)
    for topic in HMIS10_TOPICS:
        p.checkbox(p.left + 10, p.y + 14, True, topic, p.width - 10)
    p.y += 6
    for text in HMIS10_BODY[2:]:
        p.para(text, gap=6)
    date, iso, _ = _dates(d)
    y = p.y + 40
    p.label_line("Name:", d.v(d.user_name), p.left, y, 300, key="user_name")
    p.label_line("Signature:", "", p.left, y + 40, 300, sig=who(d, d.user_name, d.principal_signs))
    p.label_line("Date:", date, p.left + 330, y + 40, p.width - 330, key="date", truth=iso)
    return p.finish("", numbers=False)


def h10_3(d: FormData, rng: random.Random) -> Doc:
    """Serif with boxes labelled above; long certification title."""
    p = Pen(d, rng, font="serif", bold="serif-b", size=9.5, margin=58)
    p.heading("Certification of HMIS 10 Webinar Attendance and Acknowledgement of Privacy Requirements", 13, gap=14)
    date, iso, train = _dates(d)
    w1 = p.width * 0.64
    p.label_box("Participant name", d.v(d.user_name), p.left, p.y + 10, w1, 26, key="user_name", outside=True)
    p.label_box("Webinar date", train, p.left + w1 + 10, p.y + 10, p.width - w1 - 10, 26, outside=True)
    p.label_box("Organization", d.v(d.organization), p.left, p.y + 52, p.width, 26, key="organization",
                outside=True)
    p.y += 96
    for text in HMIS10_BODY:
        p.para(text, gap=6)
    for clause in USER_CLAUSES[:3]:
        p.para(clause, indent=14, gap=4)
    p.ensure(80)
    p.label_box("Signature of participant", "", p.left, p.y + 16, w1, 40, outside=True,
                sig=who(d, d.user_name, d.principal_signs))
    p.label_box("Date", date, p.left + w1 + 10, p.y + 16, p.width - w1 - 10, 40, key="date", truth=iso,
                outside=True)
    return p.finish("HMIS 10 – certification", numbers=False)


def h10_4(d: FormData, rng: random.Random) -> Doc:
    """Sans, "X ____" lines with user and trainer side by side."""
    p = Pen(d, rng, font="sans", bold="sans-b", size=9.5, top=72)
    p.text(p.left, p.y, "LOS ANGELES CONTINUUM OF CARE · HMIS", "sans-b", 8, GREY)
    p.heading("New User Acknowledgement (HMIS 10)", 16, align="left", gap=10)
    date, iso, train = _dates(d)
    p.label_line("Agency:", d.v(d.organization), p.left, p.y + 14, p.width, key="organization")
    p.label_line("Completed HMIS 10 on:", train, p.left, p.y + 38, 300)
    p.y += 54
    for text in HMIS10_BODY[:4]:
        p.para("–  " + text, gap=5)
    half = (p.width - 30) / 2
    y = p.y + 60
    p.text(p.left, y, "X", "sans-b", 16)
    p.text(p.left + half + 30, y, "X", "sans-b", 16)
    p.caption_line("New user signature", "", p.left + 16, y, half - 16, sig=who(d, d.user_name, d.principal_signs))
    p.caption_line("HMIS Trainer signature", "", p.left + half + 46, y, half - 16,
                   sig=who(d, d.trainer_name, d.second_signs))
    p.caption_line("New user name (print)", d.v(d.user_name), p.left + 16, y + 34, half - 16, key="user_name")
    p.caption_line("Trainer name (print)", d.trainer_name if d.second_signs and not d.blank else "",
                   p.left + half + 46, y + 34, half - 16)
    p.caption_line("Date", date, p.left + 16, y + 68, half - 16, key="date", truth=iso)
    return p.finish("HMIS10-NUA", numbers=False)


def h10_5(d: FormData, rng: random.Random) -> Doc:
    """Condensed serif, two pages with initials at the foot, "By: ____" block."""
    p = Pen(d, rng, font="scond", bold="scond-b", size=11.5)
    p.heading("HMIS 10 WEBINAR", 13, gap=0)
    p.heading("Participant Acknowledgement Statement", 17, gap=14)
    for text in HMIS10_BODY:
        p.para(text, gap=9)
    p.heading("Topics reviewed in the webinar", 12, align="left", gap=4)
    for topic in HMIS10_TOPICS:
        p.para("•  " + topic, indent=14, gap=2)
    p.heading("Responsibilities I accept", 12, align="left", gap=4)
    for clause in USER_CLAUSES:
        p.para(clause, indent=14, gap=5)
    p.ensure(170)
    date, iso, _ = _dates(d)
    y = p.y + 20
    w = 320
    p.label_line("By:", "", p.left, y + 20, w, sig=who(d, d.user_name, d.principal_signs))
    p.label_line("Printed name:", d.v(d.user_name), p.left, y + 44, w, key="user_name")
    p.label_line("Organization:", d.v(d.organization), p.left, y + 68, w + 80, key="organization")
    p.label_line("Date:", date, p.left, y + 92, w, key="date", truth=iso)
    return p.finish("", initials_of=who(d, d.user_name, d.principal_signs))


LAYOUTS: list[Callable[[FormData, random.Random], Doc]] = [h10_0, h10_1, h10_2, h10_3, h10_4, h10_5]
NAMES = ["h10-captions", "h10-grid", "h10-topics-checkbox", "h10-certification-boxes", "h10-xline-trainer",
         "h10-by-lines-initials"]
