"""File type from bytes, never from names."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.documents.detect import HEIF, JPEG, OTHER, PDF, PNG, TIFF, ZIP, detect


def _img(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("L", (8, 8), 255).save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize(("data", "kind"), [
    (b"%PDF-1.7\n%\xe2\xe3\n1 0 obj", PDF),
    (b"\r\n\r\ngarbage before %PDF-1.4 header", PDF),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", JPEG),
    (b"\x89PNG\r\n\x1a\n\x00\x00", PNG),
    (b"II*\x00\x08\x00\x00\x00", TIFF),
    (b"MM\x00*\x00\x00\x00\x08", TIFF),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", HEIF),
    (b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1heic", HEIF),
    (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", OTHER),  # an MP4 is not a photo
    (b"PK\x03\x04\x14\x00", ZIP),
    (b"MZ\x90\x00", OTHER),
    (b"", OTHER),
    (b"Dear LAHSA, please find attached", OTHER),
])
def test_magic_numbers(data: bytes, kind: str) -> None:
    assert detect(data) == kind


@pytest.mark.parametrize(("fmt", "kind"), [("PNG", PNG), ("JPEG", JPEG), ("TIFF", TIFF), ("PDF", PDF)])
def test_real_files(fmt: str, kind: str) -> None:
    assert detect(_img(fmt)) == kind
