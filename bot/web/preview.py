"""A picture of one page of a received document, rendered on demand as PNG.

The page comes from the raw message in the audit archive (``SeenMessage.archive_path``):
the attachment is found again by its filename, then a PDF page is rendered with
pypdfium2 and an image (JPEG, PNG, TIFF, HEIC) is turned upright with Pillow.

The files are untrusted, so rendering runs in a short-lived worker process with a
memory cap and a wall-clock limit: a hostile file can kill the worker, never the
site. Rendered pages are kept in a small in-memory cache, so a page is rendered
once however many staff look at it.
"""

from __future__ import annotations

import io
import logging
import multiprocessing as mp
import resource
import threading
from collections import OrderedDict
from multiprocessing.connection import Connection
from pathlib import Path

log = logging.getLogger(__name__)
WIDTHS = (640, 1400)  # beside the fields read from it (shown up to 560 px, sharp on 2x screens), full size when clicked
MAX_FILE_BYTES = 64 * 1024 * 1024
_MEM_BYTES = 768 * 1024 * 1024
_WALL_S = 20.0
_CACHE_SIZE = 64
_AT_ONCE = 2  # the machine has two cores; a page of twenty thumbnails must not start twenty workers


def _attachment(raw: bytes, filename: str) -> bytes | None:
    from bot.mail.message import parse_message

    for att in parse_message(raw).attachments:
        if att.filename == filename:
            return att.data
    return None


def _pdf_page(data: bytes, page: int, width: int) -> bytes:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        pdf_page = doc[page - 1]
        scale = width / max(pdf_page.get_width(), 1.0)
        img = pdf_page.render(scale=scale).to_pil()
    finally:
        doc.close()
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def _image_page(data: bytes, page: int, width: int) -> bytes:
    from PIL import Image, ImageOps

    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:  # HEIC previews only where pillow-heif is installed
        pass
    opened = Image.open(io.BytesIO(data))
    opened.seek(page - 1)  # TIFF: one frame per page
    img = ImageOps.exif_transpose(opened).convert("RGB")  # phones store the rotation in EXIF
    img.thumbnail((width, width * 2))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def render_page(archive_path: str, filename: str, page: int, width: int) -> bytes:
    """The PNG of one page (1-based); raises on any problem. Runs inside the worker."""
    path = Path(archive_path)
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError("archived message too large to preview")
    data = _attachment(path.read_bytes(), filename)
    if data is None:
        raise LookupError(f"{filename} is not in the archived message")
    if b"%PDF-" in data[:1024]:
        return _pdf_page(data, page, width)
    return _image_page(data, page, width)


def _worker(conn: Connection, args: tuple[str, str, int, int]) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (_MEM_BYTES, _MEM_BYTES))
    try:
        conn.send(("ok", render_page(*args)))
    except BaseException as exc:  # reported to the parent as text: the worker must never hang
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


class Previews:
    """Renders pages in worker processes, one at a time per page, with an LRU cache."""

    def __init__(self, archive_dir: Path) -> None:
        self.archive_dir = archive_dir.resolve()
        self._cache: OrderedDict[tuple[int, int, int], bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._ctx = mp.get_context("forkserver")  # never fork a threaded server
        self._slots = threading.BoundedSemaphore(_AT_ONCE)

    def png(self, doc_id: int, archive_path: str, filename: str, page: int, width: int) -> bytes | None:
        """The page as PNG, or None when it cannot be shown (logged)."""
        key = (doc_id, page, width)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        path = Path(archive_path).resolve()
        if not path.is_relative_to(self.archive_dir):
            # Only files of our own archive: a database row must not open any file on the host.
            log.warning("preview of document %d refused: %s is outside the archive", doc_id, path)
            return None
        with self._slots:
            png = self._run((str(path), filename, page, width))
        if png is not None:
            with self._lock:
                self._cache[key] = png
                while len(self._cache) > _CACHE_SIZE:
                    self._cache.popitem(last=False)
        return png

    def _run(self, args: tuple[str, str, int, int]) -> bytes | None:
        parent, child = self._ctx.Pipe(duplex=False)
        proc = self._ctx.Process(target=_worker, args=(child, args), daemon=True, name="hmisbot-preview")
        proc.start()
        child.close()
        try:
            if not parent.poll(_WALL_S):
                log.warning("preview of %s page %d: took longer than %g s", args[1], args[2], _WALL_S)
                return None
            status, payload = parent.recv()
        except (EOFError, OSError):
            log.warning("preview of %s page %d: the worker died", args[1], args[2])
            return None
        finally:
            parent.close()
            proc.join(1.0)  # a worker that answered is exiting; one that did not is killed
            if proc.is_alive():
                proc.kill()
                proc.join(2)
        if status != "ok":
            log.info("preview of %s page %d: %s", args[1], args[2], payload)
            return None
        return bytes(payload)
