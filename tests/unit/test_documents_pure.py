"""The pure parts: classification and grouping, fields, dates, organization
matching, ink measurement, the JSON shape."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from bot.documents.checks import measure, run_checks
from bot.documents.classify import PageVote, classify_page, group_pages, title_match
from bot.documents.fields import extract_fields, match_organization, normalise_date
from bot.documents.model import FormResult
from bot.documents.words import Box, Word

ORG, USER, ACK, UNK = "organization_agreement", "user_agreement", "hmis10_acknowledgement", "unknown"


@pytest.mark.parametrize(("band", "kind"), [
    ("HMIS ORGANIZATION AGREEMENT\nLos Angeles Continuum of Care", ORG),
    ("LOS ANGELES HOMELESS SERVICES AUTHORITY\nAgency Participati0n Agreernent", ORG),
    ("HMIS USER AGREEMENT\nUser Confidentiality and Responsibility Statement", USER),
    ("HMlS User Agreement Form", USER),
    ("HMIS 1O ACKNOWLEDGEMENT FORM", ACK),
    ("Acknowledgement of HMIS 10 Training", ACK),
    ("Form W-9 Request for Taxpayer Identification Number and Certification", UNK),
    ("CERTIFICATE OF COMPLETION\nThis certifies that Ana Kim has successfully completed HMIS 10.", UNK),
    ("Westside Family Shelter Staff Confidentiality Agreement", UNK),
    ("New to HMIS? Join Our Training Webinars!", UNK),
])
def test_titles_despite_ocr_noise(band: str, kind: str) -> None:
    vote = classify_page(band, None)
    assert vote is not None and vote.kind == kind and vote.starts


def test_no_title_needs_the_full_page_then_phrases_decide() -> None:
    assert classify_page("8. Client information is confidential.", None) is None
    page2 = ("IN WITNESS WHEREOF, the parties have executed this Agreement.\nOrganization Name:\n"
             "EXECUTIVE DIRECTOR / AUTHORIZED REPRESENTATIVE\nSignature:\nCOC REPRESENTATIVE (LAHSA USE ONLY)")
    vote = classify_page("terms", page2)
    assert vote == PageVote(ORG, vote.score, False) if vote else False
    assert classify_page("", "   ") == PageVote("", 0.0, False)
    assert classify_page("Dear team", "Dear team, here are the minutes of the meeting.").kind == UNK  # type: ignore[union-attr]


def test_running_header_continues() -> None:
    m = title_match("HMIS Organization Agreement (continued)")
    assert m is not None and m.continued


def test_flyer_naming_all_forms_is_not_a_form() -> None:
    body = ("Send your signed User Agreement and HMIS 10 Acknowledgement Form to HMISsupport. "
            "Your Executive Director signs the Organization Agreement.")
    vote = classify_page("Spring news", body)
    assert vote is not None and vote.kind == UNK


def test_grouping() -> None:
    votes = [PageVote(ORG, 1, True), PageVote(ORG, 0.8, False), PageVote("", 0, False),
             PageVote(USER, 1, True), PageVote(USER, 1, True), PageVote(UNK, 1, True), PageVote(UNK, 0.6, True),
             PageVote(ACK, 0.7, False)]
    groups = group_pages(votes)
    assert [(g.kind, g.pages) for g in groups] == [
        (ORG, (1, 2, 3)), (USER, (4,)), (USER, (5,)), (UNK, (6, 7)), (ACK, (8,))]
    assert groups[-1].confidence < 0.7  # a lone signature page: less sure
    assert [(g.kind, g.pages) for g in group_pages([PageVote("", 0, False)])] == [(UNK, (1,))]


@pytest.mark.parametrize(("text", "iso"), [
    ("11/02/2026", "2026-11-02"), ("2026-11-02", "2026-11-02"), ("11-02-26", "2026-11-02"),
    ("Nov 2, 2026", "2026-11-02"), ("2 November 2026", "2026-11-02"), ("1l/O2/2026.", "2026-11-02"),
    ("13/45/2026", None), ("soon", None),
])
def test_dates(text: str, iso: str | None) -> None:
    assert normalise_date(text) == iso


def test_match_organization() -> None:
    orgs = [(1, ["Hope Harbor Services", "HHS"]), (2, ["Sunrise Family Center, Inc."]), (3, ["Valley Shelter"])]
    assert match_organization("HOPE HARBOR SERVICES INC.", orgs) == (1, 1.0)
    hit = match_organization("Sunrise Famly Center", orgs)
    assert hit is not None and hit[0] == 2 and hit[1] > 0.9
    assert match_organization("Downtown Outreach Project", orgs) is None
    assert match_organization("", orgs) is None


def _w(text: str, x0: float, y: float, x1: float | None = None, conf: float = 95) -> Word:
    return Word(text, x0, y, x1 if x1 is not None else x0 + 0.012 * len(text), y + 0.012, conf)


def _org_page() -> list[Word]:
    return [
        _w("Organization", 0.10, 0.20), _w("Name:", 0.25, 0.20), _w("Hope", 0.33, 0.198),
        _w("Harbor", 0.39, 0.199), _w("Services", 0.47, 0.2),
        _w("EXECUTIVE", 0.10, 0.25), _w("DIRECTOR", 0.22, 0.25), _w("/", 0.33, 0.25),
        _w("AUTHORIZED", 0.35, 0.25), _w("REPRESENTATIVE", 0.49, 0.25),
        _w("Signature:", 0.10, 0.30), _w("Printed", 0.10, 0.34), _w("Name:", 0.19, 0.34),
        _w("Jane", 0.27, 0.338), _w("Doe", 0.33, 0.339), _w("Title:", 0.10, 0.38),
        _w("Executive", 0.18, 0.379), _w("Director", 0.30, 0.38), _w("Date:", 0.10, 0.42),
        _w("11/02/2026", 0.17, 0.419),
        _w("COC", 0.10, 0.48), _w("REPRESENTATIVE", 0.15, 0.48), _w("(LAHSA", 0.33, 0.48), _w("USE", 0.42, 0.48),
        _w("ONLY)", 0.47, 0.48), _w("Signature:", 0.10, 0.53), _w("Printed", 0.10, 0.57), _w("Name:", 0.19, 0.57),
        _w("Maria", 0.27, 0.57), _w("Lopez", 0.34, 0.57), _w("Date:", 0.10, 0.61),
    ]


def test_org_fields_ignore_the_coc_block() -> None:
    fields = extract_fields(ORG, _org_page())
    assert fields == {"organization": "Hope Harbor Services", "signer_name": "Jane Doe",
                      "signer_title": "Executive Director", "date": "2026-11-02"}


def test_a_value_is_read_as_one_run_not_word_by_word() -> None:
    # a scan: the value on a rule is read at low confidence, all of it, not just its first word;
    # a date whose slashes OCR lost is still a date in a date field; dust alone is no value
    page = [
        _w("Printed", 0.10, 0.54), _w("Name:", 0.19, 0.54), _w("_James", 0.27, 0.538, conf=29),
        _w("Carter", 0.35, 0.538, conf=29),
        _w("Agency:", 0.10, 0.58), _w("Hope", 0.19, 0.578, conf=23), _w("Harbor", 0.25, 0.578),
        _w("Services", 0.33, 0.578),
        _w("Email:", 0.10, 0.61), _w("_james.carter@hopeharbor.org", 0.19, 0.608, conf=74),
        _w("Date:", 0.10, 0.64), _w("11302026", 0.19, 0.638, conf=33),
    ]
    assert extract_fields(USER, page) == {"user_name": "James Carter", "agency": "Hope Harbor Services",
                                          "email": "james.carter@hopeharbor.org", "date": "2026-11-30"}
    dusty = [_w("Printed", 0.10, 0.54), _w("Name:", 0.19, 0.54), _w("Sees", 0.27, 0.538, conf=12),
             _w("Date:", 0.10, 0.64), _w("13452026", 0.19, 0.638, conf=33)]
    assert extract_fields(USER, dusty) == {}


def _scribble(gray: np.ndarray, y: int, x0: int, x1: int) -> None:
    xs = np.arange(x0, x1)
    ys = (y - 8 + 7 * np.sin(xs / 6.0)).astype(int)
    for dy in (0, 1, 2):
        gray[ys + dy, xs] = 20


def test_ink_checks_on_a_synthetic_page() -> None:
    rng = np.random.default_rng(1)
    gray = np.full((1000, 800), 245, dtype=np.uint8)
    specks = rng.random(gray.shape) < 0.01  # scanner dust must not count as ink
    gray[specks] = 10
    for y in (300, 530, 570, 610):  # underlines of the signature and CoC lines
        gray[y + 12:y + 14, 140:700] = 30
    # the CoC block's name is not written here: a filled value there makes it not blank
    page = [w for w in _org_page() if w.text not in ("Maria", "Lopez")]
    assert run_checks(ORG, _org_page(), gray)["coc_section_blank"] is False
    blank = run_checks(ORG, page, gray)
    assert blank["signed"] is False and blank["coc_section_blank"] is True  # words alone are not ink
    _scribble(gray, 310, 200, 420)
    signed = run_checks(ORG, page, gray)
    assert signed["signed"] is True and signed["coc_section_blank"] is True
    _scribble(gray, 540, 200, 400)  # someone signed LAHSA's block
    assert run_checks(ORG, page, gray)["coc_section_blank"] is False
    assert measure(gray, Box(0.2, 0.64, 0.9, 0.66)).present is False


def _phrase(text: str, x0: float, y: float, conf: float = 95) -> list[Word]:
    out = []
    for t in text.split():
        out.append(Word(t, x0, y, x0 + 0.007 * len(t), y + 0.011, conf))
        x0 += 0.007 * len(t) + 0.006
    return out


def _side_by_side_page(coc_values: bool) -> list[Word]:
    """Layout 1 of the Organization Agreement, scanned: the signer's and the CoC's
    blocks side by side, both signed, so OCR made junk of both "Signature:" labels."""
    junk = [("Blaiaanis", 0.10, 0), ("i", 0.17, 19), ("¢", 0.19, 1), ("e", 0.23, 17), ("SRR", 0.26, 25),
            ("Stgpatures", 0.53, 0), ("b", 0.60, 2), ("(T", 0.62, 8), ("ET", 0.64, 0), ("S", 0.67, 0),
            ("NE", 0.70, 19), ("N", 0.76, 7), ("AN", 0.81, 14)]
    page = [*_phrase("Organization Name: Eastside Youth Center", 0.10, 0.22),
            *_phrase("Agency Executive Director or Authorized Representative", 0.10, 0.26),
            *_phrase("CoC Representative (LAHSA)", 0.53, 0.26),
            *[Word(t, x, 0.30, x + 0.02, 0.325, c) for t, x, c in junk],
            *_phrase("Printed Name: Angela Reyes", 0.10, 0.34), *_phrase("Title: Executive Director", 0.10, 0.38),
            *_phrase("Date: 11/30/2026", 0.10, 0.41)]
    return page + (_phrase("Printed Name: Maria Lopez", 0.53, 0.34) + _phrase("Date: 11/30/2026", 0.53, 0.38)
                   if coc_values else _phrase("Printed Name:", 0.53, 0.34) + _phrase("Date:", 0.53, 0.38))


def test_side_by_side_blocks_signed_over_their_labels() -> None:
    # a signature row that OCR turned into a long row of junk is no body text: the
    # right column's labels still belong to the CoC heading above it
    gray = np.full((1000, 800), 245, dtype=np.uint8)
    for y in (300, 340, 380, 410):
        gray[y + 12:y + 14, 130:400] = 30
        gray[y + 12:y + 14, 480:760] = 30
    page = _side_by_side_page(coc_values=True)
    assert run_checks(ORG, page, gray) == {"signed": False, "filled": True, "coc_section_blank": False}
    _scribble(gray, 312, 150, 330)
    assert run_checks(ORG, page, gray) == {"signed": True, "filled": True, "coc_section_blank": False}
    # no name nor date written in the CoC block: its signature alone (label lost to ink) counts
    bare = _side_by_side_page(coc_values=False)
    assert run_checks(ORG, bare, gray)["coc_section_blank"] is True
    _scribble(gray, 312, 500, 680)
    assert run_checks(ORG, bare, gray) == {"signed": True, "filled": True, "coc_section_blank": False}


def test_form_result_json_and_pickle() -> None:
    r = FormResult("a.pdf", ORG, 0.9712, (1, 2), {"organization": "X"}, {"signed": True}, "ocr")
    assert r.to_json() == {"source": "a.pdf", "kind": ORG, "confidence": 0.971, "pages": [1, 2],
                           "fields": {"organization": "X"}, "checks": {"signed": True}, "text_source": "ocr"}
    assert pickle.loads(pickle.dumps(r)) == r
    assert FormResult("b", UNK, 0, (), error="broken").to_json()["error"] == "broken"
    with pytest.raises(ValueError):
        FormResult("c", "w9", 0, ())
