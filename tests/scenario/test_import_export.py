"""`hmisbot import-orgs` and `hmisbot export` through the CLI, as staff use them."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from bot.store.models import Contact, Organization
from tests.scenario.harness import World

LIST = """Name,Aliases,Email_Domains,CES_Roles,Agreement,Program_Manager
Hope Harbor Services,Hope Harbor;HHS,hopeharbor.org,Housing Navigation/Case Management,accepted,maria@hopeharbor.org
Eastside Youth Center,,eastsideyouth.org,Assessment Only,,
,,,,,
Bad Org,,,,signed,
"""


def _cli(w: World, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "--config", str(w.root / "mailboxes.yaml"), *args],
                          capture_output=True, text=True, timeout=120)


def test_import_then_export(tmp_path: Path, db_url: str) -> None:
    w = World(tmp_path / "w", db_url)
    (tmp_path / "list.csv").write_text(LIST)
    out = _cli(w, "import-orgs", str(tmp_path / "list.csv"))
    assert out.returncode == 1  # two bad lines are reported; the good ones are kept
    assert "2 created, 0 updated, 2 error(s)" in out.stdout
    assert "line 4: no name" in out.stderr and "line 5: agreement 'signed'" in out.stderr
    again = _cli(w, "import-orgs", str(tmp_path / "list.csv"))
    assert "0 created, 2 updated" in again.stdout  # idempotent: no duplicates
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
