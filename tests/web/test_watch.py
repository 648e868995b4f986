"""Item 9 of issue 16: /healthz (no login, no personal data) and Prometheus /metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.web.conftest import Site, client_for, demo_site


def test_healthz_needs_no_login_and_discloses_nothing_personal(site: Site) -> None:
    r = client_for(site.bot).get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["database"] is True and body["status"] in ("ok", "degraded")
    assert {b["name"] for b in body["mailboxes"]} == set(site.bot.config.mailboxes)
    assert all(set(b) == {"name", "last_ok_at", "stalled"} for b in body["mailboxes"])
    assert isinstance(body["outbox_backlog"], int)
    assert "@" not in r.text  # no address, sender or subject
    subjects = [s for (s,) in site.sql("SELECT subject FROM seen_message WHERE subject <> ''")]
    assert subjects and not any(s in r.text for s in subjects)


def test_healthz_reports_a_stalled_mailbox_and_the_backlog(site: Site) -> None:
    site.sql("UPDATE mailbox_state SET last_ok_at = '2026-11-01 00:00:00'")
    site.sql("UPDATE outbox SET status = 'pending' WHERE id IN (SELECT id FROM outbox LIMIT 2)")
    body = client_for(site.bot).get("/healthz").json()
    assert body["status"] == "degraded" and all(b["stalled"] for b in body["mailboxes"])
    assert body["outbox_backlog"] >= 2


def test_healthz_is_503_when_the_database_is_gone(demo_master: Path, tmp_path: Path) -> None:
    site = demo_site(demo_master, tmp_path / "demo")
    site.bot.engine.dispose()
    db = next(tmp_path.glob("demo/**/*.db"), None) or next(tmp_path.glob("demo/**/*.sqlite*"))
    db.rename(db.with_suffix(".gone"))
    db.mkdir()  # a folder where the file was: SQLite cannot open it
    r = client_for(site.bot).get("/healthz")
    assert r.status_code == 503 and r.json() == {"status": "down", "database": False}


def _samples(text: str) -> dict[str, float]:
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines() if line and not line.startswith("#")}


def test_metrics_from_the_host_count_what_the_database_holds(site: Site) -> None:
    r = client_for(site.bot, peer="127.0.0.1").get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    got = _samples(r.text)
    for mailbox, outcome, n in site.sql("SELECT mailbox, outcome, count(*) FROM seen_message GROUP BY 1, 2"):
        assert got[f'hmisbot_messages{{mailbox="{mailbox}",outcome="{outcome}"}}'] == n
    (open_items,) = site.sql("SELECT count(*) FROM review_item WHERE resolved_at IS NULL")[0]
    assert got["hmisbot_review_queue_size"] == open_items > 0
    (receipts,) = site.sql("SELECT count(*) FROM outbox WHERE status = 'sent' AND kind = 'receipt'")[0]
    assert got['hmisbot_mails_sent{kind="receipt"}'] == receipts > 0
    for (name,) in site.sql("SELECT mailbox FROM mailbox_state"):
        assert got[f'hmisbot_mailbox_last_ok_timestamp_seconds{{mailbox="{name}"}}'] > 0
        assert f'hmisbot_mailbox_stalled{{mailbox="{name}"}}' in got
    assert "hmisbot_ocr_seconds_total" in got
    assert "@" not in r.text


def test_metrics_read_ocr_seconds_from_the_pollers_file(site: Site, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    published = tmp_path / "metrics.json"
    published.write_text(json.dumps({"ocr": {"seconds": 12.5, "count": 3}, "parse": {"seconds": 1.0, "count": 9}}))
    monkeypatch.setenv("HMISBOT_METRICS", str(published))
    got = _samples(client_for(site.bot, peer="127.0.0.1").get("/metrics").text)
    assert got["hmisbot_ocr_seconds_total"] == 12.5
    assert got['hmisbot_stage_seconds_total{stage="parse"}'] == 1.0
    assert got['hmisbot_stage_runs_total{stage="ocr"}'] == 3


def test_metrics_refuse_strangers_unless_they_bring_the_token(demo_master: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    web = "\nweb:\n  trusted_proxies: [10.0.0.5]\n  metrics_token_env: HMISBOT_METRICS_TOKEN\n" \
          "  users: [{name: A, email: a@lahsa.org, password_hash: \"scrypt$16384$8$1$AAAA$AAAA\"}]\n"
    site = demo_site(demo_master, tmp_path / "demo", web=web)
    monkeypatch.setenv("HMISBOT_METRICS_TOKEN", "s3cret-token")
    assert client_for(site.bot, peer="192.0.2.7").get("/metrics").status_code == 403
    assert client_for(site.bot).get("/metrics").status_code == 403
    assert client_for(site.bot, peer="10.0.0.5").get("/metrics").status_code == 200
    assert client_for(site.bot, peer="::1").get("/metrics").status_code == 200
    stranger = client_for(site.bot, peer="192.0.2.7")
    assert stranger.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert stranger.get("/metrics", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    site.bot.close()
