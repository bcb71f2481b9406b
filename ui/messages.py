"""Thai for the engine's English messages: action refusals from the store and the dataset
loader's problem reasons. The engine speaks English (the command line and logs); the app
shows each message in the reader's language. A message not known here is shown in Thai
words around its original text, so nothing a person needs is hidden."""

from __future__ import annotations

import re

from engine.store.review import ACTION_NAMES, STATUS_NAMES

_FIELDS_TH = {"reason": "เหตุผล", "corrective_action": "การแก้ไขที่ต้องทำ", "due_date": "กำหนดแล้วเสร็จ",
              "approver": "ผู้อนุมัติการผ่อนผัน", "expires_on": "วันที่สิ้นสุดการผ่อนผัน"}
_TABLES_TH = {"agencies": "หน่วยงาน", "processes": "กระบวนงาน", "officers": "เจ้าหน้าที่", "cases": "เรื่อง",
              "escalations": "การรายงานผู้บังคับบัญชา", "risk_analyses": "การวิเคราะห์ความเสี่ยง",
              "monitoring_reports": "รายงานการติดตาม", "acknowledgements": "การรับทราบมาตรการ"}


_UNITS_TH = {"days": "วัน", "years": "ปี", "decisions": "เรื่อง", "percent": "ร้อยละ"}


def _action(name: str) -> str:
    return ACTION_NAMES.get(name, (name, name))[0]


def _status(name: str) -> str:
    return STATUS_NAMES.get(name, (name, name))[0]


def _fields(names: str) -> str:
    return ", ".join(_FIELDS_TH.get(n.strip(), n.strip()) for n in names.split(","))


def _did_you_mean(rest: str) -> str:
    m = re.search(r"\(did you mean '([^']*)'\?\)", rest or "")
    return f" (หรือหมายถึง '{m[1]}')" if m else ""


