"""Search, filter, sort and page a list from the query string: the board's and the today pages'.

A ``Listing`` is read from ``?q=&state=&late=&sort=&page=`` once per request, never
trusted: an unknown state or sort is the default, a page is clamped to the list. Its
``link`` writes the same query back with one thing changed, so a counter, a filter
and a pager all lead to the same filtered list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Generic, TypeVar
from urllib.parse import urlencode

T = TypeVar("T")
MAX_QUERY = 100  # characters of a search: a name or an address, never a page of text


@dataclass(frozen=True)
class Listing:
    path: str
    q: str = ""
    state: str = ""  # one of the page's states, or "" for all
    sort: str = ""
    page: int = 1
    late: bool = False  # only what has overdue work
    default_sort: str = ""  # left out of links, so the plain list keeps a plain address

    @classmethod
    def of(cls, path: str, params: Mapping[str, str], states: Sequence[str], sorts: Sequence[str]) -> Listing:
        """The listing a request asks for; ``sorts[0]`` is the default order."""
        state, sort = params.get("state", ""), params.get("sort", "")
        number = params.get("page", "1")
        return cls(path, " ".join(params.get("q", "").split())[:MAX_QUERY],
                   state if state in states else "", sort if sort in sorts else sorts[0],
                   # Any run of digits is a page (clamped later); anything else the first.
                   (int(number) if len(number) <= 9 else 10**9) if number.isdigit() else 1,
                   params.get("late", "") == "1", sorts[0])

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.state or self.late)

    def matches(self, *texts: str) -> bool:
        """True when the search is empty or found, ignoring case, in one of ``texts``."""
        wanted = self.q.casefold()
        return not wanted or any(wanted in t.casefold() for t in texts)

    def link(self, **changes: str | int | bool) -> str:
        """This list's address with ``changes`` (a new filter starts again at page 1)."""
        moved = replace(self, **changes)  # type: ignore[arg-type]
        if "page" not in changes:
            moved = replace(moved, page=1)
        sort = "" if moved.sort == self.default_sort else moved.sort
        query = {k: v for k, v in (("q", moved.q), ("state", moved.state), ("late", "1" if moved.late else ""),
                                   ("sort", sort), ("page", moved.page if moved.page > 1 else "")) if v}
        return self.path + ("?" + urlencode(query) if query else "")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer list: ``number`` of ``pages``, out of ``total`` items."""

    items: list[T]
    number: int = 1
    pages: int = 1
    total: int = 0


def paginate(items: Sequence[T], number: int, per_page: int) -> Page[T]:
    pages = max(1, -(-len(items) // per_page))
    number = min(max(number, 1), pages)
    return Page(list(items[(number - 1) * per_page:number * per_page]), number, pages, len(items))
