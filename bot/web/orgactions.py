"""The site's organization forms (POST): create an organization from the review queue, mark a program set up.

Like ``bot.web.actions``: the staff member the session names does it, the use case
audits it with them as actor, and each belongs to a duty. Organizations are created
by the duties that bring them in, training (Step 1, the Organization Agreement) and
implementation (Step 2, program setup); a similar name already on file is confirmed
first (a second POST with ``confirm=1``), as a doubtful filing is. Marking a program
set up is the implementation duty's (``bot.service.mark_program_set_up``).
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.neworg import NewOrg, create_from_review, similar_names
from bot.service import mark_program_set_up
from bot.store import queries
from bot.store.models import Organization, Program, ReviewItem
from bot.web.http import done, field_text, form, page, path_id, refused_duty, staff, staff_only, web
from bot.web.pages import PER_PAGE

ORG_DUTIES = ("training", "implementation")


def review_link(session: Session, item_id: int) -> str:
    """The review queue's page that shows this item (PER_PAGE open items a page, by id)."""
    before = session.exec(select(func.count()).select_from(ReviewItem).where(
        queries.review_open(), col(ReviewItem.id) < item_id)).one()
    return f"/review?page={before // PER_PAGE + 1}#item-{item_id}"


@staff_only
async def create_org(request: Request) -> Response:
    w, data, item_id = web(request), form(request), path_id(request, "item_id")
    if not any(staff(request).may(duty) for duty in ORG_DUTIES):
        return page(request, "error", 403, heading="Not your duty",
                    message="Creating an organization needs the training or the implementation duty; "
                            "ask an administrator.")
    req = NewOrg(item_id, field_text(data, "name", 300), field_text(data, "domain", 254),
                 field_text(data, "role", 40), field_text(data, "contact_name", 300))

    def similar() -> list[str]:
        with Session(w.bot.engine) as session:
            return similar_names(session, req)

    if field_text(data, "confirm") != "1" and (names := await run_in_threadpool(similar)):
        return page(request, "neworg_confirm", req=req, similar=names)  # nothing done yet: a second POST confirms
    problem = await run_in_threadpool(create_from_review, w.bot, req, staff(request).email)

    def back() -> str:
        with Session(w.bot.engine) as session:
            return review_link(session, item_id)

    to = await run_in_threadpool(back)
    if problem:
        return done(request, to, problem, error=True)
    name = " ".join(req.name.split())
    return done(request, to, f"{name} created. Now file review item #{item_id} to it: its form is filled in.")


@staff_only
async def program_set_up(request: Request) -> Response:
    w, org_id, program_id = web(request), path_id(request, "org_id"), path_id(request, "program_id")
    if no := refused_duty(request, "implementation"):
        return no

    def act() -> tuple[str | None, str]:
        with Session(w.bot.engine) as session:
            org, program = session.get(Organization, org_id), session.get(Program, program_id)
            # The use case finds the organization by (fuzzy) name: refuse a name two organizations share.
            twin = org and session.exec(select(Organization.id).where(
                func.lower(Organization.name) == org.name.lower(), col(Organization.id) != org_id)).first()
        if org is None or program is None or program.org_id != org_id:
            return f"no program #{program_id} at organization #{org_id}", ""
        if twin:
            return f"another organization is also named {org.name!r}: ask an administrator to tell them apart", ""
        return mark_program_set_up(w.bot, org.name, program.name, staff(request).email), program.name

    problem, name = await run_in_threadpool(act)
    if problem:
        return done(request, f"/orgs/{org_id}", problem, error=True)
    return done(request, f"/orgs/{org_id}",
                f"{name} is recorded as set up; it now waits for the Program Manager's confirmation.")


ROUTES = [
    Route("/review/{item_id}/organization", create_org, methods=["POST"]),
    Route("/orgs/{org_id}/programs/{program_id}/set-up", program_set_up, methods=["POST"]),
]
