"""The demo's own day counting, for its truth file (SPEC §3 "Time").

Written apart from ``engine/domain/calendar.py`` on purpose: the truth file is a second reading
of the SPEC, so agreement between the engine and it means something. A *government day off* is a
Saturday, a Sunday, or a date of the ``holidays`` library's Thailand ``public`` and
``government`` categories — less National Labour Day and the day the library gives in lieu of
it (government offices work on both) — plus and less the dated entries of ``kb/calendar.yaml``.
A *working day* is any other day.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import holidays
import yaml

from engine.kb.resources import data_dir

# the library's (en_US) names of National Labour Day and of its day in lieu: working days
LABOUR_DAY_NAMES = frozenset({"National Labor Day", "National Labor Day (in lieu)"})


def days(a: dt.date, b: dt.date) -> int:
    """b − a in calendar days."""
    return (b - a).days


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` calendar years later (or earlier); 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def fiscal_year(day: dt.date) -> int:
    """1 October to 30 September, named by the Buddhist-Era year in which it ends."""
    return day.year + 543 + (day.month >= 10)


class DemoCalendar:
    """Government days off and the SPEC's ``deadline(a, n, basis)``."""

    def __init__(self, entries: dict[dt.date, bool] | None = None):
        self.entries = dict(entries or {})  # date -> True: a day off (add), False: a working day (remove)
        self._library = holidays.country_holidays("TH", categories=("public", "government"), language="en_US")
        self._off: dict[dt.date, bool] = {}
        self._deadlines: dict[tuple[dt.date, int, str], dt.date] = {}

    @classmethod
    def from_kb(cls, folder: Path | None = None) -> DemoCalendar:
        """The calendar with the ``entries`` of ``kb/calendar.yaml`` (``kind``: add or remove)."""
        doc = yaml.safe_load(((folder or data_dir("kb")) / "calendar.yaml").read_text(encoding="utf-8")) or {}
        entries: dict[dt.date, bool] = {}
        for e in doc.get("entries") or []:
            day = e["date"] if isinstance(e["date"], dt.date) else dt.date.fromisoformat(str(e["date"]))
            entries[day] = e["kind"] == "add"
        return cls(entries)

    def library_names(self, day: dt.date) -> list[str]:
        """The library's names for the date that make it a day off (Labour Day's are left out)."""
        names = self._library.get(day)
        return [n for n in names.split("; ") if n not in LABOUR_DAY_NAMES] if names else []

    def is_day_off(self, day: dt.date) -> bool:
        off = self._off.get(day)
        if off is None:
            if day.weekday() >= 5:
                off = True
            elif day in self.entries:
                off = self.entries[day]
            else:
                off = bool(self.library_names(day))
            self._off[day] = off
        return off

    def next_working_day(self, day: dt.date) -> dt.date:
        """The day itself when it is a working day, else the first working day after it."""
        while self.is_day_off(day):
            day += dt.timedelta(days=1)
        return day

    def working_days_after(self, a: dt.date, n: int) -> dt.date:
        """The n-th working day after ``a`` (n ≥ 1)."""
        day = a
        while n > 0:
            day += dt.timedelta(days=1)
            if not self.is_day_off(day):
                n -= 1
        return day

    def deadline(self, a: dt.date, n: int, basis: str) -> dt.date:
        """The last day of a period of n days that starts after ``a``: working → the n-th working
        day after a; calendar → a + n days, moved forward to the next working day when that is a
        day off (Administrative Procedure Act s.64)."""
        key = (a, n, basis)
        out = self._deadlines.get(key)
        if out is None:
            if basis == "working" and n > 0:
                out = self.working_days_after(a, n)
            else:
                out = self.next_working_day(a + dt.timedelta(days=n))
            self._deadlines[key] = out
        return out

    def labour_days(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """Weekdays from ``first`` to ``last`` that the library gives only as National Labour Day
        or its day in lieu: working days that a reader who forgot the exception would skip."""
        out = []
        for year in range(first.year, last.year + 1):
            found = holidays.country_holidays("TH", categories=("public", "government"), language="en_US", years=year)
            for day, names in sorted(found.items()):
                if (first <= day <= last and set(names.split("; ")) <= LABOUR_DAY_NAMES
                        and not self.is_day_off(day)):
                    out.append(day)
        return out


@lru_cache(maxsize=1)
def demo_calendar() -> DemoCalendar:
    """The installed knowledge base's calendar (one per process: it caches what it counted)."""
    return DemoCalendar.from_kb()


def today() -> dt.date:
    """Today in Thailand (Asia/Bangkok), whatever the server's zone: the demo's default as_of
    (written here, not taken from the engine's calendar, which the demo's truth must not use)."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo("Asia/Bangkok")).date()
