"""The site's pages (GET): board, each duty's list for today, organization, user, review queue,
page previews, login, and ``/find``, where staff mails link to a person or organization by
address or name.

Each handler reads in a worker thread (the database driver blocks) and renders
one template; none of them changes anything.
"""

from __future__ import annotations

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.core.digest import FUNNEL_STEPS
from bot.web import pages
from bot.web.board import load_board
from bot.web.boardview import SORTS, BoardView, board_view, listing_of
from bot.web.http import page, path_id, staff, staff_only, web
from bot.web.listing import Listing
from bot.web.preview import WIDTHS
from bot.web.today import DUTY_TITLES, STATE_LABELS, STATES, TodayView, load_tasks, today_view
from bot.web.usecases import KINDS


def safe_next(value: str | None) -> str:
    """Where to go after logging in: a path of this site only (never //evil.example)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


async def login_page(request: Request) -> Response:
    if web(request).gate.who(request) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), 303)
    return page(request, "login", next=safe_next(request.query_params.get("next")), error=None, email="")


@staff_only
async def board(request: Request) -> Response:
    w = web(request)
    listing = listing_of(request.query_params)

    def read() -> BoardView:
        with Session(w.bot.engine) as session:
            return board_view(load_board(session, w.rules()), listing)

    return page(request, "board", view=await run_in_threadpool(read), steps=FUNNEL_STEPS, sorts=SORTS)


@staff_only
async def today_home(request: Request) -> Response:
    """``/today``: the list of the staff member's first duty (an administrator's: implementation)."""
    who = staff(request)
    duty = next((d for d in DUTY_TITLES if d in who.duties), next(iter(DUTY_TITLES)))
    return RedirectResponse(f"/today/{duty}", 303)


@staff_only
async def today(request: Request) -> Response:
    """What one duty has to do: overdue, due today, waiting; searchable by organization or person."""
    w, duty = web(request), str(request.path_params["duty"])
    if duty not in DUTY_TITLES:
        return page(request, "error", 404, message="There is no such duty.")
    listing = Listing.of(f"/today/{duty}", request.query_params, STATES, ("late",))
    roles = {name: str(box.effective_role or "") for name, box in w.bot.config.mailboxes.items()}

    def read() -> TodayView:
        with Session(w.bot.engine) as session:
            return today_view(duty, load_tasks(session, duty, w.rules(), roles), listing)

    return page(request, "today", view=await run_in_threadpool(read), titles=DUTY_TITLES, state_labels=STATE_LABELS)


@staff_only
async def organization(request: Request) -> Response:
    w, org_id = web(request), path_id(request, "org_id")

    def read() -> pages.OrgPage:
        with Session(w.bot.engine) as session:
            return pages.org_page(session, org_id, w.bodies.text, w.bot.clock.today())

    try:
        data = await run_in_threadpool(read)
    except pages.NotFound as exc:
        return page(request, "error", 404, message=str(exc))
    return page(request, "org", data=data, widths=WIDTHS)


@staff_only
async def user(request: Request) -> Response:
    w, user_id = web(request), path_id(request, "user_id")

    def read() -> pages.UserPage:
        with Session(w.bot.engine) as session:
            return pages.user_page(session, user_id, w.bot.clock.today())

    try:
        data = await run_in_threadpool(read)
    except pages.NotFound as exc:
        return page(request, "error", 404, message=str(exc))
    return page(request, "user", data=data, widths=WIDTHS)


@staff_only
async def review(request: Request) -> Response:
    w = web(request)

    number = request.query_params.get("page", "1")
    # Any run of digits is a page (clamped to the last one); anything else is the first page.
    wanted = (int(number) if len(number) <= 9 else 10**9) if number.isdigit() else 1
    late = request.query_params.get("late") == "1"

    def read() -> pages.ReviewPage:
        with Session(w.bot.engine) as session:
            return pages.review_page(session, w.rules(), w.bodies.text, wanted, late)

    return page(request, "review", data=await run_in_threadpool(read), kinds=KINDS, widths=WIDTHS)


@staff_only
async def find(request: Request) -> Response:
    """Where a staff mail's link lands: ``?user=EMAIL`` or ``?org=NAME`` to that person's or organization's page."""
    w = web(request)
    email, name = request.query_params.get("user", "")[:320], request.query_params.get("org", "")[:300]

    def read() -> str | None:
        with Session(w.bot.engine) as session:
            return pages.find(session, email, name)

    to = await run_in_threadpool(read)
    if to is None:
        what = email or name or "nothing"
        return page(request, "error", 404, message=f"Nobody and no organization is recorded as {what!r}: "
                                                   "it may be waiting in the review queue.")
    return RedirectResponse(to, 303)


@staff_only
async def preview(request: Request) -> Response:
    """One page of a received document as PNG (rendered from the archived message)."""
    w = web(request)
    doc_id, number = path_id(request, "doc_id"), path_id(request, "page")
    width = WIDTHS[-1] if request.query_params.get("size") == "full" else WIDTHS[0]

    def render() -> bytes | None:
        with Session(w.bot.engine) as session:
            try:
                doc, archive = pages.document_source(session, doc_id)
            except pages.NotFound:
                return None
        if doc.error or not 1 <= number <= max([*doc.pages, 1]):
            return None
        return w.previews.png(doc_id, archive, doc.filename, number, width)

    png = await run_in_threadpool(render)
    if png is None:
        return Response("no preview for this page", 404, media_type="text/plain")
    # A signed form is personal data: no cache keeps it, not even the browser's after logout
    # (the server keeps rendered pages, so a second look costs nothing anyway).
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


ROUTES = [
    Route("/login", login_page, methods=["GET"]),
    Route("/", board, methods=["GET"]),
    Route("/orgs/{org_id}", organization, methods=["GET"]),
    Route("/users/{user_id}", user, methods=["GET"]),
    Route("/review", review, methods=["GET"]),
    Route("/today", today_home, methods=["GET"]),
    Route("/today/{duty}", today, methods=["GET"]),
    Route("/find", find, methods=["GET"]),
    Route("/documents/{doc_id}/pages/{page}.png", preview, methods=["GET"]),
]
