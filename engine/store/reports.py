"""The two documents an agency hands in: the acknowledgement form (guideline 2.3) and the
O48 evidence pack (the measures, flags by measure, review outcomes, the self-assessment with its
evidence), each as PDF (Thai, Sarabun) and XLSX (Thai, or English on request).

Numerals: the acknowledgement form is an official document and uses Thai digits throughout, as
the provincial letter does (dates in the Buddhist Era); the evidence pack is a data report and
uses Arabic digits throughout (its quotes of the letter included), as the app and the XLSX do."""

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


def acknowledgement_data(session: Session, scope: Scope, agency_id: str) -> dict[str, Any]:
    agency = _agency(session, scope, agency_id)
    rows = session.scalars(select(AcknowledgementRow).where(AcknowledgementRow.agency_id == agency_id)
                           .order_by(AcknowledgementRow.id)).all()
    head = session.scalar(select(OfficerRow).where(OfficerRow.agency_id == agency_id,
                                                   OfficerRow.supervisor_id.is_(None)).order_by(OfficerRow.officer_id))
    reported = sorted(r.reported_on for r in rows if r.reported_on)
    return {"agency_id": agency_id, "agency": agency.name, "head": head.name if head else None,
            "head_position": head.position if head else None,
            "staff_total": sum(r.staff_total for r in rows), "staff_acknowledged": sum(r.staff_acknowledged for r in rows),
            "published_url": next((r.published_url for r in rows if r.published_url), None),
            "reported_on": reported[0] if reported else None}


def acknowledgement_pdf(data: dict[str, Any], today: dt.date) -> bytes:
    """The form of guideline 2.3, in Thai digits throughout, its signature block kept on one page."""
    kb = load_kb()
    src = kb.source
    doc = ThaiDocument(src.form_th, footer=f"{data['agency']} · {format_date_long(today)}", digits="thai")
    doc.heading(src.form_th, 17)
    doc.paragraph("เรียน  หัวหน้าสำนักงานจังหวัดขอนแก่น (กลุ่มงานบริหารทรัพยากรบุคคล)")
    doc.paragraph(f"หน่วยงาน  {data['agency']}")
    doc.paragraph(f"ตามหนังสือจังหวัดขอนแก่น ที่ {src.letter_no} ลงวันที่ {format_date_long(src.dated)} "
                  f"เรื่อง {src.subject_th} {data['agency']} ได้รับทราบมาตรการดังกล่าว และได้ดำเนินการ ดังนี้")
    informed = bool(data["staff_total"]) and data["staff_acknowledged"] >= data["staff_total"]
    mark = lambda done: "[/]" if done else "[  ]"  # noqa: E731
    doc.paragraph(f"{mark(informed)} 2.1 แจ้งประชาสัมพันธ์มาตรการให้บุคลากรรับทราบแล้ว "
                  f"{data['staff_acknowledged']} คน จากทั้งหมด {data['staff_total']} คน")
    doc.paragraph(f"{mark(bool(data['published_url']))} 2.2 เผยแพร่มาตรการบนเว็บไซต์ของหน่วยงาน: "
                  f"{data['published_url'] or 'ยังไม่ได้เผยแพร่'}")
    when = format_date_long(data["reported_on"]) if data["reported_on"] else "ยังไม่ได้รายงาน"
    doc.paragraph(f"{mark(bool(data['reported_on']))} 2.3 รายงานการรับทราบต่อจังหวัด เมื่อวันที่ {when}")
    doc.paragraph("มาตรการตรวจสอบการใช้ดุลพินิจ (ข้อ 1.1–1.8) ที่รับทราบ:", bold=True)
    for m in kb.measures:
        if m.kind == "measure":
            doc.paragraph(f"{m.id} {m.text_th}", size=11)
    doc.ln(8)
    with doc.kept_together() as block:  # centred on the right half, as a Thai official form signs
        for line in ("ลงชื่อ ........................................................",
                     f"({data['head'] or '........................................'})",
                     f"ตำแหน่ง {data['head_position'] or 'หัวหน้าหน่วยงาน'}", f"วันที่ {format_date_long(today)}"):
            block.paragraph(line, indent=doc.epw / 2 - 15, align="C")
    return doc.bytes()


