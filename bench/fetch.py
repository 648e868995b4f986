"""Benchmark of fetching mail over IMAP: raw imapclient against the ImapMailbox adapter.

Starts a private Dovecot on 127.0.0.1 (tests/integration/dovecot.py), APPENDs N
messages carrying scanned-form PDFs (~200-400 KB, made by bot.demo.scanner from
the specimens), then, over the same UIDs, times:

- raw:     imapclient ``UID FETCH <50 uids> BODY.PEEK[]`` on one connection;
- adapter: ``ImapMailbox.fetch`` (batches of 50, BODY.PEEK[] + INTERNALDATE, RawMessage
           objects), as ``hmisbot poll`` uses it.

Each is run ``--repeat`` times, interleaved; the best and the median pass are
reported, as msgs/s and MB/s, with the adapter/raw throughput ratio. Both must return the same bytes, and no message
may end up \\Seen. Needs root (Dovecot's mail user) and dovecot-imapd, like the tests.

    .venv/bin/python bench/fetch.py            # N=500
    .venv/bin/python bench/fetch.py --n 2000
    .venv/bin/python bench/fetch.py --n 20     # smoke: a few seconds
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "integration")]

from dovecot import PASSWORD, USERS, DovecotServer  # noqa: E402
from imapclient import IMAPClient  # noqa: E402

from bot.demo import scanner, specimens  # noqa: E402
from bot.mailboxes.imap import ImapMailbox  # noqa: E402

BATCH = 50  # UIDs per FETCH; --batch changes it
MB = 1024 * 1024
USER = USERS[1]  # HMISsupport@lahsa.org, where user agreements arrive
PEOPLE = [("James Carter", "hopeharbor.org"), ("Priya Shah", "hopeharbor.org"), ("Luis Ortega", "hopeharbor.org"),
          ("Angela Reyes", "eastsideyouth.org"), ("Tom Becker", "valleyfamily.org"), ("Nina Patel", "brightpath.org")]


def scans() -> list[tuple[str, bytes]]:
    """A dozen distinct scanned forms of 200-400 KB (generating one per message would dominate)."""
    out: list[tuple[str, bytes]] = []
    for i, (name, domain) in enumerate(PEOPLE):
        email = f"{name.split()[0].lower()}@{domain}"
        org = domain.split(".")[0].title()
        ua = specimens.user_agreement_pdf(name, org, email, "11/30/2026")
        ack = specimens.hmis10_acknowledgement_pdf(name, org, email, "11/30/2026")
        out.append((f"scan{i:04d}.pdf", scanner.scan(ua, dpi=150, noise=0.005, skew=0.4 * i, seed=i)))
        out.append((f"ack{i:04d}.pdf", scanner.scan(ack, dpi=150, noise=0.004, seed=100 + i)))
    return out


def message(i: int, attachment: tuple[str, bytes]) -> bytes:
    name, domain = PEOPLE[i % len(PEOPLE)]
    m = EmailMessage()
    m["From"] = f"{name} <{name.split()[0].lower()}@{domain}>"
    m["To"] = USER
    m["Subject"] = f"User Agreement - {name} ({i})"
    m["Date"] = format_datetime(datetime.fromtimestamp(1_795_000_000 + 60 * i, UTC))
    m["Message-ID"] = make_msgid(f"bench{i}", domain=domain)
    m.set_content(f"Hello,\n\nPlease find my signed form attached.\n\n{name}\n")
    m.add_attachment(attachment[1], maintype="application", subtype="pdf", filename=attachment[0])
    return m.as_bytes(policy=m.policy.clone(linesep="\r\n"))


def load(server: DovecotServer, n: int) -> tuple[int, float]:
    """APPEND n messages; return (bytes, seconds)."""
    forms = scans()
    kb = sorted(len(data) // 1024 for _, data in forms)
    print(f"{len(forms)} distinct scanned PDFs of {kb[0]}-{kb[-1]} KB, one per message in turn")
    total = 0
    client = server.client(USER)
    t0 = time.perf_counter()
    try:
        for i in range(n):
            raw = message(i, forms[i % len(forms)])
            client.append("INBOX", raw)
            total += len(raw)
    finally:
        client.logout()
    return total, time.perf_counter() - t0


def raw_fetch(server: DovecotServer, uids: list[int]) -> tuple[int, int]:
    client = IMAPClient(server.host, port=server.port, ssl=False, timeout=60)
    try:
        client.login(USER, PASSWORD)
        client.select_folder("INBOX")
        count = size = 0
        for start in range(0, len(uids), BATCH):
            for item in client.fetch(uids[start:start + BATCH], [b"BODY.PEEK[]"]).values():
                count += 1
                size += len(item[b"BODY[]"])
        return count, size
    finally:
        client.logout()


def adapter_fetch(server: DovecotServer, uids: list[int]) -> tuple[int, int]:
    box = ImapMailbox("support", USER, server.host, server.port, "none", USER, PASSWORD, batch=BATCH, timeout=60)
    try:
        count = size = 0
        for msg in box.fetch([str(u) for u in uids]):
            count += 1
            size += len(msg.data)
        return count, size
    finally:
        box.close()


def timed(fn: Callable[[], tuple[int, int]]) -> tuple[float, int, int]:
    t0 = time.perf_counter()
    count, size = fn()
    return time.perf_counter() - t0, count, size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=500, help="messages to load (default 500; 20 for a smoke run)")
    ap.add_argument("--repeat", type=int, default=3, help="timed passes of each kind (median reported)")
    ap.add_argument("--batch", type=int, default=50, help="UIDs per FETCH (default 50; hmisbot uses 25)")
    args = ap.parse_args()
    global BATCH  # the fetch functions read the module's batch size
    BATCH = args.batch

    with DovecotServer(with_ssl=False) as server:
        size, secs = load(server, args.n)
        print(f"loaded {args.n} messages, {size / MB:.1f} MB ({size / args.n / 1024:.0f} KB each) into a private"
              f" Dovecot on {server.host}:{server.port} in {secs:.1f} s")
        client = server.client(USER)
        client.select_folder("INBOX", readonly=True)
        uids = sorted(client.search(["ALL"]))
        client.logout()
        assert len(uids) == args.n, f"{len(uids)} messages in INBOX, expected {args.n}"

        timed(lambda: raw_fetch(server, uids))  # warm-up: Dovecot's index and cache, the page cache
        runs: dict[str, list[float]] = {"raw": [], "adapter": []}
        sizes: dict[str, set[tuple[int, int]]] = {"raw": set(), "adapter": set()}
        for _ in range(args.repeat):
            for kind, fn in (("raw", raw_fetch), ("adapter", adapter_fetch)):
                secs, count, got = timed(lambda fn=fn: fn(server, uids))  # type: ignore[misc]
                runs[kind].append(secs)
                sizes[kind].add((count, got))
        assert sizes["raw"] == sizes["adapter"] == {(args.n, size)}, f"different results: {sizes}, loaded {size}"

        client = server.client(USER)
        client.select_folder("INBOX", readonly=True)
        seen = client.search(["SEEN"])
        client.logout()
        assert seen == [], f"{len(seen)} message(s) marked \\Seen by a fetch"

    load1, _, _ = os.getloadavg()
    print(f"fetch of {args.n} messages in batches of {BATCH}, {args.repeat} passes each"
          f" (load average {load1:.1f} on {os.cpu_count()} CPUs):")
    best, median = {}, {}
    for kind, label in (("raw", "raw imapclient UID FETCH BODY.PEEK[]"), ("adapter", "ImapMailbox.fetch")):
        best[kind], median[kind] = min(runs[kind]), statistics.median(runs[kind])
        print(f"  {label:37s} best {args.n / best[kind]:6.1f} msgs/s {size / MB / best[kind]:6.1f} MB/s;"
              f" median {args.n / median[kind]:6.1f} msgs/s {size / MB / median[kind]:6.1f} MB/s"
              f"   (runs: {', '.join(f'{s:.2f} s' for s in runs[kind])})")
    print(f"  adapter / raw throughput: best {best['raw'] / best['adapter']:.2f},"
          f" median {median['raw'] / median['adapter']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
