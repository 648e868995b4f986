"""Business days for LAHSA: America/Los_Angeles, with City and County of Los Angeles holidays.

Owns: the holiday list, computed here rather than taken from the `holidays` package, whose
California calendar puts Cesar Chavez Day on 31 March and adds Susan B. Anthony Day, unlike
the City and County of LA; configured extra closures; and business-day arithmetic for
deadlines such as "HMIS access within 3 business days". Pure: no clock is read here.
"""

from __future__ import annotations

import calendar as _stdcal
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

LA_TZ = ZoneInfo("America/Los_Angeles")
_MONDAY, _THURSDAY = 0, 3
_ONE_DAY = timedelta(days=1)


def la_date(moment: datetime) -> date:
    """The calendar date in Los Angeles at an aware moment (a 23:30 PT message is that day's, not UTC's)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("la_date needs a timezone-aware datetime")
    return moment.astimezone(LA_TZ).date()


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = date(year, month, _stdcal.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    # Fixed-date holidays: Saturday -> the Friday before, Sunday -> the Monday after.
    if day.weekday() == 5:
        return day - _ONE_DAY
    if day.weekday() == 6:
        return day + _ONE_DAY
    return day


def la_holidays(year: int) -> dict[date, str]:
    """The days City and County of LA offices are closed for the holidays of `year`, by observed date.

    New Year's Day of year Y+1 on a Saturday is observed on 31 December of Y; it is listed
    under Y+1 (it is that year's holiday), so callers asking about a date check both years.
    """
    fixed = {
        date(year, 1, 1): "New Year's Day",
        date(year, 6, 19): "Juneteenth",
        date(year, 7, 4): "Independence Day",
        date(year, 11, 11): "Veterans Day",
        date(year, 12, 25): "Christmas Day",
    }
    result = {
        _observed(day): name + ("" if _observed(day) == day else " (observed)") for day, name in fixed.items()
    }
    thanksgiving = _nth_weekday(year, 11, _THURSDAY, 4)
    result.update({
        _nth_weekday(year, 1, _MONDAY, 3): "Martin Luther King Jr. Day",
        _nth_weekday(year, 2, _MONDAY, 3): "Presidents' Day",
        # LA observes Cesar Chavez Day on the last Monday of March, not on 31 March.
        _last_weekday(year, 3, _MONDAY): "Cesar Chavez Day",
        _last_weekday(year, 5, _MONDAY): "Memorial Day",
        _nth_weekday(year, 9, _MONDAY, 1): "Labor Day",
        _nth_weekday(year, 10, _MONDAY, 2): "Indigenous Peoples' Day",
        thanksgiving: "Thanksgiving Day",
        thanksgiving + _ONE_DAY: "Day after Thanksgiving",
    })
    return dict(sorted(result.items()))


@lru_cache(maxsize=64)
def _holiday_dates(year: int) -> frozenset[date]:
    return frozenset(la_holidays(year))


class BusinessCalendar:
    """Weekdays that are neither an LA holiday nor a configured closure (e.g. a LAHSA office day off)."""

    def __init__(self, extra_closures: Iterable[date] = ()) -> None:
        self._closures = frozenset(extra_closures)

    @property
    def extra_closures(self) -> frozenset[date]:
        return self._closures

    def holiday_name(self, d: date) -> str | None:
        """Why `d` is closed (holiday name or "Office closure"), or None if it is not a closure."""
        for year in (d.year, d.year + 1):
            if d in _holiday_dates(year):
                return la_holidays(year)[d]
        return "Office closure" if d in self._closures else None

    def is_business_day(self, d: date) -> bool:
        if d.weekday() >= 5 or d in self._closures:
            return False
        # The next year's list may hold 31 December (New Year's Day observed).
        return d not in _holiday_dates(d.year) and d not in _holiday_dates(d.year + 1)

    def next_business_day(self, d: date) -> date:
        """The first business day strictly after `d`."""
        d += _ONE_DAY
        while not self.is_business_day(d):
            d += _ONE_DAY
        return d

    def add_business_days(self, d: date, n: int) -> date:
        """The n-th business day after `d` (d itself never counts; n=0 returns d unchanged)."""
        if n < 0:
            raise ValueError("add_business_days counts forward only; n must be >= 0")
        for _ in range(n):
            d = self.next_business_day(d)
        return d

    def business_days_between(self, a: date, b: date) -> int:
        """Business days after `a` up to and including `b`; negative when b is before a."""
        if b < a:
            return -self.business_days_between(b, a)
        count, day = 0, a + _ONE_DAY
        while day <= b:
            if self.is_business_day(day):
                count += 1
            day += _ONE_DAY
        return count
