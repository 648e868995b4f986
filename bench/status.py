"""Benchmark: `status --json` and the digests for 500 organizations and 10,000 users.

    .venv/bin/python bench/status.py [--orgs 500] [--users 10000] [--runs 7] [--db URL]

Prints the median and worst wall time of each (target: under 1 s each), measured
in-process on the same code paths the CLI uses.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.populate import populate
from bot import jobs
from bot.app import App
from bot.clock import parse_now
from bot.config import parse_config
from bot.status import status_report
from bot.store.db import init_db

CONFIG = """
database: {db}
archive_dir: archive
send: {{backend: outbox_dir, path: outbox, from: "LAHSA HMIS <HMISsupport@lahsa.org>"}}
mailboxes:
  training: {{address: LAHSA.Training@lahsa.org, backend: maildir, path: m/t}}
  support: {{address: HMISsupport@lahsa.org, backend: maildir, path: m/s}}
  join: {{address: JoinHMIS@lahsa.org, backend: maildir, path: m/j}}
staff:
  implementation: {{primary: i@lahsa.org}}
  training: {{primary: t@lahsa.org}}
  access: {{primary: a@lahsa.org}}
"""


def timed(fn, runs: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), max(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orgs", type=int, default=500)
    ap.add_argument("--users", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--db", default=None, help="database URL (default: a new SQLite file)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or f"sqlite:///{tmp}/bench.sqlite3"
        config = parse_config(CONFIG.format(db=db), "bench.yaml", Path(tmp))
        bot = App.build(config, parse_now("2026-12-02T07:30:00-08:00", ZoneInfo(config.timezone)))
        init_db(bot.engine)
        t = time.perf_counter()
        populate(bot.engine, args.orgs, args.users)
        print(f"populated {args.orgs} organizations, {args.users} users in {time.perf_counter() - t:.1f} s ({db})")
        from sqlmodel import Session

        def status() -> None:
            with Session(bot.engine) as s:
                json.dumps(status_report(s, bot.clock.now()))

        def digest() -> None:
            jobs.digests(bot, dry_run=True)

        for name, fn in (("status --json", status), ("digests (3 duties, dry run)", digest)):
            med, worst = timed(fn, args.runs)
            verdict = "ok" if med < 1.0 else "OVER TARGET"
            print(f"{name:30} median {med * 1000:7.1f} ms  worst {worst * 1000:7.1f} ms  (< 1000 ms: {verdict})")
        bot.close()


if __name__ == "__main__":
    main()
