"""The two documents an agency hands in: the acknowledgement form (guideline 2.3) and the
O48 evidence pack (the measures, flags by measure, review outcomes, self-assessment), each
as PDF (Thai, Sarabun) and XLSX."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..exports import to_xlsx
from ..kb import load_kb
from ..pdf import ThaiDocument
from ..thai import format_date_long, to_thai_digits
from . import assessment as sa
from .access import READ, NotFound, Scope
from .review import ACTION_NAMES, STATUS_NAMES
from .schema import AcknowledgementRow, AgencyRow, Assessment, FlagEvent, FlagRow, OfficerRow

STATUS_ORDER = ("open", "needs_info", "confirmed", "resolved", "dismissed", "waived", "cleared_by_data")


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
    kb = load_kb()
    src = kb.source
    doc = ThaiDocument(src.form_th, footer=f"{data['agency']} · {format_date_long(today)}")
    doc.heading(src.form_th, 17)
    doc.paragraph("เรียน  หัวหน้าสำนักงานจังหวัดขอนแก่น (กลุ่มงานบริหารทรัพยากรบุคคล)")
    doc.paragraph(f"หน่วยงาน  {data['agency']}")
    doc.paragraph(f"ตามหนังสือจังหวัดขอนแก่น ที่ {src.letter_no} ลงวันที่ {to_thai_digits(format_date_long(src.dated))} "
                  f"เรื่อง {src.subject_th} {data['agency']} ได้รับทราบมาตรการดังกล่าว และได้ดำเนินการ ดังนี้")
    informed = data["staff_total"] and data["staff_acknowledged"] >= data["staff_total"]
    mark = lambda done: "[/]" if done else "[  ]"  # noqa: E731
    doc.paragraph(f"{mark(informed)} ๒.๑ แจ้งประชาสัมพันธ์มาตรการให้บุคลากรรับทราบแล้ว "
                  f"{data['staff_acknowledged']} คน จากทั้งหมด {data['staff_total']} คน")
    doc.paragraph(f"{mark(bool(data['published_url']))} ๒.๒ เผยแพร่มาตรการบนเว็บไซต์ของหน่วยงาน: "
                  f"{data['published_url'] or 'ยังไม่ได้เผยแพร่'}")
    when = format_date_long(data["reported_on"]) if data["reported_on"] else "ยังไม่ได้รายงาน"
    doc.paragraph(f"{mark(bool(data['reported_on']))} ๒.๓ รายงานการรับทราบต่อจังหวัด เมื่อวันที่ {when}")
    doc.paragraph("มาตรการตรวจสอบการใช้ดุลพินิจ (ข้อ ๑.๑–๑.๘) ที่รับทราบ:", bold=True)
    for m in kb.measures:
        if m.kind == "measure":
            doc.paragraph(f"{to_thai_digits(m.id)} {m.text_th}", size=11)
    doc.ln(8)
    doc.paragraph("ลงชื่อ ........................................................")
    doc.paragraph(f"({data['head'] or '........................................'})")
    doc.paragraph(f"ตำแหน่ง {data['head_position'] or 'หัวหน้าหน่วยงาน'}")
    doc.paragraph(f"วันที่ {format_date_long(today)}")
    return doc.bytes()


def acknowledgement_xlsx(data: dict[str, Any]) -> bytes:
    src = load_kb().source
    rows = [["หน่วยงาน", data["agency"]], ["รหัสหน่วยงาน", data["agency_id"]],
            ["อ้างถึงหนังสือ", f"{src.letter_no} ลงวันที่ {format_date_long(src.dated)}"],
            ["๒.๑ บุคลากรที่รับทราบ", data["staff_acknowledged"]], ["๒.๑ บุคลากรทั้งหมด", data["staff_total"]],
            ["๒.๒ เว็บไซต์ที่เผยแพร่", data["published_url"] or ""],
            ["๒.๓ วันที่รายงานจังหวัด", format_date_long(data["reported_on"]) if data["reported_on"] else ""],
            ["หัวหน้าหน่วยงาน", data["head"] or ""]]
    return to_xlsx({"แบบรายงานการรับทราบ": (["รายการ", "ข้อมูล"], rows)})


def evidence_data(session: Session, scope: Scope, agency_id: str, campaign_id: int | None) -> dict[str, Any]:
    agency = _agency(session, scope, agency_id)
    flags = Counter()
    for measure, status, n in session.execute(select(FlagRow.measure, FlagRow.status, func.count())
                                              .where(FlagRow.agency_id == agency_id)
                                              .group_by(FlagRow.measure, FlagRow.status)):
        flags[(measure, status)] = n
    outcomes = Counter()
    for action, n in session.execute(select(FlagEvent.action, func.count()).join(FlagRow, FlagRow.flag_id == FlagEvent.flag_id)
                                     .where(FlagRow.agency_id == agency_id, FlagEvent.actor != "system")
                                     .group_by(FlagEvent.action)):
        outcomes[action] = n
    assessment_rows, score, status = [], None, None
    if campaign_id is not None:
        found = session.scalar(select(Assessment).where(Assessment.campaign_id == campaign_id,
                                                        Assessment.agency_id == agency_id))
        if found:
            items = sa.items(session, scope, found.id)
            assessment_rows = [{"measure": i.measure_id, "status": i.status, "proposed": i.proposed_status,
                                "reason": i.override_reason, "evidence": i.evidence_url or i.evidence_file_name
                                or i.evidence_note} for i in items]
            score = found.score if found.status == "submitted" else sa.score(items)
            status = found.status
    return {"agency_id": agency_id, "agency": agency.name, "flags": flags, "outcomes": outcomes,
            "assessment": assessment_rows, "score": score, "assessment_status": status}


def evidence_pdf(data: dict[str, Any], today: dt.date) -> bytes:
    kb = load_kb()
    doc = ThaiDocument("หลักฐานประกอบการประเมิน ITA ข้อ O48", footer=f"{data['agency']} · {format_date_long(today)}")
    doc.heading("หลักฐานประกอบการประเมิน ITA ข้อ O48: มาตรการตรวจสอบการใช้ดุลพินิจ", 16)
    doc.paragraph(f"หน่วยงาน {data['agency']} ({data['agency_id']}) ข้อมูล ณ วันที่ {format_date_long(today)}")
    doc.heading("๑. มาตรการและแนวทาง", 14)
    for m in kb.measures:
        doc.paragraph(f"ข้อ {to_thai_digits(m.id)} {m.title_th}", size=12, bold=True)
        doc.paragraph(m.text_th, size=11)
    doc.heading("๒. ข้อสังเกตจากการตรวจสอบ จำแนกตามมาตรการ", 14)
    columns = ["มาตรการ"] + [STATUS_NAMES[s][0] for s in STATUS_ORDER] + ["รวม"]
    rows = []
    for m in kb.measures:
        counts = [data["flags"].get((m.id, s), 0) for s in STATUS_ORDER]
        rows.append([m.id] + [str(c) for c in counts] + [str(sum(counts))])
    doc.grid(columns, rows, [14] + [18] * len(STATUS_ORDER) + [14], size=9)
    doc.heading("๓. ผลการพิจารณาของผู้บังคับบัญชา", 14)
    outcome_rows = [[ACTION_NAMES.get(a, (a, a))[0], str(n)] for a, n in sorted(data["outcomes"].items())]
    doc.grid(["การดำเนินการ", "จำนวน"], outcome_rows or [["ยังไม่มีการพิจารณา", "0"]], [120, 30])
    doc.heading("๔. การประเมินตนเอง", 14)
    if data["assessment"]:
        doc.paragraph(f"สถานะ: {'ส่งแล้ว' if data['assessment_status'] == 'submitted' else 'ร่าง'}  คะแนน: "
                      f"{data['score'] if data['score'] is not None else '-'}")
        doc.grid(["ข้อ", "ผลการประเมิน", "ระบบเสนอ", "เหตุผลที่ต่างจากที่เสนอ", "หลักฐาน"],
                 [[r["measure"], sa.ITEM_STATUS_NAMES[r["status"]][0], sa.ITEM_STATUS_NAMES[r["proposed"]][0],
                   r["reason"] or "", r["evidence"] or ""] for r in data["assessment"]], [12, 34, 34, 45, 45], size=10)
    else:
        doc.paragraph("ยังไม่มีการประเมินตนเองในรอบนี้")
    return doc.bytes()


def evidence_xlsx(data: dict[str, Any]) -> bytes:
    kb = load_kb()
    measures = [[m.id, m.kind, m.title_th, m.text_th, m.text_en] for m in kb.measures]
    flags = [[m.id] + [data["flags"].get((m.id, s), 0) for s in STATUS_ORDER] for m in kb.measures]
    outcomes = [[a, ACTION_NAMES.get(a, (a, a))[0], n] for a, n in sorted(data["outcomes"].items())]
    assessment = [[r["measure"], r["status"], r["proposed"], r["reason"] or "", r["evidence"] or ""]
                  for r in data["assessment"]]
    return to_xlsx({
        "มาตรการ": (["ข้อ", "ประเภท", "ชื่อ", "ข้อความ (ไทย)", "English"], measures),
        "ข้อสังเกตตามมาตรการ": (["มาตรการ"] + list(STATUS_ORDER), flags),
        "ผลการพิจารณา": (["action", "การดำเนินการ", "จำนวน"], outcomes),
        "การประเมินตนเอง": (["ข้อ", "ผลการประเมิน", "ระบบเสนอ", "เหตุผล", "หลักฐาน"], assessment),
    })
