"""The reader's layout-free rules, on small synthetic pages: labels are never
values, values right of / under / over their label, emails cut at the address,
vector strokes are ink and text-layer glyphs are not, whose block a label is in."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen.canvas import Canvas

from bot.documents.checks import run_checks
from bot.documents.classify import LOOKALIKE, keyword_title
from bot.documents.extract import open_source
from bot.documents.fields import clean_email, extract_fields
from bot.documents.ink import vector_ink
from bot.documents.words import Word

ORG, USER, ACK = "organization_agreement", "user_agreement", "hmis10_acknowledgement"


def _w(text: str, x0: float, y: float) -> Word:
    return Word(text, x0, y, x0 + 0.011 * len(text), y + 0.012, 95)


def test_email_is_cut_at_the_address() -> None:
    assert clean_email("tomas.reyes@eastsideharbor.orgworkphone") == "tomas.reyes@eastsideharbor.org"
    assert clean_email("Email:akim@dop-la.org") == "akim@dop-la.org"
    assert clean_email("not an address") is None


def test_a_label_is_never_a_value_and_captions_read_the_line_above() -> None:
    words = [_w("Signature", 0.10, 0.15), _w("Signature", 0.52, 0.15),
             _w("Arman", 0.11, 0.173), _w("Morales", 0.17, 0.173),
             _w("Printed", 0.10, 0.192), _w("Name", 0.16, 0.192), _w("Printed", 0.52, 0.192), _w("Name", 0.58, 0.192),
             _w("Title", 0.10, 0.232), _w("Title", 0.52, 0.232)]
    fields = extract_fields(ORG, words)
    assert fields.get("signer_name") == "Arman Morales"
    assert "signer_title" not in fields  # the empty Title caption does not take a label as its value


def test_values_under_labels_in_a_table() -> None:
    words = [_w("Name", 0.09, 0.132), _w("of", 0.135, 0.132), _w("User", 0.16, 0.132), _w("Job", 0.50, 0.132),
             _w("Title", 0.54, 0.132), _w("Samuel", 0.09, 0.145), _w("Harris", 0.17, 0.145),
             _w("Agency", 0.09, 0.168), _w("Work", 0.50, 0.168), _w("Email", 0.55, 0.168),
             _w("Antelope", 0.09, 0.181), _w("Valley", 0.19, 0.181), _w("sharris@av.orgPhone", 0.50, 0.181)]
    fields = extract_fields(USER, words)
    assert fields == {"user_name": "Samuel Harris", "agency": "Antelope Valley", "email": "sharris@av.org"}


def test_ocr_dust_is_not_an_organization() -> None:
    words = [_w("Organization:", 0.10, 0.2), _w("~i", 0.30, 0.2), _w("|,", 0.33, 0.2), _w("e3", 0.36, 0.2)]
    assert "organization" not in extract_fields(ORG, words)


def test_titles_by_their_words() -> None:
    assert keyword_title("HMIS End User License and Responsibility Form") == USER
    assert keyword_title("Acknowledgment of HMIS 1O Training Completion") == ACK
    assert keyword_title("Partner Agency Memorandum of Understanding") == ORG
    assert keyword_title("Certificate of Completion: HMIS 10") == LOOKALIKE
    assert keyword_title("This Agreement is entered into between LAHSA and the organization named below, "
                         "for the use of HMIS by its staff") is None  # body text, not a title


def _pdf(sign: str, coc_ink: bool) -> bytes:
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=letter)
    c.setFont("Helvetica", 10)
    c.drawString(72, 700, "EXECUTIVE DIRECTOR / AUTHORIZED REPRESENTATIVE")
    c.drawString(72, 660, "Signature:")
    c.drawString(72, 630, "Printed Name: Jane Doe")
    c.drawString(72, 560, "COC REPRESENTATIVE (LAHSA USE ONLY)")
    c.drawString(72, 520, "Signature:")
    c.line(130, 518, 400, 518)
    c.line(130, 658, 400, 658)
    if sign == "typed":
        c.setFont("Times-Italic", 16)
        c.drawString(140, 662, "Jane Doe")  # a typed name is text, never a signature
    elif sign == "pen":
        p = c.beginPath()
        p.moveTo(140, 662)
        for i in range(1, 40):
            p.lineTo(140 + i * 3, 662 + (8 if i % 2 else 0))  # zig-zag strokes: a pen
        c.drawPath(p)
    if coc_ink:
        c.bezier(140, 522, 170, 545, 200, 500, 260, 530)
    c.showPage()
    c.save()
    return buf.getvalue()


def _check(data: bytes) -> dict[str, bool]:
    src = open_source(data, 5)
    page = src.look(0)
    src.read_full(page)
    return run_checks(ORG, page.words or (), src.page_ink(page))


def test_vector_path_signature_is_ink_a_typed_name_is_not() -> None:
    assert _check(_pdf("pen", False)) == {"signed": True, "filled": True, "coc_section_blank": True}
    assert _check(_pdf("typed", False))["signed"] is False
    assert _check(_pdf("", False))["signed"] is False


def test_coc_block_with_and_without_ink() -> None:
    assert _check(_pdf("pen", True))["coc_section_blank"] is False
    assert _check(_pdf("pen", False))["coc_section_blank"] is True


def test_rules_are_not_ink() -> None:
    doc = pdfium.PdfDocument(_pdf("", False))
    ink = vector_ink(doc[0])
    assert ink.strokes == () and len(ink.rule_ys) == 2


def _grid_pdf(coc_pen: bool) -> bytes:
    """Two cells side by side, "Signature" at the top of each (labels inside boxes); the
    cell's top edge is a rule just over the label, yet the pen goes inside the cell."""
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=letter)
    c.setFont("Helvetica", 9)
    c.drawString(72, 720, "PARTICIPATING AGENCY")
    c.drawString(310, 720, "COC REPRESENTATIVE (LAHSA USE ONLY)")
    for x in (70, 306):
        c.rect(x, 640, 230, 60)
        c.drawString(x + 4, 690, "Signature")
        c.rect(x, 600, 230, 40)
        c.drawString(x + 4, 630, "Printed Name")
    if coc_pen:
        c.bezier(330, 655, 360, 690, 400, 640, 460, 672)
    c.showPage()
    c.save()
    return buf.getvalue()


