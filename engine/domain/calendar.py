"""Day counting for the rule catalogue: calendar days, government working days, years.

SPEC §3 "Time": a *government day off* is a Saturday, a Sunday, or a date of the government
calendar — the ``holidays`` library's Thailand ``public`` and ``government`` categories,
less National Labour Day (government offices work on it) and any day the library gives in
lieu of it, plus and less the dated entries of ``kb/calendar.yaml`` and any entries given at
run time (an administrator's record of a cabinet-declared day off). A *working day* is any
other day.

*Checked years*: the Buddhist-Era years whose days off were checked against the cabinet's
announcements (``kb/calendar.yaml``). A calendar remembers the years its counts went through
(``years_counted``), so that a run can warn about those not checked: a day off may be
missing there, and a flag may shift by a day.
"""

from __future__ import annotations

import bisect
import datetime as dt
import importlib.util
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import holidays

CATEGORIES = ("public", "government")
# The names ``holidays`` gives National Labour Day and its substitute day (en_US, th): a public
# holiday for employees under the Labour Protection Act, but not a day off for government offices.
LABOUR_DAY_EN = "National Labor Day"
LABOUR_DAY_NAMES = frozenset({LABOUR_DAY_EN, f"{LABOUR_DAY_EN} (in lieu)", "วันแรงงานแห่งชาติ",
                              "ชดเชยวันแรงงานแห่งชาติ"})


def thai_holidays(language: str) -> holidays.HolidayBase:
    """``holidays.country_holidays("TH", categories=CATEGORIES, language=language)``, without
    the library's 278 other countries: importing its ``holidays.countries`` package imports
    them all (0.07 s of every command), so the Thai module is loaded from its own file, once,
    as a private copy (the library's own import of it, if any, stays its own). Where the
    library is laid out otherwise, its own way (a test holds the two to the same days)."""
    thailand = _thailand()
    if thailand is None:
        return holidays.country_holidays("TH", categories=CATEGORIES, language=language)
    return thailand(categories=CATEGORIES, language=language)


def _thailand() -> type | None:
    global _THAILAND
    with _THAILAND_LOCK:  # the app builds calendars from several threads
        if _THAILAND is False:
            _THAILAND = None
            path = Path(holidays.__file__).parent / "countries" / "thailand.py"
            spec = importlib.util.spec_from_file_location("_discretion_review_thai_holidays", path)
            if path.is_file() and spec is not None and spec.loader is not None:
                module = importlib.util.module_from_spec(spec)
                try:
                    spec.loader.exec_module(module)
                    _THAILAND = getattr(module, "Thailand", None)
                except Exception:  # noqa: BLE001  (a library laid out otherwise: its own way)
                    _THAILAND = None
        return _THAILAND


_THAILAND: Any = False  # not loaded yet
_THAILAND_LOCK = threading.Lock()


BANGKOK = ZoneInfo("Asia/Bangkok")


def today() -> dt.date:
    """Today in Thailand (Asia/Bangkok), whatever the server's time zone: the default as_of."""
    return dt.datetime.now(BANGKOK).date()


def bangkok_time(stored: dt.datetime) -> dt.datetime:
    """A stored time (UTC, without a zone, as the store keeps every time) as Thailand's wall-clock
    time, without a zone: what a spreadsheet cell shows a Thai reader."""
    if stored.tzinfo is None:
        stored = stored.replace(tzinfo=dt.timezone.utc)
    return stored.astimezone(BANGKOK).replace(tzinfo=None)


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


def fiscal_year(day: dt.date) -> int:
    """The Thai fiscal year of a date (1 October – 30 September), in the Buddhist Era of its end."""
    return day.year + 543 + (1 if day.month >= 10 else 0)


@dataclass(frozen=True)
class CalendarEntry:
    """One dated correction of the government calendar: ``add`` a day off or ``remove`` one."""

    date: dt.date
    kind: Literal["add", "remove"]
    name_th: str
    name_en: str
    source: str


