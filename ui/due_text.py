"""Words of the pages about what is due and about being told (issue 23): the due-soon list, a case,
a flag's requests for information, the notification settings. Thai first, English beside."""

from __future__ import annotations

from i18n import pick

TEXT: dict[str, tuple[str, str]] = {
    "nav.due": ("ใกล้ครบกำหนด", "Due soon"), "nav.case": ("ข้อมูลเรื่อง", "Case"),
    "nav.notifications": ("การแจ้งเตือน", "Notifications"),
    "due.title": ("ใกล้ครบกำหนด", "Due soon"),
    "due.about": ("สิ่งที่ต้องดำเนินการก่อนครบกำหนด นับวันทำการตามปฏิทินวันหยุดราชการ: หน้าที่ตามเกณฑ์การตรวจสอบ "
                  "(หากไม่ดำเนินการจะเป็นข้อสังเกตในวันถัดจากวันครบกำหนด) คำขอข้อมูลเพิ่มเติมที่รอคำตอบ "
                  "และกำหนดส่งผลการประเมินตนเอง",
                  "What must be done before its deadline, in working days on the government calendar: duties under "
                  "the rules (left undone, each is a flag the day after it is due), requests for information awaiting "
                  "an answer, and self-assessments due"),
    "due.scope.agency": ("รายการของหน่วยงาน {agency}", "Items of {agency}"),
    "due.scope.all": ("รายการของทุกหน่วยงานในจังหวัด", "Items of every agency of the province"),
    "due.scope.team": ("รายการของท่านและเจ้าหน้าที่ในสายการบังคับบัญชาของท่าน ({officer})",
                       "Your items and your team's ({officer})"),
    "due.counted": ("นับจากวันที่ {day} · หน้าที่ตามเกณฑ์จากการประมวลผลครั้งล่าสุดของแต่ละหน่วยงาน",
                    "Counted from {day} · duties under the rules as each agency's latest evaluation found them"),
    "due.total": ("ทั้งหมด", "In all"), "due.late": ("เลยกำหนดแล้ว", "Late"), "due.today": ("ครบกำหนดวันนี้", "Due today"),
    "due.empty": ("ไม่มีรายการที่ใกล้ครบกำหนด", "Nothing is due soon"),
    "due.kind": ("ประเภท", "Kind"), "due.kind.duty": ("หน้าที่ตามเกณฑ์", "Duty under a rule"),
    "due.kind.request": ("คำขอข้อมูล", "Request for information"),
    "due.kind.campaign": ("ประเมินตนเอง", "Self-assessment"),
    "due.col.due": ("ครบกำหนด", "Due"), "due.col.left": ("เหลือ (วันทำการ)", "Working days left"),
    "due.col.what": ("สิ่งที่ต้องดำเนินการ", "What is due"), "due.col.open": ("ลิงก์", "Link"),
    "due.left.today": ("วันนี้วันสุดท้าย", "today is the last day"),
    "due.left.late": ("เลยกำหนด {n} วันทำการ", "{n} late"),
    "due.open": ("เปิด", "open"), "due.agency": ("หน่วยงาน", "Agency"), "due.officer": ("เจ้าหน้าที่", "Officer"),
    "case.none": ("ยังไม่ได้เลือกเรื่อง", "No case selected"),
    "case.denied": ("ไม่มีสิทธิ์เข้าถึงเรื่องนี้ หรือไม่มีเรื่องนี้", "You have no access to this case, or there is none"),
    "case.title": ("เรื่อง {id}", "Case {id}"), "case.record": ("ข้อมูลเรื่อง", "Case record"),
    "case.flags": ("ข้อสังเกตของเรื่องนี้", "Flags of this case"), "case.no_flags": ("ไม่มีข้อสังเกต", "No flags"),
    "case.due": ("สิ่งที่ใกล้ครบกำหนดของเรื่องนี้", "Due soon for this case"),
    "req.title": ("คำขอข้อมูลเพิ่มเติม", "Requests for information"),
    "req.to": ("ขอจาก", "Asked of"), "req.by": ("ตอบภายใน", "Reply by"), "req.asked_by": ("ผู้ขอ", "Asked by"),
    "req.question": ("คำถาม", "Question"), "req.answer": ("คำตอบ", "Answer"), "req.status": ("สถานะ", "Status"),
    "req.awaiting": ("รอคำตอบ", "Awaiting the answer"), "req.answered": ("ตอบแล้ว", "Answered"),
    "req.closed": ("ปิดแล้ว (ข้อสังเกตได้รับการพิจารณาต่อ)", "Closed (the flag was decided further)"),
    "req.nobody": ("ไม่ระบุผู้ตอบ", "no addressee"),
    "form.officer_id": ("เจ้าหน้าที่ผู้ต้องตอบ", "Officer asked to answer"),
    "form.reply_within_days": ("ตอบภายใน (วันทำการ)", "Reply within (working days)"),
    "form.reply_by": ("ต้องตอบภายใน {day} (นับวันทำการตามปฏิทินวันหยุดราชการ)",
                      "Reply by {day} (working days on the government calendar)"),
    "form.no_officers": ("ยังไม่มีข้อมูลเจ้าหน้าที่ของหน่วยงาน: นำเข้าข้อมูลก่อนจึงจะขอข้อมูลจากเจ้าหน้าที่ได้",
                         "No officers of the agency are stored yet: import the data before asking an officer"),
    "note.title": ("การแจ้งเตือนทางอีเมล", "E-mail notifications"),
    "note.about": ("ทุกวันหลังการประมวลผลประจำคืน ระบบส่งสรุปประจำวันถึงท่านทางอีเมล: ข้อสังเกตใหม่ในขอบเขตของท่าน สิ่งที่ใกล้ครบกำหนด "
                   "คำขอข้อมูลที่รอคำตอบ คำตอบคำขอของท่าน และกำหนดส่งรายงาน ในอีเมลมีเพียงรหัส ชื่อเกณฑ์ "
                   "วันที่ และลิงก์ รายละเอียดอ่านได้ในระบบ",
                   "Each day, after the nightly evaluation, the app e-mails you a daily digest: new flags in your scope, what is due soon, "
                   "requests for information awaiting an answer, answers to yours, and deadlines. It holds only ids, "
                   "rule titles, dates and links; the details are read in the app"),
    "note.email": ("อีเมล", "E-mail address"), "note.email_help": ("เช่น name@agency.go.th", "e.g. name@agency.go.th"),
    "note.lang": ("ภาษาของอีเมล", "Language of the e-mail"),
    "note.digest": ("รับสรุปประจำวันทางอีเมล", "Send me the daily digest"),
    "note.save": ("บันทึก", "Save"), "note.saved": ("บันทึกการตั้งค่าแล้ว", "Settings saved"),
    "note.off": ("ท่านปิดการรับสรุปประจำวันไว้", "Your daily digest is off"),
    "note.no_email": ("ยังไม่ได้ระบุอีเมล จึงยังไม่มีการส่งสรุปประจำวัน", "No address yet: no digest is sent"),
}


def tx(key: str, **values: object) -> str:
    """``TEXT[key]`` in the reader's language, with ``values`` put in."""
    text = pick(TEXT[key])
    return text.format(**values) if values else text
