"""The command line (INTERFACE.md). Parses arguments, calls the app, prints. No logic.

Exit codes: 0 ok; 1 the work ran but something needs attention (printed);
2 bad usage or invalid configuration, with a message naming file, key and problem.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot import logs, memory
from bot.cli_base import G, app, build_app, fail, review_app
from bot.config import ConfigError

if TYPE_CHECKING:
    from bot.workflow.poll import PollReport


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"hmisbot {version('hmisbot')}")
        raise typer.Exit()


@app.callback()
def main_options(
    config: Annotated[str | None, typer.Option(
        "--config", metavar="PATH",
        help="the configuration file [default: $HMISBOT_CONFIG, else ./mailboxes.yaml]")] = None,
    now: Annotated[str | None, typer.Option(
        "--now", metavar="TIME", help="ISO-8601 time the program believes it is, for trials and tests"
        " [default: $HMISBOT_NOW, else the clock]")] = None,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="log what is done (INFO), not only problems")] = False,
    log_format: Annotated[str | None, typer.Option(
        "--log-format", metavar="text|json", help="log lines on stderr as text or one JSON object a line, times in"
        " UTC [default: the configuration's logging.format, else text]")] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="print the version and exit")] = False,
) -> None:
    G.config_path = config or os.environ.get("HMISBOT_CONFIG") or "mailboxes.yaml"
    G.now = now or os.environ.get("HMISBOT_NOW")
    if log_format not in (None, "text", "json"):
        raise fail(f"--log-format: {log_format!r} is not text or json")
    G.verbose, G.log_format = verbose, log_format
    logs.setup(logs.level_of(verbose), "json" if log_format == "json" else "text")


@app.command()
def init() -> None:
    """Create or migrate the tracking database (idempotent)."""
    bot = build_app()
    typer.echo(f"database ready: {bot.engine.url.render_as_string(hide_password=True)}")


@app.command()
def poll(
    mailbox: Annotated[str | None, typer.Option(
        "--mailbox", metavar="NAME", help="only this mailbox (its name under mailboxes:)")] = None,
    once: Annotated[bool, typer.Option("--once", help="return when every mailbox is drained")] = False,
    backfill: Annotated[bool, typer.Option(
        "--backfill", help="also answer mail that waited before first contact (shows progress)")] = False,
) -> None:
    """Fetch new mail, process it, and send what the outbox holds."""
    from bot.service import poll_all

    bot = build_app()
    if mailbox and mailbox not in bot.config.mailboxes:
        raise fail(f"--mailbox: no mailbox named {mailbox!r} in {G.config_path}")
    names = [mailbox] if mailbox else list(bot.config.mailboxes)
    if backfill:
        from bot.progress import Bars, counting

        with Bars() as bars:  # a whole inbox at once takes a while: show how far it is
            for name in names:
                bot.wrap_mailbox(name, counting(bars.add(f"poll {name}")))
            reports, sent = poll_all(bot, names, backfill=True)
    else:
        reports, sent = poll_all(bot, names)
    _print_poll(reports, sent)
    if any(r.failed for r in reports) or sent.get("failed") or sent.get("unknown"):
        raise typer.Exit(1)


def _print_poll(reports: list[PollReport], sent: dict[str, int]) -> None:
    for r in reports:
        typer.echo(f"{r.mailbox}: {len(r.handled)} processed, {r.skipped} skipped, {r.baseline} left as baseline,"
                   f" {len(r.failed)} failed")
        for line in r.failed:
            typer.echo(f"  FAILED {line}")
    typer.echo("outbox: " + ", ".join(f"{k} {v}" for k, v in sent.items()))


@app.command()
def classify(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="PDF, JPEG, PNG, TIFF, HEIC or .eml files")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
) -> None:
    """Classify documents or whole .eml messages.

    Reads only the files: the database is not touched.
    """
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
    org: Annotated[str | None, typer.Option(
        "--org", metavar="NAME", help="only this organization (its name or an alias)")] = None,
    user: Annotated[str | None, typer.Option(
        "--user", metavar="EMAIL", help="only this user, with their organization")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="the whole report as JSON (for scripts)")] = False,
) -> None:
    """Where organizations, programs and users stand.

    With what each still lacks, and the review queue's size.
    """
    from sqlmodel import Session

    from bot.status import status_report

    bot = build_app()
    with Session(bot.engine) as session:
        report = status_report(session, bot.clock.now(), org, user)
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    _print_status(report)


def _print_status(report: dict[str, Any]) -> None:
    for org in report["organizations"]:
        progs = ", ".join(f"{p['name']} [{p['setup']}]" for p in org["programs"]) or "no programs"
        typer.echo(f"{org['name']}: agreement {org['agreement']}; {progs};"
                   f" step 3 {'open' if org['ready_for_step3'] else 'closed'}")
        for u in org["users"]:
            due = f" due {u['access_due']}" if u["access_due"] else ""
            typer.echo(f"    {u['email']:34} {u['access']}{due}  missing: {'; '.join(u['missing']) or '-'}")
    typer.echo(f"review queue: {len(report['review'])} item(s)")


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
    item_id: Annotated[int, typer.Argument(metavar="ID", help="the item's number, as `review list` shows it")],
    note: Annotated[str, typer.Option("--note", metavar="TEXT", help="what was done")] = "resolved",
    by: Annotated[str, typer.Option("--by", metavar="WHO", help="who resolved it, for the audit trail")] = "staff",
) -> None:
    """Mark a review item resolved."""
    from bot.service import resolve_review

    bot = build_app()
    if not resolve_review(bot, item_id, note, by):
        raise fail(f"no open review item #{item_id}", 1)
    typer.echo(f"review item #{item_id} resolved")


BY = typer.Option("--by", metavar="WHO", help="who did it, for the audit trail")


@app.command()
def grant(
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="the user's address")],
    by: Annotated[str, BY] = "staff",
) -> None:
    """Record that a user's HMIS access was granted."""
    from bot.service import grant_access

    bot = build_app()
    if (problem := grant_access(bot, email.lower(), by)) is not None:
        raise fail(problem, 1)
    typer.echo(f"access granted: {email}")


