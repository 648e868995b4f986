"""The CES HMIS Implementation List in, participation status out (CSV or JSON).

Import reads a CSV with a header row; known columns (any order, case-insensitive):
``name`` (required), ``aliases`` and ``email_domains`` (separated by ``;``),
``ces_roles`` (free text, read with the CES vocabulary), ``agreement`` (one of the
agreement states), ``program_manager`` and ``executive_director`` (addresses).
An organization that exists (same name, an alias, or one of its email domains;
see ``bot.orgimport``) is updated, never duplicated; a similar name is only listed,
or merged when asked.
Export writes organizations, programs or users as CSV or JSON from the same
picture ``status`` shows.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlmodel import Session, select

from bot.app import App
from bot.ces.parse import parse_org_roles
from bot.ces.rules import AGREEMENT_STATES
from bot.core.state import ContactState, OrgState
from bot.orgimport import Candidate, ImportReport, Match, OrgIndex, norm
from bot.progress import Bar
from bot.status import org_json
from bot.store import repo
from bot.store.models import Organization
from bot.store.queries import load_all

EXPORTS = ("organizations", "programs", "users")


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.replace(",", ";").split(";") if v.strip()]


def _apply_row(org: OrgState, row: dict[str, str]) -> None:
    for alias in _split(row.get("aliases", "")):
        if alias not in org.aliases and alias != org.name:
            org.aliases.append(alias)
    for domain in _split(row.get("email_domains", "")):
        if domain.lower() not in org.domains:
            org.domains.append(domain.lower())
    for role in sorted(parse_org_roles(row.get("ces_roles", ""))):
        if role.value not in org.ces_roles:
            org.ces_roles.append(role.value)
    if row.get("agreement"):
        org.agreement = row["agreement"].strip().lower()
    for column, role_name in (("program_manager", "program_manager"), ("executive_director", "executive_director")):
        for address in _split(row.get(column, "")):
            if not org.contact(address):
                org.contacts.append(ContactState(email=address.lower(), role=role_name))


def _row(raw: dict[str | None, str | None]) -> dict[str, str]:
    return {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}


def _problem(number: int, row: dict[str, str]) -> str | None:
    if not row.get("name"):
        return f"line {number}: no name"
    if row.get("agreement") and row["agreement"].lower() not in AGREEMENT_STATES:
        return f"line {number}: agreement {row['agreement']!r} is not one of {', '.join(AGREEMENT_STATES)}"
    return None


def _match(index: OrgIndex, number: int, row: dict[str, str], merge: bool, report: ImportReport) -> Match | None:
    """The organization the row is (exact evidence), or with ``merge`` its most similar one."""
    name = row["name"]
    found = index.exact(name, _split(row.get("aliases", "")), _split(row.get("email_domains", "")))
    if found is not None:
        return found
    similar = index.similar(name)
    for rank, (org_id, score) in enumerate(similar):
        report.candidates.append(Candidate(number, name, index.names[org_id], score, merge and rank == 0))
    if merge and similar:
        org_id, score = similar[0]
        return Match(org_id, f"similar name (score {score:.0f})")
    return None


def _record(report: ImportReport, name: str, org: OrgState, found: Match | None) -> None:
    if found is None:
        report.created.append(name)
    elif found.how.startswith("similar"):
        report.merged.append(f"{name} into {org.name} ({found.how})")
    else:
        report.updated.append(org.name if found.how == "name" else f"{org.name} (by {found.how})")


def import_orgs(app: App, text: str, *, merge: bool = False, dry_run: bool = False,
                bar: Bar | None = None) -> ImportReport:
    """Create or update an organization per row (bot/orgimport.py says how rows are matched).

    One transaction for the whole list. ``dry_run`` works everything out, then rolls it
    back; ``bar`` grows by the number of rows and advances after each.
    """
    report = ImportReport()
    rows = list(csv.DictReader(io.StringIO(text)))
    now = app.clock.utcnow()
    if bar is not None:
        bar.grow(len(rows))
    with Session(app.engine) as session:
        index = OrgIndex(session.exec(select(Organization.id, Organization.name, Organization.aliases,
                                             Organization.email_domains)).all())  # type: ignore[arg-type]
        for number, raw in enumerate(rows, start=2):
            row = _row(raw)
            problem = _problem(number, row)
            if problem:
                report.errors.append(problem)
            else:
                found = _match(index, number, row, merge, report)
                org = repo.load_org(session, found.org_id) if found else OrgState(name=row["name"])
                _apply_row(org, row)
                if norm(row["name"]) != norm(org.name) and all(norm(a) != norm(row["name"]) for a in org.aliases):
                    org.aliases.append(row["name"])  # found by alias, domain or similarity: the next import by name
                index.add(repo.save_org(session, org, now), org.name, org.aliases, org.domains)
                _record(report, row["name"], org, found)
            if bar is not None:
                bar.advance()
        repo.audit(session, now, "import_orgs", actor="staff", detail={
            "created": len(report.created), "updated": len(report.updated), "merged": len(report.merged)})
        if not dry_run:
            session.commit()
    return report


def _records(app: App, what: str) -> list[dict[str, Any]]:
    with Session(app.engine) as session:
        orgs = [org_json(o, today=app.clock.today()) for o in load_all(session)]
    if what == "organizations":
        return [{"name": o["name"], "agreement": o["agreement"], "ces_roles": ";".join(o["ces_roles"]),
                 "programs": len(o["programs"]), "users": len(o["users"]), "ready_for_step3": o["ready_for_step3"],
                 "missing": "; ".join(o["missing"])} for o in orgs]
    if what == "programs":
        return [{"organization": o["name"], **p} for o in orgs for p in o["programs"]]
    return [{"organization": o["name"], "name": u["name"], "email": u["email"], "roles": ";".join(u["roles"]),
             "new_user": u["new_user"], "hmis_role": u["hmis_role"] or "", "access": u["access"],
             "access_due": u["access_due"] or "", "missing": "; ".join(u["missing"])}
            for o in orgs for u in o["users"]]


def export(app: App, what: str, fmt: str) -> str:
    records = _records(app, what)
    if fmt == "json":
        return json.dumps(records, indent=2, ensure_ascii=False)
    out = io.StringIO()
    if records:
        writer = csv.DictWriter(out, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    return out.getvalue()
