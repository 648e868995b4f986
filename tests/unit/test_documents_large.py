"""A 500-page PDF is read within its limits: a bounded number of pages, a clear answer, no hang."""

from __future__ import annotations

import io
import time

from reportlab.lib.pagesizes import letter
from reportlab.pdfgen.canvas import Canvas

from bot.documents.sandbox import Limits, read_document_safely


def _pdf(pages: int) -> bytes:
    out = io.BytesIO()
    c = Canvas(out, pagesize=letter)
    for i in range(pages):
        c.drawString(72, 720, f"Meeting minutes, page {i + 1}")
        c.showPage()
    c.save()
    return out.getvalue()


def test_a_500_page_pdf_is_cut_at_the_page_limit_and_answers_quickly() -> None:
    start = time.monotonic()
    results = read_document_safely(_pdf(500), "minutes.pdf", Limits(max_pages=50, wall_s=60))
    elapsed = time.monotonic() - start
    assert elapsed < 60
    assert all(r.kind == "unknown" for r in results)
    assert max((max(r.pages, default=0) for r in results), default=0) <= 50
