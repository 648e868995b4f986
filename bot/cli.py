"""The command line (INTERFACE.md). Parses arguments, calls the app, prints. No logic.

Exit codes: 0 ok; 1 the work ran but something needs attention (printed);
2 bad usage or invalid configuration, with a message naming file, key and problem.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from bot import memory
from bot.config import Config, ConfigError, load_config

app = typer.Typer(add_completion=False, no_args_is_help=True, help="hmisbot: LAHSA HMIS CES participation by email")
review_app = typer.Typer(help="The human triage queue: items the bot could not decide.", no_args_is_help=True)
app.add_typer(review_app, name="review")


class Globals:
    config_path: str = "mailboxes.yaml"
    now: str | None = None


G = Globals()


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"hmisbot: {message}", err=True)
    return typer.Exit(code)


def get_config() -> Config:
    try:
        return load_config(G.config_path)
    except ConfigError as exc:
        raise fail(str(exc)) from None


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


@app.callback()
def main_options(
    config: Annotated[str | None, typer.Option("--config", help="mailboxes.yaml (default $HMISBOT_CONFIG)")] = None,
    now: Annotated[str | None, typer.Option("--now", help="ISO-8601 time the program believes it is")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    G.config_path = config or os.environ.get("HMISBOT_CONFIG") or "mailboxes.yaml"
    G.now = now or os.environ.get("HMISBOT_NOW")
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@app.command()
def init() -> None:
    """Create or migrate the tracking database (idempotent)."""
    bot = build_app()
    typer.echo(f"database ready: {bot.engine.url.render_as_string(hide_password=True)}")


@app.command()
def poll(
    mailbox: Annotated[str | None, typer.Option("--mailbox", help="only this mailbox (its config name)")] = None,
    once: Annotated[bool, typer.Option("--once", help="return when every mailbox is drained")] = False,
    backfill: Annotated[
        bool, typer.Option("--backfill", help="also answer mail that waited before first contact")
    ] = False,
) -> None:
    """Fetch new mail, process it, and send what the outbox holds."""
    from bot.service import poll_all, print_poll

    bot = build_app()
    if mailbox and mailbox not in bot.config.mailboxes:
        raise fail(f"--mailbox: no mailbox named {mailbox!r} in {G.config_path}")
    names = [mailbox] if mailbox else list(bot.config.mailboxes)
    reports, sent = poll_all(bot, names, backfill=backfill)
    print_poll(reports, sent)
    if any(r.failed for r in reports) or sent.get("failed") or sent.get("unknown"):
        raise typer.Exit(1)


@app.command()
def classify(
    files: Annotated[list[Path], typer.Argument(help="PDF, JPEG, PNG, TIFF, HEIC or .eml files")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
) -> None:
    """Classify documents or whole messages without touching the database."""
    from bot.classify_cli import classify_file

    bad = False
    for path in files:
        for obj in classify_file(path):
            bad = bad or "error" in obj
            if as_json:
                typer.echo(json.dumps(obj, ensure_ascii=False))
            else:
                typer.echo(f"{obj['source']}: {obj['kind']} ({obj.get('confidence', 0):.2f})"
                           + (f" error: {obj['error']}" if "error" in obj else ""))
    if bad:
        raise typer.Exit(1)


@app.command()
def status(
    org: Annotated[str | None, typer.Option("--org")] = None,
    user: Annotated[str | None, typer.Option("--user")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Where each organization, program and user stands, and what is missing."""
    from sqlmodel import Session

    from bot.status import status_report

    bot = build_app()
    with Session(bot.engine) as session:
        report = status_report(session, bot.clock.now(), org, user)
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    from bot.service import print_status

    print_status(report)


@review_app.command("list")
def review_list() -> None:
    """Items waiting for a person."""
    from bot.service import open_review

    bot = build_app()
    items = open_review(bot)
    for item in items:
        typer.echo(f"#{item.id}  {item.mailbox:10} {item.sender:30} {item.subject[:40]:40}  {item.reason}")
    if not items:
        typer.echo("review queue is empty")


@review_app.command("resolve")
def review_resolve(
    item_id: int,
    note: Annotated[str, typer.Option("--note", help="what was done")] = "resolved",
    by: Annotated[str, typer.Option("--by", help="who resolved it")] = "staff",
) -> None:
    """Mark a review item resolved."""
    from bot.service import resolve_review

    bot = build_app()
    if not resolve_review(bot, item_id, note, by):
        raise fail(f"no open review item #{item_id}", 1)
    typer.echo(f"review item #{item_id} resolved")


@app.command()
def grant(email: str, by: Annotated[str, typer.Option("--by")] = "staff") -> None:
    """Record that a user's HMIS access was granted."""
    from bot.service import grant_access

    bot = build_app()
    if (problem := grant_access(bot, email.lower(), by)) is not None:
        raise fail(problem, 1)
    typer.echo(f"access granted: {email}")


