"""Smoke runs of the benchmarks (issue 7: "a smoke run with N=20 in CI is welcome").

They check that the scripts still run end to end against the real servers and print
every figure they promise; they do not judge the figures, which on a shared CI machine
mean little. The benchmarks themselves are run by hand (bench/README.md).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(script: str, *args: str, timeout: float = 300) -> str:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], cwd=ROOT, capture_output=True,
                         text=True, timeout=timeout)
    assert out.returncode == 0, f"{script} failed ({out.returncode}):\n{out.stdout}\n{out.stderr[-3000:]}"
    return out.stdout


def test_backlog_smoke(dovecot: object) -> None:  # the fixture: skip or fail like the IMAP tests
    out = _run("backlog.py", "--n", "20")
    assert re.search(r"limit: .* -> +[\d.]+ msg/s", out), out
    assert re.search(r"pipeline: poll --once .* ratio [\d.]+", out), out
    assert "replies received by SMTP: 20;" in out, out  # every message answered, none twice
    assert re.search(r"peak memory \(PSS, bot \+ workers\): \d+ MB", out), out
    assert re.search(r"peak by process: bot \d+ MB, forkserver \d+ MB.* workers over the run", out), out
    for stage in ("fetch", "parse", "extract", "ocr", "decide", "commit", "send"):
        assert re.search(rf"stage {stage} +[\d.]+ s over +\d+ calls", out), (stage, out)


def test_latency_smoke(dovecot: object) -> None:
    out = _run("latency.py", "--n", "3")
    assert re.search(r"text PDF +n= +3 +p50 +[\d.]+ s +p95 +[\d.]+ s", out), out
    assert re.search(r"scan +n= +3 +p50 +[\d.]+ s +p95 +[\d.]+ s", out), out


def test_status_smoke(db_url: str) -> None:
    out = _run("status.py", "--orgs", "20", "--users", "200", "--runs", "1", "--db", db_url)
    assert re.search(r"status --json +median +[\d.]+ ms", out), out
    assert re.search(r"digests \(3 duties, dry run\) +median +[\d.]+ ms", out), out
