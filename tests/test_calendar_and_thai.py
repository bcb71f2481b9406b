"""Day counting and Thai values."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.domain.calendar import CalendarEntry, add_years, fiscal_year, full_years_between
from engine.domain.thai import format_date, format_date_long, parse_bool, parse_date
from engine.kb.knowledge import default_calendar, government_calendar

D = dt.date


def test_working_days_skip_weekends_and_songkran_2567():
    assert not default_calendar().is_working_day(D(2024, 4, 15))  # Songkran
    assert default_calendar().holiday_name(D(2024, 4, 13), "th") == "วันสงกรานต์"
    assert default_calendar().elapsed(D(2024, 4, 5), D(2024, 4, 19), "working") == 6
    assert default_calendar().elapsed(D(2024, 4, 5), D(2024, 4, 19), "calendar") == 14
    assert default_calendar().elapsed(D(2024, 4, 19), D(2024, 4, 19), "working") == 0
    assert default_calendar().deadline(D(2024, 4, 5), 5, "working") == D(2024, 4, 18)
    assert default_calendar().deadline(D(2024, 4, 1), 10, "calendar") == D(2024, 4, 11)
    assert default_calendar().deadline(D(2024, 4, 2), 10, "calendar") == D(2024, 4, 17)  # 12 April is a day off: rolled forward


def test_deadline_rolls_over_a_weekend_and_the_friday_before_songkran_2568():
    # 7 working days from Tuesday 1 April 2025 end on Friday 11 April, the last day before Songkran
    assert default_calendar().deadline(D(2025, 4, 1), 7, "working") == D(2025, 4, 11)
    assert default_calendar().deadline(D(2025, 4, 2), 7, "working") == D(2025, 4, 17)  # 12–16 April: weekend and Songkran
    assert default_calendar().deadline(D(2024, 4, 13), 0, "calendar") == D(2024, 4, 17)
    assert default_calendar().deadline(D(2024, 3, 30), 0, "working") == D(2024, 4, 1)
    # a calendar period ending on a Saturday ends on Monday (Administrative Procedure Act s.64)
    assert default_calendar().deadline(D(2024, 3, 21), 30, "calendar") == D(2024, 4, 22)


def test_royal_ploughing_2568_is_a_day_off_and_labour_day_is_a_working_day():
    # holidays' `government` category has the Royal Ploughing Ceremony on Friday 9 May 2025, as the
    # Prime Minister's Office announcement of the 2568 government holidays has it: no kb entry needed.
    assert not default_calendar().is_working_day(D(2025, 5, 9))
    assert default_calendar().holiday_name(D(2025, 5, 9), "th") == "วันพืชมงคล"
    assert default_calendar().is_working_day(D(2025, 5, 1))  # National Labour Day: government offices work
    assert default_calendar().holiday_name(D(2025, 5, 1)) is None
    assert not default_calendar().is_working_day(D(2025, 6, 2)) and not default_calendar().is_working_day(D(2025, 8, 11))  # the cabinet's bridge days off
    assert default_calendar().elapsed(D(2025, 5, 2), D(2025, 5, 14), "working") == 5


def test_calendar_entries_add_and_remove_days_off_at_run_time():
    source = "มติคณะรัฐมนตรี (ทดสอบ)"
    extra = [CalendarEntry(D(2025, 5, 14), "add", "วันหยุดพิเศษ", "Special day off", source),
             CalendarEntry(D(2025, 5, 9), "remove", "ทำงาน", "Working", source)]
    cal = government_calendar(extra=extra)
    assert not cal.is_working_day(D(2025, 5, 14)) and cal.holiday_name(D(2025, 5, 14), "th") == "วันหยุดพิเศษ"
    assert cal.is_working_day(D(2025, 5, 9))
    assert cal.deadline(D(2025, 5, 12), 2, "working") == D(2025, 5, 15)
    assert default_calendar().is_working_day(D(2025, 5, 14))  # the default calendar is untouched


def test_fiscal_years_turn_on_1_october():
    assert fiscal_year(D(2025, 9, 30)) == 2568
    assert fiscal_year(D(2025, 10, 1)) == 2569


def test_working_day_index_grows_both_ways():
    assert default_calendar().elapsed(D(2030, 1, 1), D(2030, 1, 8), "working") == 5   # 2 Jan–8 Jan 2030, a weekend between
    assert default_calendar().elapsed(D(2015, 12, 31), D(2016, 1, 4), "working") == 1  # New Year's Day is a holiday


def test_calendar_years():
    assert add_years(D(2020, 2, 29), 1) == D(2021, 2, 28)
    assert add_years(D(2020, 2, 29), 4) == D(2024, 2, 29)
    assert full_years_between(D(2020, 4, 20), D(2024, 4, 19)) == 3
    assert full_years_between(D(2020, 4, 20), D(2024, 4, 20)) == 4
    assert full_years_between(D(2024, 5, 1), D(2024, 4, 20)) == -1


def test_dates_and_booleans():
    assert parse_date("๒๕๖๒-๐๖-๒๐") == D(2019, 6, 20)
    assert parse_date("20/6/2562") == D(2019, 6, 20)
    with pytest.raises(ValueError, match="not a date; write YYYY-MM-DD or D/M/YYYY"):
        parse_date("20 June 2019")
    assert parse_bool(" ไม่มี ") is False and parse_bool("YES") is True


def test_buddhist_era_formatting():
    assert format_date(D(2019, 6, 15)) == "15 มิ.ย. 2562"
    assert format_date(D(2019, 6, 15), thai_digits=True) == "๑๕ มิ.ย. ๒๕๖๒"
    assert format_date(D(2019, 6, 15), "en") == "2019-06-15"
    assert format_date_long(D(2019, 6, 20)) == "20 มิถุนายน 2562"


def test_thai_holidays_load_without_the_other_countries_and_are_the_librarys(tmp_path):
    """``calendar.thai_holidays`` loads the library's Thai module alone (its country package
    imports 279 modules); the days and names are the library's own, in English and Thai."""
    import json
    import subprocess
    import sys

    script = """
import json, sys, datetime as dt
from engine.domain.calendar import CATEGORIES, thai_holidays

def days(h):
    for year in range(2015, 2036):
        h.get(dt.date(year, 1, 1))  # the library works a year out when first asked about it
    return {d.isoformat(): name for d, name in sorted(h.items())}

mine = {lang: days(thai_holidays(lang)) for lang in ("en_US", "th")}
alone = "holidays.countries.afghanistan" not in sys.modules
import holidays
same = {lang: mine[lang] == days(holidays.country_holidays("TH", categories=CATEGORIES, language=lang)) for lang in mine}
print(json.dumps({"alone": alone, "same": same, "days": len(mine["en_US"]), "thai": mine["th"]["2025-05-12"]}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["alone"] and result["same"] == {"en_US": True, "th": True}, result
    assert result["days"] > 20 * 15 and "วิสาขบูชา" in result["thai"]  # two decades, Thai names


def test_thai_holidays_asked_from_two_threads_at_once_are_whole_in_both(tmp_path):
    """The app builds calendars from several threads: one waiting for the other's loading of
    the Thai module gets the module whole, never a half-loaded one (or the library's refusal)."""
    import json
    import subprocess
    import sys

    script = """
import importlib.util, json, threading, time, datetime as dt
real = importlib.util.module_from_spec

def slow(spec):  # the Thai module takes a while to load: the other thread asks meanwhile
    module = real(spec)
    loader_exec = spec.loader.exec_module
    spec.loader.exec_module = lambda m: (time.sleep(0.3), loader_exec(m))
    return module

importlib.util.module_from_spec = slow
from engine.domain.calendar import thai_holidays
got, errors = [], []

def ask():
    try:
        h = thai_holidays("en_US")
        got.append(h.get(dt.date(2025, 5, 12)))
    except Exception as exc:
        errors.append(repr(exc))

threads = [threading.Thread(target=ask) for _ in range(2)]
for t in threads:
    t.start()
    time.sleep(0.05)
for t in threads:
    t.join()
print(json.dumps({"got": got, "errors": errors}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["errors"] == [] and len(result["got"]) == 2 and len(set(result["got"])) == 1, result
    assert "Visakha" in result["got"][0]
