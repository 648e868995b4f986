"""`hmisbot import-orgs` and `hmisbot export` through the CLI, as staff use them.

Rows match organizations by exact name, alias or email domain only; similar names are
listed and merged only with --merge (issue 16, item 11).
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import time
from pathlib import Path

import pytest

from bot.store.models import Contact, Organization
from tests.scenario.harness import World
from tests.support.terminal import hmisbot, on_a_terminal

LIST = """Name,Aliases,Email_Domains,CES_Roles,Agreement,Program_Manager
Hope Harbor Services,Hope Harbor;HHS,hopeharbor.org,Housing Navigation/Case Management,accepted,maria@hopeharbor.org
Eastside Youth Center,,eastsideyouth.org,Assessment Only,,
,,,,,
Bad Org,,,,signed,
"""


def _cli(w: World, *args: str) -> subprocess.CompletedProcess[str]:
    return hmisbot(w.root / "mailboxes.yaml", *args)


def test_import_then_export(tmp_path: Path, db_url: str) -> None:
    w = World(tmp_path / "w", db_url)
    (tmp_path / "list.csv").write_text(LIST)
    out = _cli(w, "import-orgs", str(tmp_path / "list.csv"))
    assert out.returncode == 1  # two bad lines are reported; the good ones are kept
    assert "2 created, 0 updated, 0 merged, 2 error(s)" in out.stdout
    assert "created: Hope Harbor Services" in out.stdout and "created: Eastside Youth Center" in out.stdout
    assert "line 4: no name" in out.stderr and "line 5: agreement 'signed'" in out.stderr
    again = _cli(w, "import-orgs", str(tmp_path / "list.csv"))
    assert "0 created, 2 updated, 0 merged" in again.stdout  # idempotent: no duplicates
    hope = w.org("Hope Harbor Services")
    assert hope.aliases == ["Hope Harbor", "HHS"] and hope.email_domains == ["hopeharbor.org"]
    assert hope.ces_roles == ["housing_navigation"] and hope.agreement == "accepted"
    assert [c.email for c in w.query(Contact, org_id=hope.id)] == ["maria@hopeharbor.org"]
    assert len(w.query(Organization)) == 2
    rows = list(csv.DictReader(io.StringIO(_cli(w, "export").stdout)))
    assert [r["name"] for r in rows] == ["Eastside Youth Center", "Hope Harbor Services"]
    assert rows[1]["agreement"] == "accepted" and rows[0]["agreement"] == "missing"
    data = json.loads(_cli(w, "export", "--what", "organizations", "--format", "json").stdout)
    assert data[1]["ready_for_step3"] is False
    assert _cli(w, "export", "--what", "nonsense").returncode == 2


def _csv(tmp_path: Path, name: str, rows: list[str], header: str = "name,aliases,email_domains") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


@pytest.mark.slow
def test_three_thousand_distinct_organizations_are_all_created(tmp_path: Path, db_url: str) -> None:
    w = World(tmp_path / "w", db_url)
    rows = [f"Org {n} Services,," for n in range(1, 3001)]
    started = time.monotonic()
    out = _cli(w, "-v", "import-orgs", str(_csv(tmp_path, "big.csv", rows)))
    took = time.monotonic() - started
    assert out.returncode == 0, out.stderr
    assert "3000 created, 0 updated, 0 merged, 0 error(s); 0 similar name(s)" in out.stdout
    assert out.stdout.count("created: Org ") == 3000
    assert len(w.query(Organization)) == 3000
    # Not a terminal: the progress is a count in the log, every tenth of the way and at the end.
    assert "import-orgs: 300/3000" in out.stderr and "import-orgs: 3000/3000 done" in out.stderr
    assert took < 120, took
    again = _cli(w, "import-orgs", str(_csv(tmp_path, "big.csv", rows)))
    assert "0 created, 3000 updated, 0 merged" in again.stdout and "similar:" not in again.stdout
    assert len(w.query(Organization)) == 3000


def test_a_similar_name_is_listed_and_merged_only_with_merge(tmp_path: Path, db_url: str) -> None:
    w = World(tmp_path / "w", db_url)
    known = ["Downtown Women's Center,,dwc.org", "Hope Harbor Services,HHS,hopeharbor.org"]
    assert _cli(w, "import-orgs", str(_csv(tmp_path, "known.csv", known))).returncode == 0
    men = _csv(tmp_path, "men.csv", ["Downtown Men's Center,,"])
    out = _cli(w, "import-orgs", str(men))
    assert "created: Downtown Men's Center" in out.stdout and "1 created, 0 updated, 0 merged" in out.stdout
    assert "similar: line 2: \"Downtown Men's Center\" ~ \"Downtown Women's Center\" (score 9" in out.stdout
    assert "not merged (--merge" in out.stdout
    assert {o.name for o in w.query(Organization)} == {"Downtown Women's Center", "Hope Harbor Services",
                                                       "Downtown Men's Center"}
    # A misspelling: --dry-run shows the merge and saves nothing; --merge merges and keeps the name as an alias.
    typo = _csv(tmp_path, "typo.csv", ["Hope Harbour Services,,"])
    dry = _cli(w, "import-orgs", "--merge", "--dry-run", str(typo))
    assert "merged: Hope Harbour Services into Hope Harbor Services (similar name (score" in dry.stdout
    assert "(dry run: nothing saved)" in dry.stdout and len(w.query(Organization)) == 3
    assert "Hope Harbour Services" not in w.org("Hope Harbor Services").aliases
    merged = _cli(w, "import-orgs", "--merge", str(typo))
    assert "0 created, 0 updated, 1 merged" in merged.stdout
    assert w.org("Hope Harbor Services").aliases == ["HHS", "Hope Harbour Services"]
    assert len(w.query(Organization)) == 3


def test_rows_match_by_alias_and_by_email_domain(tmp_path: Path, db_url: str) -> None:
    w = World(tmp_path / "w", db_url)
    assert _cli(w, "import-orgs", str(_csv(tmp_path, "a.csv", ["Hope Harbor Services,HHS,hopeharbor.org"]))
                ).returncode == 0
    out = _cli(w, "import-orgs", str(_csv(tmp_path, "b.csv", ["hope  harbor SERVICES,,", "HH Services,HHS,",
                                                            "Harbor of Hope Inc,,HopeHarbor.org"])))
    assert "0 created, 3 updated, 0 merged" in out.stdout, out.stdout
    assert "updated: Hope Harbor Services\n" in out.stdout  # same name, other case and spacing
    assert "updated: Hope Harbor Services (by alias 'HHS')" in out.stdout
    assert "updated: Hope Harbor Services (by domain hopeharbor.org)" in out.stdout
    assert w.org("Hope Harbor Services").aliases == ["HHS", "HH Services", "Harbor of Hope Inc"]


def test_import_shows_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    """stderr on a pseudo-terminal: rich draws the bar there; stdout keeps the report."""
    w = World(tmp_path / "w", "sqlite")
    rows = [f"Org {n} Services,," for n in range(1, 201)]
    code, out, drawn = on_a_terminal(w.root / "mailboxes.yaml", "import-orgs", str(_csv(tmp_path, "list.csv", rows)),
                                     timeout=120)
    assert code == 0
    assert "200 created" in out and "import-orgs" not in out
    assert "import-orgs" in drawn and "200/200" in drawn
