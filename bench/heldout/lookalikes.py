"""Look-alike documents (kind ``unknown``): things that mention HMIS, carry signatures or look like
forms, but are none of the three forms.

Owns: HMIS-related letter, invoice, training sign-in sheet (tune half); training certificate,
training flyer, client consent form (test half). Blank templates of the real layouts are built in
``generate`` from the form layouts with an empty ``FormData``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from bench.heldout import ink
from bench.heldout.kit import Cell, Pen
from bench.heldout.model import GREY, LIGHT, Doc
from bench.heldout.people import FormData, email_of, person, sample


def letter(d: FormData, rng: random.Random) -> Doc:
    """A signed letter on the organization's letterhead asking for HMIS program setup."""
    p = Pen(d, rng, font=rng.choice(["serif", "sans"]), bold="serif-b", size=10.5, top=56)
    p.text(p.left, p.y + 14, d.organization, p.bold, 15)
    p.text(p.left, p.y + 30, d.address + "  ·  " + d.phone, p.font, 8.5, GREY)
    p.rule(p.left, p.y + 38, p.right, 1.0)
    p.y += 70
    p.para(d.date.strftime("%B %d, %Y") if d.date else "", gap=14)
    p.para("HMIS Implementation Team\nLos Angeles Homeless Services Authority".replace("\n", " – "), gap=14)
    p.para("Re: Request to implement our HMIS programs for the Coordinated Entry System", font=p.bold, gap=12)
    p.para("Dear HMIS Implementation Team,", gap=10)
    p.para(f"{d.organization} would like to participate in HMIS for CES. Our Executive Director signed the "
           "Organization Agreement last week and it was sent to the training inbox. We are now asking that our "
           "outreach and interim housing programs be modified so that our staff can use the CES tools.")
    p.para("Our organization's CES roles are Assessment Only and Housing Navigation/Case Management. Four staff "
           "members will attend HMIS 10 and HMIS 509; each of them will sign the User Agreement and the HMIS 10 "
           "Acknowledgement after training.")
    p.para("Please let me know if you need anything further from us to complete the setup.", gap=22)
    p.para("Sincerely,", gap=4)
    p.add(ink.signature(rng, d.supervisor_name, p.left, p.y, 170, 36, d.ink))
    p.y += 44
    p.para(d.supervisor_name, gap=0)
    p.para(d.supervisor_title + ", " + d.organization, gap=0)
    p.para(email_of(d.supervisor_name, d.organization, rng))
    return p.finish("", numbers=False)


def invoice(d: FormData, rng: random.Random) -> Doc:
    """A vendor invoice for HMIS-related work, with totals and a payment stub."""
    p = Pen(d, rng, font="sans", bold="sans-b", size=9.5, top=56)
    vendor = rng.choice(["Pacific Crest Records Shredding", "Metro Data Temps LLC", "Arroyo IT Solutions"])
    p.text(p.left, p.y + 16, vendor, "sans-b", 16)
    p.text(p.right - 110, p.y + 16, "INVOICE", "sans-b", 18)
    p.text(p.right - 110, p.y + 34, f"No. {rng.randint(10000, 99999)}", "sans", 10)
    p.text(p.right - 110, p.y + 48, f"Date: {d.fmt()}", "sans", 10)
    p.y += 80
    p.text(p.left, p.y, "BILL TO", "sans-b", 9)
    p.text(p.left, p.y + 14, d.organization, "sans", 10)
    p.text(p.left, p.y + 28, d.address, "sans", 10)
    p.y += 50
    items = [("HMIS data entry support (temporary staff), hours", rng.randint(20, 60), 38.5),
             ("Workstation setup for HMIS access, per seat", rng.randint(2, 8), 95.0),
             ("Secure shredding of client records, bins", rng.randint(1, 5), 45.0),
             ("Privacy & security training materials", 1, 250.0)]
    widths = [p.width * 0.56, p.width * 0.12, p.width * 0.16, p.width * 0.16]
    x, total = p.left, 0.0
    for w, h in zip(widths, ["Description", "Qty", "Unit price", "Amount"], strict=True):
        p.box(x, p.y, w, 18, 0.6, LIGHT)
        p.text(x + 4, p.y + 13, h, "sans-b", 9)
        x += w
    p.y += 18
    for desc, qty, price in items:
        x = p.left
        amount = qty * price
        total += amount
        for w, s in zip(widths, [desc, str(qty), f"${price:,.2f}", f"${amount:,.2f}"], strict=True):
            p.box(x, p.y, w, 20, 0.5)
            p.text(x + 4, p.y + 14, s, "sans", 9)
            x += w
        p.y += 20
    p.text(p.left + widths[0] + widths[1] + 4, p.y + 18, "TOTAL DUE", "sans-b", 10)
    p.text(p.right - widths[3] + 4, p.y + 18, f"${total:,.2f}", "sans-b", 10)
    p.y += 50
    p.para("Payment due within 30 days. Please make checks payable to " + vendor + ". Thank you for your business.")
    p.rule(p.left, p.y + 30, p.right, 0.8, dash=(3, 3))
    p.text(p.left, p.y + 46, "REMITTANCE – detach and return with payment", "sans-b", 8.5)
    p.label_line("Amount enclosed:", "", p.left, p.y + 72, 260)
    p.label_line("Received by:", "", p.left, p.y + 96, 260, sig=d.signer_name if rng.random() < 0.5 else "")
    return p.finish("", numbers=False)


