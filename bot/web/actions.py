"""The site's forms (POST): log in and out, settle review items, countersign, grant access.

Every action is done by the staff member the session names and written to the
audit log with them as actor (``repo.audit`` inside the use case's transaction).
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
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.service import countersign_agreement, grant_access, resolve_review
from bot.store.models import HmisUser, Organization
from bot.web.auth import start_session
from bot.web.http import done, field_text, form, page, read_form, staff, staff_only, web
from bot.web.usecases import Classify, Refused, classify_item, reject_item
from bot.web.views import safe_next


async def login(request: Request) -> Response:
    w = web(request)
    data = await read_form(request)  # the login form carries a CSRF token too (login CSRF)
    if isinstance(data, Response):
        return data
    email, password = field_text(data, "email", 254).lower(), str(data.get("password", ""))[:1024]
    target = safe_next(field_text(data, "next"))
    key = (email, request.client.host if request.client else "")
    if w.gate.throttle.blocked(key):
        return page(request, "login", 429, next=target, email=email,
                    error="Too many failed attempts: wait 15 minutes and try again.")
    who = await run_in_threadpool(w.gate.login, email, password)  # scrypt takes ~50 ms: not on the loop
    if who is None:
        w.gate.throttle.failed(key)
        return page(request, "login", 401, next=target, email=email, error="Wrong email or password.")
    w.gate.throttle.succeeded(key)
    start_session(request.session, who)
    return RedirectResponse(target, 303)


@staff_only
async def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", 303)


def _after_mail(request: Request, response: Response) -> Response:
    response.background = BackgroundTask(web(request).flush)
    return response


@staff_only
async def review_classify(request: Request) -> Response:
    data, item_id = form(request), int(request.path_params["item_id"])
    doc = field_text(data, "document")
    req = Classify(item_id, int(doc) if doc.isdigit() else None, field_text(data, "kind") or "unknown",
                   field_text(data, "org", 300), field_text(data, "user", 254), field_text(data, "note", 500))
    try:
        message = await run_in_threadpool(classify_item, web(request).bot, req, staff(request).email)
    except Refused as exc:
        return done(request, "/review", str(exc), error=True)
    return _after_mail(request, done(request, "/review", message))


@staff_only
async def review_reject(request: Request) -> Response:
    data, item_id = form(request), int(request.path_params["item_id"])
    try:
        message = await run_in_threadpool(reject_item, web(request).bot, item_id, field_text(data, "reason", 1000),
                                          staff(request).email)
    except Refused as exc:
        return done(request, "/review", str(exc), error=True)
    return _after_mail(request, done(request, "/review", message))


@staff_only
async def review_resolve(request: Request) -> Response:
    item_id = int(request.path_params["item_id"])
    note = field_text(form(request), "note", 500) or "resolved"
    ok = await run_in_threadpool(resolve_review, web(request).bot, item_id, note, staff(request).email)
    if not ok:
        return done(request, "/review", f"Review item #{item_id} is not open.", error=True)
    return done(request, "/review", f"Review item #{item_id} resolved: {note}")


@staff_only
async def countersign(request: Request) -> Response:
    w, org_id = web(request), int(request.path_params["org_id"])

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
        return countersign_agreement(w.bot, org.name, staff(request).email)

    problem = await run_in_threadpool(act)
    if problem:
        return done(request, f"/orgs/{org_id}", problem, error=True)
    return done(request, f"/orgs/{org_id}", "Organization Agreement countersigned.")


@staff_only
async def grant(request: Request) -> Response:
    w, user_id = web(request), int(request.path_params["user_id"])

    def act() -> str | None:
        with Session(w.bot.engine) as session:
            row = session.get(HmisUser, user_id)
        if row is None:
            return f"no user #{user_id}"
        if row.access not in ("ready", "overdue"):
            return f"{row.email} is {row.access.replace('_', ' ')}: access is granted only once the user is ready"
        return None if grant_access(w.bot, row.email, staff(request).email) else f"no user {row.email}"

    problem = await run_in_threadpool(act)
    if problem:
        return done(request, f"/users/{user_id}", problem, error=True)
    return done(request, f"/users/{user_id}", "HMIS access recorded as granted.")


ROUTES = [
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/review/{item_id:int}/classify", review_classify, methods=["POST"]),
    Route("/review/{item_id:int}/reject", review_reject, methods=["POST"]),
    Route("/review/{item_id:int}/resolve", review_resolve, methods=["POST"]),
    Route("/orgs/{org_id:int}/countersign", countersign, methods=["POST"]),
    Route("/users/{user_id:int}/grant", grant, methods=["POST"]),
]