def test_a_signature_in_a_grid_cell_is_looked_for_in_its_cell() -> None:
    assert _check(_grid_pdf(True)) == {"signed": False, "filled": False, "coc_section_blank": False}
    assert _check(_grid_pdf(False))["coc_section_blank"] is True


def test_a_paragraph_naming_lahsa_is_no_block_heading() -> None:
    body = [_w("and", 0.10, 0.10), _w("that", 0.15, 0.10), _w("LAHSA", 0.21, 0.10), _w("may", 0.29, 0.10)]
    block = [_w("Name:", 0.10, 0.13), _w("Jane", 0.20, 0.13), _w("Doe", 0.26, 0.13)]
    assert extract_fields(USER, body + block).get("user_name") == "Jane Doe"
    coc = [_w("COC", 0.10, 0.10), _w("REPRESENTATIVE", 0.15, 0.10)]
    assert "user_name" not in extract_fields(USER, coc + block)


def test_text_layer_words_come_from_pdfium_with_their_boxes() -> None:
    src = open_source(_pdf("typed", False), 5)
    page = src.look(0)
    src.read_full(page)
    words = {w.text: w for w in page.words or ()}
    assert {"Signature:", "Printed", "Name:", "Jane", "Doe", "COC"} <= set(words)
    name = words["Printed"]
    assert abs(name.x0 - 72 / 612) < 0.002 and abs(name.y1 - (1 - 630 / 792)) < 0.01
