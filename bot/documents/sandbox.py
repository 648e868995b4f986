"""Reading untrusted files in worker processes with CPU, memory and wall-clock limits.

A small pool of long-lived workers (forkserver), so each keeps its Tesseract
engine warm; two workers use both cores (MEASURED.md: a third adds nothing).  A
worker that overruns its limits or crashes inside a C library is killed and
replaced, and the caller gets one "unknown" result saying why: never an
exception, never a hang.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import multiprocessing as mp
import resource
import signal
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from bot import memory
from bot.documents.model import FormResult, failed

log = logging.getLogger(__name__)
MAX_INPUT_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    cpu_s: int = 30
    mem_mb: int = 1024
    wall_s: float = 60.0
    max_pages: int = 50


def _serve(conn: Connection, mem_mb: int) -> None:
    """Worker main loop: one request at a time, until the pipe closes."""
    memory.tune_allocator(arenas=1)
    limit = mem_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from bot.documents import ocr
    from bot.documents.reader import describe, read_document

    ocr.engine()  # already open when forked from a warm forkserver (see bot.documents.warm)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        data, source, cpu_s, max_pages = msg
        use = resource.getrusage(resource.RUSAGE_SELF)
        # RLIMIT_CPU counts the whole life of the process: allow cpu_s more from now
        soft = int(use.ru_utime + use.ru_stime + cpu_s) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))
        try:
            reply: tuple[str, Any] = ("ok", read_document(data, source, max_pages=max_pages))
        except BaseException as exc:
            reply = ("error", describe(exc))
        conn.send(reply)
        # A scan's page images are tens of MB: without this a long-lived worker's
        # resident memory ratchets up with the backlog.
        memory.give_back()


class _Worker:
    def __init__(self, ctx: Any, mem_mb: int) -> None:
        self.uses = 0
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, mem_mb), daemon=True, name="hmisbot-docs")
        self.proc.start()
        child.close()

    def run(self, data: bytes, source: str, limits: Limits) -> list[FormResult]:
        self.uses += 1
        self.conn.send((data, source, limits.cpu_s, limits.max_pages))
        if not self.conn.poll(limits.wall_s):
            raise TimeoutError(f"took longer than {limits.wall_s:g} s")
        status, payload = self.conn.recv()
        if status == "ok":
            return list(payload)
        return [failed(source, str(payload))]

    def death(self) -> str:
        self.proc.join(0.5)
        code = self.proc.exitcode
        if code in (-signal.SIGXCPU, -signal.SIGKILL):
            return "CPU time limit exceeded"
        if code is not None and code < 0:
            return f"reader crashed ({signal.Signals(-code).name}), probably out of memory or a hostile file"
        return f"reader exited unexpectedly (code {code})"

    def kill(self) -> None:
        try:
            self.conn.close()
        finally:
            if self.proc.is_alive():
                self.proc.kill()
            self.proc.join(2)


class SandboxPool:
    """`size` reusable workers sharing one memory limit; thread-safe.

    A worker is retired after `max_uses` files, like multiprocessing.Pool's
    maxtasksperchild: whatever a long-lived Tesseract or pdfium process accumulates
    (caches, fragmentation) cannot grow with the backlog. Forked from the warm
    forkserver, its replacement costs a few milliseconds, not a model load.
    """

    def __init__(self, size: int = 2, mem_mb: int = 1024, method: str = "forkserver", max_uses: int = 200) -> None:
        self._ctx = mp.get_context(method)
        self.max_uses = max_uses
        self.started = 0  # workers started so far (retired, killed or replaced ones included)
        if method == "forkserver":
            self._ctx.set_forkserver_preload(["bot.documents.reader", "bot.documents.warm"])
        self._mem_mb = mem_mb
        self._slots = threading.BoundedSemaphore(size)
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                w = self._idle.pop()
                if w.proc.is_alive():
                    return w
                w.kill()
            self.started += 1
        return _Worker(self._ctx, self._mem_mb)

    def read(self, data: bytes, source: str, limits: Limits) -> list[FormResult]:
        if len(data) > MAX_INPUT_BYTES:
            return [failed(source, f"file too large ({len(data)} bytes)")]
        with self._slots:
            if self._closed:
                return [failed(source, "document reader is shut down")]
            worker = self._take()
            try:
                result = worker.run(data, source, limits)
            except TimeoutError as exc:
                worker.kill()
                return [failed(source, f"wall-clock limit: {exc}")]
            except (EOFError, OSError, BrokenPipeError):
                why = worker.death()
                worker.kill()
                return [failed(source, why)]
            if worker.uses >= self.max_uses:
                self._retire(worker)
            else:
                with self._lock:
                    self._idle.append(worker)
            return result

    @staticmethod
    def _retire(worker: _Worker) -> None:
        with contextlib.suppress(OSError):
            worker.conn.send(None)  # ask it to exit; kill() follows anyway
        worker.kill()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for w in idle:
            self._retire(w)


_pools: dict[int, SandboxPool] = {}
_pools_lock = threading.Lock()


def pool(mem_mb: int = 1024, size: int = 2) -> SandboxPool:
    """The process-wide pool for a memory limit (created on first use)."""
    with _pools_lock:
        if mem_mb not in _pools:
            _pools[mem_mb] = SandboxPool(size=size, mem_mb=mem_mb)
        return _pools[mem_mb]


@atexit.register
def shutdown() -> None:
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for p in pools:
        p.close()


def read_document_safely(data: bytes, source: str, limits: Limits = Limits()) -> list[FormResult]:
    """`read_document` in a sandboxed worker; never raises, never hangs past `limits.wall_s`."""
    try:
        return pool(limits.mem_mb).read(data, source, limits)
    except Exception as exc:
        log.exception("sandbox failure for %s", source)
        return [failed(source, f"sandbox failure: {exc}")]
