"""Command line: ``python -m bench.heldout.generate OUT_DIR [--seed N] [--jobs N]``.

Owns turning a planned job into a file: sampling the form data, applying the signing scenario,
building the pages, rendering them (text PDF, scan, rotated scan, fax, phone photo, TIFF, HEIC),
choosing the container (PDF, JPEG, PNG, TIFF, HEIC) and writing ``truth.jsonl``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from bench.heldout import degrade, lookalikes, pdfout, raster
from bench.heldout.model import Doc
from bench.heldout.people import FormData, sample
from bench.heldout.plan import FORMS, Job, make_plan

SCANNERS = ["Canon iR-ADV C5535 PDF", "RICOH MP C4504", "Xerox WorkCentre 7845", "HP Digital Sending",
            "KONICA MINOLTA bizhub C458", "Epson Scan 2"]
PHONE_APPS = ["Adobe Scan", "Microsoft Lens", "iOS Notes", "Genius Scan"]
FALLBACK_DATE = dt.date(2026, 1, 15)
FAX_APPS = ["RightFax", "eFax Messenger", "XMediusFAX"]


def _data(job: Job, r: random.Random) -> FormData:
    d = sample(r)
    sc = job.scenario
    d.principal_signs = sc.get("p", False)
    d.second_signs = sc.get("s", False)
    d.coc_values = sc.get("cv", False)
    d.coc_signs = sc.get("cs", False)
    if sc.get("self"):
        d.coc_name, d.coc_title = d.signer_name, d.signer_title
    if job.family.startswith("blank:"):
        d.blank, d.principal_signs, d.second_signs, d.coc_values, d.coc_signs = True, False, False, False, False
    if job.render == "text":
        d.hand = r.random() < 0.25  # filled in on screen, now and then with a script font
    return d


def _build(job: Job, d: FormData, r: random.Random) -> Doc:
    if job.family == "lookalike":
        builder = lookalikes.TUNE.get(job.layout) or lookalikes.TEST[job.layout]
        return builder(d, r)
    kind = job.family.split(":")[-1]
    layout: Callable[[FormData, random.Random], Doc] = FORMS[kind].LAYOUTS[job.index]
    return layout(d, r)


def _write_images(pages: list[Image.Image], base: Path, ext: str, dpi: tuple[float, float], job: Job, d: FormData,
                  r: random.Random, producer: str) -> Path:
    path = base.with_suffix("." + ext)
    if ext == "pdf":
        pdfout.image_pdf(pages, path, dpi, d.date or FALLBACK_DATE, producer, quality=r.randint(60, 88))
    elif ext == "tif":
        comp = "group4" if pages[0].mode == "1" else r.choice(["tiff_lzw", "jpeg", "jpeg"])
        pages[0].save(path, "TIFF", save_all=True, append_images=pages[1:], compression=comp, dpi=dpi)
    elif ext == "jpg":
        pages[0].convert("RGB" if pages[0].mode != "L" else "L").save(path, "JPEG", quality=r.randint(68, 90),
                                                                     dpi=dpi)
    elif ext == "png":
        pages[0].save(path, "PNG", dpi=dpi)
    elif ext == "heic":
        import pillow_heif

        pillow_heif.from_pillow(pages[0].convert("RGB")).save(path, quality=r.randint(60, 85),
                                                               enc_params={"preset": "faster"})
    return path


def _render(job: Job, doc: Doc, d: FormData, r: random.Random, rng: np.random.Generator, out: Path) -> tuple[Path, str]:
    base = out / job.name
    render = job.render
    multi = len(doc.pages) > 1
    if render == "heic" and multi:
        render = "photo"  # a phone would not hold a two-page form in one HEIC: photograph it into a PDF instead
    if render == "text":
        path = base.with_suffix(".pdf")
        title = r.choice(["", "Agreement", "Scan", job.name])
        pdfout.text_pdf(doc, path, title, r.choice(["", "Microsoft Word", d.signer_name]))
        return path, render
    if render in {"scan", "rotated", "tiff"}:
        color = render != "tiff" and r.random() < 0.45
        pages = [degrade.scan(raster.render(p, 200), r, rng, color) for p in doc.pages]
        if render == "rotated":
            turn = r.choice([90, 180, 270])
            pages = [p.rotate(turn, expand=True) for p in pages]
        if render == "tiff" and r.random() < 0.5:
            cut = r.randint(150, 190)
            pages = [p.point(lambda v, c=cut: 255 if v > c else 0).convert("1") for p in pages]
        ext = "tif" if render == "tiff" else ("pdf" if multi or r.random() < 0.65 else "jpg" if color else
                                              r.choice(["png", "jpg"]))
        return _write_images(pages, base, ext, (200, 200), job, d, r, r.choice(SCANNERS)), render
    if render == "fax":
        native = r.random() < 0.5
        when = (d.date or FALLBACK_DATE).strftime("%b-%d-%Y").upper()
        sender = d.phone or "(213) 555-0100"
        n = len(doc.pages)
        pages = [degrade.fax(raster.render(p, 200), r, rng,
                             f"{when} {r.randint(7, 17):02d}:{r.randint(0, 59):02d}  FROM: {sender}  "
                             f"TO: LAHSA HMIS   P.{i:03d}/{n:03d}", native) for i, p in enumerate(doc.pages, 1)]
        dpi = (204, 98) if native else (204, 196)
        ext = "pdf" if r.random() < 0.5 else "tif"
        return _write_images(pages, base, ext, dpi, job, d, r, r.choice(FAX_APPS)), render
    # photo / heic
    paper = (r.randint(246, 255), r.randint(244, 253), r.randint(236, 248))
    size = (1800, 2400) if r.random() < 0.85 else (2400, 1800)
    pages = [degrade.photo(raster.render(p, 180, paper), r, rng, size) for p in doc.pages]
    if render == "heic":
        return _write_images(pages, base, "heic", (72, 72), job, d, r, ""), render
    ext = "pdf" if multi else ("jpg" if r.random() < 0.9 else "png")
    return _write_images(pages, base, ext, (72, 72) if ext != "pdf" else (160, 160), job, d, r,
                         r.choice(PHONE_APPS)), render


def run_job(job: Job, seed: int, out: Path) -> dict[str, Any]:
    """Build, render and write one file; return its truth row."""
    r = random.Random(f"{seed}:{job.key}")
    rng = np.random.default_rng(r.randrange(1 << 32))
    d = _data(job, r)
    doc = _build(job, d, r)
    path, render = _render(job, doc, d, r, rng, out)
    is_form = job.kind != "unknown"
    return {
        "file": path.name, "half": job.half, "layout": job.layout, "render": render, "kind": job.kind,
        "signed": d.principal_signs if is_form else None,
        "coc_section_blank": (not (d.coc_values or d.coc_signs)) if job.kind == "organization_agreement" else None,
        "fields": doc.fields if is_form else {}, "pages": len(doc.pages),
    }


def _run_star(args: tuple[Job, int, Path]) -> dict[str, Any]:
    return run_job(*args)


def main(argv: list[str] | None = None) -> int:
    """Generate the corpus into OUT_DIR and write OUT_DIR/truth.jsonl."""
    ap = argparse.ArgumentParser(prog="python -m bench.heldout.generate", description=__doc__)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    args = ap.parse_args(argv)
    out: Path = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    jobs = make_plan(args.seed)
    started = time.monotonic()
    work = [(job, args.seed, out) for job in jobs]
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            rows = list(pool.map(_run_star, work, chunksize=2))
    else:
        rows = [_run_star(w) for w in work]
    rows.sort(key=lambda row: row["file"])
    with (out / "truth.jsonl").open("w") as fh:
        for row in rows:
            fh.write(json.dumps(row, sort_keys=False) + "\n")
    halves = {h: sum(1 for row in rows if row["half"] == h) for h in ("tune", "test")}
    print(f"wrote {len(rows)} files to {out} ({halves}) in {time.monotonic() - started:.0f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
