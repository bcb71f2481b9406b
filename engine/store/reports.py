"""The documents an agency or the province hands in: the acknowledgement form of one round
(guideline 2.3, SPEC §5), the ITA evidence pack of a fiscal year (the measures, flags by measure,
review outcomes, the self-assessment with its evidence, and the year's ITA item from
``kb/ita.yaml`` or an administrator's entry) and the province's overview of one round, each as
PDF (Thai, Sarabun) and XLSX (Thai, or English on request).

Numerals: the acknowledgement form is an official document and uses Thai digits throughout, as
the provincial letter does (dates in the Buddhist Era); the evidence pack and the overview are
data reports and use Arabic digits throughout (their quotes of the letter included), as the app
and the XLSX do."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.domain.calendar import bangkok_time
from engine.domain.thai import format_date, format_date_long, format_datetime
from engine.kb.knowledge import load_kb
from engine.outputs.pdf import ThaiDocument
from engine.outputs.tables import to_xlsx
from engine.store import assessment as sa
from engine.store.review import ACTION_NAMES, STATUS_NAMES
from engine.store.schema import (
    AcknowledgementRow,
    AgencyRow,
    Assessment,
    AssessmentEvent,
    Campaign,
    FlagEvent,
    FlagRow,
    OfficerRow,
    User,
)
from engine.store.scope import READ, NotFound, Scope

STATUS_ORDER = ("open", "needs_info", "confirmed", "resolved", "dismissed", "waived", "cleared_by_data")
SEVERITY_ORDER = ("high", "medium", "low")
SEVERITY_NAMES = {"high": ("สูง", "High"), "medium": ("ปานกลาง", "Medium"), "low": ("ต่ำ", "Low")}
KIND_NAMES = {"measure": ("มาตรการ", "Measure"), "guideline": ("แนวทางปฏิบัติ", "Guideline")}
YES_NO = {True: ("ใช่", "Yes"), False: ("ไม่ใช่", "No")}


def _name(names: dict[Any, tuple[str, str]], code: Any, lang: str) -> str:
    """The Thai or English name of a code (the code itself when it has none)."""
    pair = names.get(code)
    return code if pair is None else pair[0] if lang == "th" else pair[1]


def _day(value: dt.date | None, lang: str) -> Any:
    """A date cell: Buddhist-Era text in Thai (Excel has no BE dates), a real date in English."""
    if value is None:
        return ""
    return format_date(value, "th") if lang == "th" else value


def _size(n: int | None) -> str:
    if n is None:
        return ""
    return f"{n:,} B" if n < 1024 else f"{n / 1024:,.1f} KB" if n < 1024 ** 2 else f"{n / 1024 ** 2:,.1f} MB"


def _agency(session: Session, scope: Scope, agency_id: str) -> AgencyRow:
    scope.require(READ)
    agency = session.get(AgencyRow, agency_id)
    if agency is None or not scope.sees(agency_id):
        raise NotFound(f"no agency {agency_id}")
    return agency


NOT_RECORDED = ("ไม่ได้บันทึก", "not recorded")
BLANK = "." * 30  # a line to fill in by hand: a fact the records do not hold is never guessed
SHORT_BLANK = "." * 12


def _head(session: Session, agency_id: str) -> tuple[str | None, str | None]:
    """The head's name and title as the records hold them. The title is the agency's head's from
    ``kb/agencies.yaml`` (the letter's annex: e.g. เจ้าพนักงานที่ดินจังหวัดขอนแก่น), else the head's
    recorded position; the name is the head officer's when the dataset has exactly one officer
    without a supervisor (with several, which one signs would be a guess: the line stays blank)."""
    from engine.kb.knowledge import load_agencies

    heads = session.scalars(select(OfficerRow).where(OfficerRow.agency_id == agency_id,
                                                     OfficerRow.supervisor_id.is_(None)).limit(2)).all()
    sole = heads[0] if len(heads) == 1 else None
    title = next((a.recipient_th for a in load_agencies() if a.id == agency_id), None)
    return (sole.name if sole else None), title or (sole.position if sole and sole.position else None)


def acknowledgement_data(session: Session, scope: Scope, agency_id: str, fiscal_year_be: int) -> dict[str, Any]:
    """What the acknowledgement form of round ``fiscal_year_be`` states for an agency: only that
    round's acknowledgement rows (an empty fiscal_year is 2562, SPEC §2), each as recorded, never
    summed or mixed with another year's; the round's deadline and letter (None: not recorded)."""
    from engine.store import ita, province

    agency = _agency(session, scope, agency_id)
    rows = session.scalars(select(AcknowledgementRow).where(
        AcknowledgementRow.agency_id == agency_id,
        func.coalesce(AcknowledgementRow.fiscal_year, 2562) == fiscal_year_be).order_by(AcknowledgementRow.id)).all()
    head, title = _head(session, agency_id)
    return {"agency_id": agency_id, "agency": agency.name, "fiscal_year": fiscal_year_be,
            "round": province.rounds(session, scope).get(fiscal_year_be),
            "ita": ita.mapping(session, scope, fiscal_year_be), "head": head, "head_title": title,
            "rows": [{"staff_total": r.staff_total, "staff_acknowledged": r.staff_acknowledged,
                      "published_url": r.published_url, "reported_on": r.reported_on} for r in rows]}


def acknowledgement_marks(data: dict[str, Any]) -> dict[str, bool]:
    """Which of the form's boxes are ticked: 2.1 every row's staff all informed, 2.2 every row
    published, 2.3 a report date recorded; none without a row of the round."""
    rows = data["rows"]
    return {"2.1": bool(rows) and all(r["staff_total"] and r["staff_acknowledged"] >= r["staff_total"] for r in rows),
            "2.2": bool(rows) and all(r["published_url"] for r in rows),
            "2.3": bool(rows) and any(r["reported_on"] for r in rows)}


def _cited(data: dict[str, Any]) -> tuple[str, str, str | None]:
    """(addressee, the letter cited, through) for the form; blanks where the round records nothing."""
    r = data["round"]
    letter = r.letter if r else None
    if letter is None:
        return BLANK, f"หนังสือจังหวัดขอนแก่น ที่ {BLANK} ลงวันที่ {BLANK} เรื่อง {BLANK}", None
    when = format_date_long(letter.date) if letter.date else BLANK
    return (letter.signatory or BLANK,
            f"หนังสือจังหวัดขอนแก่น ที่ {letter.number or BLANK} ลงวันที่ {when} เรื่อง {letter.subject or BLANK}",
            r.through)


def acknowledgement_document(data: dict[str, Any], today: dt.date) -> ThaiDocument:
    """The form of guideline 2.3 for one round (SPEC §5), laid out as an official form: Thai digits
    throughout, body text at 15 pt, boxes drawn (☐ / ☑), blank lines for what the records do not
    hold, and the signature block kept on one page."""
    kb = load_kb()
    src = kb.source
    doc = ThaiDocument(src.form_th, footer=f"{data['agency']} · พิมพ์เมื่อ {format_date_long(today)}", digits="thai")
    doc.set_margins(30, 20, 20)  # an official letter's margins: 3 cm on the left (binding), 2 cm on the right
    doc.set_xy(30, 20)
    body = 15
    doc.heading(src.form_th, 17, align="C")
    doc.paragraph(f"ประจำปีงบประมาณ พ.ศ. {data['fiscal_year']}", size=body, bold=True, align="C")
    doc.ln(3)
    to, cited, through = _cited(data)
    doc.labelled("ส่วนราชการ", data["agency"], size=body)
    doc.labelled("เรียน", to, size=body)
    if through:
        doc.labelled("ผ่าน", through, size=body)
    doc.labelled("อ้างถึง", cited, size=body)
    doc.ln(2)
    doc.paragraph(f"ตามหนังสือที่อ้างถึง จังหวัดขอนแก่นแจ้งมาตรการตรวจสอบการใช้ดุลพินิจให้ส่วนราชการถือปฏิบัติ "
                  f"และให้หัวหน้าหน่วยงานรายงานการรับทราบ {data['agency']} ได้รับทราบมาตรการดังกล่าว และได้ดำเนินการ ดังนี้",
                  size=body, first_line_indent=25)
    marks, rows = acknowledgement_marks(data), data["rows"]
    staff = [f"จำนวน {r['staff_acknowledged']} คน จากทั้งหมด {r['staff_total']} คน" for r in rows] or \
        [f"จำนวน {SHORT_BLANK} คน จากทั้งหมด {SHORT_BLANK} คน"]
    doc.checkbox(marks["2.1"], "๒.๑ แจ้งประชาสัมพันธ์มาตรการให้บุคลากรในหน่วยงานรับทราบ และยึดถือเป็นแนวทางปฏิบัติ "
                 + " และ ".join(staff), size=body)
    urls = [r["published_url"] or BLANK for r in rows] or [BLANK]
    doc.checkbox(marks["2.2"], "๒.๒ เผยแพร่มาตรการบนเว็บไซต์ของหน่วยงาน ที่ " + " และ ".join(urls), size=body)
    days = [format_date_long(r["reported_on"]) for r in rows if r["reported_on"]] or [BLANK]
    deadline = f" (กำหนดส่ง {format_date_long(data['round'].deadline)})" if data["round"] else ""
    doc.checkbox(marks["2.3"], f"๒.๓ รายงานการรับทราบต่อจังหวัด เมื่อวันที่ {' และ '.join(days)}{deadline}", size=body)
    doc.ln(2)
    doc.paragraph("มาตรการตรวจสอบการใช้ดุลพินิจที่รับทราบ (ข้อ 1.1–1.8)", size=body, bold=True)
    for m in kb.measures:
        if m.kind == "measure":
            doc.paragraph(f"{m.id} {m.text_th}", size=14, first_line_indent=10)
    doc.ln(8)
    with doc.kept_together() as block:  # on the right half, centred, as a Thai official form signs
        for line in (f"ลงชื่อ {BLANK}{'.' * 10}", f"({data['head'] or BLANK + '.' * 6})",
                     f"ตำแหน่ง {data['head_title'] or BLANK + '.' * 4}", f"วันที่ {BLANK}"):
            block.paragraph(line, size=body, indent=doc.epw / 2 - 15, align="C")
    return doc


def acknowledgement_pdf(data: dict[str, Any], today: dt.date) -> bytes:
    """``acknowledgement_document`` as PDF bytes."""
    return acknowledgement_document(data, today).bytes()


def acknowledgement_xlsx(data: dict[str, Any], lang: str = "th") -> bytes:
    """The form's data as one sheet, one line per fact; ``lang="en"`` gives English labels and values.
    A fact the round's records do not hold reads "ไม่ได้บันทึก" (not recorded)."""
    th = lang == "th"
    missing = NOT_RECORDED[0 if th else 1]
    r = data["round"]
    letter = r.letter if r else None
    marks = acknowledgement_marks(data)

    def day(value: dt.date | None) -> Any:
        return _day(value, lang) if value else missing

    lines: list[tuple[tuple[str, str], Any]] = [
        (("หน่วยงาน", "Agency"), data["agency"]), (("รหัสหน่วยงาน", "Agency id"), data["agency_id"]),
        (("ปีงบประมาณ (พ.ศ.)", "Fiscal year (BE)"), data["fiscal_year"]),
        (("ข้อการประเมิน ITA", "ITA item"), data["ita"].label(lang)),
        (("กำหนดส่งถึงจังหวัด", "Due at the province"), day(r.deadline if r else None)),
        (("หนังสือของจังหวัด: เลขที่", "Province's letter: number"), (letter.number if letter else None) or missing),
        (("หนังสือของจังหวัด: ลงวันที่", "Province's letter: date"), day(letter.date if letter else None)),
        (("หนังสือของจังหวัด: เรื่อง", "Province's letter: subject"), (letter.subject if letter else None) or missing),
        (("เรียน (ผู้ลงนามในหนังสือ)", "To (the letter's signatory)"), (letter.signatory if letter else None) or missing),
        (("๒.๑ แจ้งบุคลากรครบทุกคน", "2.1 all staff informed"), _name(YES_NO, marks["2.1"], lang)),
        (("๒.๒ เผยแพร่บนเว็บไซต์แล้ว", "2.2 published on the website"), _name(YES_NO, marks["2.2"], lang)),
        (("๒.๓ รายงานจังหวัดแล้ว", "2.3 reported to the province"), _name(YES_NO, marks["2.3"], lang)),
    ]
    for i, row in enumerate(data["rows"] or [None], 1):
        n = f" ({i})" if len(data["rows"]) > 1 else ""
        lines += [((f"๒.๑ บุคลากรที่รับทราบ{n}", f"2.1 staff informed{n}"), row["staff_acknowledged"] if row else missing),
                  ((f"๒.๑ บุคลากรทั้งหมด{n}", f"2.1 staff in total{n}"), row["staff_total"] if row else missing),
                  ((f"๒.๒ เว็บไซต์ที่เผยแพร่{n}", f"2.2 published at{n}"), (row["published_url"] if row else None) or missing),
                  ((f"๒.๓ วันที่รายงานจังหวัด{n}", f"2.3 reported on{n}"), day(row["reported_on"] if row else None))]
    lines += [(("หัวหน้าหน่วยงาน", "Head of the agency"), data["head"] or missing),
              (("ตำแหน่ง", "Title"), data["head_title"] or missing)]
    rows = [[label[0 if th else 1], value] for label, value in lines]
    sheet = "แบบรายงานการรับทราบ" if th else "Acknowledgement"
    return to_xlsx({sheet: (["รายการ", "ข้อมูล"] if th else ["Item", "Value"], rows)})


def _evidence_history(session: Session, assessment_id: int) -> dict[tuple[str, str], tuple[str, dt.datetime]]:
    """(measure, "evidence_url" | "evidence_file") -> who gave the item's current URL or file, and when:
    the first event of the trail that recorded the value the item still has."""
    given: dict[tuple[str, str], tuple[Any, str, dt.datetime]] = {}
    for e in session.scalars(select(AssessmentEvent).where(AssessmentEvent.assessment_id == assessment_id,
                                                           AssessmentEvent.measure_id.is_not(None))
                             .order_by(AssessmentEvent.id)):
        for field in ("evidence_url", "evidence_file"):
            value = (e.details or {}).get(field)
            key = (e.measure_id, field)
            if value and (key not in given or given[key][0] != value):
                given[key] = (value, e.actor, e.at)
    return {key: (actor, at) for key, (_, actor, at) in given.items()}


def evidence_data(session: Session, scope: Scope, agency_id: str, campaign_id: int | None,
                  fiscal_year_be: int | None = None) -> dict[str, Any]:
    """Everything the evidence pack shows; ``campaign_id`` picks the self-assessment (None: none),
    and with it the fiscal year (else ``fiscal_year_be``), whose ITA item the pack names."""
    from engine.store import ita

    agency = _agency(session, scope, agency_id)
    flags, severities = Counter(), Counter()
    for measure, status, severity, n in session.execute(
            select(FlagRow.measure, FlagRow.status, FlagRow.severity, func.count())
            .where(FlagRow.agency_id == agency_id).group_by(FlagRow.measure, FlagRow.status, FlagRow.severity)):
        flags[(measure, status)] += n
        if status in sa.ACTIVE:
            severities[(measure, severity)] += n
    outcomes = Counter()
    for action, n in session.execute(select(FlagEvent.action, func.count()).join(FlagRow, FlagRow.flag_id == FlagEvent.flag_id)
                                     .where(FlagRow.agency_id == agency_id, FlagEvent.actor != "system")
                                     .group_by(FlagEvent.action)):
        outcomes[action] = n
    out: dict[str, Any] = {"agency_id": agency_id, "agency": agency.name, "flags": flags, "severities": severities,
                           "outcomes": outcomes, "assessment": [], "score": None, "assessment_status": None,
                           "fiscal_year": None, "submitted_at": None, "submitted_by": None}
    campaign = session.get(Campaign, campaign_id) if campaign_id is not None else None
    year = campaign.fiscal_year if campaign else fiscal_year_be
    out.update(fiscal_year=year, ita=ita.mapping(session, scope, year) if year else None)
    found = campaign and session.scalar(select(Assessment).where(Assessment.campaign_id == campaign.id,
                                                                 Assessment.agency_id == agency_id))
    if not found:
        return out
    items = sa.items(session, scope, found.id)
    history = _evidence_history(session, found.id)
    people = {u.username: u.display_name for u in session.scalars(select(User))}

    def person(username: str | None) -> str | None:
        name = people.get(username) if username else None
        return f"{name} ({username})" if name and name != username else username

    rows = []
    for i in items:
        file_by, file_at = history.get((i.measure_id, "evidence_file"), (i.updated_by, i.updated_at))
        url_by, url_at = history.get((i.measure_id, "evidence_url"), (i.updated_by, i.updated_at))
        rows.append({"measure": i.measure_id, "status": i.status, "proposed": i.proposed_status,
                     "reason": i.override_reason, "url": i.evidence_url, "note": i.evidence_note,
                     "url_by": person(url_by) if i.evidence_url else None, "url_at": url_at if i.evidence_url else None,
                     "note_by": person(i.updated_by) if i.evidence_note else None,
                     "note_at": i.updated_at if i.evidence_note else None,
                     "file": None if not i.evidence_file_name else {
                         "name": i.evidence_file_name, "size": len(i.evidence_file or b""),
                         "by": person(file_by), "at": file_at}})
    submitted = found.status == "submitted"
    out.update(assessment=rows, score=found.score if submitted else sa.score(items), assessment_status=found.status,
               fiscal_year=campaign.fiscal_year, submitted_at=found.submitted_at,
               submitted_by=person(found.submitted_by))
    return out


def _evidence_rows(data: dict[str, Any], lang: str) -> list[list[Any]]:
    """One row per piece of evidence: item, kind, what (URL, file name, note), size, given by, given at."""
    th = lang == "th"
    rows = []
    for r in data["assessment"]:
        if r["url"]:
            rows.append([r["measure"], "ลิงก์" if th else "Link", r["url"], "", r["url_by"] or "", r["url_at"]])
        if r["file"]:
            f = r["file"]
            rows.append([r["measure"], "ไฟล์แนบ" if th else "File", f["name"], _size(f["size"]), f["by"] or "", f["at"]])
        if r["note"]:
            rows.append([r["measure"], "บันทึก" if th else "Note", r["note"], "", r["note_by"] or "", r["note_at"]])
    return rows


def _nbsp_time(text: str) -> str:
    """"10:15 น." kept on one line in print."""
    return text.replace(" น.", "\u00a0น.")


def pack_title(data: dict[str, Any], lang: str = "th") -> str:
    """The evidence pack's title: the ITA of its fiscal year, naming the year's item only when it
    is mapped (``kb/ita.yaml`` or an administrator's entry): never O48 outside 2562 (SPEC §5)."""
    mapping, year = data.get("ita"), data.get("fiscal_year")
    if lang != "th":
        if year is None:
            return "ITA evidence: measures for checking the use of discretion"
        item = f", item {mapping.items}" if mapping and mapping.mapped else ""
        return f"ITA evidence, fiscal year {year}{item}: measures for checking the use of discretion"
    if year is None:
        return "หลักฐานประกอบการประเมิน ITA: มาตรการตรวจสอบการใช้ดุลพินิจ"
    item = f" ข้อ {mapping.items}" if mapping and mapping.mapped else ""
    return f"หลักฐานประกอบการประเมิน ITA ปีงบประมาณ พ.ศ. {year}{item}: มาตรการตรวจสอบการใช้ดุลพินิจ"


def _ita_line(data: dict[str, Any]) -> str:
    mapping = data.get("ita")
    if mapping is None:
        return "ข้อการประเมิน ITA: ไม่ได้ระบุปีงบประมาณ"
    if not mapping.mapped:
        return (f"{mapping.label('th')} (ผู้ดูแลระบบบันทึกข้อการประเมินและที่มาได้ "
                "เมื่อสำนักงาน ป.ป.ช. ประกาศหลักเกณฑ์ของปีนั้น)")
    return f"{mapping.label('th')} ที่มา: {mapping.source}"


def evidence_pdf(data: dict[str, Any], today: dt.date) -> bytes:
    """The ITA evidence pack of a fiscal year, Arabic digits throughout (it is a data report; see
    the module's docstring)."""
    kb = load_kb()
    title = pack_title(data)
    doc = ThaiDocument(title, footer=f"{data['agency']} · {format_date_long(today)}", digits="arabic")
    doc.heading(title, 16)
    doc.paragraph(f"หน่วยงาน {data['agency']} ({data['agency_id']}) ข้อมูล ณ วันที่ {format_date_long(today)}")
    doc.paragraph(_ita_line(data))
    doc.heading("1. มาตรการและแนวทาง", 14)
    for m in kb.measures:
        doc.paragraph(f"ข้อ {m.id} {m.title_th}", size=12, bold=True)
        doc.paragraph(m.text_th, size=11)
    doc.heading("2. ข้อสังเกตจากการตรวจสอบ จำแนกตามมาตรการและสถานะ", 14)
    columns = ["มาตรการ"] + [STATUS_NAMES[s][0] for s in STATUS_ORDER] + ["รวม"]
    rows = []
    for m in kb.measures:
        counts = [data["flags"].get((m.id, s), 0) for s in STATUS_ORDER]
        rows.append([m.id] + [str(c) for c in counts] + [str(sum(counts))])
    doc.grid(columns, rows, [14] + [18] * len(STATUS_ORDER) + [14], size=9)
    doc.paragraph("ข้อสังเกตที่ยังไม่ยุติ (รอพิจารณา ขอข้อมูลเพิ่มเติม ยืนยันแล้ว) จำแนกตามระดับความสำคัญ", size=12,
                  bold=True)
    rows = [[m.id] + [str(data["severities"].get((m.id, v), 0)) for v in SEVERITY_ORDER] for m in kb.measures]
    doc.grid(["มาตรการ"] + [SEVERITY_NAMES[v][0] for v in SEVERITY_ORDER], rows, [30, 30, 30, 30], size=10)
    doc.heading("3. ผลการพิจารณาของผู้บังคับบัญชา", 14)
    outcome_rows = [[ACTION_NAMES.get(a, (a, a))[0], str(n)] for a, n in sorted(data["outcomes"].items())]
    doc.grid(["การดำเนินการ", "จำนวน"], outcome_rows or [["ยังไม่มีการพิจารณา", "0"]], [120, 30])
    if not data["assessment"]:
        doc.heading("4. การประเมินตนเอง", 14)
        doc.paragraph("ยังไม่มีการประเมินตนเองในรอบนี้")
        return doc.bytes()
    doc.heading(f"4. การประเมินตนเอง ปีงบประมาณ พ.ศ. {data['fiscal_year']}", 14)
    score = f"{data['score']:.1f}" if data["score"] is not None else "-"
    state = sa.ASSESSMENT_STATUS_NAMES[data["assessment_status"]][0]
    if data["submitted_at"]:
        state += f" เมื่อ {_nbsp_time(format_datetime(data['submitted_at']))} โดย {data['submitted_by']}"
    doc.paragraph(f"สถานะ: {state}  คะแนน: {score}")
    doc.grid(["ข้อ", "ผลการประเมิน", "ระบบเสนอ", "เหตุผลที่ต่างจากที่เสนอ"],
             [[r["measure"], sa.ITEM_STATUS_NAMES[r["status"]][0], sa.ITEM_STATUS_NAMES[r["proposed"]][0],
               r["reason"] or ""] for r in data["assessment"]], [12, 38, 38, 82], size=10)
    doc.heading("5. หลักฐานประกอบการประเมินตนเอง", 14)
    evidence = _evidence_rows(data, "th")
    if evidence:
        doc.grid(["ข้อ", "ประเภท", "หลักฐาน", "ขนาด", "บันทึกโดย", "เมื่อ"],
                 [row[:5] + [_nbsp_time(format_datetime(row[5]))] for row in evidence], [9, 15, 58, 16, 36, 36], size=9)
    else:
        doc.paragraph("ยังไม่มีหลักฐานแนบ")
    return doc.bytes()


def evidence_xlsx(data: dict[str, Any], lang: str = "th") -> bytes:
    """The evidence pack's tables, one sheet each; Thai names, yes/no and BE dates, or all English."""
    kb = load_kb()
    th = lang == "th"
    measures = [[m.id, _name(KIND_NAMES, m.kind, lang), m.title_th if th else m.title_en, m.text_th if th else m.text_en]
                for m in kb.measures]
    flags = [[m.id] + [data["flags"].get((m.id, s), 0) for s in STATUS_ORDER]
             + [sum(data["flags"].get((m.id, s), 0) for s in STATUS_ORDER)] for m in kb.measures]
    severities = [[m.id] + [data["severities"].get((m.id, v), 0) for v in SEVERITY_ORDER] for m in kb.measures]
    outcomes = [[_name(ACTION_NAMES, a, lang), n] for a, n in sorted(data["outcomes"].items())]
    when = (lambda v: format_datetime(v, lang)) if th else (lambda v: bangkok_time(v).replace(microsecond=0) if v else "")
    assessment = [[r["measure"], _name(sa.ITEM_STATUS_NAMES, r["status"], lang),
                   _name(sa.ITEM_STATUS_NAMES, r["proposed"], lang),
                   _name(YES_NO, r["status"] != r["proposed"], lang), r["reason"] or ""] for r in data["assessment"]]
    evidence = [row[:5] + [when(row[5])] for row in _evidence_rows(data, lang)]
    summary = []
    if data["fiscal_year"] is not None:
        mapping = data["ita"]
        summary = [[("ปีงบประมาณ (พ.ศ.)", "Fiscal year (BE)")[not th], data["fiscal_year"]],
                   [("ข้อการประเมิน ITA", "ITA item")[not th], mapping.label(lang)],
                   [("ที่มาของข้อการประเมิน", "Source of the item")[not th], mapping.source or ""]]
    if data["assessment_status"]:
        summary += [[("สถานะ", "Status")[not th], _name(sa.ASSESSMENT_STATUS_NAMES, data["assessment_status"], lang)],
                   [("ส่งเมื่อ", "Submitted at")[not th], when(data["submitted_at"]) if data["submitted_at"] else ""],
                   [("ส่งโดย", "Submitted by")[not th], data["submitted_by"] or ""],
                   [("คะแนน", "Score")[not th], data["score"] if data["score"] is not None else ""]]
    if th:
        return to_xlsx({
            "มาตรการ": (["ข้อ", "ประเภท", "ชื่อ", "ข้อความ"], measures),
            "ข้อสังเกตตามมาตรการ": (["มาตรการ"] + [STATUS_NAMES[s][0] for s in STATUS_ORDER] + ["รวม"], flags),
            "ข้อสังเกตตามระดับความสำคัญ": (["มาตรการ"] + [SEVERITY_NAMES[v][0] for v in SEVERITY_ORDER], severities),
            "ผลการพิจารณา": (["การดำเนินการ", "จำนวน"], outcomes),
            "การประเมินตนเอง": (["รายการ", "ข้อมูล"], summary),
            "ผลการประเมินรายข้อ": (["ข้อ", "ผลการประเมิน", "ระบบเสนอ", "ต่างจากที่ระบบเสนอ", "เหตุผล"], assessment),
            "หลักฐาน": (["ข้อ", "ประเภท", "หลักฐาน", "ขนาด", "บันทึกโดย", "เมื่อ"], evidence),
        })
    return to_xlsx({
        "Measures": (["Item", "Kind", "Title", "Text"], measures),
        "Flags by measure": (["Measure"] + [STATUS_NAMES[s][1] for s in STATUS_ORDER] + ["Total"], flags),
        "Flags by severity": (["Measure"] + [SEVERITY_NAMES[v][1] for v in SEVERITY_ORDER], severities),
        "Review outcomes": (["Action", "Count"], outcomes),
        "Self-assessment": (["Item", "Value"], summary),
        "Items": (["Item", "Status", "Proposed", "Differs from proposed", "Reason"], assessment),
        "Evidence": (["Item", "Kind", "Evidence", "Size", "Given by", "At (Bangkok time)"], evidence),
    })


# --- the province: the agencies' acknowledgement in one round --------------------------------

ACK_STATES = ("overdue", "late", "due", "on_time", "no_round")  # worst first
ACK_STATE_NAMES = {"overdue": ("ยังไม่รายงาน (เลยกำหนดแล้ว)", "Not reported (past the deadline)"),
                   "late": ("รายงานล่าช้า", "Reported late"),
                   "due": ("ยังไม่รายงาน (ยังไม่ถึงกำหนด)", "Not reported yet (not yet due)"),
                   "on_time": ("รายงานทันกำหนด", "Reported on time"),
                   "no_round": ("ยังไม่ได้เปิดรอบการรายงาน", "No round opened")}


def province_data(session: Session, scope: Scope, fiscal_year_be: int, today: dt.date) -> dict[str, Any]:
    """Each agency the user sees, in the round of ``fiscal_year_be``: its acknowledgement against
    that round's deadline (only that round's rows: the earliest report date among them, as rule
    2.3 counts it), its open flags by severity and its self-assessment in that year's campaign;
    worst first (not reported past the deadline, then late by most days, not yet due, on time)."""
    from engine.store import ita, province

    scope.require(READ)
    rnd = province.rounds(session, scope).get(fiscal_year_be)
    reported: dict[str, dt.date] = {}
    has_row: set[str] = set()
    for agency_id, day in session.execute(select(AcknowledgementRow.agency_id, AcknowledgementRow.reported_on).where(
            func.coalesce(AcknowledgementRow.fiscal_year, 2562) == fiscal_year_be)):
        has_row.add(agency_id)
        if day and (agency_id not in reported or day < reported[agency_id]):
            reported[agency_id] = day
    campaign = session.scalar(select(Campaign).where(Campaign.fiscal_year == fiscal_year_be))
    assessed = {r["agency_id"]: r for r in sa.overview(session, scope, campaign.id if campaign else None)}
    open_flags: Counter = Counter()
    for agency_id, severity, n in session.execute(
            select(FlagRow.agency_id, FlagRow.severity, func.count()).where(FlagRow.status.in_(sa.ACTIVE))
            .group_by(FlagRow.agency_id, FlagRow.severity)):
        open_flags[(agency_id, severity)] = n
    rows = []
    for agency_id, a in assessed.items():
        day = reported.get(agency_id)
        if rnd is None:
            state, late = "no_round", None
        elif day is None:
            state, late = ("overdue" if today > rnd.deadline else "due"), None
        else:
            state, late = ("late", (day - rnd.deadline).days) if day > rnd.deadline else ("on_time", None)
        rows.append({"agency_id": agency_id, "name": a["name"], "state": state, "reported_on": day,
                     "days_late": late, "recorded": agency_id in has_row,
                     "high": open_flags[(agency_id, "high")], "medium": open_flags[(agency_id, "medium")],
                     "low": open_flags[(agency_id, "low")], "assessment": a["status"], "score": a["score"]})
    rows.sort(key=lambda r: (ACK_STATES.index(r["state"]), -(r["days_late"] or 0), -r["high"], r["name"]))
    return {"fiscal_year": fiscal_year_be, "round": rnd, "today": today, "campaign": campaign.fiscal_year if campaign
            else None, "ita": ita.mapping(session, scope, fiscal_year_be), "agencies": rows,
            "counts": Counter(r["state"] for r in rows)}


def _province_rows(data: dict[str, Any], lang: str) -> tuple[list[str], list[list[Any]]]:
    th = lang == "th"
    columns = (["หน่วยงาน", "การรายงานการรับทราบ (2.3)", "วันที่รายงาน", "ช้า (วัน)", "สูง", "ปานกลาง", "ต่ำ",
                "การประเมินตนเอง", "คะแนน"] if th else
               ["Agency", "Acknowledgement (2.3)", "Reported on", "Days late", "High", "Medium", "Low",
                "Self-assessment", "Score"])
    rows = [[r["name"], _name(ACK_STATE_NAMES, r["state"], lang), _day(r["reported_on"], lang),
             r["days_late"] if r["days_late"] is not None else "", r["high"], r["medium"], r["low"],
             _name(sa.ASSESSMENT_STATUS_NAMES, r["assessment"], lang),
             "" if r["score"] is None else round(r["score"], 1)] for r in data["agencies"]]
    return columns, rows


def _round_line(data: dict[str, Any], lang: str = "th") -> str:
    r = data["round"]
    if r is None:
        return (f"ปีงบประมาณ {data['fiscal_year']}: ยังไม่ได้เปิดรอบการรายงานการรับทราบ" if lang == "th"
                else f"Fiscal year {data['fiscal_year']}: no acknowledgement round opened")
    if lang == "th":
        letter = f" ตามหนังสือ ที่ {r.letter.number} ลงวันที่ {format_date_long(r.letter.date)}" if r.letter else ""
        return f"รอบปีงบประมาณ {data['fiscal_year']} กำหนดส่งถึงจังหวัด {format_date_long(r.deadline)}{letter}"
    letter = f" (letter {r.letter.number} of {r.letter.date.isoformat()})" if r.letter else ""
    return f"Round of fiscal year {data['fiscal_year']}: due at the province {r.deadline.isoformat()}{letter}"


def province_pdf(data: dict[str, Any]) -> bytes:
    """The province's overview of one round, Arabic digits throughout (a data report)."""
    title = f"การรายงานการรับทราบมาตรการตรวจสอบการใช้ดุลพินิจ ปีงบประมาณ พ.ศ. {data['fiscal_year']}"
    doc = ThaiDocument(title, footer=f"จังหวัดขอนแก่น · {format_date_long(data['today'])}", digits="arabic")
    doc.heading(title, 15)
    doc.paragraph(f"{_round_line(data)} ข้อมูล ณ วันที่ {format_date_long(data['today'])}", size=12)
    doc.paragraph(data["ita"].label("th"), size=12)
    counts = data["counts"]
    doc.paragraph("  ".join(f"{ACK_STATE_NAMES[s][0]} {counts.get(s, 0)}" for s in ACK_STATES if s != "no_round")
                  if data["round"] else ACK_STATE_NAMES["no_round"][0], size=11, bold=True)
    doc.paragraph("สูง ปานกลาง ต่ำ: ข้อสังเกตที่ยังไม่ยุติ จำแนกตามระดับความสำคัญ", size=11)
    columns, rows = _province_rows(data, "th")
    doc.grid(columns, [[str(v) for v in r] for r in rows], [40, 28, 22, 10, 9, 17, 8, 22, 14], size=9)
    return doc.bytes()


def province_xlsx(data: dict[str, Any], lang: str = "th") -> bytes:
    columns, rows = _province_rows(data, lang)
    sheet = f"รอบปีงบประมาณ {data['fiscal_year']}" if lang == "th" else f"Round {data['fiscal_year']}"
    return to_xlsx({sheet: (columns, rows)})
