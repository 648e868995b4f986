"""The one Jinja2 environment and the rendering of a mail from its templates.

Templates live in ``templates/`` outside the package code: ``<name>.subject.j2``,
``<name>.txt.j2`` and ``<name>.html.j2``. StrictUndefined turns a missing value into
an error instead of a silently empty sentence; HTML is autoescaped, so text taken
from incoming mail (names, subjects) is shown literally, never interpreted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def make_env(folder: Path = TEMPLATES) -> Environment:
    return Environment(
        loader=FileSystemLoader(str(folder)),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(env: Environment, name: str, context: dict[str, Any]) -> Rendered:
    subject = env.get_template(f"{name}.subject.j2").render(context)
    return Rendered(
        subject=" ".join(subject.split()),  # one line: no header injection through a subject
        text=env.get_template(f"{name}.txt.j2").render(context),
        html=env.get_template(f"{name}.html.j2").render(context),
    )
