"""Benchmark of the documents package on labelled corpora.

Without `--heldout`: the project's own generated corpus (tests/docgen.py), with
per-kind precision/recall (text PDFs and scans/photos apart), look-alikes taken
for forms, signature and CoC-check accuracy, field accuracy and timings.

With `--heldout DIR` (a corpus written by `python -m bench.heldout.generate DIR`):
one summary table, side by side, for the own set, the held-out "tune" half and
the held-out "test" half.  `--show tune` lists the tune half's misses; the test
half's misses are never printed (tune on `tune`, report `test`).

    .venv/bin/python bench/classify.py [--small] [--workers 2]
    .venv/bin/python bench/classify.py --heldout /tmp/heldout [--sets own,tune,test] [--show tune]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import docgen  # noqa: E402
from rapidfuzz import fuzz  # noqa: E402

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


def own_set(args: argparse.Namespace) -> None:
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


# ---- side-by-side summary: own set, held-out tune half, held-out test half ----

@dataclass
class Case:
    """One file with what it should yield, and (once read) what it yielded."""

    name: str
    render: str  # "text" for a text-layer PDF; anything else is an image
    kind: str
    signed: bool | None
    coc_blank: bool | None
    fields: dict[str, str]
    data: bytes = b""
    got: FormResult | None = None
    kind_ms: float = 0.0
    read_ms: float = 0.0
    pages: int = 1
    extra: dict[str, str] = field(default_factory=dict)


def _timed_read(data: bytes, name: str) -> tuple[list[FormResult], float, float]:
    """read_document (the path `classify --json` takes, minus the sandbox's pipe),
    timed: first-page kind decision, then the whole file."""
    t0 = time.perf_counter()
    src = open_source(data, 50)
    try:
        page = src.look(0)
        if classify_page(page.band_text, page.text if page.complete else None) is None:
            src.read_full(page)
    finally:
        src.close()
    t1 = time.perf_counter()
    res = read_document(data, name)
    return res, (t1 - t0) * 1000, (time.perf_counter() - t1) * 1000


def _canon(fields: dict[str, str]) -> dict[str, str]:
    # the reader names a user form's organization "agency"; the truths say "organization"
    out = dict(fields)
    if "agency" in out:
        out.setdefault("organization", out.pop("agency"))
    return out


def load_own(small: bool) -> list[Case]:
    return [Case(s.paper.name, s.render, s.paper.kind, s.paper.signed if s.paper.kind in FORM_KINDS else None,
                 s.paper.coc_blank if s.render != "photo" else None, _canon(s.paper.fields), s.data)
            for s in docgen.corpus(full=not small)]


def load_heldout(folder: Path, half: str) -> list[Case]:
    rows = [json.loads(line) for line in (folder / "truth.jsonl").read_text().splitlines() if line.strip()]
    return [Case(r["file"], r["render"], r["kind"], r["signed"], r["coc_section_blank"], _canon(r["fields"]),
                 (folder / r["file"]).read_bytes(), pages=r["pages"], extra={"layout": r["layout"]})
            for r in rows if r["half"] == half]


def read_all(cases: list[Case], workers: int) -> None:
    with ProcessPoolExecutor(workers) as ex:
        futs = [ex.submit(_timed_read, c.data, c.name) for c in cases]
        for c, f in zip(cases, futs, strict=True):
            res, c.kind_ms, c.read_ms = f.result()
            forms = [r for r in res if r.kind != "unknown"]
            c.got = forms[0] if forms else res[0]
            c.pages = max(sum(len(r.pages) for r in res), 1)


def field_ok(key: str, got: str, want: str) -> bool:
    """Fuzzy >= 90 after case/space folding; a date must be the same day (one digit
    off is another day, which a ratio of 90 would accept)."""
    g, w = " ".join(got.lower().split()), " ".join(want.lower().split())
    return g == w if key == "date" else fuzz.ratio(g, w) >= 90


def _frac(ok: int, n: int) -> str:
    return f"{ok}/{n} = {ok / n:.3f}" if n else "-"


def summary(cases: list[Case]) -> dict[str, str]:
    got = [(c, c.got) for c in cases if c.got is not None]
    out = {"files": str(len(got)), "kind": _frac(sum(r.kind == c.kind for c, r in got), len(got)),
           "look-alikes taken for a form": str(sum(c.kind == "unknown" and r.kind != "unknown" for c, r in got))}
    sig = [(c, r) for c, r in got if c.signed is not None and c.kind in FORM_KINDS]
    out["signed"] = _frac(sum(bool(r.checks.get("signed")) == c.signed for c, r in sig), len(sig))
    coc = [(c, r) for c, r in got if c.coc_blank is not None]
    out["coc_section_blank"] = _frac(sum(r.checks.get("coc_section_blank") == c.coc_blank for c, r in coc), len(coc))
    per: dict[str, list[bool]] = {}
    for c, r in got:
        have = _canon(dict(r.fields))
        for key, want in c.fields.items():
            ok = field_ok(key, have.get(key, ""), want)
            for group in ("fields", f"fields: {'text PDF' if c.render == 'text' else 'image'}", f"  {key}"):
                per.setdefault(group, []).append(ok)
    for group in sorted(per, key=lambda g: (g.startswith("  "), g)):
        out[group] = _frac(sum(per[group]), len(per[group]))
    text = [c.read_ms / c.pages for c in cases if c.render == "text"]
    scans = [c for c in cases if c.render != "text"]
    out["text PDF ms/page (median)"] = f"{statistics.median(text):.0f}" if text else "-"
    out["scan: kind of 1st page ms (median)"] = f"{statistics.median(c.kind_ms for c in scans):.0f}" if scans else "-"
    forms = [c.read_ms for c in scans if c.kind != "unknown"]
    out["scan: whole form ms (median)"] = f"{statistics.median(forms):.0f}" if forms else "-"
    return out


def show_misses(cases: list[Case]) -> None:
    for c in cases:
        r = c.got
        if r is None:
            continue
        have = _canon(dict(r.fields))
        bad = {k: (have.get(k, ""), w) for k, w in c.fields.items() if not field_ok(k, have.get(k, ""), w)}
        sig_bad = c.signed is not None and bool(r.checks.get("signed")) != c.signed
        coc_bad = c.coc_blank is not None and r.checks.get("coc_section_blank") != c.coc_blank
        if r.kind != c.kind or sig_bad or coc_bad or bad:
            print(f"{c.name} {c.extra.get('layout', '')} {c.render}: kind {r.kind}/{c.kind} "
                  f"checks {dict(r.checks)} want signed={c.signed} coc={c.coc_blank}")
            for k, (g, w) in bad.items():
                print(f"    {k}: {g!r} != {w!r}")


def heldout(args: argparse.Namespace) -> None:
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    if args.show == "test":
        sys.exit("the test half is for reporting only: its misses are never shown")
    columns: dict[str, dict[str, str]] = {}
    for name in sets:
        t = time.perf_counter()
        cases = load_own(args.small) if name == "own" else load_heldout(Path(args.heldout), name)
        read_all(cases, args.workers)
        print(f"{name}: {len(cases)} files read in {time.perf_counter() - t:.0f} s", file=sys.stderr)
        columns[name] = summary(cases)
        if args.show == name:
            show_misses(cases)
    keys = list(dict.fromkeys(k for col in columns.values() for k in col))
    width = max(len(k) for k in keys) + 2
    print(f"\n{'measure':{width}s}" + "".join(f"{n:>22s}" for n in columns))
    for k in keys:
        print(f"{k:{width}s}" + "".join(f"{col.get(k, '-'):>22s}" for col in columns.values()))
    print(f"\n(timings: {args.workers} worker processes reading at once, one per core)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", action="store_true")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--heldout", help="folder written by `python -m bench.heldout.generate`")
    ap.add_argument("--sets", default="own,tune,test", help="with --heldout: which columns (own, tune, test)")
    ap.add_argument("--show", choices=["own", "tune", "test"], help="with --heldout: list that set's misses")
    args = ap.parse_args()
    if args.heldout:
        heldout(args)
    else:
        own_set(args)


if __name__ == "__main__":
    main()
