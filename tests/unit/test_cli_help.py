"""The command line explains itself: help for every option, clean flags, --version, a missing config."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from bot.cli import app


def _commands() -> list[tuple[str, Any]]:
    """(path, command) for the top level and every command and subcommand (Typer's own click objects)."""
    found: list[tuple[str, Any]] = []

    def walk(prefix: str, command: Any) -> None:
        found.append((prefix, command))
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(f"{prefix} {name}".strip(), sub)

    walk("", typer.main.get_command(app))
    return found


COMMANDS = _commands()


def test_every_command_is_walked() -> None:
    names = {path for path, _ in COMMANDS}
    assert {"", "status", "poll", "import-orgs", "review list", "review resolve", "web", "purge"} <= names


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p or "hmisbot" for p, _ in COMMANDS])
def test_every_option_and_argument_has_help(path: str, command: Any) -> None:
    assert command.help, f"hmisbot {path}: no help text"
    for param in command.params:
        assert getattr(param, "help", None), f"hmisbot {path}: {param.name} has no help text"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p or "hmisbot" for p, _ in COMMANDS])
def test_help_shows_flags_without_type_clutter(path: str, command: Any) -> None:
    result = CliRunner().invoke(app, [*path.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output  # flags are bare flags
    options = [line for line in result.output.splitlines() if line.lstrip().startswith("-")]
    assert not [line for line in options if "<" in line], "options show a METAVAR, not <type>"
    assert "╭" not in result.output  # plain help, readable in any terminal or pager


def test_status_options_say_what_they_do() -> None:
    out = CliRunner().invoke(app, ["status", "--help"]).output
    assert "--org NAME" in out and "--user EMAIL" in out and "--json " in out
    top = CliRunner().invoke(app, ["--help"]).output
    assert "-v, --verbose" in top and "log what is done" in top and "--log-format text|json" in top


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"hmisbot {version('hmisbot')}"


def test_a_missing_configuration_names_the_ways_to_give_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HMISBOT_CONFIG", raising=False)
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 2
    assert "mailboxes.yaml: cannot read: no such file" in result.output
    assert "$HMISBOT_CONFIG" in result.output and "hmisbot demo" in result.output
    monkeypatch.setenv("HMISBOT_CONFIG", str(tmp_path / "etc.yaml"))
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 2 and f"$HMISBOT_CONFIG is '{tmp_path / 'etc.yaml'}'" in result.output


def test_a_bad_log_format_is_bad_usage() -> None:
    result = CliRunner().invoke(app, ["--log-format", "xml", "status"])
    assert result.exit_code == 2 and "--log-format: 'xml' is not text or json" in result.output