def signin(d: FormData, rng: random.Random) -> Doc:
    """An HMIS 10 training sign-in sheet: a table of names and signatures of many attendees."""
    p = Pen(d, rng, font="sans", bold="sans-b", size=9, margin=40, top=50)
    p.heading("HMIS 10 – New User Training", 14, gap=0)
    p.heading("SIGN-IN SHEET", 12, gap=4)
    p.center(f"Training date: {d.fmt()}    Trainer: {d.trainer_name}    Location: Webinar", p.y + 6, "sans", 9)
    p.y += 20
    widths = [p.width * 0.26, p.width * 0.28, p.width * 0.26, p.width * 0.2]
    rows: list[list[Cell]] = []
    for _ in range(rng.randint(8, 13)):
        name = person(rng)
        org = sample(rng).organization
        rows.append([("", name, None, None, None), ("", org, None, None, None),
                     ("", email_of(name, org, rng), None, None, None), ("", "", None, None, name)])
    for _ in range(16 - len(rows)):
        rows.append([("", "", None, None, None)] * 3 + [("", "", None, None, "")])
    p.grid(p.left, p.y, widths, rows, h=32, header=["Name", "Agency", "E-mail", "Signature"])
    return p.finish("Return this sheet to the trainer", numbers=False)


def certificate(d: FormData, rng: random.Random) -> Doc:
    """A certificate of completion of HMIS 10, signed by the trainer."""
    p = Pen(d, rng, font="serif", bold="serif-b", size=12, top=130)
    p.box(30, 30, 552, 732, 3.0)
    p.box(40, 40, 532, 712, 0.8)
    p.heading("CERTIFICATE", 30, gap=0)
    p.heading("of Completion", 20, font="serif-i", gap=40)
    p.center("This certifies that", p.y, "serif-i", 13)
    p.y += 46
    p.center(d.user_name, p.y, "serif-b", 24)
    p.rule(150, p.y + 8, 462, 0.8)
    p.y += 40
    p.center("has successfully completed", p.y, "serif", 13)
    p.y += 34
    p.center("HMIS 10 – New User Training (Webinar, 3 hours)", p.y, "serif-b", 15)
    p.y += 26
    p.center(f"on {d.date.strftime('%B %d, %Y') if d.date else ''}", p.y, "serif", 13)
    p.y += 26
    p.center("Los Angeles Continuum of Care Homeless Management Information System", p.y, "serif-i", 10.5)
    y = 600
    p.add(ink.signature(rng, d.trainer_name, 96, y - 36, 170, 36, d.ink))
    p.caption_line(f"{d.trainer_name}, HMIS Trainer", "", 90, y, 190, size=9)
    p.caption_line("Date", d.fmt(), 340, y, 180, size=9)
    p.box(270, 640, 72, 72, 1.2, (235, 228, 200))
    p.center("SEAL", 682, "serif-b", 11, 270, 342)
    return p.finish("", numbers=False)


