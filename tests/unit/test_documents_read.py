"""Whole files through `read_document_safely` (the sandbox pool, 2 workers): each
form as text PDF, scan, rotated scan, photo, TIFF and combined PDF; look-alikes;
checks; hostile and broken files.  The corpus is generated once per session and
read in parallel, so the module stays within a few tens of seconds."""

from __future__ import annotations

import io
import struct
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import docgen

from bot.demo import specimens as sp
from bot.documents.model import FormResult
from bot.documents.reader import read_document
from bot.documents.sandbox import Limits, SandboxPool, read_document_safely

CORPUS_PDF = Path("/work/shared/corpus/pdf")
ORG, USER, ACK, UNK = "organization_agreement", "user_agreement", "hmis10_acknowledgement", "unknown"


def _paper(name: str) -> docgen.Paper:
    return next(p for p in docgen.papers(full=False) if p.name == name)


def _heic(jpeg: bytes) -> bytes:
    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.open(io.BytesIO(jpeg)).save(out, "HEIF", quality=80)
    return out.getvalue()


def _cases() -> dict[str, tuple[bytes, docgen.Paper | None]]:
    org, org_coc, org_un = _paper("org-l0-signed"), _paper("org-l1-cocsigned"), _paper("org-l1-unsigned")
    user, ack, ack_un = _paper("user-l1-signed"), _paper("ack-l0-signed"), _paper("ack-l1-unsigned")
    cases: dict[str, tuple[bytes, docgen.Paper | None]] = {}
    for p in (org, org_coc, org_un, user, ack, ack_un, _paper("org-blank")):
        cases[f"{p.name}.text"] = (p.pdf, p)
    for p in (org, org_coc, user, ack_un):
        cases[f"{p.name}.scan"] = (sp.scan(p.pdf, skew=0.8, seed=3), p)
    for p, rot in ((org, 90), (user, 180), (ack, 270)):
        cases[f"{p.name}.rot{rot}"] = (sp.scan(p.pdf, rotate=rot, seed=4), p)
    cases["ack.photo"] = (sp.photo(ack.pdf, 7), ack)
    cases["ack.heic"] = (_heic(sp.photo(ack.pdf, 9)), ack)
    cases["user.photo"] = (sp.photo(user.pdf, 8, page=1), user)
    cases["org.tiff"] = (sp.tiff(org.pdf), org)
    cases["combined"] = (sp.combine(org.pdf, sp.scan(user.pdf, seed=5), sp.w9_pdf(), ack.pdf), None)
    for name in ("w9", "certificate", "flyer", "other-confidentiality"):
        p = _paper(name)
        cases[f"{name}.text"] = (p.pdf, p)
        if name in ("certificate", "other-confidentiality"):  # the closest look-alikes, also scanned
            cases[f"{name}.scan"] = (sp.scan(p.pdf, seed=6, noise=0.01), p)
    return cases


@pytest.fixture(scope="module")
def read() -> dict[str, tuple[list[FormResult], docgen.Paper | None]]:
    cases = _cases()
    with ThreadPoolExecutor(2) as ex:
        results = ex.map(lambda kv: read_document_safely(kv[1][0], kv[0]), cases.items())
        return {name: (res, cases[name][1]) for name, res in zip(cases, results, strict=True)}


FORM_CASES = ["org-l0-signed.text", "org-l1-cocsigned.text", "user-l1-signed.text", "ack-l0-signed.text",
              "org-l0-signed.scan", "org-l1-cocsigned.scan", "user-l1-signed.scan",
              "org-l0-signed.rot90", "user-l1-signed.rot180", "ack-l0-signed.rot270", "ack.photo", "ack.heic",
              "user.photo", "org.tiff", "org-l1-unsigned.text", "ack-l1-unsigned.text", "ack-l1-unsigned.scan"]


@pytest.mark.parametrize("name", FORM_CASES)
def test_each_form_is_recognised_with_its_checks(read, name: str) -> None:  # type: ignore[no-untyped-def]
    results, paper = read[name]
    assert paper is not None and len(results) == 1, results
    r = results[0]
    assert r.kind == paper.kind and r.error is None
    assert r.text_source == ("text_layer" if name.endswith(".text") else "ocr")
    if not name.endswith(("photo", "heic")):
        assert r.pages == tuple(range(1, paper.pages + 1))
    assert r.checks["signed"] is paper.signed
    if paper.kind == ORG and not name.endswith(("photo", "heic")):
        assert r.checks["coc_section_blank"] is paper.coc_blank


@pytest.mark.parametrize("name", ["org-l0-signed.text", "user-l1-signed.text", "ack-l0-signed.text"])
def test_fields_from_text_pdfs(read, name: str) -> None:  # type: ignore[no-untyped-def]
    results, paper = read[name]
    assert paper is not None and dict(results[0].fields) == paper.fields


def test_fields_from_a_scan_with_typed_values(read) -> None:  # type: ignore[no-untyped-def]
    (r,), paper = read["user-l1-signed.scan"]
    assert r.fields.get("email") == paper.fields["email"]
    assert r.fields.get("date") == paper.fields["date"]


