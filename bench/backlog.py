"""Benchmark: clearing a backlog, against the limit measured in the same run.

Starts a private Dovecot and an in-process SMTP server on 127.0.0.1, lets the bot
make first contact with the empty inboxes, loads N messages (default 2,000: about
40% text-layer PDFs, 40% scans or phone photos, 20% body-only mail, the three forms
and look-alikes) into the three mailboxes, then measures:

(a) the limit: raw imapclient ``BODY.PEEK[]`` of the same messages (50 per FETCH)
    plus the document work alone (parse + read every attachment in the sandbox pool,
    both cores busy);
(b) ``hmisbot poll --once`` end to end, to the SMTP server.

It prints messages per second for both and their ratio (target >= 0.8), the peak
RSS of the bot and its workers (target < 300 MB, flat with N), and the time per
stage (from HMISBOT_METRICS). Needs root and dovecot-imapd, like the tests.

    .venv/bin/python bench/backlog.py [--n 2000]      # --n 20 is a smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "integration")]

from aiosmtpd.controller import Controller  # noqa: E402
from dovecot import PASSWORD, USERS, DovecotServer, free_port  # noqa: E402
from imapclient import IMAPClient  # noqa: E402

from bot.demo import scanner, specimens  # noqa: E402
from bot.documents.sandbox import read_document_safely  # noqa: E402
from bot.mail.message import parse_message  # noqa: E402

TRAINING, SUPPORT, JOIN = USERS
CONFIG = """
database: sqlite:///{tmp}/bench.sqlite3
archive_dir: {tmp}/archive
send: {{backend: smtp, host: 127.0.0.1, port: {smtp}, security: none, from: "LAHSA HMIS <HMISsupport@lahsa.org>",
        hourly_cap: 100000}}
mailboxes:
{boxes}
staff:
  implementation: {{primary: impl@lahsa.org}}
  training: {{primary: trainer@lahsa.org}}
  access: {{primary: access@lahsa.org}}
limits: {{replies_per_window: 100000}}
"""
BOX = ("  {name}: {{address: {user}, backend: imap, host: 127.0.0.1, port: {port}, security: none, username: {user},"
       " password_env: BENCH_IMAP_PASSWORD, poll_every: 60s}}\n")


class Recorder:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        with self.lock:
            self.count += 1
        return "250 OK"


def documents() -> dict[str, list[tuple[str, bytes]]]:
    """A pool of distinct attachments of each sort; messages take them in turn."""
    text, images = [], []
    for i in range(6):
        who, email = f"User {i}", f"user{i}@org{i}.org"
        org = f"Organization {i}"
        forms = [specimens.user_agreement_pdf(who, org, email, "11/30/2026", layout=i % 4),
                 specimens.hmis10_acknowledgement_pdf(who, org, email, "11/30/2026", layout=i % 4),
                 specimens.organization_agreement_pdf(org, who, "Executive Director", "11/30/2026", layout=i % 4)]
        text += [(f"form{i}-{k}.pdf", f) for k, f in enumerate(forms)]
        images.append((f"scan{i}.pdf", scanner.scan(forms[i % 3], seed=i)))
        images.append((f"IMG_{i}.jpg", scanner.photo(forms[(i + 1) % 3], seed=i)))
    text += [("w9.pdf", specimens.w9_pdf()),
             ("certificate.pdf", specimens.training_certificate_pdf("User 1", "HMIS 10"))]
    return {"text": text, "image": images}


def message(i: int, docs: dict[str, list[tuple[str, bytes]]]) -> tuple[str, bytes]:
    m = EmailMessage()
    m["From"] = f"Sender {i} <sender{i}@org{i % 50}.org>"
    m["Message-ID"] = make_msgid(f"b{i}", domain=f"org{i % 50}.org")
    sort = ("text", "text", "image", "image", "body")[i % 5]
    if sort == "body":
        m["To"], m["Subject"] = JOIN, f"Program setup {i}"
        m.set_content(f"Please set up our programs for CES.\nOrganization: Organization {i % 50}\nPrograms:\n"
                      f"- Street Team {i} (Outreach)\n")
        return JOIN, m.as_bytes()
    name, data = docs[sort][i % len(docs[sort])]
    user = TRAINING if "form" in name and name.endswith("-2.pdf") else SUPPORT
    m["To"], m["Subject"] = user, f"Forms {i}"
    m.set_content("Please find the signed form attached.")
    main, sub = ("image", "jpeg") if name.endswith(".jpg") else ("application", "pdf")
    m.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return user, m.as_bytes()


def family(pid: int, root_role: str = "bot") -> dict[int, str]:
    """A process and all its descendants, each with its role: bot, forkserver or worker N
    (the workers are forked from the forkserver, so they share its command line)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry)] = int(fields[1])
            except (OSError, IndexError):
                continue
    roles, frontier = {pid: root_role}, [pid]
    while frontier:
        p = frontier.pop()
        for c, pp in parents.items():
            if pp == p and c not in roles:
                if p == pid:
                    roles[c] = "forkserver" if b"forkserver" in _cmdline(c) else "other"
                else:
                    roles[c] = f"worker {c}" if roles[p] == "forkserver" else roles[p]
                frontier.append(c)
    return roles


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