def acknowledgement_xlsx(data: dict[str, Any], lang: str = "th") -> bytes:
    """The form's data as one sheet; ``lang="en"`` gives English labels and values."""
    src = load_kb().source
    th = lang == "th"
    informed = bool(data["staff_total"]) and data["staff_acknowledged"] >= data["staff_total"]
    labels = [("หน่วยงาน", "Agency"), ("รหัสหน่วยงาน", "Agency id"), ("อ้างถึงหนังสือ", "Letter"),
              ("๒.๑ แจ้งบุคลากรครบทุกคน", "2.1 all staff informed"), ("๒.๑ บุคลากรที่รับทราบ", "2.1 staff informed"),
              ("๒.๑ บุคลากรทั้งหมด", "2.1 staff in total"), ("๒.๒ เผยแพร่บนเว็บไซต์แล้ว", "2.2 published on the website"),
              ("๒.๒ เว็บไซต์ที่เผยแพร่", "2.2 published at"), ("๒.๓ รายงานจังหวัดแล้ว", "2.3 reported to the province"),
              ("๒.๓ วันที่รายงานจังหวัด", "2.3 reported on"), ("หัวหน้าหน่วยงาน", "Head of the agency")]
    letter = (f"{src.letter_no} ลงวันที่ {format_date_long(src.dated)}" if th
              else f"{src.letter_no} of {src.dated.isoformat()}")
    values = [data["agency"], data["agency_id"], letter, _name(YES_NO, informed, lang), data["staff_acknowledged"],
              data["staff_total"], _name(YES_NO, bool(data["published_url"]), lang), data["published_url"] or "",
              _name(YES_NO, data["reported_on"] is not None, lang), _day(data["reported_on"], lang), data["head"] or ""]
    rows = [[label[0 if th else 1], value] for label, value in zip(labels, values, strict=True)]
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


def evidence_data(session: Session, scope: Scope, agency_id: str, campaign_id: int | None) -> dict[str, Any]:
    """Everything the evidence pack shows; ``campaign_id`` picks the self-assessment (None: none)."""
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


def evidence_pdf(data: dict[str, Any], today: dt.date) -> bytes:
    """The O48 evidence pack, Arabic digits throughout (it is a data report; see the module's docstring)."""
    kb = load_kb()
    doc = ThaiDocument("หลักฐานประกอบการประเมิน ITA ข้อ O48", footer=f"{data['agency']} · {format_date_long(today)}",
                       digits="arabic")
    doc.heading("หลักฐานประกอบการประเมิน ITA ข้อ O48: มาตรการตรวจสอบการใช้ดุลพินิจ", 16)
    doc.paragraph(f"หน่วยงาน {data['agency']} ({data['agency_id']}) ข้อมูล ณ วันที่ {format_date_long(today)}")
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
    doc.paragraph("ข้อสังเกตที่ยังไม่ยุติ (รอพิจารณา ขอข้อมูลเพิ่มเติม ยืนยันแล้ว) จำแนกตามระดับความรุนแรง", size=12,
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
    if data["assessment_status"]:
        summary = [[("ปีงบประมาณ (พ.ศ.)", "Fiscal year (BE)")[not th], data["fiscal_year"]],
                   [("สถานะ", "Status")[not th], _name(sa.ASSESSMENT_STATUS_NAMES, data["assessment_status"], lang)],
                   [("ส่งเมื่อ", "Submitted at")[not th], when(data["submitted_at"]) if data["submitted_at"] else ""],
                   [("ส่งโดย", "Submitted by")[not th], data["submitted_by"] or ""],
                   [("คะแนน", "Score")[not th], data["score"] if data["score"] is not None else ""]]
    if th:
        return to_xlsx({
            "มาตรการ": (["ข้อ", "ประเภท", "ชื่อ", "ข้อความ"], measures),
            "ข้อสังเกตตามมาตรการ": (["มาตรการ"] + [STATUS_NAMES[s][0] for s in STATUS_ORDER] + ["รวม"], flags),
            "ข้อสังเกตตามความรุนแรง": (["มาตรการ"] + [SEVERITY_NAMES[v][0] for v in SEVERITY_ORDER], severities),
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
