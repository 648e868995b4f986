"""The public entry of the documents package: bytes in, one FormResult per form.

`read_document` never raises: a file it cannot read (not a document, encrypted,
truncated, a decompression bomb, a hostile PDF) gives one "unknown" result with an
`error`.  It runs in-process; untrusted input should go through
`sandbox.read_document_safely`, which adds CPU, memory and time limits.
"""

from __future__ import annotations

import logging

from PIL import Image

from bot.documents.checks import has_signature_label, run_checks
from bot.documents.classify import Group, PageVote, classify_page, group_pages
from bot.documents.extract import Page, Source, open_source
from bot.documents.fields import ORG_FIELDS, USER_FIELDS, extract_fields
from bot.documents.model import NONE, OCR, ORGANIZATION_AGREEMENT, TEXT_LAYER, UNKNOWN, FormResult, failed

log = logging.getLogger(__name__)
DEFAULT_MAX_PAGES = 50


def describe(exc: BaseException) -> str:
    """A short, human error for a file that could not be read."""
    text = str(exc).strip() or type(exc).__name__
    low = text.lower()
    if "password" in low or "encrypt" in low or "security" in low:
        return f"encrypted PDF (password required): {text}"
    if isinstance(exc, Image.DecompressionBombError):
        return f"image too large (decompression bomb?): {text}"
    if isinstance(exc, MemoryError):
        return "out of memory while reading the file"
    return f"unreadable file ({type(exc).__name__}): {text}"[:300]


def _vote(src: Source, page: Page) -> PageVote:
    vote = classify_page(page.band_text, page.text if page.complete else None)
    if vote is None:  # no title in the band: the whole page decides
        src.read_full(page)
        vote = classify_page(page.band_text, page.text)
    assert vote is not None
    return vote


def _text_source(pages: list[Page]) -> str:
    if any((p.source == OCR and p.text.strip()) or (p.band_text.strip() and p.source == OCR) for p in pages):
        return OCR
    if any(p.source == TEXT_LAYER for p in pages):
        return TEXT_LAYER
    return NONE


def _details(src: Source, kind: str, pages: list[Page]) -> tuple[dict[str, str], dict[str, bool]]:
    """Checks from the form's signature page (looked for from the end); fields from
    that page first, then from the others (the organization is often on page 1)."""
    chosen = pages[-1]
    for page in reversed(pages):
        src.read_full(page)
        if has_signature_label(kind, page.words or ()):
            chosen = page
            break
    fields = extract_fields(kind, chosen.words or ())
    want = len(ORG_FIELDS if kind == ORGANIZATION_AGREEMENT else USER_FIELDS)
    for page in (p for p in pages if p is not chosen):
        if len(fields) >= want:
            break
        if page.source == OCR and page.words is None:
            words = page.band_words  # the top of the page, read already: no second OCR
        else:
            src.read_full(page)
            words = page.words or ()
        for key, value in extract_fields(kind, words).items():
            fields.setdefault(key, value)
    return fields, run_checks(kind, chosen.words or (), src.page_ink(chosen))


def _result(src: Source, pages: list[Page], group: Group, source: str) -> FormResult:
    mine = [pages[n - 1] for n in group.pages]
    if group.kind == UNKNOWN:
        return FormResult(source, UNKNOWN, group.confidence, group.pages, {}, {}, _text_source(mine))
    fields, checks = _details(src, group.kind, mine)
    if not checks.get("filled", True):
        fields, checks = {}, {"filled": False}  # a blank form: its kind, nothing else
    return FormResult(source, group.kind, group.confidence, group.pages, fields, checks, _text_source(mine))


def read_document(data: bytes, source: str, *, max_pages: int = DEFAULT_MAX_PAGES) -> list[FormResult]:
    """Every form in the file (PDF, JPEG, PNG, TIFF, HEIC), in page order. Never raises."""
    try:
        src = open_source(data, max_pages)
    except Exception as exc:
        return [failed(source, describe(exc))]
    try:
        count = min(src.page_count, max_pages)
        if count == 0:
            return [failed(source, "the file has no pages")]
        pages = [src.look(i) for i in range(count)]
        groups = group_pages([_vote(src, p) for p in pages])
        results = [_result(src, pages, g, source) for g in groups]
        if src.page_count > max_pages:
            log.warning("%s: read the first %d of %d pages", source, max_pages, src.page_count)
        return results
    except Exception as exc:
        log.info("%s: unreadable: %s", source, exc)
        return [failed(source, describe(exc))]
    finally:
        try:
            src.close()
        except Exception:
            log.debug("close failed for %s", source, exc_info=True)
