"""The board as staff ask for it: searched, filtered by step or by overdue work, sorted, paged.

Unfiltered, each step is a column of at most ``COLUMN_CARDS`` cards (the most overdue
first unless another order is chosen) whose count links to all of that step's
organizations. With a search, a step or "overdue work only", the matching cards are
one list, ``PER_PAGE`` a page. Five hundred organizations are never one wall of cards.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.digest import FUNNEL_STEPS
from bot.web.board import Board, Card
from bot.web.listing import Listing, Page, paginate

SORTS = {"late": "Most overdue first", "name": "Name, A to Z", "step": "Earliest step first"}
ALL = "all"  # the state that lists every organization (the "organizations" counter's link)
STATES = (ALL, *FUNNEL_STEPS)
COLUMN_CARDS = 8
PER_PAGE = 48
_STEP = {step: i for i, step in enumerate(FUNNEL_STEPS)}
_ORDER: dict[str, Callable[[Card], Any]] = {
    "late": lambda c: (-c.late_days, not c.overdue, c.name.casefold()),
    "name": lambda c: c.name.casefold(),
    "step": lambda c: (_STEP.get(c.step, 0), c.name.casefold()),
}


@dataclass(frozen=True)
class ShownColumn:
    step: str
    count: int
    overdue: int
    cards: list[Card]  # the first COLUMN_CARDS
    link: str  # the list of all of them


@dataclass(frozen=True)
class BoardView:
    board: Board
    listing: Listing
    columns: list[ShownColumn]  # unfiltered
    found: Page[Card] | None  # filtered: the matching cards, one page

    @property
    def late_orgs(self) -> int:
        return sum(c.overdue for c in self.board.columns)


def listing_of(params: Mapping[str, str]) -> Listing:
    return Listing.of("/", params, STATES, list(SORTS))


def board_view(board: Board, listing: Listing) -> BoardView:
    order = _ORDER[listing.sort]
    if not listing.filtered:
        columns = [ShownColumn(c.step, c.count, c.overdue, sorted(c.cards, key=order)[:COLUMN_CARDS],
                               listing.link(state=c.step)) for c in board.columns]
        return BoardView(board, listing, columns, None)
    cards = [card for column in board.columns if listing.state in ("", ALL, column.step) for card in column.cards
             if listing.matches(card.name) and (card.overdue or not listing.late)]
    return BoardView(board, listing, [], paginate(sorted(cards, key=order), listing.page, PER_PAGE))
