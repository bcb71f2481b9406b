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


# --- words and numerals in running text (print layout) ---

# A URL or e-mail address, or a code with Latin letters and digits (ITA item O48, ids such as kk-land2):
# their digits are never changed.
_VERBATIM = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+\.[\w.-]+|\b(?=[\w-]*[A-Za-z])(?=[\w-]*\d)[\w-]+")
_THAI_LETTER = re.compile(r"[\u0e01-\u0e4e]")
_NO_BREAK_BEFORE = frozenset("\u0e2f\u0e46")  # ฯ and ๆ belong to the word before them


def with_digits(text: str, thai: bool) -> str:
    """Running text in one numeral convention: Thai digits (``thai=True``, as official letters use) or
    Arabic digits; URLs, e-mail addresses and codes with Latin letters (O48) keep theirs."""
    convert = to_thai_digits if thai else to_arabic_digits
    out, last = [], 0
    for m in _VERBATIM.finditer(text):
        out.append(convert(text[last:m.start()]))
        out.append(m.group())
        last = m.end()
    out.append(convert(text[last:]))
    return "".join(out)


def _pythainlp_offline() -> None:
    """PyThaiNLP's ``newmm`` engine reads the dictionary bundled in the package; these switches make
    sure it neither downloads anything nor creates ~/pythainlp-data (read-only homes, servers)."""
    import os

    os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
    os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")


def thai_words(text: str, engine: str = "newmm") -> list[str]:
    """``text`` cut into words by PyThaiNLP's dictionary-based segmenter (``newmm`` by default); joined
    they give ``text`` back."""
    if not _THAI_LETTER.search(text):
        return [text] if text else []
    _pythainlp_offline()
    from pythainlp.tokenize import word_tokenize

    return word_tokenize(text, engine=engine, keep_whitespace=True)


def _boundaries(words: list[str]) -> set[int]:
    out, pos = set(), 0
    for word in words[:-1]:
        pos += len(word)
        out.add(pos)
    return out


def word_break_offsets(text: str) -> set[int]:
    """Offsets in ``text`` where a line may break: after whitespace, and between two Thai words
    (a word boundary with a Thai letter or mark on both sides; never before ฯ or ๆ).

    A boundary counts only where two segmenters agree (``newmm`` and ``longest`` matching): where the
    dictionary allows two readings ("จังหวัดขอน|แก่นเรื่อง" and "จังหวัดขอนแก่น|เรื่อง") neither breaks,
    so a proper noun is not torn apart by a wrong guess; the cost is a slightly less even right edge."""
    offsets = _boundaries(thai_words(text)) & _boundaries(thai_words(text, "longest"))
    keep = {p for p in offsets if text[p - 1].isspace() or (
        _THAI_LETTER.match(text[p - 1]) and _THAI_LETTER.match(text[p]) and text[p] not in _NO_BREAK_BEFORE)}
    keep.update(m.end() for m in re.finditer(r"\s+", text) if m.end() < len(text))
    return keep


def format_datetime(value: dt.datetime | None, lang: str = "th", thai_digits: bool = False) -> str:
    """A stored (UTC) time as Thailand's local time: ``26 พ.ย. 2569 10:15 น.`` or ``2026-11-26 10:15``."""
    if value is None:
        return format_date(None, lang)
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    local = value + dt.timedelta(hours=7)  # Thailand is UTC+7 all year
    if lang != "th":
        return f"{local:%Y-%m-%d %H:%M}"
    text = f"{format_date(local.date())} {local:%H:%M} น."
    return to_thai_digits(text) if thai_digits else text