class Sampler:
    """Peak memory of a process tree, and the CPU time each of its processes used.

    Memory is PSS (proportional set size, /proc/PID/smaps_rollup): pages shared between
    the forked workers are split between them instead of being counted once per process,
    which summing RSS would do (RSS where smaps_rollup is missing). CPU is the last
    utime + stime seen for each process, so a worker that exits keeps its count.
    """

    def __init__(self, pid: int, root_role: str = "bot") -> None:
        self.pid, self.root_role = pid, root_role
        self.peak = 0.0
        self.parts: dict[str, float] = {}
        self.cpu: dict[int, tuple[str, float]] = {}

    def sample(self) -> None:
        total = 0.0
        for p, role in family(self.pid, self.root_role).items():
            mb = (_kb(f"/proc/{p}/smaps_rollup", "Pss:") or _kb(f"/proc/{p}/status", "VmRSS:")) / 1024
            total += mb
            self.parts[role] = max(self.parts.get(role, 0.0), mb)
            seconds = _cpu_seconds(p)
            if seconds is not None:
                self.cpu[p] = (role, seconds)
        self.peak = max(self.peak, total)

    def watch(self, stop: threading.Event, every: float = 0.25) -> None:
        while not stop.wait(every):
            self.sample()

    def cpu_by_role(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for role, seconds in self.cpu.values():
            key = "workers" if role.startswith("worker") else role
            out[key] = out.get(key, 0.0) + seconds
        return out


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def _kb(path: str, field: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def raw_fetch(server: DovecotServer, port: int) -> float:
    start = time.perf_counter()
    for user in USERS:
        with IMAPClient("127.0.0.1", port=port, ssl=False) as c:
            c.login(user, PASSWORD)
            c.select_folder("INBOX", readonly=True)
            uids = c.search("ALL")
            for k in range(0, len(uids), 50):
                c.fetch(uids[k:k + 50], ["BODY.PEEK[]"])
    return time.perf_counter() - start


def documents_alone(raws: list[bytes]) -> tuple[float, dict[str, float]]:
    """Parse every message and read every attachment, two at a time (both cores).

    Returns the wall time and the CPU seconds spent by this process and by its workers."""
    def work(data: bytes) -> None:
        for att in parse_message(data).attachments:
            read_document_safely(att.data, att.filename)

    read_document_safely(specimens.w9_pdf(), "warm.pdf")  # start the workers before the clock
    sampler = Sampler(os.getpid(), root_role="bench (parse)")
    sampler.sample()
    was = {pid: seconds for pid, (_, seconds) in sampler.cpu.items()}
    stop = threading.Event()
    watcher = threading.Thread(target=sampler.watch, args=(stop,), daemon=True)
    watcher.start()  # workers are retired after 200 files: their CPU is counted while they live
    start = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(work, raws))
    elapsed = time.perf_counter() - start
    stop.set()
    watcher.join()
    sampler.sample()
    sampler.cpu = {pid: (role, seconds - was.get(pid, 0.0)) for pid, (role, seconds) in sampler.cpu.items()}
    return elapsed, sampler.cpu_by_role()


def run_poll(config: Path, metrics: Path) -> tuple[float, Sampler]:
    env = dict(os.environ, BENCH_IMAP_PASSWORD=PASSWORD, HMISBOT_METRICS=str(metrics))
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(config), "poll", "--once"], env=env,
                            stdout=subprocess.DEVNULL)
    sampler = Sampler(proc.pid)
    while proc.poll() is None:
        sampler.sample()
        time.sleep(0.25)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"poll --once failed with {proc.returncode}")
    return elapsed, sampler


