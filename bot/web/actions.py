"""The site's forms (POST): settle review items, countersign, grant access.

Every action is done by the staff member the session names and written to the
audit log with them as actor (``repo.audit`` inside the use case's transaction).
Each belongs to a duty (``bot.web.auth.Staff.may``): countersigning is the
implementation duty's, granting access the access duty's, and any duty may
settle a review item (a doubtful document only after confirming, ``bot.web.confirm``).
Logging in and out is ``bot.web.login``; creating an organization from the queue and
marking a program set up are ``bot.web.orgactions``.
The shared use cases come from ``bot.service``; the web-only ones from
``bot.web.usecases``. An action that queued a mail sends the outbox after the
response (a background task), so the page answers at once.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.service import countersign_agreement, grant_access, resolve_review
from bot.store.models import HmisUser, Organization
from bot.web.confirm import concerns
from bot.web.http import as_id, done, field_text, form, page, path_id, refused_duty, staff, staff_only, web
from bot.web.usecases import Classify, Refused, classify_item, reject_item


def _doubts(request: Request, req: Classify) -> list[str]:
    with Session(web(request).bot.engine) as session:
        return concerns(session, req)


def _after_mail(request: Request, response: Response) -> Response:
    response.background = BackgroundTask(web(request).flush)
    return response


@staff_only
async def review_classify(request: Request) -> Response:
    data, item_id = form(request), path_id(request, "item_id")
    if no := refused_duty(request, None):
        return no
    doc = field_text(data, "document")
    req = Classify(item_id, as_id(doc, "document") if doc else None, field_text(data, "kind") or "unknown",
                   field_text(data, "org", 300), field_text(data, "user", 254), field_text(data, "note", 500))
    if field_text(data, "confirm") != "1" and (doubts := await run_in_threadpool(_doubts, request, req)):
        return page(request, "confirm", req=req, concerns=doubts)  # nothing done yet: a second POST confirms
    try:
        message = await run_in_threadpool(classify_item, web(request).bot, req, staff(request).email)
    except Refused as exc:
        return done(request, "/review", str(exc), error=True)
    return _after_mail(request, done(request, "/review", message))


@staff_only
async def review_reject(request: Request) -> Response:
    data, item_id = form(request), path_id(request, "item_id")
    if no := refused_duty(request, None):
        return no
    try:
        message = await run_in_threadpool(reject_item, web(request).bot, item_id, field_text(data, "reason", 1000),
                                          staff(request).email)
    except Refused as exc:
        return done(request, "/review", str(exc), error=True)
    return _after_mail(request, done(request, "/review", message))


@staff_only
async def review_resolve(request: Request) -> Response:
    item_id = path_id(request, "item_id")
    if no := refused_duty(request, None):
        return no
    note = field_text(form(request), "note", 500) or "resolved"
    ok = await run_in_threadpool(resolve_review, web(request).bot, item_id, note, staff(request).email)
    if not ok:
        return done(request, "/review", f"Review item #{item_id} is not open.", error=True)
    return done(request, "/review", f"Review item #{item_id} resolved: {note}")


@staff_only
async def countersign(request: Request) -> Response:
    w, org_id = web(request), path_id(request, "org_id")
    if no := refused_duty(request, "implementation"):
        return no

    def act() -> str | None:
        with Session(w.bot.engine) as session:
            org = session.get(Organization, org_id)
            # bot.service finds the organization by (fuzzy) name: refuse a name two organizations share.
            twin = org and session.exec(select(Organization.id).where(
                func.lower(Organization.name) == org.name.lower(), col(Organization.id) != org_id)).first()
        if org is None:
            return f"no organization #{org_id}"
        if twin:
            return f"another organization is also named {org.name!r}: countersign it with the CLI"
        if org.agreement == "countersigned":  # a second click, or a colleague was quicker: no second event
            return "The Organization Agreement is already countersigned."
        return countersign_agreement(w.bot, org.name, staff(request).email)

    problem = await run_in_threadpool(act)
    if problem:
        return done(request, f"/orgs/{org_id}", problem, error=True)
    return done(request, f"/orgs/{org_id}", "Organization Agreement countersigned.")


@staff_only
async def grant(request: Request) -> Response:
    w, user_id = web(request), path_id(request, "user_id")
    if no := refused_duty(request, "access"):
        return no

    def act() -> str | None:
        with Session(w.bot.engine) as session:
            row = session.get(HmisUser, user_id)
        if row is None:
            return f"no user #{user_id}"
        return grant_access(w.bot, row.email, staff(request).email)  # the rule: core.transitions

    problem = await run_in_threadpool(act)
    if problem:
        return done(request, f"/users/{user_id}", problem, error=True)
    return done(request, f"/users/{user_id}", "HMIS access recorded as granted.")


# Ids are plain path segments read by path_id: a huge or non-numeric one is a 400, not a 500.
ROUTES = [
    Route("/review/{item_id}/classify", review_classify, methods=["POST"]),
    Route("/review/{item_id}/reject", review_reject, methods=["POST"]),
    Route("/review/{item_id}/resolve", review_resolve, methods=["POST"]),
    Route("/orgs/{org_id}/countersign", countersign, methods=["POST"]),
    Route("/users/{user_id}/grant", grant, methods=["POST"]),
]
