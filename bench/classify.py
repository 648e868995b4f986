"""Benchmark of the documents package on the generated, labelled corpus.

Prints per-kind precision/recall (text PDFs and scans/photos apart), look-alikes
taken for forms, signature and CoC-check accuracy, field accuracy, ms per page,
and the time to decide the kind of a scanned page and to read a whole form.

    .venv/bin/python bench/classify.py [--small] [--workers 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import docgen  # noqa: E402

from bot.documents.classify import classify_page  # noqa: E402
from bot.documents.extract import open_source  # noqa: E402
from bot.documents.model import FORM_KINDS, KINDS, FormResult  # noqa: E402
from bot.documents.reader import read_document  # noqa: E402
from bot.documents.sandbox import Limits, read_document_safely  # noqa: E402
from bot.documents.words import norm  # noqa: E402


def main_result(sample: docgen.Sample, results: list[FormResult]) -> FormResult:
    forms = [r for r in results if r.kind != "unknown"]
    return forms[0] if forms else results[0]


def report_kinds(title: str, rows: list[tuple[docgen.Sample, FormResult]]) -> None:
    print(f"\n== kind, {title}: {len(rows)} samples")
    ok = sum(r.kind == s.paper.kind for s, r in rows)
    print(f"accuracy {ok}/{len(rows)} = {ok / max(len(rows), 1):.1%}")
    for kind in KINDS:
        tp = sum(r.kind == kind and s.paper.kind == kind for s, r in rows)
        pred = sum(r.kind == kind for s, r in rows)
        true = sum(s.paper.kind == kind for s, r in rows)
        print(f"  {kind:24s} precision {tp}/{pred} recall {tp}/{true}")
    for s, r in rows:
        if r.kind != s.paper.kind:
            print(f"  MISS {s.paper.name} {s.render}: got {r.kind} ({r.error or ''})")


def report_checks(rows: list[tuple[docgen.Sample, FormResult]]) -> None:
    sig = [(s, r) for s, r in rows if s.paper.signed is not None and s.paper.kind in FORM_KINDS]
    sig_ok = sum(bool(r.checks.get("signed")) == s.paper.signed for s, r in sig)
    coc = [(s, r) for s, r in rows if s.paper.coc_blank is not None and s.render != "photo"]
    coc_ok = sum(r.checks.get("coc_section_blank") == s.paper.coc_blank for s, r in coc)
    print(f"\n== checks\nsigned right {sig_ok}/{len(sig)} = {sig_ok / max(len(sig), 1):.1%}")
    print(f"coc_section_blank right {coc_ok}/{len(coc)} = {coc_ok / max(len(coc), 1):.1%}")
    for s, r in sig:
        if bool(r.checks.get("signed")) != s.paper.signed:
            print(f"  SIGNED? {s.paper.name} {s.render}: {dict(r.checks)}")
    for s, r in coc:
        if r.checks.get("coc_section_blank") != s.paper.coc_blank:
            print(f"  COC? {s.paper.name} {s.render}: {dict(r.checks)}")


def report_fields(rows: list[tuple[docgen.Sample, FormResult]]) -> None:
    by_render: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for s, r in rows:
        for key, want in s.paper.fields.items():
            group = "text" if s.render == "text" else "image"
            total[group] += 1
            by_render[group] += norm(r.fields.get(key, "")).replace(" ", "") == norm(want).replace(" ", "")
    print("\n== fields (exact after case/space folding)")
    for group in ("text", "image"):
        print(f"  {group:6s} {by_render[group]}/{total[group]} = {by_render[group] / max(total[group], 1):.1%}")


def timings(samples: list[docgen.Sample]) -> None:
    """In this process, one warm engine: decide-kind time and whole-form time."""
    read_document(samples[0].data, "warm-up")
    kind_ms, form_ms, page_ms, text_ms = [], [], [], []
    for s in samples:
        t0 = time.perf_counter()
        src = open_source(s.data, 50)
        page = src.look(0)
        if classify_page(page.band_text, page.text if page.complete else None) is None:
            src.read_full(page)
        t1 = time.perf_counter()
        src.close()
        res = read_document(s.data, s.paper.name)
        t2 = time.perf_counter()
        npages = max(sum(len(r.pages) for r in res), 1)
        if s.render == "text":
            text_ms.append((t2 - t1) * 1000 / npages)
        else:
            kind_ms.append((t1 - t0) * 1000)
            form_ms.append((t2 - t1) * 1000)
            page_ms.append((t2 - t1) * 1000 / npages)
    print("\n== timings (one process, median)")
    print(f"  text PDF: {statistics.median(text_ms):.1f} ms/page (whole read)")
    print(f"  scan/photo: kind of first page {statistics.median(kind_ms):.0f} ms "
          f"(p90 {statistics.quantiles(kind_ms, n=10)[-1]:.0f}); whole form {statistics.median(form_ms):.0f} ms "
          f"(p90 {statistics.quantiles(form_ms, n=10)[-1]:.0f}); {statistics.median(page_ms):.0f} ms/page")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", action="store_true")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    t = time.perf_counter()
    samples = docgen.corpus(full=not args.small)
    print(f"corpus: {len(samples)} samples generated in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    with ThreadPoolExecutor(args.workers) as ex:
        results = list(ex.map(lambda s: read_document_safely(s.data, s.paper.name, Limits()), samples))
    wall = time.perf_counter() - t
    pages = sum(len(s.pages) for s in samples)
    print(f"sandboxed read, {args.workers} workers: {wall:.1f} s for {pages} pages "
          f"({pages / wall:.2f} pages/s)")
    rows = [(s, main_result(s, r)) for s, r in zip(samples, results, strict=True)]
    report_kinds("text PDFs", [(s, r) for s, r in rows if s.render == "text"])
    report_kinds("scans and photos", [(s, r) for s, r in rows if s.render != "text"])
    looks = [(s, r) for s, r in rows if s.paper.kind == "unknown" and r.kind != "unknown"]
    print(f"\nlook-alikes taken for a form: {len(looks)}")
    report_checks(rows)
    report_fields(rows)
    timings(samples[:: 2 if args.small else 3])


if __name__ == "__main__":
    main()