@app.command()
def countersign(org: str, by: Annotated[str, typer.Option("--by")] = "staff") -> None:
    """Record LAHSA's countersignature of an organization's accepted agreement."""
    from bot.service import countersign_agreement

    bot = build_app()
    result = countersign_agreement(bot, org, by)
    if result:
        raise fail(result, 1)
    typer.echo(f"agreement countersigned: {org}")


def _job(name: str, dry_run: bool) -> None:
    from bot import jobs
    from bot.service import flush_outbox

    bot = build_app()
    mails = getattr(jobs, name)(bot, dry_run=dry_run)
    for mail in mails:
        if dry_run:
            typer.echo(f"Subject: {mail.subject}\n\n{mail.text}\n{'-' * 72}")
    if not dry_run:
        sent = flush_outbox(bot)
        typer.echo(f"{name}: {len(mails)} mail(s) queued; outbox: {sent}")
    elif not mails:
        typer.echo(f"{name}: nothing to send")


@app.command()
def remind(dry_run: Annotated[bool, typer.Option("--dry-run", help="print, send nothing")] = False) -> None:
    """Remind program managers of their organization's missing items (business days)."""
    _job("reminders", dry_run)


@app.command()
def escalate(dry_run: Annotated[bool, typer.Option("--dry-run", help="print, send nothing")] = False) -> None:
    """Escalate overdue access, setup confirmations and review items to the duties."""
    _job("escalations", dry_run)


@app.command()
def digest(dry_run: Annotated[bool, typer.Option("--dry-run", help="print, send nothing")] = False) -> None:
    """Send each duty its digest (business-day mornings)."""
    _job("digests", dry_run)


@app.command()
def run() -> None:
    """The long-running service: pollers (IDLE where possible), reminders, escalations, digests."""
    from bot.scheduler import serve

    bot = build_app()
    raise typer.Exit(serve(bot, G.config_path, G.now))


@app.command("import-orgs")
def import_orgs(file: Annotated[Path, typer.Argument(help="CSV: name, aliases, email_domains, ...")]) -> None:
    """Load the CES HMIS Implementation List (creates or updates organizations)."""
    from bot.importexport import import_orgs as run_import

    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise fail(f"{file}: cannot read: {exc.strerror or exc}") from None
    report = run_import(build_app(), text)
    typer.echo(f"{len(report.created)} created, {len(report.updated)} updated, {len(report.errors)} error(s)")
    for error in report.errors:
        typer.echo(f"  {file}: {error}", err=True)
    if report.errors:
        raise typer.Exit(1)


@app.command()
def export(
    what: Annotated[str, typer.Option("--what", help="organizations | programs | users")] = "organizations",
    fmt: Annotated[str, typer.Option("--format", help="csv | json")] = "csv",
) -> None:
    """Participation status out, as CSV or JSON."""
    from bot.importexport import EXPORTS
    from bot.importexport import export as run_export

    if what not in EXPORTS:
        raise fail(f"--what: {what!r} is not one of {', '.join(EXPORTS)}")
    if fmt not in ("csv", "json"):
        raise fail(f"--format: {fmt!r} is not csv or json")
    typer.echo(run_export(build_app(), what, fmt), nl=False)


@app.command()
def purge(dry_run: Annotated[bool, typer.Option("--dry-run", help="count, delete nothing")] = False) -> None:
    """Delete archived mail and per-message records older than retention_years (HUD: 7)."""
    from bot.retention import purge as run_purge

    bot = build_app()
    done = run_purge(bot, dry_run)
    verb = "would delete" if dry_run else "deleted"
    typer.echo(f"older than {done.cutoff.date()}: {verb} {done.files} archived file(s), "
               f"{done.messages} message record(s), {done.documents} document record(s)")


@app.command()
def demo(
    folder: Annotated[Path, typer.Option("--dir", help="where to build the demo")] = Path("hmisbot-demo"),
) -> None:
    """Build a local demo (Maildir + SQLite + outbox folder), run one cycle, print what happened."""
    from bot.demo import run_demo

    code = run_demo(folder)
    raise typer.Exit(code)


@app.command()
def web(
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port")] = 8080,
) -> None:
    """Serve the staff site (board, organizations, users, review queue) until interrupted."""
    from bot.web.app import serve

    bot = build_app()
    try:
        code = serve(bot, host, port)
    except ConfigError as exc:  # e.g. no web section: nobody could log in
        raise fail(str(exc)) from None
    raise typer.Exit(code)


def main() -> None:
    memory.tune_allocator()  # before any thread starts: see bot/memory.py for why and what it saved
    try:
        app()
    except ConfigError as exc:  # e.g. a secret's environment variable is missing
        typer.echo(f"hmisbot: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
