"""Documents: bytes of an attachment in, the forms it holds out.

Public surface (imported lazily, so that `from bot.documents.model import ...`
does not load Tesseract):

- `read_document(data, source) -> list[FormResult]` (in-process, never raises)
- `read_document_safely(data, source, limits=Limits()) -> list[FormResult]` (sandboxed pool)
- `FormResult`, `Limits`, `detect(data)`, `match_organization(name, candidates)`
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "read_document": "bot.documents.reader",
    "read_document_safely": "bot.documents.sandbox",
    "Limits": "bot.documents.sandbox",
    "FormResult": "bot.documents.model",
    "detect": "bot.documents.detect",
    "match_organization": "bot.documents.fields",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'bot.documents' has no attribute {name!r}")
