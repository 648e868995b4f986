"""Long work shows progress, and logs can be JSON lines (issue 16, items 9 and 10).

`poll --backfill` over a Maildir inbox: a bar on a terminal (rich, drawn on stderr), a count in
the log otherwise; `--log-format json` or `logging: {format: json}`: one object a line.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.scenario.harness import World
from tests.support.terminal import hmisbot, on_a_terminal


def _world(tmp_path: Path, n: int, extra: str = "") -> World:
    w = World(tmp_path / "w", "sqlite", extra=extra)
    for i in range(n):
        w.mail("join", f"Person {i} <p{i}@example.org>", f"question {i}", "How do I reset my HMIS password?")
    return w


def _hmisbot(w: World, *args: str) -> subprocess.CompletedProcess[str]:
    return hmisbot(w.root / "mailboxes.yaml", *args, now=w.now)


def test_backfill_counts_its_progress_in_the_log(tmp_path: Path) -> None:
    w = _world(tmp_path, 20)
    out = _hmisbot(w, "-v", "poll", "--once", "--backfill")
    assert out.returncode == 0, out.stderr
    assert "join: 20 processed" in out.stdout
    lines = [line.split(": ", 1)[1] for line in out.stderr.splitlines() if " bot.progress: " in line]
    # A line each tenth of the way (counted as messages are settled), then the end.
    assert lines[:2] == ["poll join: 2/20", "poll join: 4/20"] and "poll join: 20/20 done" in lines
    assert "poll training: 0/0 done" in lines


def test_backfill_draws_a_bar_on_a_terminal(tmp_path: Path) -> None:
    w = _world(tmp_path, 12)
    code, out, drawn = on_a_terminal(w.root / "mailboxes.yaml", "poll", "--once", "--backfill", now=w.now)
    assert code == 0
    assert "join: 12 processed" in out and "poll join" not in out  # stdout stays clean
    assert "poll join" in drawn and "12/12" in drawn


def test_json_logs_are_one_object_a_line_with_the_message_id(tmp_path: Path) -> None:
    w = _world(tmp_path, 3)
    out = _hmisbot(w, "--log-format", "json", "-v", "poll", "--once")
    assert out.returncode == 0, out.stderr
    records = [json.loads(line) for line in out.stderr.splitlines()]  # every line is one JSON object
    assert records and all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert all(r["time"].endswith("Z") and r["time"][10] == "T" for r in records)  # UTC, ISO 8601
    decided = [r for r in records if r["logger"] == "bot.workflow.process"]
    assert len(decided) == 3 and all(r["message_id"] in r["message"] for r in decided)
    assert all(r["message_id"].startswith("<") and r["message_id"].endswith("@example.org>") for r in decided)


def test_the_configuration_can_ask_for_json_logs_and_the_flag_wins(tmp_path: Path) -> None:
    w = _world(tmp_path, 1, extra="logging: {format: json, level: info}\n")
    out = _hmisbot(w, "poll", "--once")  # no -v: the configured level (info) applies
    assert out.returncode == 0, out.stderr
    assert out.stderr and all(json.loads(line)["level"] for line in out.stderr.splitlines())
    w.mail("join", "Person 9 <p9@example.org>", "question 9", "How do I reset my HMIS password?")
    text = _hmisbot(w, "--log-format", "text", "poll", "--once")
    assert text.returncode == 0 and " INFO bot.workflow.process: message <" in text.stderr
    assert not any(line.startswith("{") for line in text.stderr.splitlines())
