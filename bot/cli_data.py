"""Commands about the data as a whole: the Implementation List in, participation status out, retention.

Registered on the shared Typer app (``bot.cli_base``) when ``bot.cli`` imports this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli_base import app, build_app, fail
from bot.orgimport import FUZZY_THRESHOLD, Candidate, ImportReport


def _print_import(report: ImportReport, file: Path, merge: bool, dry_run: bool) -> None:
    """Every organization touched, by what happened to it; similar names with their scores."""
    for name in report.created:
        typer.echo(f"created: {name}")
    for name in report.updated:
        typer.echo(f"updated: {name}")
    for line in report.merged:
        typer.echo(f"merged: {line}")
    by_line: dict[int, list[Candidate]] = {}
    for c in report.candidates:
        by_line.setdefault(c.line, []).append(c)
    for number, found in by_line.items():  # one line per row, however many organizations it resembles
        orgs = ", ".join(f"{c.org!r} (score {c.score:.0f}{', merged' if c.merged else ''})" for c in found)
        hint = "" if merge else "; not merged (--merge merges a row into its most similar organization)"
        typer.echo(f"similar: line {number}: {found[0].name!r} ~ {orgs}{hint}")
    for error in report.errors:
        typer.echo(f"  {file}: {error}", err=True)
    typer.echo(f"{len(report.created)} created, {len(report.updated)} updated, {len(report.merged)} merged,"
               f" {len(report.errors)} error(s); {len(report.candidates)} similar name(s) (score >= "
               f"{FUZZY_THRESHOLD:.0f}){' (dry run: nothing saved)' if dry_run else ''}")


@app.command("import-orgs")
def import_orgs(
    file: Annotated[Path, typer.Argument(
        metavar="FILE.csv", help="CSV with a header: name, aliases, email_domains, ces_roles, agreement,"
        " program_manager, executive_director")],
    merge: Annotated[bool, typer.Option(
        "--merge", help="merge a row that matches nothing exactly into its most similar organization")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show what would happen, save nothing")] = False,
) -> None:
    """Load the CES HMIS Implementation List of organizations.

    A row updates the organization with its exact name, an alias or an email domain, else
    creates one. Similar names (score >= 88) are listed and merged only with --merge; try
    --dry-run first.
    """
    from bot.importexport import import_orgs as run_import
    from bot.progress import Bars

    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise fail(f"{file}: cannot read: {exc.strerror or exc}") from None
    bot = build_app()
    with Bars() as bars:
        report = run_import(bot, text, merge=merge, dry_run=dry_run, bar=bars.add("import-orgs"))
    _print_import(report, file, merge, dry_run)
    if report.errors:
        raise typer.Exit(1)


@app.command()
def export(
    what: Annotated[str, typer.Option(
        "--what", metavar="organizations|programs|users", help="which records")] = "organizations",
    fmt: Annotated[str, typer.Option("--format", metavar="csv|json", help="the output format")] = "csv",
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
    """Delete archived mail older than retention_years (HUD: 7).

    Per-message records go too; the tracking state of organizations and users stays.
    """
    from bot.retention import purge as run_purge

    bot = build_app()
    done = run_purge(bot, dry_run)
    verb = "would delete" if dry_run else "deleted"
    typer.echo(f"older than {done.cutoff.date()}: {verb} {done.files} archived file(s), "
               f"{done.messages} message record(s), {done.documents} document record(s)")
