"""File type from the bytes alone (magic numbers), never from a name or a declared
MIME type: mail clients and people mislabel attachments, and hostile senders lie.
"""

from __future__ import annotations

from typing import Final

PDF: Final = "pdf"
JPEG: Final = "jpeg"
PNG: Final = "png"
TIFF: Final = "tiff"
HEIF: Final = "heif"
ZIP: Final = "zip"
OTHER: Final = "other"
IMAGE_TYPES: Final = frozenset({JPEG, PNG, TIFF, HEIF})

# ISO-BMFF brands used by HEIC/HEIF/AVIF stills and sequences.
_HEIF_BRANDS: Final = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"}
)


def _is_heif(head: bytes) -> bool:
    if len(head) < 16 or head[4:8] != b"ftyp":
        return False
    size = int.from_bytes(head[0:4], "big")
    brands = [head[8:12]]
    end = min(max(size, 16), len(head))
    brands += [head[i:i + 4] for i in range(16, end - 3, 4)]  # compatible brands
    return any(b in _HEIF_BRANDS for b in brands)


def detect(data: bytes) -> str:
    """Return one of pdf, jpeg, png, tiff, heif, zip, other."""
    head = data[:64]
    # PDF readers accept the header anywhere in the first KiB; so must we.
    if b"%PDF-" in data[:1024]:
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return TIFF
    if _is_heif(head):
        return HEIF
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return ZIP
    return OTHER


_TABLES: Final = (".csv", ".tsv", ".xlsx")  # rosters are tables, read by the roster parser
_DOCUMENT_NAMES: Final = (".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".heic", ".heif", ".zip")


def may_be_a_form(filename: str, data: bytes) -> bool:
    """An attachment to read as a form: a document by its bytes, or one that claims to be by its
    name (a damaged PDF must be reported, so that its sender sends it again). Signatures (.asc,
    .p7s), calendar invitations, tables and other files are not forms and are not read."""
    name = filename.lower()
    if name.endswith(_TABLES):
        return False
    return detect(data) != OTHER or name.endswith(_DOCUMENT_NAMES)
