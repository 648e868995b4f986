"""Which organization a row of the CES HMIS Implementation List is: exact evidence only.

A row is an organization already known when it carries the same name (ignoring case
and spacing), a name or alias that organization already has, or one of its email
domains. A merely similar name is never enough on its own: "Downtown Men's Center"
and "Downtown Women's Center" score 95 and are two organizations, and so are
"Org 1 Services" and "Org 10 Services". Similar names (score >= ``FUZZY_THRESHOLD``)
are listed as candidates; only with ``merge`` is a row merged into its best candidate.

Candidates are looked for among the organizations that existed before the import:
the list has one row per organization, so two of its own rows are two organizations
(an exact duplicate row still updates the first). The doubt is between the list and
what hmisbot learnt by mail or from an earlier list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

FUZZY_THRESHOLD = 88.0  # the score at which mail intake takes a written name for an organization


def norm(name: str) -> str:
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class Candidate:
    line: int
    name: str  # the row's
    org: str  # the similar organization's
    score: float
    merged: bool


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)  # "Name (by alias HHS)"
    merged: list[str] = field(default_factory=list)  # "Row name into Organization (score 93)"
    candidates: list[Candidate] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Match:
    org_id: int
    how: str  # "name", "alias 'HHS'", "domain hopeharbor.org", "similar name (score 93)"


class OrgIndex:
    """Organizations by normalized name or alias and by email domain, kept current as rows are applied."""

    def __init__(self, orgs: Iterable[tuple[int, str, list[str], list[str]]]) -> None:
        self.names: dict[int, str] = {}
        self._by_name: dict[str, int] = {}
        self._by_domain: dict[str, int] = {}
        for org_id, name, aliases, domains in orgs:
            self.add(org_id, name, aliases, domains)
        # Fuzzy choices are frozen here: only organizations from before the import are candidates.
        self._choices = {key: org_id for key, org_id in self._by_name.items()}

    def add(self, org_id: int, name: str, aliases: Iterable[str], domains: Iterable[str]) -> None:
        self.names.setdefault(org_id, name)
        for label in (name, *aliases):
            self._by_name.setdefault(norm(label), org_id)
        for domain in domains:
            self._by_domain.setdefault(domain.lower(), org_id)

    def exact(self, name: str, aliases: list[str], domains: list[str]) -> Match | None:
        """The organization this row certainly is: by name, then alias, then email domain."""
        if norm(name) in self._by_name:
            return Match(self._by_name[norm(name)], "name")
        for alias in aliases:
            if norm(alias) in self._by_name:
                return Match(self._by_name[norm(alias)], f"alias {alias!r}")
        for domain in domains:
            if domain.lower() in self._by_domain:
                return Match(self._by_domain[domain.lower()], f"domain {domain.lower()}")
        return None

    def similar(self, name: str) -> list[tuple[int, float]]:
        """Organizations from before the import whose name or alias scores >= FUZZY_THRESHOLD, best first."""
        best: dict[int, float] = {}
        found = process.extract(norm(name), list(self._choices), scorer=fuzz.token_sort_ratio,
                                score_cutoff=FUZZY_THRESHOLD, limit=None)
        for label, score, _ in found:
            org_id = self._choices[label]
            best[org_id] = max(best.get(org_id, 0.0), float(score))
        return sorted(best.items(), key=lambda item: (-item[1], self.names[item[0]]))
