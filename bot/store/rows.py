"""Table rows to the core's values: the one mapper of the repository and the read model.

``repo.load_org`` reads ORM objects, ``queries.load_all`` reads plain Core rows (ten
times faster for the whole database); both have the columns as attributes, so both go
through these functions, and a column added to a table is mapped in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.core.state import ContactState, OrgState, ProgramState, UserState


def contact_state(c: Any) -> ContactState:
    return ContactState(email=c.email, role=c.role, name=c.name, id=c.id)


def program_state(p: Any) -> ProgramState:
    return ProgramState(name=p.name, type=p.type, setup=p.setup, thread_id=p.thread_id,
                        requested_at=p.requested_at, followup_at=p.followup_at, confirmed_at=p.confirmed_at, id=p.id)


def user_state(u: Any) -> UserState:
    return UserState(email=u.email, name=u.name, roles=list(u.roles), new_user=u.new_user,
                     trainings=dict(u.trainings), forms=dict(u.forms), access=u.access, ready_on=u.ready_on,
                     access_due=u.access_due, granted_at=u.granted_at, id=u.id)


def org_state(o: Any, contacts: Iterable[Any], programs: Iterable[Any], users: Iterable[Any]) -> OrgState:
    """An organization row and its children's rows (in the order they should be listed)."""
    return OrgState(
        name=o.name, aliases=list(o.aliases), domains=list(o.email_domains), ces_roles=list(o.ces_roles),
        agreement=o.agreement, agreement_note=o.agreement_note, agreement_at=o.agreement_at,
        contacts=[contact_state(c) for c in contacts], programs=[program_state(p) for p in programs],
        users=[user_state(u) for u in users], id=o.id,
    )