@app.command("set-up")
def set_up(
    org: Annotated[str, typer.Argument(metavar="ORG", help="the organization's name")],
    program: Annotated[str, typer.Argument(metavar="PROGRAM", help="the program's name, as requested")],
    by: Annotated[str, BY] = "staff",
) -> None:
    """Record that a program's setup is done; it then waits for the Program Manager's confirmation.

    For a follow-up the bot did not see (a phone call, another mailbox); a follow-up sent in the
    setup thread at JoinHMIS@ is recorded by itself.
    """
    from bot.service import mark_program_set_up

    bot = build_app()
    if (problem := mark_program_set_up(bot, org, program, by)) is not None:
        raise fail(problem, 1)
    typer.echo(f"program set up, waiting for the Program Manager's confirmation: {program} ({org})")


@app.command()
def countersign(
    org: Annotated[str, typer.Argument(metavar="ORG", help="the organization's name")],
    by: Annotated[str, BY] = "staff",
) -> None:
    """Record LAHSA's countersignature of an accepted agreement."""
    from bot.service import countersign_agreement

    bot = build_app()
    result = countersign_agreement(bot, org, by)
    if result:
        raise fail(result, 1)
    typer.echo(f"agreement countersigned: {org}")


def _job(name: str, dry_run: bool) -> None:
    from bot.jobs import JOBS
    from bot.service import flush_outbox

    bot = build_app()
    mails = JOBS[name](bot, dry_run=dry_run)
    for mail in mails:
        if dry_run:
            typer.echo(f"Subject: {mail.subject}\n\n{mail.text}\n{'-' * 72}")
    if not dry_run:
        sent = flush_outbox(bot)
        typer.echo(f"{name}: {len(mails)} mail(s) queued; outbox: {sent}")
    elif not mails:
        typer.echo(f"{name}: nothing to send")


DRY_RUN = typer.Option("--dry-run", help="print the mails, send nothing")


@app.command()
def remind(dry_run: Annotated[bool, DRY_RUN] = False) -> None:
    """Remind program managers of what their organization lacks.

    Spaced by schedule.reminder_every_business_days.
    """
    _job("reminders", dry_run)


@app.command()
def escalate(dry_run: Annotated[bool, DRY_RUN] = False) -> None:
    """Escalate overdue access, setups and reviews to the duties."""
    _job("escalations", dry_run)


@app.command()
def digest(dry_run: Annotated[bool, DRY_RUN] = False) -> None:
    """Send each duty its digest (business-day mornings)."""
    _job("digests", dry_run)


@app.command()
def run() -> None:
    """The service: pollers (IDLE), reminders, escalations, digests.

    Runs until SIGTERM or SIGINT, then lets the running job finish.
    """
    from bot.scheduler import serve

    bot = build_app()
    raise typer.Exit(serve(bot, G.config_path, G.now))


@app.command()
def demo(
    folder: Annotated[Path, typer.Option(
        "--dir", metavar="DIR", help="where to build the demo (replaced if it is a demo)")] = Path("hmisbot-demo"),
) -> None:
    """Build and play a local demo (Maildir, SQLite, outbox folder).

    Prints what happened to each message and the reply it got.
    """
    from bot.demo import run_demo

    code = run_demo(folder)
    raise typer.Exit(code)


@app.command()
def web(
    host: Annotated[str, typer.Option("--host", metavar="ADDRESS", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", metavar="PORT", help="TCP port")] = 8080,
) -> None:
    """Serve the staff site until interrupted.

    Board, organizations, users and the review queue, on plain HTTP: put a TLS reverse proxy
    in front (docs/deploy.md).
    """
    from bot.web.app import serve

    bot = build_app()
    try:
        code = serve(bot, host, port)
    except ConfigError as exc:  # e.g. no web section: nobody could log in
        raise fail(str(exc)) from None
    raise typer.Exit(code)


from bot import cli_data  # noqa: E402, F401  (registers import-orgs, export and purge on `app`)


def main() -> None:
    memory.tune_allocator()  # before any thread starts: see bot/memory.py for why and what it saved
    try:
        app()
    except ConfigError as exc:  # e.g. a secret's environment variable is missing
        typer.echo(f"hmisbot: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
