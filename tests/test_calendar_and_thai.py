"""Day counting and Thai values."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.calendar import add_years, elapsed, first_day_over, full_years_between, holiday_name, is_working_day
from engine.thai import format_date, format_date_long, parse_bool, parse_date

D = dt.date


def test_working_days_skip_weekends_and_songkran_2567():
    assert not is_working_day(D(2024, 4, 15))  # Songkran
    assert holiday_name(D(2024, 4, 13), "th") == "วันสงกรานต์"
    assert elapsed(D(2024, 4, 5), D(2024, 4, 19), "working") == 6
    assert elapsed(D(2024, 4, 5), D(2024, 4, 19), "calendar") == 14
    assert elapsed(D(2024, 4, 19), D(2024, 4, 19), "working") == 0
    assert first_day_over(D(2024, 4, 5), 5, "working") == D(2024, 4, 19)
    assert first_day_over(D(2024, 4, 1), 10, "calendar") == D(2024, 4, 12)


def test_working_day_index_grows_both_ways():
    assert elapsed(D(2030, 1, 1), D(2030, 1, 8), "working") == 5   # 2 Jan–8 Jan 2030, a weekend between
    assert elapsed(D(2015, 12, 31), D(2016, 1, 4), "working") == 1  # New Year's Day is a holiday


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
