"""User-facing text in Thai (default) and English, and dates in the Buddhist Era."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import streamlit as st

from engine.domain.thai import format_date

LANG_KEY = "app.lang"

TEXT: dict[str, tuple[str, str]] = {
    "app.title": ("ตรวจสอบการใช้ดุลพินิจ", "Discretion review"),
    "app.subtitle": ("มาตรการตรวจสอบการใช้ดุลพินิจ จังหวัดขอนแก่น (ITA ข้อ O48)",
                     "Measures for checking the use of discretion, Khon Kaen (ITA item O48)"),
    "lang.label": ("ภาษา", "Language"),
    "app.failed": ("ระบบขัดข้อง สิ่งที่ยังไม่ได้บันทึกจึงยังไม่ถูกบันทึก กรุณาลองใหม่อีกครั้ง หากยังขัดข้องอยู่ "
                   "โปรดแจ้งผู้ดูแลระบบพร้อมรหัสอ้างอิง {ref}",
                   "The app failed; nothing that was not yet saved was saved. Please try again; if it fails again, "
                   "tell the administrator the reference {ref}"),
    "login.title": ("เข้าสู่ระบบ", "Log in"), "login.username": ("ชื่อผู้ใช้", "Username"),
    "login.password": ("รหัสผ่าน", "Password"), "login.submit": ("เข้าสู่ระบบ", "Log in"),
    "login.failed": ("ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง หรือบัญชีถูกระงับ", "Wrong username or password, or the account is disabled"),
    "login.locked": ("เข้าสู่ระบบผิดหลายครั้งเกินไป กรุณาลองใหม่ในอีก 15 นาที",
                     "Too many failed logins; try again in 15 minutes"),
    "logout": ("ออกจากระบบ", "Log out"),
    "missing.title": ("ไม่พบหน้าที่ต้องการ", "Page not found"),
    "missing.text": ("ไม่มีหน้า {address} ในระบบ หรือบทบาทของท่านเปิดหน้านี้ไม่ได้ กรุณาเลือกหน้าจากเมนูด้านข้าง "
                     "หรือกลับไปหน้าแรก",
                     "There is no page {address}, or your role cannot open it. Pick a page in the menu, or go to "
                     "the home page."),
    "missing.home": ("กลับไปหน้าแรก", "Go to the home page"),
    "missing.login": ("ไม่พบหน้า {address} กรุณาเข้าสู่ระบบ แล้วเลือกหน้าจากเมนูด้านข้าง",
                      "There is no page {address}: log in, then pick a page in the menu"),
    "nav.queue": ("รายการที่ต้องพิจารณา", "Review queue"), "nav.flag": ("รายละเอียดข้อสังเกต", "Flag detail"),
    "nav.data": ("ข้อมูลและการประมวลผล", "Data and evaluation"), "nav.rules": ("มาตรการและเกณฑ์การตรวจสอบ", "Measures and rules"),
    "queue.filters": ("ตัวกรอง", "Filters"), "queue.any": ("ทั้งหมด", "Any"), "queue.all": ("ทั้งหมด", "All"),
    "queue.title": ("รายการข้อสังเกตที่ต้องพิจารณา", "Flags to review"),
    "queue.measure": ("มาตรการ", "Measure"), "queue.severity": ("ระดับความสำคัญ", "Severity"),
    "queue.status": ("สถานะ", "Status"), "queue.process": ("กระบวนงาน", "Process"),
    "queue.officer": ("เจ้าหน้าที่", "Officer"), "queue.agency": ("หน่วยงาน", "Agency"),
    "queue.date_from": ("ตั้งแต่วันที่", "From"), "queue.date_to": ("ถึงวันที่", "To"),
    "queue.text": ("ค้นหา", "Search"), "queue.sort": ("เรียงตาม", "Sort by"),
    "queue.page": ("หน้า", "Page"), "queue.total": ("พบ {total} รายการ (หน้า {page}/{pages})", "{total} flags (page {page}/{pages})"),
    "queue.empty": ("ไม่พบข้อสังเกตตามเงื่อนไขที่เลือก", "No flags match the filters"),
    "queue.none_found": ("ไม่พบข้อสังเกตที่ตรงกับคำค้นหาตามเงื่อนไขที่เลือก", "No flag matches the search and the filters"),
    "queue.text_hint": ("รหัสข้อสังเกต เลขที่เรื่อง ชื่อเจ้าหน้าที่ กระบวนงาน หรือหน่วยงาน หรือข้อความในคำอธิบาย",
                        "A flag id, case number, officer, process or agency name, or words of the explanation"),
    "queue.all_statuses": ("ค้นหาในทุกสถานะ เลือกสถานะในตัวกรองด้านบนเพื่อจำกัดผลการค้นหา",
                           "Searching every status; choose statuses above to narrow the search"),
    "queue.open": ("เปิดรายละเอียด", "Open detail"), "queue.bulk": ("ดำเนินการกับรายการที่เลือก ({n} รายการ)", "Act on the selection ({n} flags)"),
    "queue.select": ("เลือกรายการ", "Select flags"),
    "queue.select_hint": ("คลิกช่องหน้าแถวเพื่อเลือก: หนึ่งแถวเพื่ออ่านและเปิดรายละเอียด หลายแถวเพื่อดำเนินการพร้อมกัน "
                           "หรือคลิก \"เปิด\" เพื่อไปที่ข้อสังเกตนั้น",
                          "Tick rows: one to read and open it, several to act on them at once; or click \"open\""),
    "col.severity": ("ระดับ", "Severity"), "col.rule": ("เกณฑ์การตรวจสอบ", "Rule"), "col.subject": ("เรื่อง", "Subject"),
    "col.agency": ("หน่วยงาน", "Agency"), "col.status": ("สถานะ", "Status"), "col.date": ("วันที่", "Date"),
    "col.message": ("คำอธิบาย", "Explanation"), "col.item": ("รายการ", "Item"), "col.value": ("ข้อมูล", "Value"), "col.flag": ("รหัสข้อสังเกต", "Flag id"),
    "col.agency_id": ("รหัสหน่วยงาน", "id"),
    "sort.severity": ("ระดับความสำคัญ", "Severity"), "sort.date": ("วันที่ล่าสุด", "Latest date"),
    "sort.newest": ("พบล่าสุด", "Newest"), "sort.rule": ("เกณฑ์การตรวจสอบ", "Rule"), "sort.subject": ("เรื่อง", "Subject"),
    "sev.high": ("สูง", "high"), "sev.medium": ("ปานกลาง", "medium"), "sev.low": ("ต่ำ", "low"),
    "flag.none": ("ยังไม่ได้เลือกข้อสังเกต เลือกจากรายการที่ต้องพิจารณา", "No flag selected; pick one in the review queue"),
    "flag.id": ("รหัสข้อสังเกต", "Flag id"), "flag.explanation": ("คำอธิบาย", "Explanation"),
    "flag.evidence": ("ข้อเท็จจริงที่พบ", "Evidence"), "flag.case": ("ข้อมูลเรื่อง", "Case record"),
    "flag.escalations": ("รายงานต่อผู้บังคับบัญชา", "Reports up the chain"),
    "flag.measure": ("มาตรการตามหนังสือจังหวัด", "The measure (provincial letter)"),
    "flag.rule": ("เกณฑ์การตรวจสอบที่ใช้", "The rule"), "flag.history": ("ประวัติการดำเนินการ", "History"),
    "flag.changed": ("ข้อมูลเปลี่ยนจากครั้งก่อน: {fields}", "Evidence changed since last time: {fields}"),
    "flag.actions": ("ดำเนินการ", "Act"), "flag.saved": ("บันทึกแล้ว", "Saved"),
    "flag.no_actions": ("สถานะนี้ไม่มีการดำเนินการที่ทำได้ หรือบทบาทของท่านอ่านได้อย่างเดียว",
                        "No action applies to this status, or your role is read-only"),
    "flag.corrective": ("การแก้ไข", "Corrective action"), "flag.due": ("กำหนดแล้วเสร็จ", "Due"),
    "flag.waiver": ("ผ่อนผันโดย {who} ถึง {until}", "Waived by {who} until {until}"),
    "form.reason": ("เหตุผล", "Reason"), "form.corrective_action": ("การแก้ไขที่ต้องทำ", "Corrective action"),
    "form.due_date": ("กำหนดแล้วเสร็จ", "Due date"), "form.approver": ("ผู้อนุมัติการผ่อนผัน", "Approved by"),
    "form.expires_on": ("ผ่อนผันถึงวันที่", "Waiver expires on"), "form.submit": ("บันทึก", "Save"),
    "form.question": ("ข้อมูลที่ต้องการเพิ่มเติม", "Information needed"),
    "hist.at": ("เวลา", "When"), "hist.actor": ("ผู้ดำเนินการ", "Who"), "hist.action": ("การดำเนินการ", "Action"),
    "hist.from": ("จาก", "From"), "hist.to": ("เป็น", "To"), "hist.reason": ("เหตุผล", "Reason"),
    "hist.details": ("รายละเอียด", "Details"),
    "data.title": ("ข้อมูลและการประมวลผล", "Data and evaluation"),
    "data.stored": ("ข้อมูลที่มีอยู่", "Stored data"),
    "data.upload": ("นำเข้าข้อมูล (ไฟล์ CSV หลายไฟล์ หรือไฟล์ .xlsx หนึ่งไฟล์)", "Upload a dataset (CSV files, or one .xlsx workbook)"),
    "data.validate": ("ตรวจสอบไฟล์", "Check the files"), "data.problems": ("พบปัญหา {n} รายการ ยังไม่ได้นำเข้าข้อมูล",
                                                                            "{n} problems found; nothing was imported"),
    "data.valid": ("ไฟล์ถูกต้อง: {counts}", "The files are valid: {counts}"),
    "data.import": ("นำเข้าข้อมูล", "Import"), "data.imported": ("นำเข้าแล้ว (ครั้งที่ {id})", "Imported (import #{id})"),
    "data.run": ("ประมวลผลตามเกณฑ์การตรวจสอบ", "Evaluate the rules"), "data.as_of": ("ประมวลผล ณ วันที่", "Evaluate as of"),
    "data.run_done": ("ประมวลผลครั้งที่ {id}: พบ {total} รายการ (ใหม่ {new}, เปิดใหม่ {reopened}, ไม่พบในการประมวลผลครั้งล่าสุด {cleared})",
                      "Run #{id}: {total} flags ({new} new, {reopened} reopened, {cleared} cleared by data)"),
    "data.unchecked_years": ("การประมวลผลนี้นับวันผ่านปี {years} ซึ่งวันหยุดราชการยังไม่ได้ตรวจสอบกับประกาศของทางราชการ "
                             "วันครบกำหนดในปีดังกล่าวอาจคลาดไปหนึ่งวัน (ดูหน้าวันหยุดราชการและรอบการรายงาน)",
                             "This run counted days through {years}, whose government days off were not checked against "
                             "the official announcements: deadlines in those years may be off by a day (see the days-off page)"),
    "data.runs": ("ประวัติการประมวลผล", "Evaluation runs"), "data.readonly": ("บทบาทของท่านนำเข้าหรือประมวลผลข้อมูลไม่ได้",
                                                                             "Your role cannot import or evaluate"),
    "data.no_files": ("ยังไม่ได้เลือกไฟล์", "No files chosen"),
    "rules.title": ("มาตรการ เกณฑ์การตรวจสอบ และค่ากำหนด", "Measures, rules and parameters"),
    "rules.applies_to": ("ตรวจเฉพาะ{subject}ที่", "Evaluates only where the {subject}"),
    "rules.parameters": ("ค่ากำหนด", "Parameters"), "rules.source": ("ที่มา", "Source"),
    "rules.condition": ("เงื่อนไข", "Condition"), "rules.legal": ("ข้อกฎหมายที่เกี่ยวข้อง", "Legal references"),
    "rules.parameters_about": ("ตัวเลขที่เกณฑ์การตรวจสอบใช้ แต่ละค่าระบุที่มา หน่วยงานกำหนดค่าของตนเองได้ด้วยคำสั่งของหน่วยงาน "
                               "(แฟ้มค่ากำหนดในชุดข้อมูล) เฉพาะค่าที่เปิดให้กำหนด",
                               "The numbers the rules use, each with its source; an agency may set its own by its order "
                               "(the dataset's parameters file), where the parameter allows it"),
    "queue.export_all": ("ดาวน์โหลดทุกรายการที่ตรงเงื่อนไข ({total} รายการ)", "Download all {total} matching flags"),
    "download.csv": ("CSV", "CSV"), "download.xlsx": ("Excel", "Excel"),
    "nav.risk": ("วิเคราะห์ความเสี่ยง", "Risk analysis"), "nav.assessment": ("ประเมินตนเอง", "Self-assessment"),
    "nav.reports": ("รายงาน", "Reports"), "nav.dashboard": ("ภาพรวมจังหวัด", "Province overview"),
    "risk.title": ("วิเคราะห์ความเสี่ยงการใช้ดุลพินิจ (มาตรการข้อ 1.4)", "Risk analysis of discretion (measure 1.4)"),
    "risk.heatmap": ("ข้อสังเกตต่อ 100 เรื่อง จำแนกตามหน่วยงานและมาตรการ", "Flags per 100 cases by agency and measure"),
    "risk.trend": ("แนวโน้มรายเดือน ปีงบประมาณ", "Monthly trend, fiscal year"), "risk.fy": ("ปีงบประมาณ พ.ศ.", "Fiscal year (BE)"),
    "risk.processes": ("กระบวนงานเรียงตามอัตราการไม่เป็นไปตามหลักเกณฑ์และเกินกำหนด",
                       "Processes by deviation and overdue rates"),
    "risk.rotation": ("เจ้าหน้าที่ที่ถึงรอบหมุนเวียน", "Officers due for rotation"),
    "risk.repeat": ("ผู้ยื่นคำขอซ้ำกับเจ้าหน้าที่คนเดิม", "Repeated applicant–officer pairs"),
    "risk.outliers": ("อัตราการอนุมัติที่แตกต่างจากเพื่อนร่วมกระบวนงาน (สัญญาณความเสี่ยง ไม่ใช่ข้อสังเกต)",
                      "Approval rates that stand out from peers in the process (risk signals, not flags)"),
    "risk.outliers_help": ("วิธีวัด: เทียบอัตราการอนุมัติของเจ้าหน้าที่ในกระบวนงานเดียวกัน (เฉพาะกระบวนงานที่มีเจ้าหน้าที่อย่างน้อย "
                           "4 คน คนละอย่างน้อย 5 เรื่อง) หาควอร์ไทล์ที่ 1 (Q1: หนึ่งในสี่ของเจ้าหน้าที่มีอัตราต่ำกว่านี้) และควอร์ไทล์ที่ 3 "
                           "(Q3: หนึ่งในสี่มีอัตราสูงกว่านี้) ช่วงจาก Q1 ถึง Q3 คือช่วงที่เจ้าหน้าที่ครึ่งหนึ่งอยู่ตรงกลาง เจ้าหน้าที่ที่อัตรา"
                           "การอนุมัติต่ำกว่า Q1 หรือสูงกว่า Q3 เกิน 1.5 เท่าของช่วงนั้น (ขอบล่างและขอบบนในตาราง) ถือว่าแตกต่างจาก"
                           "เพื่อนร่วมกระบวนงาน เป็นสัญญาณให้ผู้บริหารพิจารณา ไม่ใช่ข้อสังเกต",
                           "Fence: outside Q1 − 1.5×IQR … Q3 + 1.5×IQR of the officers in the same process "
                           "(at least 4 officers with at least 5 decisions each; quartiles as Excel's QUARTILE.INC)"),
    "risk.record": ("บันทึกการวิเคราะห์ร่วมกับคณะกรรมการจริยธรรม", "Record a joint analysis with the ethics committee"),
    "risk.agency": ("หน่วยงาน", "Agency"), "risk.date": ("วันที่วิเคราะห์", "Analysed on"),
    "risk.committee": ("คณะกรรมการจริยธรรมร่วมวิเคราะห์", "The ethics committee took part"),
    "risk.participants": ("ผู้ร่วมวิเคราะห์", "Participants"), "risk.risks": ("ความเสี่ยงที่พบ", "Risks found"),
    "risk.rotation_plan": ("แผนการหมุนเวียนเจ้าหน้าที่", "Rotation plan"),
    "risk.controls": ("มาตรการควบคุมอื่น", "Other controls"), "risk.saved": ("บันทึกการวิเคราะห์แล้ว", "Analysis recorded"),
    "risk.history": ("การวิเคราะห์ที่บันทึกไว้", "Recorded analyses"), "risk.none": ("ไม่พบรายการ", "None found"),
    "risk.none_heatmap": ("ไม่พบข้อสังเกตที่ยังไม่ยุติของเกณฑ์การตรวจสอบระดับเรื่อง", "No open flag of a case-level rule found"),
    "risk.none_trend": ("ไม่พบข้อสังเกตในปีงบประมาณนี้", "No flag found in this fiscal year"),
    "risk.none_processes": ("ไม่พบกระบวนงานที่มีเรื่อง", "No process with cases found"),
    "risk.none_outliers": ("ไม่พบเจ้าหน้าที่ที่อัตราการอนุมัติแตกต่างจากเพื่อนร่วมกระบวนงานตามเกณฑ์นี้",
                           "No officer whose approval rate stands out from their peers by this measure"),
    "risk.none_rotation": ("ไม่พบเจ้าหน้าที่ที่ถึงรอบหมุนเวียน", "No officer due for rotation found"),
    "risk.none_repeat": ("ไม่พบผู้ยื่นคำขอที่ได้รับการพิจารณาซ้ำจากเจ้าหน้าที่คนเดิมถึงเกณฑ์",
                         "No applicant found decided for repeatedly by the same officer"),
    "risk.none_analyses": ("ยังไม่มีการวิเคราะห์ที่บันทึกไว้", "No analysis recorded yet"),
    "agencies.none": ("ไม่พบหน่วยงานที่ท่านเข้าถึงได้", "No agency within your reach"),
    "risk.short.cases": ("เรื่อง", "Cases"), "risk.short.deviating": ("ไม่ตามเกณฑ์", "Deviating"),
    "risk.short.deviating_pct": ("ไม่ตามเกณฑ์ %", "Deviating %"), "risk.short.overdue": ("เกินกำหนด", "Overdue"),
    "risk.short.overdue_pct": ("เกินกำหนด %", "Overdue %"), "risk.short.approval_pct": ("อนุมัติ %", "Approved %"),
    "risk.short.fence_low": ("ขอบล่าง", "Lower"), "risk.short.fence_high": ("ขอบบน", "Upper"),
    "risk.short.decisions": ("เรื่อง", "Decisions"), "risk.short.approved": ("อนุมัติ", "Approved"),
    "risk.short.peers": ("เพื่อน", "Peers"),
    "risk.short.committee": ("กรรมการฯ", "Committee"),
    "risk.history_about": ("ตารางแสดงช่องหลัก ข้อความยาวแสดงเต็มเมื่อชี้ที่ช่อง ทุกช่องอยู่ในไฟล์ CSV และ Excel",
                           "The main fields are shown (a long text shows whole on hover); the CSV and Excel files hold every field"),
    "assess.title": ("ประเมินตนเองตามมาตรการ", "Self-assessment against the measures"),
    "assess.no_data_note": ("ข้อที่ “ยังไม่ได้ประเมิน — ไม่มีข้อมูล” คือข้อที่การประมวลผลล่าสุดของหน่วยงานไม่มีเรื่องใดให้ตรวจสอบ "
                            "(เช่น ไม่มีเรื่องที่ใช้ดุลพินิจ หรือยังไม่เปิดรอบการรายงาน) ไม่นับรวมในคะแนน เช่นเดียวกับข้อที่ไม่เกี่ยวข้อง",
                            "Items “Not assessed — no data” are those on which the agency's latest evaluation had nothing "
                            "to check (e.g. no discretionary case, or no acknowledgement round open); like items not "
                            "applicable, they do not count in the score"),
    "nav.calendar": ("วันหยุดราชการและรอบการรายงาน", "Days off and acknowledgement rounds"),
    "cal.days": ("วันหยุดราชการในวันจันทร์–ศุกร์", "Government days off on weekdays"),
    "cal.year": ("ปี พ.ศ.", "Year (Buddhist Era)"),
    "cal.date": ("วันที่", "Date"), "cal.name": ("ชื่อ", "Name"), "cal.origin": ("มาจาก", "From"),
    "cal.source": ("ที่มา", "Source"), "cal.kind": ("ประเภท", "Kind"), "cal.by": ("ผู้บันทึก", "Recorded by"),
    "cal.at": ("เวลาที่บันทึก", "Recorded at"),
    "cal.origin.kb": ("ปฏิทินวันหยุดของระบบ (อ่านอย่างเดียว)", "The app's calendar of days off (read-only)"),
    "cal.origin.kb_file": ("ฐานความรู้ kb/calendar.yaml (อ่านอย่างเดียว)", "Knowledge base kb/calendar.yaml (read-only)"),
    "cal.origin.store": ("บันทึกโดยผู้ดูแลระบบ", "Recorded by the administrator"),
    "cal.kind.add": ("วันหยุดราชการ", "Day off"), "cal.kind.remove": ("วันทำงาน (ไม่ใช่วันหยุดราชการ)", "Working day (not a day off)"),
    "cal.history": ("รายการที่ผู้ดูแลระบบบันทึก (รายการล่าสุดของแต่ละวันมีผล)",
                    "Entries recorded by the administrator (the latest for a date applies)"),
    "cal.add": ("บันทึกวันหยุดราชการที่คณะรัฐมนตรีประกาศ", "Record a day off declared by the cabinet"),
    "cal.name_th": ("ชื่อวันหยุด (ภาษาไทย)", "Name (Thai)"), "cal.name_en": ("ชื่อวันหยุด (ภาษาอังกฤษ)", "Name (English)"),
    "cal.source_hint": ("ที่มา เช่น มติคณะรัฐมนตรี วันที่ … (จำเป็น)", "Source, e.g. the cabinet resolution of … (required)"),
    "cal.save": ("บันทึก", "Save"),
    "cal.saved": ("บันทึกแล้ว การประมวลผลครั้งต่อไปจะใช้ปฏิทินนี้", "Saved: later evaluation runs use it"),
    "cal.readonly": ("เฉพาะผู้ดูแลระบบที่บันทึกได้ ท่านดูได้อย่างเดียว", "Only administrators record entries; you can read them"),
    "cal.none": ("ยังไม่มีรายการ", "No entries yet"),
    "cal.checked_year": ("วันหยุดราชการปี {year} ตรวจสอบกับประกาศของทางราชการแล้ว: {source}",
                         "The government days off of {year} were checked against the official announcements: {source}"),
    "cal.unchecked_year": ("วันหยุดราชการปี {year} ยังไม่ได้ตรวจสอบกับประกาศของทางราชการ: ระบบใช้ปฏิทินวันหยุดของระบบ "
                           "ซึ่งอาจยังไม่มีวันหยุดพิเศษที่คณะรัฐมนตรีประกาศ หรือวันพืชมงคลที่กำหนดเป็นรายปี "
                           "วันครบกำหนดที่นับผ่านปีนี้จึงอาจคลาดไปหนึ่งวัน ผู้ดูแลระบบบันทึกวันหยุดที่ขาดได้ด้านล่าง",
                           "The government days off of {year} were not checked against the official announcements: the "
                           "app's calendar may lack a special day off the cabinet declared, or the year's Royal Ploughing "
                           "Ceremony, so a deadline counted through this year may be off by a day. The administrator "
                           "records a missing day off below."),
    "cal.checked": ("ปีที่ตรวจสอบวันหยุดราชการกับประกาศของทางราชการแล้ว: {years} (ปีอื่นยังไม่ได้ตรวจสอบ)",
                    "Years whose days off were checked against the official announcements: {years} (others were not)"),
    "cal.checked_about": ("รายการจากฐานความรู้ (อ่านอย่างเดียว) ปีที่ไม่อยู่ในรายการนี้ยังไม่ได้ตรวจสอบ "
                          "การประมวลผลที่นับวันผ่านปีดังกล่าวจะแจ้งเตือนไว้ และข้อสังเกตที่เกี่ยวข้องจะระบุปีนั้น",
                          "From the knowledge base (read-only). A year not listed was not checked: a run that counts "
                          "days through it says so, and the flags concerned name that year."),
    "cal.rounds": ("รอบการรายงานการรับทราบมาตรการ (แนวทางข้อ 2.1–2.3)", "Acknowledgement rounds (guidelines 2.1–2.3)"),
    "cal.rounds_kb": ("รอบในฐานความรู้ (อ่านอย่างเดียว)", "Rounds in the knowledge base (read-only)"),
    "cal.rounds_stored": ("รอบที่ผู้ดูแลระบบเปิด (รายการล่าสุดของแต่ละปีมีผล)",
                          "Rounds opened by the administrator (the latest for a year applies)"),
    "cal.round_open": ("เปิดรอบการรายงานใหม่", "Open a new round"),
    "cal.fy": ("ปีงบประมาณ (พ.ศ.)", "Fiscal year (BE)"), "cal.deadline": ("กำหนดส่งถึงจังหวัด", "Due at the province"),
    "cal.round_source": ("ที่มา เช่น เลขที่หนังสือของจังหวัด (จำเป็น)", "Source, e.g. the province's letter number (required)"),
    "cal.round_saved": ("เปิดรอบปีงบประมาณ {fy} แล้ว การประมวลผลครั้งต่อไปจะใช้กำหนดนี้",
                        "Round of fiscal year {fy} opened: later evaluation runs use it"),
    "assess.campaign": ("รอบการประเมิน (ปีงบประมาณ)", "Campaign (fiscal year)"),
    "assess.new": ("เปิดรอบการประเมินใหม่", "Open a new campaign"), "assess.due": ("กำหนดส่ง", "Due"),
    "assess.create": ("เปิดรอบ", "Open"), "assess.none": ("ยังไม่มีรอบการประเมิน", "No campaign yet"),
    "assess.score": ("คะแนน", "Score"), "assess.status": ("สถานะ", "Status"),
    "assess.proposed": ("ระบบเสนอ", "Proposed"), "assess.basis": ("ที่มา", "Basis"),
    "assess.item_status": ("ผลการประเมิน", "Assessment"), "assess.reason": ("เหตุผลที่ต่างจากที่ระบบเสนอ", "Reason for the change"),
    "assess.url": ("หลักฐาน (URL)", "Evidence (URL)"), "assess.note": ("บันทึกประกอบ", "Note"),
    "assess.file": ("ไฟล์หลักฐาน", "Evidence file"), "assess.save": ("บันทึกข้อนี้", "Save this item"),
    "assess.submit": ("ส่งผลการประเมิน (ส่งแล้วแก้ไขไม่ได้)", "Submit (locks the assessment)"),
    "assess.submitted": ("ส่งแล้วเมื่อ {when} โดย {who}", "Submitted on {when} by {who}"),
    "assess.locked": ("ส่งผลการประเมินแล้ว แก้ไขไม่ได้", "Submitted: locked"),
    "assess.readonly": ("บทบาทของท่านดูได้อย่างเดียว", "Your role can only read this"),
    "reports.title": ("รายงาน", "Reports"), "reports.ack": ("แบบรายงานการรับทราบมาตรการตรวจสอบการใช้ดุลพินิจ",
                                                          "Acknowledgement form"),
    "reports.pack": ("หลักฐานประกอบการประเมิน ITA ข้อ O48", "O48 evidence pack"),
    "dash.title": ("ภาพรวม 33 หน่วยงาน จังหวัดขอนแก่น", "The 33 agencies of Khon Kaen"),
    "dash.ack_ok": ("รายงานทันกำหนด", "Reported on time"), "dash.ack_late": ("รายงานล่าช้า", "Reported late"),
    "dash.ack_none": ("ยังไม่รายงาน", "Not reported"),
    "date.placeholder": ("เช่น 31/12/2569", "e.g. 31/12/2569"),
    "date.hint": ("พิมพ์วันที่ เช่น 31/12/2569 (พ.ศ.), 31/12/2026 (ค.ศ.) หรือ 2569-12-31", "Type a date: 31/12/2569, 31/12/2026 or 2569-12-31"),
    "date.invalid": ("\"{text}\" ไม่ใช่วันที่ กรุณาพิมพ์ เช่น 31/12/2569 (พ.ศ.) หรือ 31/12/2026 (ค.ศ.) หรือ 2569-12-31",
                     "\"{text}\" is not a date; type e.g. 31/12/2569 (Buddhist Era), 31/12/2026 or 2569-12-31"),
    "date.understood": ("หมายถึง {day}", "Understood as {day}"),
    "date.fix_first": ("กรุณาแก้ไขวันที่ให้ถูกต้องก่อนบันทึก ยังไม่ได้บันทึก", "Fix the date first; nothing was saved"),
    "flag.denied": ("ไม่มีสิทธิ์เข้าถึงข้อสังเกตนี้", "You have no access to this flag"),
    "flag.conflict": ("มีผู้อื่นแก้ไขข้อสังเกตนี้หลังจากที่ท่านเปิดดู", "Someone else changed this flag after you opened it"),
    "flag.conflict_refused": ("ยังไม่ได้บันทึก: มีผู้อื่นแก้ไขข้อสังเกตนี้หลังจากที่ท่านเปิดดู",
                              "Not saved: someone else changed this flag after you opened it"),
    "flag.conflict_now": ("สถานะขณะนี้: {status}", "Now: {status}"),
    "flag.conflict_kept": ("ข้อความและวันที่ที่ท่านพิมพ์ยังอยู่ครบทุกช่อง กด “โหลดข้อมูลล่าสุด” เพื่อดูข้อสังเกตฉบับล่าสุด "
                           "แล้วจึงบันทึกอีกครั้ง",
                           "Everything you typed, dates included, is kept. Reload to see the flag as it is now, then save again."),
    "change.event": ("{action} โดย {who} เมื่อ {when}", "{action} by {who} on {when}"),
    "change.reason": ("เหตุผล: {reason}", "Reason: {reason}"),
    "change.gone": ("ไม่อยู่ในรายการที่ท่านเข้าถึงได้แล้ว", "no longer within your reach"),
    "bulk.refused": ("ไม่ได้บันทึกรายการใดเลย: มีผู้อื่นแก้ไขข้อสังเกตที่ท่านเลือกไว้ {n} รายการ หลังจากที่ท่านเลือก",
                     "Nothing was saved: someone else changed {n} of the flags you ticked after you ticked them"),
    "bulk.refused_rest": ("นำรายการดังกล่าวออกจากรายการที่เลือกแล้ว กรุณาตรวจสอบรายการที่เหลือ แล้วกดบันทึกอีกครั้ง",
                          "They are no longer ticked: check the rest and save again."),
    "bulk.refused_none": ("ไม่มีรายการที่เลือกเหลืออยู่ กรุณาเลือกใหม่จากรายการล่าสุด",
                          "Nothing is ticked any more: tick again in the list as it is now."),
    "queue.ticked_gone": ("ไม่อยู่ในรายการนี้แล้ว", "no longer in this list"),
    "flag.reload": ("โหลดข้อมูลล่าสุด", "Reload"), "flag.was": ("เดิม", "was"),
    "subject.case": ("เรื่อง", "Case"), "subject.officer": ("เจ้าหน้าที่", "Officer"),
    "subject.process": ("กระบวนงาน", "Process"), "subject.agency": ("หน่วยงาน", "Agency"),
    "queue.rule": ("เกณฑ์การตรวจสอบ", "Rule"), "queue.open_link": ("เปิด", "open"),
    "queue.message_help": ("คำอธิบายเต็มแสดงเมื่อเลือกแถว", "Pick the row to read the whole explanation"),
    "queue.selected_explanations": ("คำอธิบายของ {n} รายการที่เลือก", "Explanations of the {n} flags picked"),
    "queue.bulk_done": ("{action} แล้ว {n} รายการ: {ids}", "{action}: done for {n} flags: {ids}"),
    "risk.per_100": ("ต่อ 100 เรื่อง", "per 100 cases"), "risk.flags": ("จำนวนข้อสังเกต", "Flags"),
    "risk.cases": ("จำนวนเรื่อง", "Cases"), "risk.month": ("เดือน", "Month"),
    "risk.other_levels": ("ข้อสังเกตของเกณฑ์การตรวจสอบระดับกระบวนงาน เจ้าหน้าที่ และหน่วยงาน (นับเป็นจำนวน ไม่คิดต่อ 100 เรื่อง)",
                          "Flags of process-, officer- and agency-level rules (counts, not per 100 cases)"),
    "risk.direction.high": ("สูงกว่าเพื่อน", "above peers"), "risk.direction.low": ("ต่ำกว่าเพื่อน", "below peers"),
    "risk.saved_detail": ("บันทึกการวิเคราะห์ของ {agency} วันที่ {day} แล้ว", "Analysis of {agency} on {day} recorded"),
    "risk.from_import": ("นำเข้าจากไฟล์", "imported"),
    "data.upload_help": ("ไฟล์ละไม่เกิน 200 MB", "At most 200 MB a file"),
    "data.progress_done": ("ประมวลผลเสร็จแล้ว", "Done"), "data.progress_agency": ("กำลังประมวลผล: {agency}", "Evaluating: {agency}"),
    "table.agencies": ("หน่วยงาน", "agencies"), "table.processes": ("กระบวนงาน", "processes"),
    "table.officers": ("เจ้าหน้าที่", "officers"), "table.cases": ("เรื่อง", "cases"),
    "table.escalations": ("การรายงานผู้บังคับบัญชา", "escalations"), "table.risk_analyses": ("การวิเคราะห์ความเสี่ยง", "risk analyses"),
    "table.monitoring_reports": ("รายงานการกำกับติดตาม", "monitoring reports"),
    "table.acknowledgements": ("การรับทราบมาตรการ", "acknowledgements"),
    "table.parameters": ("ค่ากำหนด", "parameters"), "table.delay_notices": ("หนังสือแจ้งความล่าช้า", "delay notices"),
    "assess.created": ("เปิดรอบการประเมินปีงบประมาณ {fy} แล้ว กำหนดส่ง {due}", "Campaign for fiscal year {fy} opened, due {due}"),
    "assess.item": ("ข้อ", "Item"),
    "assess.confirm_title": ("ยืนยันการส่งผลการประเมิน", "Submit the self-assessment?"),
    "assess.confirm_text": ("เมื่อส่งแล้วจะแก้ไขไม่ได้อีก (คะแนน {score}) ยืนยันการส่งหรือไม่",
                            "Once submitted it cannot be changed (score {score}). Submit?"),
    "assess.confirm_yes": ("ยืนยัน ส่งผลการประเมิน", "Yes, submit"), "assess.confirm_no": ("ยกเลิก", "Cancel"),
    "reports.ack_about": ("แบบรายงานถึงจังหวัด: การแจ้งเวียนมาตรการให้บุคลากรทราบ การเผยแพร่ และวันที่รายงาน พร้อมช่องลงนาม",
                          "The form to the province: staff informed, publication and the date reported, with the signature block"),
    "reports.pack_about": ("มาตรการที่ใช้ ข้อสังเกตจำแนกตามมาตรการและสถานะ ผลการพิจารณา และผลการประเมินตนเองพร้อมหลักฐาน",
                           "The measures, flags by measure and status, review outcomes, and the self-assessment with its evidence"),
    "reports.no_campaign": ("ไม่ระบุรอบการประเมิน", "No campaign"),
    "dash.ack": ("รายงานการรับทราบ (2.3)", "Acknowledgement (2.3)"),
    "dash.severity": ("ระดับความสำคัญ", "Severity"), "dash.open_flags": ("ข้อสังเกตที่ยังไม่ยุติ", "Open flags"),
    "users.title": ("จัดการผู้ใช้งาน", "Users"), "users.add": ("เพิ่มผู้ใช้", "Add a user"),
    "users.change": ("แก้ไขผู้ใช้", "Change a user"), "users.display_name": ("ชื่อที่แสดง", "Display name"),
    "users.role": ("บทบาท", "Role"), "users.no_agency": ("ไม่ระบุ (ทุกหน่วยงาน)", "None (all agencies)"),
    "users.all_agencies": ("ทุกหน่วยงาน", "all agencies"), "users.active": ("ใช้งานได้", "active"),
    "users.disabled": ("ระงับแล้ว", "disabled"), "users.pick": ("ผู้ใช้", "User"), "users.save": ("บันทึกบทบาทและหน่วยงาน", "Save role and agency"),
    "users.new_password": ("รหัสผ่านใหม่", "New password"), "users.reset": ("ตั้งรหัสผ่านใหม่", "Reset the password"),
    "users.disable": ("ระงับการใช้งาน", "Disable"), "users.enable": ("เปิดการใช้งาน", "Enable"),
    "users.added": ("เพิ่มผู้ใช้ {name} แล้ว", "User {name} added"), "users.updated": ("บันทึกการแก้ไขผู้ใช้ {name} แล้ว", "User {name} updated"),
    "users.was_reset": ("ตั้งรหัสผ่านใหม่ให้ {name} แล้ว ผู้ใช้นี้ต้องเข้าสู่ระบบใหม่", "Password of {name} reset; they must log in again"),
    "users.was_disabled": ("ระงับการใช้งานของ {name} แล้ว", "{name} disabled"),
    "users.was_enabled": ("เปิดการใช้งานของ {name} แล้ว", "{name} enabled"),
    "hist.system": ("ระบบ", "system"), "nav.users": ("ผู้ใช้งาน", "Users"),
    "form.answer": ("คำตอบ / ข้อมูลที่ได้รับ", "The answer received"),
    "error.stale": ("มีผู้อื่นแก้ไขข้อสังเกตนี้ก่อน ข้อความที่ท่านพิมพ์ยังอยู่ในแบบฟอร์ม กรุณาตรวจสอบแล้วบันทึกอีกครั้ง",
                    "Someone else changed this flag first. Your text is still in the form; check and save again."),
}

# Issue 20 items 3, 9, 10, 11 (user accounts linked to officers, conflicts of interest, user names,
# evidence files, privacy): kept in their own block.
TEXT.update({
    "nav.privacy": ("ประกาศความเป็นส่วนตัว", "Privacy notice"),
    "assess.saved": ("บันทึกข้อ {item} แล้ว", "Item {item} saved"),
    "assess.file_saved": ("แนบไฟล์ {name} ({kind}, {size}) ไว้เป็นหลักฐานแล้ว", "The file {name} ({kind}, {size}) is kept as evidence"),
    "assess.file_kinds": ("ไฟล์หลักฐาน: PDF, PNG, JPEG, DOCX หรือ XLSX ไม่เกิน {mb} MB (ตรวจจากเนื้อไฟล์)",
                          "Evidence files: PDF, PNG, JPEG, DOCX or XLSX, at most {mb} MB (checked by content)"),
    "flag.own_conflict": ("ท่านพิจารณาข้อสังเกตนี้ไม่ได้ เพราะเป็นเรื่องเกี่ยวกับ{what} (ส่วนได้เสียของท่าน) "
                          "ระบบจึงไม่รับการดำเนินการใดของท่านกับข้อสังเกตนี้",
                          "You may not decide this flag: it is about {what} (your own conflict of interest), "
                          "so no action of yours on it is accepted"),
    "flag.may_decide": ("ผู้ที่พิจารณาข้อสังเกตนี้ได้", "Who may decide it"),
    "flag.may_decide_none": ("ยังไม่มีผู้ใช้อื่นที่มีสิทธิ: ให้ผู้ดูแลระบบเพิ่มผู้ใช้หรือกำหนดบทบาท",
                             "No other user has the right yet: ask the administrator to add one or give a role"),
    "users.officer": ("เจ้าหน้าที่ที่เชื่อมโยง", "Linked officer"),
    "users.officer_none": ("ไม่เชื่อมโยง", "Not linked"),
    "users.officer_help": ("เจ้าหน้าที่ในข้อมูลที่นำเข้าซึ่งเป็นผู้ใช้คนนี้: ผู้ใช้จะพิจารณาข้อสังเกตเกี่ยวกับการพิจารณา การสอบทาน "
                           "หรือรายงานของตนเองไม่ได้ และประวัติจะแสดงตำแหน่งของเจ้าหน้าที่",
                           "The officer of the imported data this user is: they may not decide a flag about their "
                           "own decision, review or report, and the history gives the officer's position"),
    "users.link": ("บันทึกการเชื่อมโยง", "Link"), "users.unlink": ("ยกเลิกการเชื่อมโยง", "Unlink"),
    "users.linked": ("เชื่อมโยง {name} กับเจ้าหน้าที่ {officer} แล้ว", "{name} is linked to officer {officer}"),
    "users.unlinked": ("ยกเลิกการเชื่อมโยงเจ้าหน้าที่ของ {name} แล้ว", "{name} is linked to no officer"),
    "users.name_rule": ("3–64 ตัว: a–z ตัวพิมพ์เล็ก ตัวเลข จุด ขีดล่าง ขีด", "3–64 characters: a–z, digits, '.', '_', '-'"),
    "privacy.link": ("ประกาศความเป็นส่วนตัว (พ.ร.บ.คุ้มครองข้อมูลส่วนบุคคล พ.ศ. 2562 มาตรา 23)",
                     "Privacy notice (Personal Data Protection Act B.E. 2562, section 23)"),
})


# --- issue 20 items 6-8 (branch docs): rounds and their letters, ITA items per fiscal year, the
# province's overview per round, campaign corrections. Kept apart to ease merging; the first keys
# replace earlier wording that named O48 for every year (SPEC §1, §5) or used Thai digits on screen.
TEXT.update({
    "app.subtitle": ("มาตรการตรวจสอบการใช้ดุลพินิจ จังหวัดขอนแก่น", "Measures for checking the use of discretion, Khon Kaen"),
    "reports.pack": ("หลักฐานประกอบการประเมิน ITA", "ITA evidence pack"),
    "dash.severity": ("ระดับความสำคัญ", "Severity"),
    "cal.rounds": ("รอบการรายงานการรับทราบมาตรการ (แนวทางข้อ 2.1–2.3)", "Acknowledgement rounds (guidelines 2.1–2.3)"),
    "cal.round_source": ("ที่มา ซึ่งข้อสังเกตแนวทางข้อ 2.x จะอ้างถึง เช่น หนังสือจังหวัดขอนแก่น ที่ … (จำเป็น)",
                         "Source, quoted by the 2.x flags, e.g. the province's letter … (required)"),
    "dash.fy": ("รอบการรายงาน (ปีงบประมาณ)", "Round (fiscal year)"),
    "dash.round": ("กำหนดส่งถึงจังหวัด {deadline} ตามหนังสือ ที่ {number} ลงวันที่ {date}",
                   "Due at the province on {deadline}, by the letter {number} of {date}"),
    "dash.round_no_letter": ("กำหนดส่งถึงจังหวัด {deadline} (ที่มา: {source}; ไม่ได้บันทึกหนังสือของจังหวัด)",
                             "Due at the province on {deadline} (source: {source}; the province's letter not recorded)"),
    "dash.no_round": ("ยังไม่ได้เปิดรอบการรายงานของปีงบประมาณ {fy}: ผู้ดูแลระบบเปิดรอบได้ที่หน้า “วันหยุดราชการและรอบการรายงาน”",
                      "No round is open for fiscal year {fy}: the administrator opens one on the “Days off and "
                      "acknowledgement rounds” page"),
    "dash.as_of": ("สถานะ ณ วันที่ {today}", "As of {today}"),
    "dash.ack_table": ("การรายงานการรับทราบของแต่ละหน่วยงาน เรียงจากที่ต้องติดตามก่อน",
                       "Each agency's acknowledgement, those to follow up first"),
    "dash.flags_chart": ("ข้อสังเกตที่ยังไม่ยุติ จำแนกตามหน่วยงานและระดับความสำคัญ", "Open flags by agency and severity"),
    "dash.reported_on": ("วันที่รายงาน", "Reported on"), "dash.days_late": ("ช้า (วัน)", "Days late"),
    "dash.assessment": ("การประเมินตนเอง ปีงบประมาณ {fy}", "Self-assessment, fiscal year {fy}"),
    "dash.no_campaign": ("ไม่มีรอบการประเมินตนเองของปีนี้", "no campaign this year"),
    "dash.assessment_col": ("การประเมินตนเอง", "Self-assessment"),
    "dash.pdf": ("PDF", "PDF"), "dash.xlsx": ("Excel", "Excel"),
    "ita.title": ("ข้อการประเมิน ITA ของแต่ละปีงบประมาณ", "The ITA item(s) of each fiscal year"),
    "ita.note": ("สำนักงาน ป.ป.ช. กำหนดเลขข้อของการประเมิน ITA ใหม่ทุกปี ข้อ O48 เป็นเลขข้อของปีงบประมาณ 2562 เท่านั้น "
                 "ปีที่ไม่มีในตาราง: ยังไม่ได้กำหนด (ผู้ดูแลระบบบันทึกข้อและที่มาได้ รายการล่าสุดของแต่ละปีมีผล)",
                 "The NACC renumbers its ITA items every year: O48 is the item of fiscal year 2562 only. A year not in "
                 "the table is not yet mapped (the administrator records its item and source; the latest entry wins)"),
    "ita.items": ("ข้อการประเมิน", "Item(s)"), "ita.indicator": ("ตัวชี้วัด", "Indicator"),
    "ita.item_title": ("ชื่อข้อ", "Title"), "ita.origin": ("มาจาก", "From"),
    "ita.origin.kb": ("ฐานความรู้ kb/ita.yaml (อ่านอย่างเดียว)", "Knowledge base kb/ita.yaml (read-only)"),
    "ita.origin.store": ("บันทึกโดยผู้ดูแลระบบ", "Recorded by the administrator"),
    "ita.history": ("รายการที่ผู้ดูแลระบบบันทึก", "Entries recorded by the administrator"),
    "ita.add": ("บันทึกข้อการประเมิน ITA ของปีงบประมาณ", "Record a fiscal year's ITA item(s)"),
    "ita.items_hint": ("ข้อการประเมิน เช่น O39, O40 (จำเป็น)", "Item(s), e.g. O39, O40 (required)"),
    "ita.indicator_hint": ("ตัวชี้วัด (ถ้ามี)", "Indicator (if any)"), "ita.title_hint": ("ชื่อข้อ (ถ้ามี)", "Title (if any)"),
    "ita.source_hint": ("ที่มา เช่น คู่มือการประเมิน ITA ของสำนักงาน ป.ป.ช. ประจำปีนั้น (จำเป็น)",
                        "Source, e.g. the NACC's ITA manual of that year (required)"),
    "ita.saved": ("บันทึกข้อการประเมิน ITA ของปีงบประมาณ {fy} แล้ว", "ITA item(s) of fiscal year {fy} recorded"),
    "cal.rounds_in_force": ("รอบที่ใช้อยู่ของแต่ละปีงบประมาณ (ปี 2562 ตามหนังสือจังหวัด; ปีอื่นตามที่ผู้ดูแลระบบเปิด)",
                            "The round in force for each fiscal year (2562: the letter; others: as opened)"),
    "cal.letter": ("หนังสือของจังหวัด", "Province's letter"), "cal.signatory": ("ผู้ลงนาม", "Signed as"),
    "cal.subject": ("เรื่อง", "Subject"),
    "cal.letter_number": ("เลขที่หนังสือของจังหวัด เช่น ขก 0017.5/ว 1234 (จำเป็น)",
                          "The province's letter number, e.g. ขก 0017.5/ว 1234 (required)"),
    "cal.letter_date": ("หนังสือลงวันที่", "The letter's date"),
    "cal.signatory_hint": ("ตำแหน่งผู้ลงนามในหนังสือ ซึ่งแบบรายงานจะเรียนถึง เช่น ผู้ว่าราชการจังหวัดขอนแก่น (จำเป็น)",
                           "The position the letter is signed in, to whom the form is addressed, e.g. ผู้ว่าราชการจังหวัดขอนแก่น "
                           "(required)"),
    "cal.subject_hint": ("เรื่องของหนังสือ (ถ้าไม่ระบุ แบบรายงานจะเว้นว่างไว้ให้กรอก)",
                         "The letter's subject (left empty: a blank line on the form)"),
    "cal.origin_round.kb": ("หนังสือจังหวัด ปี 2562 (อ่านอย่างเดียว)", "The 2562 letter (read-only)"),
    "cal.origin_round.store": ("เปิดโดยผู้ดูแลระบบ", "Opened by the administrator"),
    "cal.not_recorded": ("ไม่ได้บันทึก", "not recorded"),
    "reports.fy": ("ปีงบประมาณ", "Fiscal year"),
    "reports.ack_round": ("(เฉพาะข้อมูลการรับทราบของรอบปีงบประมาณ {fy} เรียนถึงผู้ลงนามในหนังสือของจังหวัดสำหรับรอบนั้น)",
                          "(the records of the fiscal year {fy} round only, addressed to the signatory of that round's "
                          "letter)"),
    "assess.correct": ("แก้ไขกำหนดส่งของรอบการประเมิน", "Correct a campaign's due date"),
    "assess.correct_due": ("กำหนดส่งที่ถูกต้อง", "The right due date"),
    "assess.correct_reason": ("เหตุผลของการแก้ไข (จำเป็น)", "Why (required)"),
    "assess.correct_save": ("บันทึกการแก้ไข", "Save the correction"), "assess.fix_reason": ("เหตุผล", "Reason"),
    "assess.corrected": ("แก้ไขกำหนดส่งของรอบปีงบประมาณ {fy} เป็น {due} แล้ว รายการเดิมยังอยู่ในประวัติ",
                         "Campaign {fy} is now due {due}; the earlier entry stays in the history"),
    "assess.history": ("ประวัติการเปิดและแก้ไขรอบการประเมิน", "Campaigns opened and corrected"),
    "assess.action.opened": ("เปิดรอบ", "opened"), "assess.action.corrected": ("แก้ไขกำหนดส่ง", "due date corrected"),
})

# Column names of data tables, shown (and exported) in the reader's language.
COLUMNS: dict[str, tuple[str, str]] = {
    "agency_id": ("หน่วยงาน", "Agency"), "measure": ("มาตรการ", "Measure"), "flags": ("ข้อสังเกต", "Flags"),
    "cases": ("จำนวนเรื่อง", "Cases"), "per_100_cases": ("ต่อ 100 เรื่อง", "Per 100 cases"),
    "month": ("เดือน", "Month"), "process_id": ("กระบวนงาน", "Process"), "name": ("ชื่อ", "Name"),
    "deviating": ("ไม่เป็นไปตามหลักเกณฑ์", "Deviating"), "deviation_rate": ("อัตราไม่เป็นไปตามหลักเกณฑ์", "Deviation rate"),
    "overdue": ("เกินกำหนด", "Overdue"), "overdue_rate": ("อัตราเกินกำหนด", "Overdue rate"),
    "officer_id": ("เจ้าหน้าที่", "Officer"), "decisions": ("จำนวนเรื่องที่พิจารณา", "Decisions"),
    "approved": ("อนุมัติ", "Approved"), "approval_rate": ("อัตราการอนุมัติ", "Approval rate"),
    "direction": ("ทิศทาง", "Direction"), "peers": ("จำนวนเพื่อนร่วมกระบวนงาน", "Peers"),
    "fence_low": ("ขอบล่าง", "Lower fence"), "fence_high": ("ขอบบน", "Upper fence"),
    "applicant": ("ผู้ยื่นคำขอ", "Applicant"), "status": ("สถานะ", "Status"), "since": ("ดำรงตำแหน่งตั้งแต่", "In position since"),
    "years": ("จำนวนปี", "Years"), "analysed_on": ("วันที่วิเคราะห์", "Analysed on"),
    "rotation_due_on": ("ครบรอบหมุนเวียนเมื่อ", "Rotation due on"),
    "ethics_committee": ("คณะกรรมการจริยธรรม", "Ethics committee"), "participants": ("ผู้ร่วมวิเคราะห์", "Participants"),
    "risks": ("ความเสี่ยงที่พบ", "Risks"), "rotation_plan": ("แผนการหมุนเวียน", "Rotation plan"),
    "controls": ("มาตรการควบคุม", "Controls"), "recorded_by": ("ผู้บันทึก", "Recorded by"), "source": ("ที่มา", "Source"),
    "file": ("ไฟล์", "File"), "row": ("แถว", "Row"), "column": ("คอลัมน์", "Column"), "value": ("ค่า", "Value"),
    "agencies": ("หน่วยงาน", "Agencies"), "processes": ("กระบวนงาน", "Processes"), "officers": ("เจ้าหน้าที่", "Officers"),
    "escalations": ("การรายงานผู้บังคับบัญชา", "Escalations"), "risk_analyses": ("การวิเคราะห์ความเสี่ยง", "Risk analyses"),
    "monitoring_reports": ("รายงานการกำกับติดตาม", "Monitoring reports"),
    "acknowledgements": ("การรับทราบมาตรการ", "Acknowledgements"), "parameters": ("ค่ากำหนด", "Parameters"),
    "delay_notices": ("หนังสือแจ้งความล่าช้า", "Delay notices"),
    "run": ("ครั้งที่", "Run"), "as_of": ("ประมวลผล ณ วันที่", "As of"), "start": ("เริ่มเมื่อ", "Started"),
    "run_status": ("ผล", "Result"), "by": ("ผู้สั่ง", "By"), "new": ("ใหม่", "New"), "reopened": ("เปิดใหม่", "Reopened"),
    "cleared": ("ไม่พบในการประมวลผลครั้งล่าสุด", "Cleared"), "rules": ("รุ่นของเกณฑ์การตรวจสอบ", "Rules version"),
    "kb": ("รุ่นของฐานความรู้", "KB version"), "error": ("ข้อผิดพลาด", "Error"),
    "unchecked_years": ("ปีที่วันหยุดยังไม่ได้ตรวจสอบ", "Days-off years not checked"),
    "username": ("ชื่อผู้ใช้", "Username"), "display_name": ("ชื่อที่แสดง", "Display name"), "role": ("บทบาท", "Role"),
    "active": ("สถานะการใช้งาน", "State"), "created_at": ("สร้างเมื่อ", "Created"),
    "reason": ("เหตุผล", "Reason"), "agency": ("หน่วยงาน", "Agency"),
    "deviation_pct": ("ไม่เป็นไปตามหลักเกณฑ์ (%)", "Deviating (%)"), "overdue_pct": ("เกินกำหนด (%)", "Overdue (%)"),
    "approval_pct": ("อัตราการอนุมัติ (%)", "Approval rate (%)"), "q1_pct": ("ควอร์ไทล์ที่ 1 (%)", "Q1 (%)"),
    "q3_pct": ("ควอร์ไทล์ที่ 3 (%)", "Q3 (%)"), "fence_low_pct": ("ขอบล่าง (%)", "Lower fence (%)"),
    "fence_high_pct": ("ขอบบน (%)", "Upper fence (%)"), "rotation_considered": ("พิจารณาการหมุนเวียน", "Rotation considered"),
    "notes": ("หมายเหตุ", "Notes"), "rule": ("เกณฑ์การตรวจสอบ", "Rule"), "rule_id": ("รหัสเกณฑ์การตรวจสอบ", "Rule id"),
    "flag_id": ("รหัสข้อสังเกต", "Flag id"), "agency_code": ("รหัสหน่วยงาน", "Agency id"), "severity": ("ระดับ", "Severity"), "subject_id": ("เรื่อง", "Subject"),
    "event_date": ("วันที่", "Date"), "message": ("คำอธิบาย", "Explanation"), "link": ("ลิงก์", "Link"),
    "default": ("ค่าที่ใช้เมื่อไม่มีคำสั่งของหน่วยงาน", "Default"), "unit": ("หน่วย", "Unit"), "meaning": ("ความหมาย", "Meaning"),
    "parameter": ("รหัสค่ากำหนด", "Parameter"),
}


# Issue 20 item 3 (branch people): the users table's linked officer
COLUMNS.update({"officer": ("เจ้าหน้าที่ที่เชื่อมโยง", "Linked officer")})


def column(name: str) -> str:
    pair = COLUMNS.get(name)
    return (pair[0] if lang() == "th" else pair[1]) if pair else name


def table_name(name: str) -> str:
    """A dataset file's name as people say it (``cases`` → เรื่อง)."""
    return t(f"table.{name}") if f"table.{name}" in TEXT else column(name)


def lang() -> str:
    return st.session_state.get(LANG_KEY, "th")


def t(key: str, **values: object) -> str:
    th, en = TEXT[key]
    text = th if lang() == "th" else en
    return text.format(**values) if values else text


def pick(pair: tuple[str, str]) -> str:
    return pair[0] if lang() == "th" else pair[1]


def date(value: dt.date | str | None) -> str:
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return format_date(value, lang()) if value else "-"


def timestamp(value: dt.datetime | None) -> str:
    if value is None:
        return "-"
    local = value + dt.timedelta(hours=7)  # stored in UTC; Thailand is UTC+7
    return f"{date(local.date())} {local:%H:%M}"


def labelled(options: list, fn: Callable[[object], str]) -> Callable[[object], str]:
    """A widget's ``format_func`` with its labels made now, in the reader's language: Streamlit may
    format an option again outside the page's run, where the language is not known."""
    shown = [fn(o) for o in options]
    return lambda option: shown[options.index(option)]
