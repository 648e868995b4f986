"""bot.memory: glibc allocator settings that keep a long backlog's memory flat."""

from __future__ import annotations

import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot import memory

ROOT = Path(__file__).resolve().parents[2]
GLIBC = platform.libc_ver()[0] == "glibc"

# Four threads each hold ten message-sized buffers at a time, with a small object kept
# after each one (as parsed headers and database rows outlive a message body), 20 rounds.
CHURN = textwrap.dedent("""
    import sys, threading
    sys.path.insert(0, {root!r})
    from bot import memory
    if sys.argv[1] == "tuned":
        assert memory.tune_allocator()

    def rss_mb():
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024

    keep = []

    def work():
        for _ in range(20):
            window = []
            for _ in range(10):
                window.append(bytearray(400_000))
                keep.append(bytearray(3000))
            del window

    base = rss_mb()
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(rss_mb() - base)
""")


def _growth(mode: str) -> float:
    out = subprocess.run([sys.executable, "-c", CHURN.format(root=str(ROOT)), mode],
                         capture_output=True, text=True, check=True, timeout=60)
    return float(out.stdout.strip())


@pytest.mark.skipif(not GLIBC, reason="the allocator settings are glibc's (mallopt)")
def test_tuned_allocator_returns_large_buffers_to_the_kernel() -> None:
    # 80 MB passes through; glibc's defaults keep about one window per thread (~14 MB here).
    assert _growth("tuned") < 6.0


def test_give_back_is_safe_anywhere() -> None:
    memory.give_back()  # a no-op where the C library is not glibc; never raises
