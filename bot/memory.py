"""Keeping the process's resident memory flat over a long backlog (glibc's allocator).

What was measured (bench/backlog.py, N=200 messages of ~420 KB): the bot's own
process peaked at 241 MB PSS while Python itself held under 90 MB (tracemalloc).
The rest was glibc keeping freed memory: message bodies, IMAP literals and parsed
parts are 100 KB-20 MB buffers, glibc's dynamic mmap threshold climbs after the
first large free so later ones land in the heap and per-thread arenas, where holes
stay resident. Fixing the mmap threshold (which turns the climbing off) sends every
large buffer back to the kernel on free; two arenas stop each read-ahead thread from
growing its own. Measured result: the bot process's peak went to about 125 MB.

Both calls are no-ops where the C library is not glibc.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc

# mallopt parameters, from glibc's <malloc.h>
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8

LARGE = 128 * 1024  # glibc's initial threshold: buffers above it are mmapped and unmapped on free


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt  # noqa: B018  (AttributeError: not glibc)
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


def tune_allocator(arenas: int = 2) -> bool:
    """Large buffers straight from and back to the kernel; at most `arenas` malloc arenas.

    Call once, early, before threads start. True when the settings took effect.
    """
    libc = _libc()
    if libc is None:
        return False
    ok = bool(libc.mallopt(_M_MMAP_THRESHOLD, LARGE) == 1)
    ok = bool(libc.mallopt(_M_TRIM_THRESHOLD, 2 * LARGE) == 1) and ok
    return bool(libc.mallopt(_M_ARENA_MAX, arenas) == 1) and ok


def give_back() -> None:
    """Collect cycles and return free heap pages to the OS (after a large piece of work)."""
    gc.collect()
    libc = _libc()
    if libc is not None:
        with contextlib.suppress(OSError):
            libc.malloc_trim(0)
