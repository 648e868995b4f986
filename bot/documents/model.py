"""The value that the documents package hands to the rest of the bot.

Owns `FormResult` (one recognised form, or one unreadable file) and the names of
the kinds; the JSON shape follows `classify --json` in spec/INTERFACE.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from bot.ces.rules import Form

# The form kinds are the CES rules' own vocabulary (``ces.rules.Form``), as plain strings for JSON.
ORGANIZATION_AGREEMENT: Final = Form.ORGANIZATION_AGREEMENT.value
USER_AGREEMENT: Final = Form.USER_AGREEMENT.value
HMIS10_ACKNOWLEDGEMENT: Final = Form.HMIS10_ACKNOWLEDGEMENT.value
UNKNOWN: Final = "unknown"
FORM_KINDS: Final = (ORGANIZATION_AGREEMENT, USER_AGREEMENT, HMIS10_ACKNOWLEDGEMENT)
KINDS: Final = (*FORM_KINDS, UNKNOWN)

TEXT_LAYER: Final = "text_layer"
OCR: Final = "ocr"
NONE: Final = "none"
TEXT_SOURCES: Final = (TEXT_LAYER, OCR, NONE)


def _frozen(m: Mapping[str, Any]) -> Mapping[str, Any]:
    # A read-only copy, so that a result shared between stages cannot be changed
    # behind another stage's back (the dataclass itself is frozen, its maps too).
    return MappingProxyType(dict(m))


@dataclass(frozen=True)
class FormResult:
    """One form found in a file (or the whole file when it could not be read)."""

    source: str
    kind: str
    confidence: float
    pages: tuple[int, ...]
    fields: Mapping[str, str] = field(default_factory=dict)
    checks: Mapping[str, bool] = field(default_factory=dict)
    text_source: str = NONE
    error: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}")
        if self.text_source not in TEXT_SOURCES:
            raise ValueError(f"unknown text_source {self.text_source!r}")
        object.__setattr__(self, "pages", tuple(int(p) for p in self.pages))
        object.__setattr__(self, "fields", _frozen(self.fields))
        object.__setattr__(self, "checks", _frozen(self.checks))

    def __reduce__(self) -> tuple[Any, ...]:
        # mappingproxy does not pickle; results cross process boundaries (sandbox).
        return (
            FormResult,
            (self.source, self.kind, self.confidence, self.pages, dict(self.fields),
             dict(self.checks), self.text_source, self.error),
        )

    @property
    def is_form(self) -> bool:
        return self.kind in FORM_KINDS

    def to_json(self) -> dict[str, Any]:
        """The `classify --json` object; `error` only when there is one."""
        out: dict[str, Any] = {
            "source": self.source,
            "kind": self.kind,
            "confidence": round(float(self.confidence), 3),
            "pages": list(self.pages),
            "fields": dict(self.fields),
            "checks": dict(self.checks),
            "text_source": self.text_source,
        }
        if self.error is not None:
            out["error"] = self.error
        return out


def failed(source: str, error: str, pages: tuple[int, ...] = ()) -> FormResult:
    """The result for a file that could not be read at all."""
    return FormResult(source=source, kind=UNKNOWN, confidence=0.0, pages=pages,
                      text_source=NONE, error=error)