def test_blank_form_keeps_its_kind_but_nothing_else(read) -> None:  # type: ignore[no-untyped-def]
    (r,), _ = read["org-blank.text"]
    assert r.kind == ORG and dict(r.fields) == {} and dict(r.checks) == {"filled": False}


def test_combined_pdf_yields_each_form_with_its_pages(read) -> None:  # type: ignore[no-untyped-def]
    results, _ = read["combined"]
    assert [(r.kind, r.pages) for r in results] == [(ORG, (1, 2)), (USER, (3, 4)), (UNK, (5,)), (ACK, (6,))]
    assert [r.text_source for r in results] == ["text_layer", "ocr", "text_layer", "text_layer"]


def test_side_by_side_signer_and_coc_blocks_both_signed_on_a_scan() -> None:
    # layout 1: the signer's and the CoC's blocks in two columns; ink over both
    # "Signature:" labels makes a row of OCR junk between the headings and the labels
    pdf = sp.organization_agreement_pdf("Eastside Youth Center", "Angela Reyes", "Executive Director",
                                        "11/30/2026", coc_signed=True, layout=1)
    for data, name in ((pdf, "text.pdf"), (sp.scan(pdf, seed=5), "scan.pdf")):
        (r,) = read_document(data, name)
        assert dict(r.checks) == {"signed": True, "filled": True, "coc_section_blank": False}, name


@pytest.mark.parametrize("name", ["w9", "certificate", "flyer", "other-confidentiality"])
def test_lookalikes_are_unknown(read, name: str) -> None:  # type: ignore[no-untyped-def]
    for key in (k for k in read if k.startswith(f"{name}.")):
        results, _ = read[key]
        assert [r.kind for r in results] == [UNK], (key, results)


def _png_bomb() -> bytes:
    """A tiny PNG that declares 50000 x 50000 pixels."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", 50000, 50000, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + \
        chunk(b"IEND", b"")


def _encrypted_pdf() -> bytes:
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    c = Canvas(out, encrypt=pdfencrypt.StandardEncryption("secret", canPrint=0))
    c.drawString(72, 720, "HMIS User Agreement")
    c.save()
    return out.getvalue()


@pytest.mark.parametrize(("name", "data", "word"), [
    ("encrypted.pdf", _encrypted_pdf(), "encrypted"),
    ("bomb.png", _png_bomb(), "too large"),
    ("truncated.jpg", sp.photo(sp.flyer_pdf(), 1)[:5000], "unreadable"),
    ("notes.docx", b"PK\x03\x04" + b"\0" * 100, "not a document"),
    ("empty.pdf", b"", "not a document"),
])
def test_broken_files_give_unknown_with_an_error(name: str, data: bytes, word: str) -> None:
    for results in (read_document(data, name), read_document_safely(data, name)):
        assert len(results) == 1
        r = results[0]
        assert r.kind == UNK and r.error and word in r.error, r
        assert r.to_json()["error"] == r.error


def test_wall_clock_limit_kills_and_replaces_the_worker() -> None:
    big = sp.combine(*[sp.scan(sp.flyer_pdf(), seed=i) for i in range(3)])
    (r,) = read_document_safely(big, "slow.pdf", Limits(wall_s=0.05))
    assert r.kind == UNK and r.error and "wall-clock" in r.error
    assert read_document_safely(sp.w9_pdf(), "after.pdf")[0].error is None  # the pool recovered


@pytest.mark.skipif(not CORPUS_PDF.is_dir(), reason=f"hostile PDF corpus not present at {CORPUS_PDF}")
def test_hostile_pdfs_give_a_result_without_raising_or_hanging() -> None:
    files = sorted(CORPUS_PDF.glob("*.pdf"))
    limits = Limits(cpu_s=10, wall_s=20, max_pages=10)
    with ThreadPoolExecutor(2) as ex:
        results = list(ex.map(lambda f: read_document_safely(f.read_bytes(), f.name, limits), files))
    assert len(results) == len(files)
    for f, res in zip(files, results, strict=True):
        assert res and all(r.kind in (ORG, USER, ACK, UNK) for r in res), f
        assert all(r.kind == UNK for r in res), f  # none of them is one of our forms


def test_workers_are_retired_after_max_uses_and_replaced_warm() -> None:
    pool = SandboxPool(size=1, max_uses=2)
    try:
        form = sp.user_agreement_pdf("Ana Diaz", "Hope Org", "ana@hope.org", "11/30/2026")
        kinds = [pool.read(form, f"ua{i}.pdf", Limits())[0].kind for i in range(5)]
        assert kinds == [USER] * 5
        assert pool.started == 3  # 2 + 2 + 1 files: two workers retired, a third serving
        # a replacement forked from the warm forkserver reads scans (OCR) like the first worker
        (r,) = pool.read(sp.scan(form, seed=1), "scan.pdf", Limits(wall_s=20))
        assert r.kind == USER and r.text_source == "ocr" and pool.started == 3
    finally:
        pool.close()
