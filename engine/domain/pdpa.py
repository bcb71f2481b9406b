"""Personal data the exchange format must not carry (Personal Data Protection Act B.E. 2562).

SPEC §2 makes ``applicant_id`` a *pseudonymous* applicant: the rules only need to tell one
applicant from another (1.4-repeat-applicant), never who the person is. A Thai citizen ID
(เลขประจำตัวประชาชน) identifies the person directly, so a value that is one — thirteen digits,
Arabic or Thai, alone or grouped as 1-2345-67890-12-3, whose check digit is right — is refused
where data enters (validate, import, the app's upload), and is never echoed whole.
"""

from __future__ import annotations

import re

from engine.domain.thai import to_arabic_digits

_GROUPED = re.compile(r"\d[- ]?\d{4}[- ]?\d{5}[- ]?\d{2}[- ]?\d")


def citizen_id_digits(text: str) -> str | None:
    """The 13 digits of ``text`` when it is written as a Thai citizen ID (any digits, with or
    without the usual dashes or spaces), else None. The check digit is not checked here."""
    value = to_arabic_digits(text.strip())
    if len(value) == 13 and value.isdigit():
        return value
    if 13 < len(value) <= 17 and _GROUPED.fullmatch(value):
        return re.sub(r"[- ]", "", value)
    return None


def check_digit_valid(digits: str) -> bool:
    """The Ministry of Interior's check: the 13th digit is (11 − Σ dᵢ × (14 − i) mod 11) mod 10
    over the first twelve (i = 1 … 12)."""
    total = sum(int(d) * (13 - i) for i, d in enumerate(digits[:12]))
    return (11 - total % 11) % 10 == int(digits[12])


def is_citizen_id(text: str) -> bool:
    """Whether ``text`` is a Thai citizen ID with a valid check digit."""
    digits = citizen_id_digits(text)
    return digits is not None and check_digit_valid(digits)


def masked(text: str) -> str:
    """What a message may show of a value that is personal data: its last three characters."""
    return "•" * max(0, len(text) - 3) + text[-3:]


class PersonalDataError(ValueError):
    """A cell holds personal data the format forbids; ``shown`` is what a message may quote of it."""

    def __init__(self, reason: str, shown: str) -> None:
        super().__init__(reason)
        self.shown = shown


CITIZEN_ID_REASON = (
    "เป็นเลขประจำตัวประชาชน 13 หลัก (เลขตรวจสอบถูกต้อง) ซึ่งระบุตัวผู้ยื่นคำขอได้ แต่ applicant_id ต้องเป็นรหัสแฝง "
    "(ตามรูปแบบข้อมูล และ พ.ร.บ.คุ้มครองข้อมูลส่วนบุคคล พ.ศ. 2562): แปลงเป็นรหัสแฝงก่อน เช่น รหัสที่หน่วยงานกำหนดเอง "
    "หรือค่าแฮชที่มีกุญแจลับของหน่วยงาน โดยผู้ยื่นคำขอคนเดียวกันต้องได้รหัสเดียวกัน แล้วนำเข้าใหม่ ไม่มีข้อมูลใดถูกบันทึก / "
    "a 13-digit Thai citizen ID (its check digit is valid), which identifies the applicant, but applicant_id must be "
    "a pseudonym (the exchange format; PDPA B.E. 2562): pseudonymize it first — a code the agency assigns, or a keyed "
    "hash under the agency's own secret, the same for the same applicant — and upload again; nothing was stored")


def check_applicant_id(text: str) -> str:
    """``text`` when it may be stored as a pseudonymous applicant id; ``PersonalDataError`` when
    it is a citizen ID (the message shows only its last three characters)."""
    digits = citizen_id_digits(text)
    if digits is not None and check_digit_valid(digits):
        raise PersonalDataError(CITIZEN_ID_REASON, masked(digits))
    return text