class GovernmentCalendar:
    """Government days off and working days, with SPEC §3 ``elapsed`` and ``deadline``."""

    def __init__(self, entries: Iterable[CalendarEntry] = (), checked: Iterable[int] = ()):
        """``checked``: the Buddhist-Era years whose days off were checked (the others are counted
        all the same, and remembered in ``years_counted``)."""
        self.checked = frozenset(checked)
        self.years_counted: set[int] = set()  # Buddhist-Era years counts went through
        self.entries: dict[dt.date, CalendarEntry] = {}
        for e in entries:  # a later entry for the same date wins (run-time entries come last)
            self.entries[e.date] = e
        self._en = thai_holidays("en_US")
        self._th_names: holidays.HolidayBase | None = None  # Thai names: only for showing a holiday
        self._off: dict[int, bool] = {}
        self._origin: int | None = None
        self._counts: list[int] = []  # _counts[i] = working days in (origin, origin + i]
        self._deadlines: dict[tuple[dt.date, int, str], dt.date] = {}  # a dataset repeats a few thousand

    def _library_names(self, day: dt.date) -> list[str]:
        names = self._en.get(day)
        return [n for n in names.split("; ") if n not in LABOUR_DAY_NAMES] if names else []

    def is_day_off(self, day: dt.date) -> bool:
        o = day.toordinal()
        off = self._off.get(o)
        if off is None:
            entry = self.entries.get(day)
            if day.weekday() >= 5:
                off = True
            elif entry is not None:
                off = entry.kind == "add"
            else:
                off = bool(self._library_names(day))
            self._off[o] = off
        return off

    def is_working_day(self, day: dt.date) -> bool:
        return not self.is_day_off(day)

    def holiday_name(self, day: dt.date, lang: str = "en") -> str | None:
        """The government calendar's name for the date (a holiday may fall on a weekend), or None."""
        entry = self.entries.get(day)
        if entry is not None:
            return (entry.name_th if lang == "th" else entry.name_en) if entry.kind == "add" else None
        if not self._library_names(day):
            return None
        if lang != "th":
            return "; ".join(self._library_names(day))
        if self._th_names is None:
            self._th_names = thai_holidays("th")
        return "; ".join(n for n in (self._th_names.get(day) or "").split("; ") if n not in LABOUR_DAY_NAMES)

    # -- cumulative working-day counts, so that each count is two look-ups ----------------
    def _cover(self, lo: int, hi: int) -> None:
        if self._origin is None:
            self._origin = lo - 1
            self._counts = [0]
        if lo <= self._origin:
            new_origin = lo - 366
            prefix = [0]
            for o in range(new_origin + 1, self._origin + 1):
                prefix.append(prefix[-1] + (not self.is_day_off(dt.date.fromordinal(o))))
            shift = prefix[-1]
            self._counts = prefix + [c + shift for c in self._counts[1:]]
            self._origin = new_origin
        last = self._origin + len(self._counts) - 1
        if hi > last:
            counts = self._counts
            for o in range(last + 1, max(hi, last + 366) + 1):
                counts.append(counts[-1] + (not self.is_day_off(dt.date.fromordinal(o))))

    def working_days(self, a: dt.date, b: dt.date) -> int:
        """Working days d with a < d ≤ b (negative when b < a)."""
        oa, ob = a.toordinal(), b.toordinal()
        self._cover(min(oa, ob), max(oa, ob))
        return self._counts[ob - self._origin] - self._counts[oa - self._origin]

    def nth_working_day_after(self, a: dt.date, n: int) -> dt.date:
        """The n-th working day after ``a`` (n ≥ 1)."""
        oa = a.toordinal()
        self._cover(oa, oa + 2 * n + 30)
        base = self._counts[oa - self._origin]
        while self._counts[-1] < base + n:
            self._cover(oa, self._origin + len(self._counts) + 366)
        i = bisect.bisect_left(self._counts, base + n, lo=oa - self._origin)
        return dt.date.fromordinal(self._origin + i)

    def next_working_day(self, day: dt.date) -> dt.date:
        """``day`` itself when it is a working day, else the first working day after it."""
        while self.is_day_off(day):
            day += dt.timedelta(days=1)
        return day

    def elapsed(self, a: dt.date, b: dt.date, basis: str) -> int:
        """SPEC §3 ``elapsed(a, b, basis)``."""
        if basis == "calendar":
            return days(a, b)
        self._counted(min(a, b), max(a, b))
        return self.working_days(a, b)

    def _counted(self, first: dt.date, last: dt.date) -> None:
        self.years_counted.update(range(first.year + 543, last.year + 544))

    def unchecked(self, years: Iterable[int]) -> list[int]:
        """Of ``years`` (Buddhist Era), those whose days off nobody checked, in order."""
        return sorted(set(years) - self.checked)

    def deadline(self, a: dt.date, n: int, basis: str) -> dt.date:
        """SPEC §3 ``deadline(a, n, basis)``: the last day of a period of n days after ``a``.

        working: the n-th working day after a; calendar: a + n days, moved forward to the
        next working day when that is a day off (Administrative Procedure Act s.64).
        A period of 0 days ends on ``a``, moved forward to a working day likewise.
        """
        key = (a, n, basis)
        out = self._deadlines.get(key)
        if out is None:
            if basis == "working" and n > 0:
                out = self.nth_working_day_after(a, n)
                self._counted(a, out)
            else:
                end = a + dt.timedelta(days=n)
                out = self.next_working_day(end)
                self._counted(end, out)
            self._deadlines[key] = out
        return out
