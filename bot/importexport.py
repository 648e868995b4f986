"""The CES HMIS Implementation List in, participation status out (CSV or JSON).

Import reads a CSV with a header row; known columns (any order, case-insensitive):
``name`` (required), ``aliases`` and ``email_domains`` (separated by ``;``),
``ces_roles`` (free text, read with the CES vocabulary), ``agreement`` (one of the
agreement states), ``program_manager`` and ``executive_director`` (addresses).
An organization that exists (by name or alias) is updated, never duplicated.
Export writes organizations, programs or users as CSV or JSON from the same
picture ``status`` shows.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from bot.app import App
from bot.ces.parse import parse_org_roles
from bot.ces.rules import AGREEMENT_STATES
from bot.status import load_all, org_json
from bot.store import repo
from bot.store.db import transaction
from bot.core.state import ContactState, OrgState

EXPORTS = ("organizations", "programs", "users")


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


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


def import_orgs(bot: App, text: str) -> ImportReport:
    report = ImportReport()
    rows = list(csv.DictReader(io.StringIO(text)))
    now = bot.clock.utcnow()
    with transaction(bot.engine) as session:
        for number, raw in enumerate(rows, start=2):
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
            name = row.get("name", "")
            if not name:
                report.errors.append(f"line {number}: no name")
                continue
            if row.get("agreement") and row["agreement"].lower() not in AGREEMENT_STATES:
                report.errors.append(f"line {number}: agreement {row['agreement']!r} is not one of "
                                     f"{', '.join(AGREEMENT_STATES)}")
                continue
            org_id = repo.org_by_name(session, name)
            org = repo.load_org(session, org_id) if org_id else OrgState(name=name)
            _apply_row(org, row)
            repo.save_org(session, org, now)
            (report.updated if org_id else report.created).append(name)
        repo.audit(session, now, "import_orgs", actor="staff",
                   detail={"created": len(report.created), "updated": len(report.updated)})
    return report


def _records(bot: App, what: str) -> list[dict[str, Any]]:
    with Session(bot.engine) as session:
        orgs = [org_json(o) for o in load_all(session)]
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


def export(bot: App, what: str, fmt: str) -> str:
    records = _records(bot, what)
    if fmt == "json":
        return json.dumps(records, indent=2, ensure_ascii=False)
    out = io.StringIO()
    if records:
        writer = csv.DictWriter(out, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    return out.getvalue()