def flyer(d: FormData, rng: random.Random) -> Doc:
    """A training schedule flyer with shaded banners."""
    p = Pen(d, rng, font="sans", bold="sans-b", size=11, top=40)
    p.box(p.left - 20, p.y, p.width + 40, 74, 0, (40, 70, 120), stroke=None)
    p.text(p.left, p.y + 36, "HMIS TRAININGS", "sans-b", 28, (255, 255, 255))
    p.text(p.left, p.y + 60, "Coordinated Entry System – new and returning users", "sans", 12, (255, 255, 255))
    p.y += 100
    start = d.date or dt.date(2026, 1, 5)
    courses = [("HMIS 10 Webinar", "New users – 3 hours"), ("HMIS 509 Full Class", "CES surveys & matching – 7 hours"),
               ("HMIS 102", "Outreach – 3 hours"), ("HMIS 511 Webinar", "Housing providers – 1 hour"),
               ("HMIS 510 Webinar", "Community matchers")]
    for i, (name, what) in enumerate(courses):
        day = start + dt.timedelta(days=7 * i + rng.randint(0, 3))
        p.box(p.left, p.y, p.width, 62, 1.0, (238, 242, 250))
        p.text(p.left + 12, p.y + 24, name, "sans-b", 16)
        p.text(p.left + 12, p.y + 44, what, "sans", 11)
        p.text(p.right - 170, p.y + 24, day.strftime("%a, %b %d"), "sans-b", 13)
        p.text(p.right - 170, p.y + 44, "9:00 am – 12:00 pm", "sans", 11)
        p.y += 74
    p.y += 10
    p.para("Register on the HMIS Training Website. New users must create a training login first. After HMIS 10, "
           "new users sign the HMIS 10 Acknowledgement Form; every user signs a User Agreement.", size=11)
    p.para("Questions? HMIS Support", size=11, font="sans-b")
    return p.finish("", numbers=False)


def consent(d: FormData, rng: random.Random) -> Doc:
    """A client's consent to share information in HMIS, signed by the client and a staff witness."""
    p = Pen(d, rng, font="serif", bold="serif-b", size=9.5)
    p.heading("Consent to Share Protected Personal Information", 15, gap=0)
    p.center("Los Angeles Continuum of Care – HMIS", p.y + 13, "serif-i", 10)
    p.y += 24
    client = person(rng)
    p.label_line("Client name:", client, p.left, p.y + 14, 300)
    p.label_line("Date of birth:", f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/{rng.randint(1950, 2004)}",
                 p.left + 320, p.y + 14, p.width - 320)
    p.y += 30
    for text in [
        "I understand that the agency named below participates in the Homeless Management Information System "
        "(HMIS), a shared database used by homeless service providers in the Los Angeles Continuum of Care.",
        "By signing, I allow the agency to enter my information into HMIS and to share it with other "
        "participating agencies for the purpose of coordinating services and housing.",
        "I may revoke this consent at any time in writing. Refusing consent will not affect my eligibility for "
        "services.", "This consent expires three years from the date signed."]:
        p.para(text, gap=8)
    y = p.y + 40
    p.caption_line("Client signature", "", p.left, y, 300, sig=client)
    p.caption_line("Date", d.fmt(), p.left + 330, y, p.width - 330)
    p.caption_line("Staff witness (print)", d.user_name, p.left, y + 40, 300)
    p.caption_line("Agency", d.organization, p.left + 330, y + 40, p.width - 330)
    p.caption_line("Staff signature", "", p.left, y + 80, 300, sig=d.user_name)
    return p.finish("HMIS-CONSENT", numbers=False)


TUNE: dict[str, Callable[[FormData, random.Random], Doc]] = {"letter": letter, "invoice": invoice, "signin": signin}
TEST: dict[str, Callable[[FormData, random.Random], Doc]] = {"certificate": certificate, "flyer": flyer,
                                                             "consent": consent}
