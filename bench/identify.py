"""Which organization a form-bearing message is about, on the held-out corpus (issue 13, item 7).

Reads each held-out form once (as `hmisbot classify` does), then asks the pure identification
(`bot.core.identity.identify`) three ways, for every form whose truth names its organization:

- **on file**: the organizations are known with their domains (Step 1 done) and the sender
  writes from the organization's domain, with a plain subject ("Signed form");
- **first contact**: the organizations come from the implementation list with no domain and
  no contact; the sender writes from the organization's own domain and the subject names it
  ("Signed Organization Agreement - <name>"), as LAHSA's guidance asks;
- **form only**: a personal address and a plain subject: only what was read from the form.

    .venv/bin/python bench/identify.py /tmp/heldout [--half test]

Only the half given is read (default: test, the half the reader was never tuned on).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from bot.core.identity import Evidence, KnownOrg, SenderRecord, core_name, identify  # noqa: E402
from bot.documents.reader import read_document  # noqa: E402

LABEL = {"organization_agreement": "Organization Agreement", "user_agreement": "User Agreement",
         "hmis10_acknowledgement": "HMIS 10 Acknowledgement"}


def domain_of(org: str, rows: list[dict[str, object]]) -> str:
    for row in rows:
        fields = row["fields"]
        assert isinstance(fields, dict)
        if fields.get("organization") == org and "@" in str(fields.get("email", "")):
            return str(fields["email"]).rpartition("@")[2].lower()
    return re.sub(r"[^a-z]", "", "".join(org.lower().split()[:2])) + ".org"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--half", default="test", choices=("test", "tune"))
    ap.add_argument("--show", action="store_true", help="print each miss (the tune half only)")
    args = ap.parse_args()
    rows = [json.loads(line) for line in (args.folder / "truth.jsonl").read_text().splitlines() if line.strip()]
    # One organization per legal name: "Hope Harbor, Inc." on one form and "Hope Harbor" on another are one.
    by_core: dict[str, str] = {}
    for r in rows:
        if r["fields"].get("organization"):
            by_core.setdefault(core_name(r["fields"]["organization"]), r["fields"]["organization"])
    orgs = sorted(by_core.values())
    domains = {o: domain_of(o, rows) for o in orgs}
    on_file = [KnownOrg(i, o, (), (domains[o],), True) for i, o in enumerate(orgs, 1)]
    listed = [KnownOrg(i, o, (), (), False) for i, o in enumerate(orgs, 1)]
    ids = {core_name(o): i for i, o in enumerate(orgs, 1)}
    cases = [r for r in rows if r["half"] == args.half and r["kind"] != "unknown" and r["fields"].get("organization")]
    hits = {"on file": 0, "first contact": 0, "form only": 0}
    started = time.perf_counter()
    for row in cases:
        org = by_core[core_name(row["fields"]["organization"])]
        forms = [f for f in read_document((args.folder / row["file"]).read_bytes(), row["file"]) if f.is_form]
        names = tuple(n for f in forms for n in [f.fields.get("organization") or f.fields.get("agency") or ""] if n)
        emails = tuple(f.fields.get("email", "").lower() for f in forms if f.fields.get("email"))
        sender = f"someone@{domains[org]}"
        label = LABEL.get(row["kind"], "form")
        trials = {
            "on file": (Evidence(sender, domains[org], "Signed form", "Attached.", names, emails, SenderRecord()),
                        on_file),
            "first contact": (Evidence(sender, domains[org], f"Signed {label} - {org}", "Attached.", names, emails,
                                       SenderRecord(), may_found=True), listed),
            "form only": (Evidence("someone@gmail.com", "gmail.com", "Signed form", "Attached.", names, emails,
                                   SenderRecord(), may_found=True), listed),
        }
        for name, (evidence, known) in trials.items():
            ident = identify(evidence, known)
            ok = ident.org_id == ids[core_name(org)] and (name == "form only" or ident.authorized)
            hits[name] += ok  # a personal address is never authorized: "form only" counts the organization named
            if args.show and args.half == "tune" and not ok:
                print(f"  MISS {name}: {row['file']} {org!r} read {names} -> {ident.org_id} {ident.problem}")
    took = time.perf_counter() - started
    print(f"{args.half} half: {len(cases)} form-bearing files whose truth names the organization ({took:.0f} s)")
    for name, n in hits.items():
        what = "right organization named" if name == "form only" else "right organization, may act"
        print(f"  {name:14s} {what}: {n}/{len(cases)} = {n / max(len(cases), 1):.1%}")


if __name__ == "__main__":
    main()