def peaks_line(parts: dict[str, float]) -> str:
    """bot, forkserver and other processes by name; the (recycled) workers as one figure."""
    workers = [v for k, v in parts.items() if k.startswith("worker")]
    named = [f"{k} {v:.0f} MB" for k, v in sorted(parts.items()) if not k.startswith("worker")]
    if workers:
        named.append(f"{len(workers)} workers over the run (2 at a time), each at most {max(workers):.0f} MB")
    return ", ".join(named)


def cpu_line(cpu: dict[str, float], wall: float) -> str:
    """CPU seconds by role, and how busy the 2 cores were over the wall time."""
    used = sum(cpu.values())
    return (", ".join(f"{k} {v:.1f} s" for k, v in sorted(cpu.items()))
            + f"; {used:.1f} s of {2 * wall:.1f} core-seconds ({used / (2 * wall):.0%})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    args = ap.parse_args()
    smtp = Recorder()
    controller = Controller(smtp, hostname="127.0.0.1", port=free_port())
    controller.start()
    with DovecotServer(with_ssl=False) as server, tempfile.TemporaryDirectory() as tmp:
        port = server.port
        names = ("training", "support", "join")
        boxes = "".join(BOX.format(name=n, user=u, port=port) for n, u in zip(names, USERS, strict=True))
        config = Path(tmp) / "mailboxes.yaml"
        config.write_text(CONFIG.format(tmp=tmp, smtp=controller.port, boxes=boxes))
        run_poll(config, Path(tmp) / "m0.json")  # first contact: empty inboxes, no baseline to skip
        docs = documents()
        raws = [message(i, docs) for i in range(args.n)]
        start = time.perf_counter()
        for user, data in raws:
            server.append(user, data)
        size = sum(len(d) for _, d in raws) / 1e6
        print(f"loaded {args.n} messages ({size:.0f} MB) in {time.perf_counter() - start:.1f} s")
        t_fetch = raw_fetch(server, port)
        t_docs, docs_cpu = documents_alone([d for _, d in raws])
        limit = args.n / (t_fetch + t_docs)
        print(f"limit:    raw fetch {t_fetch:6.1f} s + documents alone on 2 cores {t_docs:6.1f} s"
              f" -> {limit:6.1f} msg/s")
        print("  cpu: " + cpu_line(docs_cpu, t_docs))
        elapsed, sampler = run_poll(config, Path(tmp) / "metrics.json")
        rate = args.n / elapsed
        print(f"pipeline: poll --once {elapsed:6.1f} s -> {rate:6.1f} msg/s; ratio {rate / limit:.2f} (target >= 0.8)")
        print("  cpu: " + cpu_line(sampler.cpu_by_role(), elapsed))
        print(f"replies received by SMTP: {smtp.count}; peak memory (PSS, bot + workers): {sampler.peak:.0f} MB"
              " (< 300)")
        print("  peak by process: " + peaks_line(sampler.parts))
        stages = json.loads((Path(tmp) / "metrics.json").read_text())
        for name in ("fetch", "parse", "extract", "ocr", "decide", "commit", "send"):
            s = stages.get(name, {"seconds": 0.0, "count": 0})
            print(f"  stage {name:8} {s['seconds']:8.1f} s over {s['count']:5d} calls")
    controller.stop()


if __name__ == "__main__":
    main()
