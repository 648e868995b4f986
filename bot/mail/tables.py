"""Roster attachments (CSV, TSV, XLSX) -> rows of named cells. Pure: bytes in, rows out.

Header names vary ("Email Address", "E-mail", "Course", "Training Name"), so each
column is mapped to a canonical name by the words in its header.
"""

from __future__ import annotations

import csv
import io
import zipfile

_CANON = {
    "email": ("email", "e-mail", "mail"),
    "name": ("name", "participant", "attendee", "user"),
    "training": ("training", "course", "class", "session"),
    "date": ("date", "completed", "completion"),
    "role": ("role",),
    "new": ("new", "existing", "status"),
}
MAX_ROWS = 5000


def _canonical(header: str) -> str:
    low = header.strip().lower()
    if "mail" in low:
        return "email"
    for name, words in _CANON.items():
        if any(w in low for w in words):
            return name
    return low


def _rows(grid: list[list[str]]) -> list[dict[str, str]]:
    grid = [r for r in grid if any(c.strip() for c in r)]
    if not grid:
        return []
    header = [_canonical(h) for h in grid[0]]
    return [
        {header[i]: cell.strip() for i, cell in enumerate(row) if i < len(header)}
        for row in grid[1 : MAX_ROWS + 1]
    ]


def _xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = wb.worksheets[0]
        return [
            ["" if v is None else str(v) for v in row]
            for row in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 1)
        ]
    finally:
        wb.close()


def read_table(filename: str, data: bytes) -> list[dict[str, str]]:
    """Rows of a roster file; an unreadable file gives no rows (the caller sends it to review)."""
    try:
        if data[:4] == b"PK\x03\x04":
            return _rows(_xlsx(data))
        text = data.decode("utf-8-sig", errors="replace")
        dialect = "excel-tab" if filename.lower().endswith(".tsv") or "\t" in text[:500] else "excel"
        return _rows(list(csv.reader(io.StringIO(text), dialect=dialect)))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, csv.Error):
        return []
