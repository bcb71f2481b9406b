"""Day counting for the rule catalogue: calendar days, Thai working days, calendar years."""

from __future__ import annotations

import bisect
import datetime as dt
from functools import lru_cache

import holidays


def days(a: dt.date, b: dt.date) -> int:
    """``b − a`` in calendar days (SPEC §3 ``days(a, b)``)."""
    return b.toordinal() - a.toordinal()


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` calendar years later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def full_years_between(start: dt.date, end: dt.date) -> int:
    """The largest n ≥ 0 with ``add_years(start, n) <= end`` (−1 when start is after end)."""
    if start > end:
        return -1
    n = end.year - start.year
    while n > 0 and add_years(start, n) > end:
        n -= 1
    return n


@lru_cache(maxsize=1)
def _thai_holidays() -> holidays.HolidayBase:
    return holidays.country_holidays("TH")


def is_working_day(day: dt.date) -> bool:
    """Monday–Friday and not a Thai public holiday (``holidays``, country TH)."""
    return day.weekday() < 5 and day not in _thai_holidays()


def holiday_name(day: dt.date, lang: str = "en") -> str | None:
    name = _thai_holidays().get(day)
    if name is None or lang != "th":
        return name
    return holidays.country_holidays("TH", years=day.year, language="th").get(day)


class WorkingDayIndex:
    """Cumulative working-day counts so that each elapsed count is two look-ups.

    ``count[i]`` is the number of working days in ``(origin, origin + i]``.
    The index grows on demand to cover any date asked for.
    """

    def __init__(self) -> None:
        self._origin: int | None = None
        self._counts: list[int] = []

    def _cover(self, lo: int, hi: int) -> None:
        if self._origin is None:
            self._origin = lo - 1
            self._counts = [0]
        if lo <= self._origin:
            new_origin = lo - 366
            prefix = [0]
            for o in range(new_origin + 1, self._origin + 1):
                prefix.append(prefix[-1] + is_working_day(dt.date.fromordinal(o)))
            shift = prefix[-1]
            self._counts = prefix + [c + shift for c in self._counts[1:]]
            self._origin = new_origin
        last = self._origin + len(self._counts) - 1
        if hi > last:
            end = max(hi, last + 366)
            counts = self._counts
            for o in range(last + 1, end + 1):
                counts.append(counts[-1] + is_working_day(dt.date.fromordinal(o)))

    def elapsed(self, a: dt.date, b: dt.date) -> int:
        """Working days d with a < d ≤ b (negative when b < a)."""
        oa, ob = a.toordinal(), b.toordinal()
        self._cover(min(oa, ob), max(oa, ob))
        return self._counts[ob - self._origin] - self._counts[oa - self._origin]

    def nth_after(self, a: dt.date, n: int) -> dt.date:
        """The n-th working day after ``a`` (n ≥ 1)."""
        oa = a.toordinal()
        self._cover(oa, oa + 2 * n + 30)
        base = self._counts[oa - self._origin]
        while self._counts[-1] < base + n:
            self._cover(oa, self._origin + len(self._counts) + 366)
        i = bisect.bisect_left(self._counts, base + n, lo=oa - self._origin)
        return dt.date.fromordinal(self._origin + i)


_INDEX = WorkingDayIndex()


def elapsed(a: dt.date, b: dt.date, basis: str) -> int:
    """SPEC §3 ``elapsed(a, b, basis)``."""
    if basis == "calendar":
        return days(a, b)
    return _INDEX.elapsed(a, b)


def first_day_over(received: dt.date, limit: int, basis: str) -> dt.date:
    """The first day d on which ``elapsed(received, d, basis) > limit``."""
    if basis == "calendar":
        return dt.date.fromordinal(received.toordinal() + limit + 1)
    return _INDEX.nth_after(received, limit + 1)