# (pattern, Thai) — the Thai is a format string over the match's named groups, or a function of the match
_RULES: list[tuple[re.Pattern[str], object]] = [(re.compile(p, re.S), th) for p, th in [
    # the review workflow (engine/store/review.py)
    (r"(?P<a>\w+) needs (?P<f>[\w, ]+)$", lambda m: f"{_action(m['a'])}: ต้องกรอก{_fields(m['f'])}"),
    (r"a (?P<s>\w+) flag cannot be (?P<t>\w+) \(action (?P<a>\w+)\)$",
     lambda m: f"ข้อสังเกตสถานะ \"{_status(m['s'])}\" ดำเนินการ \"{_action(m['a'])}\" ไม่ได้"),
    (r"a waiver expires after today", "วันที่สิ้นสุดการผ่อนผันต้องอยู่หลังวันนี้"),
    (r"the due date of a corrective action is today or later", "กำหนดแล้วเสร็จของการแก้ไขต้องเป็นวันนี้หรือหลังจากนี้"),
    (r"unknown action", "ไม่รู้จักการดำเนินการนี้"),
    (r"no flags selected", "ยังไม่ได้เลือกรายการ"),
    (r"nothing was saved; (?P<n>\d+) of (?P<total>\d+) flags cannot take '(?P<a>\w+)':\n(?P<rest>.*)",
     lambda m: f"ยังไม่ได้บันทึกรายการใดเลย: {m['n']} จาก {m['total']} รายการดำเนินการ \"{_action(m['a'])}\" ไม่ได้\n"
               + "\n".join(_one_of_bulk(line) for line in m["rest"].splitlines())),
    (r"no flag \S+$", "ไม่มีสิทธิ์เข้าถึงข้อสังเกตนี้"),
    # permissions (engine/store/access.py, data.py, assessment.py)
    (r"\S+ may import data of agency (?P<a>\S+) only; the dataset also has (?P<o>.+)$",
     "ท่านนำเข้าข้อมูลได้เฉพาะของหน่วยงาน {a} แต่ไฟล์นี้มีข้อมูลของหน่วยงานอื่นด้วย: {o}"),
    (r"\S+ may not open a campaign", "บทบาทของท่านเปิดรอบการประเมินไม่ได้"),
    (r"only the head of the agency submits", "หัวหน้าหน่วยงานเท่านั้นที่ส่งผลการประเมินได้"),
    (r"\S+ may not (?P<p>[\w ]+) for agency (?P<a>\S+)$", "ท่านไม่มีสิทธิ์ดำเนินการนี้กับหน่วยงาน {a}"),
    (r"\S+ \(\w+\) may not (?P<p>[\w ]+)$", "บทบาทของท่านไม่มีสิทธิ์ดำเนินการนี้"),
    # the risk analysis and the self-assessment
    (r"an analysis names its participants and the risks found", "ต้องระบุผู้ร่วมวิเคราะห์และความเสี่ยงที่พบ"),
    (r"an analysis cannot be dated in the future", "วันที่วิเคราะห์ต้องไม่เป็นวันในอนาคต"),
    (r"a campaign for fiscal year (?P<fy>\d+) exists already", "มีรอบการประเมินปีงบประมาณ {fy} อยู่แล้ว"),
    (r"(?P<m>[\d.]+): changing the proposed status \(\w+\) needs a reason",
     "ข้อ {m}: การเปลี่ยนผลการประเมินจากที่ระบบเสนอต้องระบุเหตุผล"),
    (r"an evidence file is at most (?P<n>\d+) MB", "ไฟล์หลักฐานต้องมีขนาดไม่เกิน {n} MB"),
    (r"this self-assessment was submitted and is locked|already submitted", "ส่งผลการประเมินแล้ว แก้ไขไม่ได้"),
    # users (the admin page; the same checks as the command line)
    (r"unknown role", "ไม่รู้จักบทบาทนี้"),
    (r"a (?P<r>\w+) belongs to one agency", "บทบาทนี้ต้องสังกัดหน่วยงาน: กรุณาเลือกหน่วยงาน"),
    (r"a password has at least (?P<n>\d+) characters", "รหัสผ่านต้องยาวอย่างน้อย {n} ตัวอักษร"),
    (r"user '(?P<u>[^']*)' exists already", "มีผู้ใช้ชื่อ {u} อยู่แล้ว"),
    (r"no user '(?P<u>[^']*)'", "ไม่มีผู้ใช้ชื่อ {u}"),
    (r"(?i).*password.*(weak|guess|common)", "รหัสผ่านนี้เดาได้ง่ายเกินไป กรุณาตั้งรหัสผ่านที่ยาวและคาดเดายากกว่านี้"),
    (r"no (such )?agency '?(?P<a>[^' ]+)'?", "ไม่มีหน่วยงาน {a}"),
    # dataset warnings
    (r"(?P<f>\S+): sheet '(?P<s>[^']*)' is not part of the format and was ignored(?P<rest>.*)",
     lambda m: f"{m['f']}: แผ่นงาน '{m['s']}' ไม่อยู่ในรูปแบบที่กำหนด จึงไม่ได้อ่าน" + _did_you_mean(m["rest"])),
    (r"(?P<f>\S+): unknown column '(?P<c>[^']*)' ignored(?P<rest>.*)",
     lambda m: f"{m['f']}: ไม่รู้จักคอลัมน์ '{m['c']}' จึงไม่ได้อ่าน" + _did_you_mean(m["rest"])),
    # dataset problems (engine/loader.py, engine/models.py, engine/thai.py)
    (r"required file is missing", "ไม่พบไฟล์ที่ต้องมี"),
    (r"not UTF-8 text \(bad byte at offset (?P<o>\d+)\).*",
     "ไฟล์ไม่ได้เข้ารหัส UTF-8 (ไบต์ที่ {o}) กรุณาบันทึกเป็น CSV UTF-8"),
    (r"(?i).*windows-874.*", "ไฟล์นี้เข้ารหัสแบบ Windows-874 กรุณาบันทึกใหม่เป็น CSV UTF-8"),
    (r"not a readable CSV file.*", "อ่านไฟล์ CSV ไม่ได้"),
    (r"not a readable \.xlsx workbook.*", "อ่านไฟล์ .xlsx ไม่ได้"),
    (r"the file is empty.*", "ไฟล์ว่างเปล่า แถวแรกต้องเป็นชื่อคอลัมน์"),
    (r"column appears twice in the header", "ชื่อคอลัมน์ซ้ำในแถวหัวตาราง"),
    (r"required column is missing from the header(?P<rest>.*)",
     lambda m: "ไม่มีคอลัมน์ที่ต้องมีในแถวหัวตาราง" + _did_you_mean(m["rest"])),
    (r"duplicate id \(first used in data row (?P<r>\d+)\)", "รหัสซ้ำ (ใช้ครั้งแรกในแถวข้อมูลที่ {r})"),
    (r"required value is missing", "ไม่ได้กรอกข้อมูลที่ต้องมี"),
    (r"no such id in (?P<t>\w+)(?P<rest>.*)",
     lambda m: f"ไม่พบรหัสนี้ในข้อมูล{_TABLES_TH.get(m['t'], m['t'])}" + _did_you_mean(m["rest"])),
    (r"(?P<g>\w+) is given, so (?P<a>\w+) is required too", "มีค่า {g} จึงต้องมีค่า {a} ด้วย"),
    (r"decided before it was received.*", "วันที่พิจารณาอยู่ก่อนวันที่รับเรื่อง"),
    (r"reviewed before it was decided.*", "วันที่สอบทานอยู่ก่อนวันที่พิจารณา"),
    (r"investigated before it was reported.*", "วันที่ตรวจสอบอยู่ก่อนวันที่รายงาน"),
    (r"more than staff_total \((?P<n>\d+)\)", "มากกว่าจำนวนบุคลากรทั้งหมด ({n})"),
    (r"supervisor chain has a cycle: (?P<c>.*)", "สายบังคับบัญชาวนกลับมาที่เดิม: {c}"),
    (r"not a date.*", "ไม่ใช่วันที่ กรุณาเขียนเป็น วว/ดด/ปปปป หรือ ปปปป-ดด-วว (ปีตั้งแต่ 2400 ถือเป็น พ.ศ.)"),
    (r"no such date.*", "ไม่มีวันที่นี้ในปฏิทิน"),
    (r"(?i)date.*(outside|range|plausible).*", "วันที่อยู่นอกช่วงที่เป็นไปได้ (พ.ศ. 2443–2743)"),
    (r"not a yes/no value.*", "ไม่ใช่ค่าใช่/ไม่ใช่ กรุณาเขียน ใช่/ไม่ใช่, มี/ไม่มี, true/false หรือ 1/0"),
    (r"not a whole number", "ไม่ใช่จำนวนเต็ม"),
    (r"not a web address.*", "ไม่ใช่ที่อยู่เว็บ (เช่น https://www.example.go.th/page)"),
    (r"must be 'working' or 'calendar'", "ต้องเป็น working (วันทำการ) หรือ calendar (วันปฏิทิน)"),
    (r"must not be negative", "ต้องไม่ติดลบ"),
    # the rest of the loader's and the models' reasons (the intake API answers each in Thai too)
    (r"a number, not a date.*", "เป็นตัวเลข ไม่ใช่วันที่ กรุณาเขียนเป็น ปปปป-ดด-วว หรือ วว/ดด/ปปปป"),
    (r"an Excel serial date, not a date \((?P<n>\S+) would be (?P<d>[\d-]+)\).*",
     "เป็นเลขลำดับวันของ Excel ไม่ใช่วันที่ ({n} คือ {d}): จัดรูปแบบคอลัมน์เป็นวันที่ หรือเขียนเป็น ปปปป-ดด-วว"),
    (r"year (?P<y>\d+) \(BE (?P<be>\d+)\) is outside.*", "ปี พ.ศ. {be} อยู่นอกช่วงที่เป็นไปได้ (พ.ศ. 2443–2743)"),
    (r"too large: the largest number the store holds is (?P<n>[\d,]+)", "มากเกินไป: ฐานข้อมูลเก็บได้ไม่เกิน {n}"),
    (r"too large: at most (?P<n>[\d,]+) (?P<u>days|years).*",
     lambda m: f"มากเกินไป: ไม่เกิน {m['n']} {'วัน' if m['u'] == 'days' else 'ปี'} ซึ่งเป็นระยะที่ยาวที่สุดที่ปฏิทินนับได้"),
    (r"contains a NUL character.*", "มีอักขระ NUL (ไบต์ 0) ซึ่งฐานข้อมูลเก็บไม่ได้: ลบอักขระนี้ออก"),
    (r"(?P<n>\d+) characters; an id may have at most (?P<m>\d+)", "ยาว {n} ตัวอักษร รหัสยาวได้ไม่เกิน {m} ตัวอักษร"),
    (r"must be a whole percentage from 1 to 100", "ต้องเป็นร้อยละที่เป็นจำนวนเต็มตั้งแต่ 1 ถึง 100"),
    (r"must be 'person' or 'juristic'", "ต้องเป็น person (บุคคลธรรมดา) หรือ juristic (นิติบุคคล)"),
    (r"must be 's13'.*", "ต้องเป็น s13 (พระราชบัญญัติวิธีปฏิบัติราชการทางปกครอง มาตรา 13: พิจารณาเรื่องนั้นไม่ได้เลย) หรือ s16 "
                         "(มาตรา 16: มีเหตุอื่นที่ร้ายแรง ซึ่งผู้บังคับบัญชาเป็นผู้สั่ง)"),
    (r"must be a Buddhist-Era fiscal year.*", "ต้องเป็นปีงบประมาณเป็นพุทธศักราช เช่น 2568"),
    (r"complete before it was received \((?P<d>[\d-]+)\)", "วันที่คำขอครบถ้วนอยู่ก่อนวันที่รับเรื่อง ({d})"),
    (r"decided before the application was complete \((?P<d>[\d-]+)\)", "วันที่พิจารณาอยู่ก่อนวันที่คำขอครบถ้วน ({d})"),
    (r"notified before the case was received \((?P<d>[\d-]+)\)", "วันที่แจ้งเหตุล่าช้าอยู่ก่อนวันที่รับเรื่อง ({d})"),
    (r"given for a case whose applicant_related is not true.*",
     "ระบุได้เฉพาะเรื่องที่ผู้พิจารณาเกี่ยวข้องหรือมีส่วนได้เสียกับผู้ยื่นคำขอ (applicant_related เป็นจริง)"),
    (r"unknown parameter(?P<rest>.*)", lambda m: "ไม่รู้จักชื่อค่าพารามิเตอร์นี้" + _did_you_mean(m["rest"])),
    (r"this parameter may not be changed by an agency.*", "หน่วยงานเปลี่ยนค่าพารามิเตอร์นี้เองไม่ได้"),
    (r"(?P<p>\w+) may be set per agency only.*", "{p} กำหนดได้เฉพาะระดับหน่วยงาน: เว้น process_id ว่างไว้"),
    (r"the process belongs to agency (?P<a>\S+), not (?P<b>\S+)", "กระบวนงานนี้เป็นของหน่วยงาน {a} ไม่ใช่ {b}"),
    (r"(?P<p>\w+) takes a whole number of (?P<u>\w+).*",
     lambda m: f"{m['p']} ต้องเป็นจำนวนเต็ม (หน่วย: {_UNITS_TH.get(m['u'], m['u'])})"),
    (r"set twice for the same agency and process.*first in data row (?P<r>\d+).*",
     "กำหนดซ้ำสำหรับหน่วยงาน กระบวนงาน และวันที่มีผลเดียวกัน (ครั้งแรกในแถวข้อมูลที่ {r}) จึงไม่อาจทราบว่าค่าใดใช้บังคับ"),
]]


def _one_of_bulk(line: str) -> str:
    flag_id, _, reason = line.partition(": ")
    return f"{flag_id}: {thai(reason)}"


_BILINGUAL = re.compile(r"(?P<th>[^\n]*?[\u0e00-\u0e7f][^\n]*?) / (?P<en>[^\n]*)(?P<rest>.*)", re.S)


def _bilingual(text: str) -> re.Match[str] | None:
    """A message the engine already gives in both languages: ``ไทย / English`` (then any detail lines)."""
    m = _BILINGUAL.match(text)
    return m if m and not re.search(r"[\u0e00-\u0e7f]", m["en"]) else None


def thai(message: str) -> str:
    """The Thai for one of the engine's English messages (see the module's doc)."""
    text = str(message).strip()
    both = _bilingual(text)
    if both:
        return both["th"] + both["rest"]
    for pattern, th in _RULES:
        m = pattern.match(text)
        if m:
            return th(m) if callable(th) else th.format(**m.groupdict())
    return f"ดำเนินการไม่สำเร็จ ({text})"


def say(message: str, lang: str) -> str:
    """The message in the reader's language."""
    if lang == "th":
        return thai(message)
    both = _bilingual(str(message).strip())
    return both["en"] + both["rest"] if both else str(message)
