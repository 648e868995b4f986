"""Files inside files: zip archives attached to mail, and mbox files of several messages. Pure.

Owns ``Attachment`` (a file found in a message; ``bot.mail.message`` re-exports it),
``sniff_document`` (what a file is, from its bytes), ``unpack_zip`` / ``expand_archives``
and ``split_mbox``.

A zip is untrusted input that can be built to explode (a zip bomb: 1 MB that inflates
to 1 GB), to hold thousands of members, or to nest zips in zips. Every limit below is
checked *before* a member is inflated, from the sizes the archive declares, and again
while it is inflated, in small chunks, so a lying header cannot make us hold more
than the cap in memory.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # as declared; the documents package trusts the bytes instead
    data: bytes


@dataclass(frozen=True)
class ZipLimits:
    max_members: int = 50  # files in one archive, nested ones included
    max_total_bytes: int = 50 * 1024 * 1024  # inflated, all members together
    max_ratio: int = 100  # inflated / compressed, per member
    ratio_floor: int = 64 * 1024  # members smaller than this are never refused for their ratio
    max_depth: int = 1  # a zip inside the attached zip is opened; one inside that is not


DEFAULT_LIMITS = ZipLimits()
_CHUNK = 64 * 1024
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OFFICE_MARKERS = ("[Content_Types].xml", "META-INF/manifest.xml", "mimetype")
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")


def sniff_document(data: bytes) -> str | None:
    """The MIME type of a document we can read (PDF, JPEG, PNG, TIFF, HEIC), else None."""
    if b"%PDF-" in data[:1024]:  # readers accept junk before the header, so we do too
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "image/heic"
    return None


def is_zip(data: bytes) -> bool:
    return data.startswith(_ZIP_MAGIC)


@dataclass
class _Budget:
    """What is left to spend across one attached archive and the zips nested in it."""

    members: int
    bytes: int


def _basename(name: str) -> str:
    # Member names are attacker-chosen paths ("../../x.pdf"); only the last part is a name.
    base = PurePosixPath(name.replace("\\", "/")).name
    return re.sub(r"[\x00-\x1f\x7f]", "", base) or "member"


def _declared_entries(data: bytes) -> int | None:
    """Entry count from the end-of-central-directory record, read before zipfile builds its list."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if at < 0 or at + 22 > len(data):
        return None
    return int(struct.unpack_from("<H", data, at + 10)[0])


def _read_capped(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes | None:
    """Inflate one member in chunks; None as soon as it passes ``cap`` bytes."""
    out = bytearray()
    with zf.open(info) as handle:
        while chunk := handle.read(_CHUNK):
            out += chunk
            if len(out) > cap:
                return None
    return bytes(out)


def _member_cap(info: zipfile.ZipInfo, budget: _Budget, limits: ZipLimits) -> tuple[int, str | None]:
    """How many bytes this member may inflate to, or why it is refused outright."""
    if info.flag_bits & 0x1:
        return 0, "encrypted"
    ratio_cap = max(limits.ratio_floor, info.compress_size * limits.max_ratio)
    if info.file_size > ratio_cap:
        ratio = info.file_size // max(info.compress_size, 1)
        return 0, f"compression ratio {ratio}:1 is over {limits.max_ratio}:1"
    if info.file_size > budget.bytes:
        return 0, f"{info.file_size} bytes would pass the {limits.max_total_bytes}-byte limit"
    return min(ratio_cap, budget.bytes), None


def _take_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, depth: int, budget: _Budget,
                 limits: ZipLimits, found: tuple[list[Attachment], list[str]]) -> None:
    out, problems = found
    cap, refusal = _member_cap(info, budget, limits)
    if refusal:
        problems.append(f"{label}: {refusal}; skipped")
        return
    data = _read_capped(zf, info, cap)
    if data is None:
        problems.append(f"{label}: inflates past {cap} bytes; skipped")
        return
    budget.bytes -= len(data)
    if is_zip(data):
        if depth >= limits.max_depth:
            problems.append(f"{label}: zip nested too deep; skipped")
        else:
            _unpack(label, data, depth + 1, budget, limits, found)
        return
    ctype = sniff_document(data)
    if ctype is None:
        problems.append(f"{label}: not a PDF or image; skipped")
    else:
        out.append(Attachment(label, ctype, data))


def _unpack(name: str, data: bytes, depth: int, budget: _Budget, limits: ZipLimits,
            found: tuple[list[Attachment], list[str]]) -> None:
    problems = found[1]
    declared = _declared_entries(data)
    if declared is not None and declared > budget.members:
        problems.append(f"{name}: {declared} members, more than the {limits.max_members} allowed; refused")
        return
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            if len(infos) > budget.members:  # the end record can lie; the real list cannot
                problems.append(f"{name}: {len(infos)} members, more than the {limits.max_members} allowed; refused")
                return
            for info in infos:
                budget.members -= 1
                label = f"{name}/{_basename(info.filename)}"
                try:
                    _take_member(zf, info, label, depth, budget, limits, found)
                except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError, OSError) as exc:
                    problems.append(f"{label}: unreadable ({type(exc).__name__}); skipped")
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError, OSError, ValueError) as exc:
        problems.append(f"{name}: not a readable zip ({type(exc).__name__})")


def unpack_zip(name: str, data: bytes, limits: ZipLimits = DEFAULT_LIMITS) -> tuple[list[Attachment], list[str]]:
    """The documents inside a zip (named ``archive.zip/member.pdf``) and what was refused, and why."""
    found: tuple[list[Attachment], list[str]] = ([], [])
    _unpack(name, data, 0, _Budget(limits.max_members, limits.max_total_bytes), limits, found)
    return found


def _is_office_file(data: bytes) -> bool:
    """A .docx/.xlsx/.odt is a zip too, but it is one document, not an archive of documents."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist()[: DEFAULT_LIMITS.max_members * 4])
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return False
    return any(marker in names for marker in _OFFICE_MARKERS)


def _is_archive(att: Attachment) -> bool:
    declared = att.filename.lower().endswith(".zip") or "zip" in att.content_type.lower()
    return declared and is_zip(att.data) and not _is_office_file(att.data)


def expand_archives(
    attachments: list[Attachment], limits: ZipLimits = DEFAULT_LIMITS
) -> tuple[list[Attachment], list[str]]:
    """Replace each zip archive by the documents inside it; say what was refused."""
    out: list[Attachment] = []
    problems: list[str] = []
    for att in attachments:
        if not _is_archive(att):
            out.append(att)
            continue
        members, refused = unpack_zip(att.filename, att.data, limits)
        out.extend(members)
        problems.extend(f"zip {p}" for p in refused)
        if not members and not refused:
            problems.append(f"zip {att.filename}: no documents inside")
    return out, problems


_MBOX_FROM = re.compile(rb"^From \S*.*$")
_MBOX_ESCAPED = re.compile(rb"^>(>*From )")


def split_mbox(data: bytes) -> list[bytes]:
    """The messages of an mbox file, without their 'From ' separator lines (mboxrd unescaped)."""
    messages: list[list[bytes]] = []
    previous_blank = True
    for line in data.splitlines(keepends=True):
        if previous_blank and _MBOX_FROM.match(line):
            messages.append([])
        elif messages:
            messages[-1].append(_MBOX_ESCAPED.sub(rb"\1", line))
        previous_blank = not line.strip()
    if not messages:
        return [data] if data.strip() else []
    return [b"".join(lines) for lines in messages]
