"""bot.calendar: LA holidays (dates worked out by hand below) and business-day arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.calendar import BusinessCalendar, la_date, la_holidays

D = date

HOLIDAYS_2026 = {
    D(2026, 1, 1): "New Year's Day",  # Thursday
    D(2026, 1, 19): "Martin Luther King Jr. Day",  # 3rd Monday of January
    D(2026, 2, 16): "Presidents' Day",  # 3rd Monday of February
    D(2026, 3, 30): "Cesar Chavez Day",  # last Monday of March (31 March is a Tuesday)
    D(2026, 5, 25): "Memorial Day",
    D(2026, 6, 19): "Juneteenth",  # Friday
    D(2026, 7, 3): "Independence Day (observed)",  # 4 July is a Saturday
    D(2026, 9, 7): "Labor Day",
    D(2026, 10, 12): "Indigenous Peoples' Day",
    D(2026, 11, 11): "Veterans Day",  # Wednesday
    D(2026, 11, 26): "Thanksgiving Day",
    D(2026, 11, 27): "Day after Thanksgiving",
    D(2026, 12, 25): "Christmas Day",  # Friday
}
HOLIDAYS_2027 = {
    D(2027, 1, 1): "New Year's Day",  # Friday
    D(2027, 1, 18): "Martin Luther King Jr. Day",
    D(2027, 2, 15): "Presidents' Day",
    D(2027, 3, 29): "Cesar Chavez Day",
    D(2027, 5, 31): "Memorial Day",
    D(2027, 6, 18): "Juneteenth (observed)",  # 19 June is a Saturday
    D(2027, 7, 5): "Independence Day (observed)",  # 4 July is a Sunday
    D(2027, 9, 6): "Labor Day",
    D(2027, 10, 11): "Indigenous Peoples' Day",
    D(2027, 11, 11): "Veterans Day",  # Thursday
    D(2027, 11, 25): "Thanksgiving Day",
    D(2027, 11, 26): "Day after Thanksgiving",
    D(2027, 12, 24): "Christmas Day (observed)",  # 25 December is a Saturday
}
# 1 January 2028 is a Saturday: New Year's Day 2028 is observed on Friday 31 December 2027.
NEW_YEAR_2028_OBSERVED = D(2027, 12, 31)


@pytest.mark.parametrize(("year", "expected"), [(2026, HOLIDAYS_2026), (2027, HOLIDAYS_2027)])
def test_la_holidays_exact(year: int, expected: dict[date, str]) -> None:
    assert la_holidays(year) == expected


def test_new_year_on_saturday_is_observed_the_friday_before() -> None:
    assert la_holidays(2028)[NEW_YEAR_2028_OBSERVED] == "New Year's Day (observed)"
    cal = BusinessCalendar()
    assert cal.is_business_day(NEW_YEAR_2028_OBSERVED) is False
    assert cal.holiday_name(NEW_YEAR_2028_OBSERVED) == "New Year's Day (observed)"


@pytest.mark.parametrize("day", [*HOLIDAYS_2026, *HOLIDAYS_2027, NEW_YEAR_2028_OBSERVED])
def test_every_holiday_is_not_a_business_day(day: date) -> None:
    assert day.weekday() < 5  # observed dates always fall on weekdays
    assert BusinessCalendar().is_business_day(day) is False


@pytest.mark.parametrize("day", [
    D(2028, 2, 15),  # Susan B. Anthony Day, a Tuesday in 2028: not an LA holiday
    D(2026, 3, 31),  # the statutory Cesar Chavez date: LA observes the last Monday instead
    D(2027, 3, 31),
    D(2026, 11, 12), D(2026, 12, 24), D(2026, 12, 31), D(2026, 7, 6), D(2027, 6, 17),
])
def test_ordinary_days_are_business_days(day: date) -> None:
    assert BusinessCalendar().is_business_day(day) is True
    assert BusinessCalendar().holiday_name(day) is None


def test_susan_b_anthony_day_is_never_listed() -> None:
    for year in range(2024, 2032):
        assert "Susan" not in " ".join(la_holidays(year).values())
        # 31 March is Cesar Chavez Day only in years where it is the last Monday (2025, 2031).
        assert (D(year, 3, 31) in la_holidays(year)) is (D(year, 3, 31).weekday() == 0)


def test_weekends_are_not_business_days() -> None:
    cal = BusinessCalendar()
    assert cal.is_business_day(D(2026, 12, 5)) is False  # Saturday
    assert cal.is_business_day(D(2026, 12, 6)) is False  # Sunday
    assert cal.is_business_day(D(2026, 12, 7)) is True  # Monday


@pytest.mark.parametrize(("start", "n", "expected"), [
    (D(2026, 12, 1), 3, D(2026, 12, 4)),  # Tue -> Fri, no holiday
    (D(2026, 12, 3), 3, D(2026, 12, 8)),  # Thu -> Tue across a weekend
    (D(2026, 11, 24), 3, D(2026, 12, 1)),  # Tue: Wed 25, (Thanksgiving, Fri off, weekend), Mon 30, Tue 1
    (D(2026, 11, 25), 1, D(2026, 11, 30)),  # Wed -> Mon over Thanksgiving and the day after
    (D(2026, 11, 26), 3, D(2026, 12, 2)),  # ready on the holiday itself
    (D(2026, 12, 5), 3, D(2026, 12, 9)),  # ready on a Saturday
    (D(2026, 12, 23), 3, D(2026, 12, 29)),  # across Christmas
    (D(2027, 12, 23), 5, D(2028, 1, 3)),  # 24 and 31 Dec 2027 are both observed holidays
    (D(2026, 7, 2), 1, D(2026, 7, 6)),  # 3 July observed
    (D(2026, 3, 27), 1, D(2026, 3, 31)),  # Fri -> Tue over Cesar Chavez Day
    (D(2026, 12, 1), 0, D(2026, 12, 1)),
])
def test_add_business_days(start: date, n: int, expected: date) -> None:
    assert BusinessCalendar().add_business_days(start, n) == expected


def test_add_business_days_skips_a_configured_closure() -> None:
    closure = D(2026, 12, 3)  # a Thursday, e.g. an all-staff day
    cal = BusinessCalendar(extra_closures=[closure])
    assert cal.is_business_day(closure) is False
    assert cal.holiday_name(closure) == "Office closure"
    assert cal.add_business_days(D(2026, 12, 1), 3) == D(2026, 12, 7)
    assert BusinessCalendar().add_business_days(D(2026, 12, 1), 3) == D(2026, 12, 4)
    assert cal.extra_closures == {closure}


def test_add_business_days_rejects_negative() -> None:
    with pytest.raises(ValueError):
        BusinessCalendar().add_business_days(D(2026, 12, 1), -1)


@pytest.mark.parametrize(("start", "expected"), [
    (D(2026, 11, 25), D(2026, 11, 30)),
    (D(2026, 12, 4), D(2026, 12, 7)),
    (D(2026, 12, 7), D(2026, 12, 8)),
    (D(2027, 12, 30), D(2028, 1, 3)),
])
def test_next_business_day(start: date, expected: date) -> None:
    assert BusinessCalendar().next_business_day(start) == expected


@pytest.mark.parametrize(("a", "b", "expected"), [
    (D(2026, 12, 1), D(2026, 12, 1), 0),
    (D(2026, 12, 1), D(2026, 12, 4), 3),
    (D(2026, 11, 24), D(2026, 11, 30), 2),  # Wed 25 and Mon 30
    (D(2026, 12, 4), D(2026, 12, 7), 1),  # Fri -> Mon
    (D(2026, 12, 7), D(2026, 12, 4), -1),
    (D(2026, 1, 1), D(2026, 12, 31), 260 - 12),  # 260 weekdays after 1 Jan, 12 more holidays among them
])
def test_business_days_between(a: date, b: date, expected: int) -> None:
    assert BusinessCalendar().business_days_between(a, b) == expected


def test_business_days_between_inverts_add_business_days() -> None:
    cal = BusinessCalendar(extra_closures=[D(2026, 11, 30)])
    start = D(2026, 11, 20)
    for n in range(1, 30):
        assert cal.business_days_between(start, cal.add_business_days(start, n)) == n


def test_la_date_uses_los_angeles_time() -> None:
    # 05:30 UTC on 2 December is still 1 December in Los Angeles (PST, UTC-8).
    assert la_date(datetime(2026, 12, 2, 5, 30, tzinfo=UTC)) == D(2026, 12, 1)
    assert la_date(datetime(2026, 7, 2, 7, 30, tzinfo=UTC)) == D(2026, 7, 2)  # PDT, UTC-7
    with pytest.raises(ValueError):
        la_date(datetime(2026, 12, 2, 5, 30))
