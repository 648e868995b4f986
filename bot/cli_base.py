"""What every command of the CLI shares: the Typer apps, global options, config and App loading.

Commands live in ``bot.cli`` (mail, jobs, service, site) and ``bot.cli_data`` (the
Implementation List in, status out, retention). Help is plain text (no rich panels):
option types are shown as metavars (``--org NAME``), flags as bare flags.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import typer

from bot import logs
from bot.config import Config, ConfigError, load_config

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="hmisbot: LAHSA HMIS CES participation by email")
review_app = typer.Typer(help="The human triage queue: items the bot could not decide.", no_args_is_help=True,
                         rich_markup_mode=None)
app.add_typer(review_app, name="review")

DEFAULT_CONFIG = "mailboxes.yaml"


class Globals:
    config_path: str = DEFAULT_CONFIG
    now: str | None = None
    verbose: bool = False
    log_format: str | None = None  # from --log-format; None: the configuration's (text by default)


G = Globals()


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"hmisbot: {message}", err=True)
    return typer.Exit(code)


def _no_config(path: str) -> str:
    """Why there is no configuration, and the two ways to get one."""
    env = os.environ.get("HMISBOT_CONFIG")
    where = (f"$HMISBOT_CONFIG is {env!r}" if env and env == path
             else f"--config {path}" if path != DEFAULT_CONFIG
             else "the default ./mailboxes.yaml; neither --config nor $HMISBOT_CONFIG is set")
    return (f"{path}: cannot read: no such file ({where}). Name your configuration with --config PATH or"
            " $HMISBOT_CONFIG, or run `hmisbot demo` to build a working local example in ./hmisbot-demo.")


def get_config() -> Config:
    if not Path(G.config_path).exists():
        raise fail(_no_config(G.config_path))
    try:
        config = load_config(G.config_path)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    # The configuration may ask for JSON logs or another level; --log-format still wins.
    fmt = G.log_format or config.logging.format
    logs.setup(logs.level_of(G.verbose, config.logging.level), "json" if fmt == "json" else "text")
    return config


def get_now(config: Config) -> datetime | None:
    if not G.now:
        return None
    from bot.clock import parse_now

    try:
        return parse_now(G.now, ZoneInfo(config.timezone))
    except ValueError:
        raise fail(f"--now: not an ISO-8601 time: {G.now!r}") from None


def build_app(init: bool = True) -> Any:
    from bot.app import App
    from bot.store.db import init_db

    config = get_config()
    bot = App.build(config, get_now(config))
    if init:
        init_db(bot.engine)
    return bot
