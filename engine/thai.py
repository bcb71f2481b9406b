"""Thai-language values: Thai digits, Buddhist-Era dates, Thai and English booleans."""

from __future__ import annotations

import datetime as dt
import re

BE_OFFSET = 543
THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
_TO_ARABIC = str.maketrans(THAI_DIGITS, "0123456789")
_TO_THAI = str.maketrans("0123456789", THAI_DIGITS)

MONTHS_TH = ("มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
             "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม")
MONTHS_TH_ABBR = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
                  "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")

_TRUE = frozenset({"true", "yes", "y", "1", "ใช่", "มี"})
_FALSE = frozenset({"false", "no", "n", "0", "ไม่ใช่", "ไม่มี"})
# Dates outside this span are typing slips (a year 0001, 1067 for 2567), not records; they
# would also overflow the calendar arithmetic of evaluation.
DATE_MIN, DATE_MAX = dt.date(1900, 1, 1), dt.date(2200, 12, 31)
_INT = re.compile(r"[+-]?(\d+|\d{1,3}(,\d{3})+)")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def to_arabic_digits(text: str) -> str:
    return text.translate(_TO_ARABIC)


def to_thai_digits(text: str) -> str:
    return text.translate(_TO_THAI)


def parse_date(text: str) -> dt.date:
    """Parse ``YYYY-MM-DD`` or ``D/M/YYYY``; a year of 2400 or more is Buddhist Era.

    Raises ``ValueError`` with a reason a person can act on.
    """
    s = to_arabic_digits(text.strip())
    m = _ISO.fullmatch(s)
    if m:
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    else:
        m = _DMY.fullmatch(s)
        if not m:
            raise ValueError("not a date; write YYYY-MM-DD or D/M/YYYY (a year of 2400 or more is Buddhist Era)")
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    if year >= 2400:
        year -= BE_OFFSET
    try:
        parsed = dt.date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"no such date ({exc})") from None
    return check_date_range(parsed)


def check_date_range(day: dt.date) -> dt.date:
    """``day`` if it lies in 1900–2200 CE (BE 2443–2743); else ``ValueError``."""
    if not DATE_MIN <= day <= DATE_MAX:
        raise ValueError(f"year {day.year} (BE {day.year + BE_OFFSET}) is outside {DATE_MIN.year}–{DATE_MAX.year} "
                         f"(BE {DATE_MIN.year + BE_OFFSET}–{DATE_MAX.year + BE_OFFSET}); check the year")
    return day


def parse_bool(text: str) -> bool:
    s = to_arabic_digits(text.strip()).lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ValueError("not a yes/no value; write true/false, yes/no, y/n, 1/0, ใช่/ไม่ใช่ or มี/ไม่มี")


def parse_int(text: str) -> int:
    """A whole number; commas only as thousands separators (``1,500``), so ``1,5`` is refused
    rather than read as 15."""
    s = to_arabic_digits(text.strip())
    if len(s) > 40:  # no count has 40 digits; int() of thousands of digits is slow
        raise ValueError("not a whole number: too many digits")
    if not _INT.fullmatch(s):
        if "," in s:
            raise ValueError("not a whole number: a comma may only separate thousands (1,500)")
        raise ValueError("not a whole number")
    return int(s.replace(",", ""))


def format_date(day: dt.date | None, lang: str = "th", thai_digits: bool = False) -> str:
    """A date for people: Thai ``15 มิ.ย. 2562`` (Buddhist Era) or English ISO ``2019-06-15``."""
    if day is None:
        return "-" if lang != "th" else "ไม่มี"
    if lang != "th":
        return day.isoformat()
    text = f"{day.day} {MONTHS_TH_ABBR[day.month - 1]} {day.year + BE_OFFSET}"
    return to_thai_digits(text) if thai_digits else text


def format_date_long(day: dt.date, thai_digits: bool = False) -> str:
    """``15 มิถุนายน 2562`` — the style of an official letter."""
    text = f"{day.day} {MONTHS_TH[day.month - 1]} {day.year + BE_OFFSET}"
    return to_thai_digits(text) if thai_digits else text
