"""The runtime never loads the sample generators: they live beside the demo (``bot.demo``).

``bot.demo.specimens`` and ``bot.demo.scanner`` draw forms, scans and photos for the demo,
the tests and the benchmarks; the reader (``bot.documents``) and the service must not
depend on them.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_only_the_demo_command_imports_the_demo_package() -> None:
    users = sorted(str(path.relative_to(BOT)) for path in BOT.rglob("*.py")
                   if "demo" not in path.relative_to(BOT).parts
                   and any(name == "bot.demo" or name.startswith("bot.demo.") for name in _imports(path)))
    assert users == ["cli.py"]  # `hmisbot demo`, imported when that command runs


def test_the_reader_and_the_pipeline_load_no_sample_generator() -> None:
    code = ("import sys, bot.documents.reader, bot.documents.sandbox, bot.documents.warm, bot.workflow.poll, bot.cli;"
            " print(sorted(m for m in sys.modules if m == 'bot.demo' or m.startswith('bot.demo.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
