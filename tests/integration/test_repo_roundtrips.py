"""The repository writes an organization back in a fixed number of statements.

A backlog profile (bench/backlog.py) found save_org issuing one SELECT per user,
program and contact (about 1 ms each on SQLite, a network round trip each on
PostgreSQL): the session holds rows only weakly, so those load_org had read were gone.
The count of statements must not grow with the organization's size.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.core.state import ContactState, OrgState, ProgramState, UserState
from bot.store import repo
from bot.store.db import transaction

NOW = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)


pytestmark = pytest.mark.usefixtures("migrated")  # `engine` (tests/conftest.py), with the tables


def _org(engine: Engine, name: str, users: int) -> int:
    state = OrgState(name=name, domains=[f"{name}.org"],
                     contacts=[ContactState(f"ed@{name}.org", "executive_director", "E D")],
                     programs=[ProgramState(f"Program {k}", "Outreach", "requested") for k in range(3)],
                     users=[UserState(f"user{k}@{name}.org", f"User {k}") for k in range(users)])
    with transaction(engine) as session:
        return repo.save_org(session, state, NOW)


def _statements_to_update_one_user(engine: Engine, org_id: int) -> tuple[int, OrgState]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with transaction(engine) as session:
            state = repo.load_org(session, org_id)
            state.users[0].access = "ready"
            state.users.append(UserState(f"new@{state.name}.org", "New User"))
            repo.save_org(session, state, NOW)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen), state


def test_saving_an_organization_costs_the_same_whatever_its_size(engine: Engine) -> None:
    small, _ = _statements_to_update_one_user(engine, _org(engine, "small", users=2))
    large, state = _statements_to_update_one_user(engine, _org(engine, "large", users=40))
    assert large == small, f"{small} statements for 2 users, {large} for 40"
    # and the writes happened: the new user got its id back, the change is stored
    assert state.users[-1].id is not None
    with transaction(engine) as session:
        again = repo.load_org(session, state.id or 0)
    assert again.users[0].access == "ready"
    assert [u.email for u in again.users][-1] == "new@large.org"
    assert len(again.users) == 41
