"""A realistic demo dataset for the 33 Khon Kaen agencies, with a truth file.

Every case starts clean (reviewed in time by the direct supervisor, a legal basis, within
the manual's time limit, through the IT system, no conflict) and then violations are
injected at known rates. The truth file lists, for each injection, the flags it must
produce — written from what was injected, not by running any evaluator.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .calendar import days, elapsed, first_day_over
from .kb import load_agencies
from .thai import BE_OFFSET, to_thai_digits

# (name, discretionary, public_service, standard_days, day_basis, it_system)
_PROCESSES: dict[str, list[tuple[str, bool, bool, int | None, str, str | None]]] = {
    "kk-land": [("จดทะเบียนสิทธิและนิติกรรมเกี่ยวกับอสังหาริมทรัพย์", True, True, 1, "working", "LandsMaps"),
                ("รังวัดแบ่งแยกที่ดิน", True, True, 30, "working", "ระบบรังวัดดิจิทัล"),
                ("ออกโฉนดที่ดินเฉพาะราย", True, True, 90, "calendar", None)],
    "kk-transport": [("ต่ออายุใบอนุญาตขับรถยนต์", False, True, 1, "working", "DLT e-Service"),
                     ("จดทะเบียนรถใหม่", False, True, 3, "working", "DLT e-Service"),
                     ("อนุญาตประกอบการขนส่งไม่ประจำทาง", True, True, 60, "working", None)],
    "kk-commerce": [("จดทะเบียนพาณิชย์", False, True, 1, "working", "DBD e-Registration"),
                    ("ตรวจสอบและกำหนดราคาสินค้าควบคุม", True, False, None, "working", None)],
    "kk-industry": [("อนุญาตประกอบกิจการโรงงาน (ร.ง.๔)", True, True, 30, "working", "i-Industry"),
                    ("ต่ออายุใบอนุญาตประกอบกิจการโรงงาน", True, True, 15, "working", "i-Industry")],
    "kk-public-health": [("อนุญาตสถานที่ผลิตอาหาร", True, True, 40, "working", None),
                         ("อนุญาตสถานพยาบาล", True, True, 60, "working", None)],
    "kk-employment": [("อนุญาตทำงานของคนต่างด้าว", True, True, 7, "working", "e-WorkPermit")],
    "kk-social-security": [("วินิจฉัยสิทธิประโยชน์ทดแทนกรณีเจ็บป่วย", True, True, 10, "working", "SSO Connect")],
    "kk-labour-protection": [("พิจารณาคำร้องตามกฎหมายคุ้มครองแรงงาน (คร.๗)", True, True, 60, "calendar", None)],
    "kk-dopa": [("อนุญาตให้มีและใช้อาวุธปืน (ป.๔)", True, True, 30, "working", None),
                ("จดทะเบียนจัดตั้งมูลนิธิ", True, True, 60, "working", None)],
    "kk-public-works": [("อนุญาตก่อสร้างอาคาร", True, True, 45, "calendar", None)],
    "kk-enforcement": [("ขายทอดตลาดทรัพย์สิน", True, True, None, "working", "LED e-Auction")],
    "kk-probation": [("สืบเสาะและพินิจผู้ถูกคุมความประพฤติ", True, False, 15, "working", None)],
    "kk-phon-prison": [("พิจารณาพักการลงโทษ", True, False, 90, "calendar", None)],
    "kk-livestock": [("อนุญาตเคลื่อนย้ายสัตว์", True, True, 3, "working", "e-Movement")],
    "kk-fisheries": [("อนุญาตทำการประมงในแหล่งน้ำจืด", True, True, 15, "working", None)],
    "kk-land-reform": [("คัดเลือกเกษตรกรเข้าทำประโยชน์ในเขตปฏิรูปที่ดิน", True, True, 90, "working", None)],
    "kk-energy": [("อนุญาตใช้พลังงานควบคุม", True, True, 30, "working", None)],
    "kk-social-dev": [("พิจารณาเงินสงเคราะห์ครอบครัวผู้มีรายได้น้อย", True, True, 15, "working", None)],
    "kk-community-dev": [("พิจารณาเงินยืมกองทุนชุมชน", True, True, 30, "working", None)],
    "kk-cooperatives": [("จดทะเบียนสหกรณ์", True, True, 30, "working", None)],
    "kk-environment": [("อนุญาตทำไม้และเก็บหาของป่า", True, True, 30, "working", None)],
}
_COMMON = [("จัดซื้อจัดจ้างโดยวิธีเฉพาะเจาะจง", True, False, 30, "working", "e-GP"),
           ("พิจารณาเลื่อนเงินเดือนและความดีความชอบ", True, False, None, "working", None),
           ("อนุมัติการลา", False, False, 3, "working", "DPIS")]
_LEGAL_BASIS = ["พ.ร.บ.วิธีปฏิบัติราชการทางปกครอง พ.ศ. ๒๕๓๙ มาตรา ๓๗", "คู่มือการปฏิบัติงาน ข้อ ๕.๒",
                "ระเบียบกระทรวงการคลังว่าด้วยการจัดซื้อจัดจ้างฯ พ.ศ. ๒๕๖๐ ข้อ ๗๙", "ประมวลกฎหมายที่ดิน มาตรา ๖๑",
                "พ.ร.บ.โรงงาน พ.ศ. ๒๕๓๕ มาตรา ๑๒"]
_GIVEN = ["สมชาย", "สมหญิง", "วิชัย", "อรุณี", "ประเสริฐ", "กาญจนา", "สุริยา", "พรทิพย์", "ธนพล", "นภาพร",
          "ชัยวัฒน์", "ศิริพร", "อนุชา", "จันทร์เพ็ญ", "บุญมี", "ปราณี", "ณัฐวุฒิ", "รัตนา"]
_FAMILY = ["ศรีสุข", "แก้วมณี", "ทองดี", "บุญเรือง", "จันทร์หอม", "พรหมมา", "ศรีวงศ์", "ภูมิพันธ์", "ขันทอง", "วงศ์ใหญ่"]
RATES = {  # probability per eligible case / process / officer / agency
    "unreviewed": 0.03, "late_review": 0.03, "self_review": 0.01, "outside_chain": 0.015, "no_legal_basis": 0.02,
    "deviation_unreported": 0.015, "deviation_reported": 0.02, "report_outside_chain": 0.3, "uninvestigated": 0.3,
    "overdue": 0.03, "overdue_escalated": 0.3, "it_bypassed": 0.02, "it_override": 0.02, "coi": 0.01,
    "no_manual": 0.12, "manual_outdated": 0.15, "manual_unpublished": 0.15, "no_it": 0.5,
    "rotation": 0.1, "ethics_invalid": 0.06, "repeat": 0.05,
    "no_risk_analysis": 0.25, "no_monitoring": 0.2, "staff_short": 0.2, "unpublished": 0.15, "ack_late": 0.15,
    "ack_missing": 0.1,
}


@dataclass
class _Writer:
    rng: random.Random
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    truth: list[dict[str, Any]] = field(default_factory=list)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.tables.setdefault(table, []).append(row)

    def expect(self, rule_id: str, subject_type: str, subject_id: str, severity: str,
               applicant: str | None = None) -> None:
        self.truth.append({"rule_id": rule_id, "subject_type": subject_type, "subject_id": subject_id,
                           "severity": severity, "applicant": applicant})

    def date(self, day: dt.date | None) -> str:
        """Dates as people type them: ISO, D/M/BE, D/M/CE, and BE with Thai digits."""
        if day is None:
            return ""
        r = self.rng.random()
        if r < 0.5:
            return day.isoformat()
        if r < 0.8:
            return f"{day.day}/{day.month}/{day.year + BE_OFFSET}"
        if r < 0.9:
            return f"{day.day}/{day.month}/{day.year}"
        return to_thai_digits(f"{day.day}/{day.month}/{day.year + BE_OFFSET}")

    def flag(self, value: bool | None) -> str:
        if value is None:
            return ""
        return self.rng.choice([("true", "false"), ("yes", "no"), ("ใช่", "ไม่ใช่"), ("1", "0"), ("Y", "N")])[0 if value else 1]


def _ago(as_of: dt.date, n: int) -> dt.date:
    return as_of - dt.timedelta(days=n)


def generate(out: Path, cases: int = 5000, seed: int = 1, as_of: dt.date | None = None,
             progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Write a demo dataset to ``out`` and return its manifest (as_of, counts, truth count)."""
    as_of = as_of or dt.date.today()
    rng = random.Random(seed)
    w = _Writer(rng)
    agencies = load_agencies()
    staff_by_agency: dict[str, list[dict[str, Any]]] = {}
    sup: dict[str, str | None] = {}
    processes: list[dict[str, Any]] = []
    invalid_ethics: set[str] = set()
    rotation_due: set[str] = set()
    n_officer = 0

    def person() -> str:
        return f"{rng.choice(['นาย', 'นาง', 'นางสาว'])}{rng.choice(_GIVEN)} {rng.choice(_FAMILY)}"

    def officer(agency: str, position: str, boss: str | None, decides: bool) -> dict[str, Any]:
        nonlocal n_officer
        n_officer += 1
        oid = f"OF{n_officer:05d}"
        since = _ago(as_of, rng.randint(200, 1200))
        if decides and rng.random() < RATES["rotation"]:
            since = _ago(as_of, rng.randint(4 * 366 + 1, 12 * 365))
            rotation_due.add(oid)
        ack: dt.date | None = _ago(as_of, rng.randint(325, 335))
        if decides and rng.random() < RATES["ethics_invalid"]:
            invalid_ethics.add(oid)
            ack = rng.choice([None, _ago(as_of, rng.randint(700, 900))])
        row = {"officer_id": oid, "agency_id": agency, "name": person(), "position": position,
               "supervisor_id": boss or "", "in_position_since": w.date(since), "ethics_acknowledged_on": w.date(ack)}
        w.add("officers", row)
        sup[oid] = boss
        return row

    for a in agencies:
        w.add("agencies", {"agency_id": a.id, "name": a.name, "name_en": a.name_en,
                           "serves_public": w.flag(a.serves_public), "website": f"https://{a.id}.example.go.th"})
        head = officer(a.id, "หัวหน้าส่วนราชการ", None, False)
        staff: list[dict[str, Any]] = []
        for _ in range(rng.randint(2, 3)):
            division = officer(a.id, "ผู้อำนวยการกลุ่มงาน", head["officer_id"], False)
            for _ in range(rng.randint(3, 5)):
                staff.append(officer(a.id, rng.choice(["นักวิชาการ", "เจ้าพนักงาน", "นิติกร"]), division["officer_id"], True))
        staff_by_agency[a.id] = staff
        for n, (name, disc, public, sd, basis, it) in enumerate(_PROCESSES.get(a.id, []) + _COMMON, 1):
            pid = f"{a.id.removeprefix('kk-').upper()}-P{n:02d}"
            manual = f"คู่มือการปฏิบัติงาน{name}"
            reviewed: dt.date | None = _ago(as_of, rng.randint(30, 700))
            if rng.random() < RATES["no_manual"]:
                manual, reviewed = "", None
                if disc:
                    w.expect("1.2-process-without-manual", "process", pid, "high")
            elif rng.random() < RATES["manual_outdated"]:
                reviewed = rng.choice([None, _ago(as_of, rng.randint(731, 2000))])
                w.expect("1.2-manual-outdated", "process", pid, "low")
            if not disc and rng.random() < RATES["no_it"]:
                it = None
            if disc and it is None:
                w.expect("1.7-no-it-system", "process", pid, "low")
            url, at_office = (f"https://{a.id}.example.go.th/manual/{pid}", True) if public else ("", None)
            if public and rng.random() < RATES["manual_unpublished"]:
                url, at_office = rng.choice([("", True), (url, False), ("", False)])
                w.expect("1.6-manual-not-published", "process", pid, "medium")
            if not public:
                url, at_office = "", None
            p = {"process_id": pid, "agency_id": a.id, "name": name, "discretionary": disc, "public_service": public,
                 "work_manual": manual, "work_manual_reviewed_on": reviewed, "citizen_manual_url": url,
                 "citizen_manual_at_office": at_office, "standard_days": sd, "day_basis": basis, "it_system": it}
            processes.append(p)
            w.add("processes", {**p, "discretionary": w.flag(disc), "public_service": w.flag(public),
                                "work_manual_reviewed_on": w.date(reviewed), "citizen_manual_at_office": w.flag(at_office),
                                "standard_days": "" if sd is None else str(sd), "day_basis": basis, "it_system": it or ""})
        _agency_records(w, a.id, head["officer_id"], as_of, rng)

    case_rows, decided_disc = _cases(w, rng, processes, staff_by_agency, sup, cases, as_of, invalid_ethics, progress)
    for oid in rotation_due:
        if decided_disc.get(oid):
            w.expect("1.4-rotation-due", "officer", oid, "medium")
    out.mkdir(parents=True, exist_ok=True)
    columns = {"cases": list(case_rows[0]) if case_rows else []}
    for table, rows in w.tables.items():
        cols = columns.get(table) or list(rows[0])
        with (out / f"{table}.csv").open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=cols)
            writer.writeheader()
            writer.writerows(rows)
    w.truth.sort(key=lambda t: (t["rule_id"], t["subject_id"], t["applicant"] or ""))
    with (out / "truth.jsonl").open("w", encoding="utf-8") as fh:
        for t in w.truth:
            fh.write(json.dumps(t, ensure_ascii=False) + "\n")
    manifest = {"as_of": as_of.isoformat(), "seed": seed, "cases": cases,
                "rows": {t: len(r) for t, r in w.tables.items()}, "expected_flags": len(w.truth)}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def _agency_records(w: _Writer, agency: str, head: str, as_of: dt.date, rng: random.Random) -> None:
    if rng.random() < RATES["no_risk_analysis"]:
        if rng.random() < 0.5:
            w.add("risk_analyses", {"agency_id": agency, "analysed_on": w.date(_ago(as_of, rng.randint(365, 800))),
                                    "ethics_committee": w.flag(True), "rotation_considered": w.flag(False), "notes": ""})
        w.expect("1.4-no-risk-analysis", "agency", agency, "medium")
    else:
        w.add("risk_analyses", {"agency_id": agency, "analysed_on": w.date(_ago(as_of, rng.randint(0, 364))),
                                "ethics_committee": w.flag(True), "rotation_considered": w.flag(True),
                                "notes": "วิเคราะห์ความเสี่ยงการใช้ดุลพินิจตามภารกิจหลักร่วมกับคณะกรรมการจริยธรรม"})
    if rng.random() < RATES["no_monitoring"]:
        if rng.random() < 0.5:
            w.add("monitoring_reports", {"agency_id": agency, "reported_on": w.date(_ago(as_of, rng.randint(92, 400))), "by": head})
        w.expect("1.8-no-monitoring", "agency", agency, "medium")
    else:
        w.add("monitoring_reports", {"agency_id": agency, "reported_on": w.date(_ago(as_of, rng.randint(0, 91))), "by": head})
    if rng.random() < RATES["ack_missing"]:
        w.expect("2.3-not-reported", "agency", agency, "medium")
        return
    total = rng.randint(20, 120)
    acknowledged = total
    if rng.random() < RATES["staff_short"]:
        acknowledged = total - rng.randint(1, 10)
        w.expect("2.1-staff-not-informed", "agency", agency, "low")
    url = f"https://{agency}.example.go.th/ita/o48"
    if rng.random() < RATES["unpublished"]:
        url = ""
        w.expect("2.2-not-published", "agency", agency, "low")
    reported = dt.date(2019, 6, rng.randint(14, 20))
    if rng.random() < RATES["ack_late"]:
        reported = dt.date(2019, 6, 21) + dt.timedelta(days=rng.randint(0, 60))
        w.expect("2.3-not-reported", "agency", agency, "medium")
    w.add("acknowledgements", {"agency_id": agency, "staff_total": str(total), "staff_acknowledged": str(acknowledged),
                               "published_url": url, "reported_on": w.date(reported)})


def _cases(w: _Writer, rng: random.Random, processes: list[dict[str, Any]], staff_by_agency: dict[str, list[dict[str, Any]]],
           sup: dict[str, str | None], n_cases: int, as_of: dt.date, invalid_ethics: set[str],
           progress: Callable[[int], None] | None) -> tuple[list[dict[str, Any]], dict[str, int]]:
    weights = [4 if p["public_service"] else 1 for p in processes]
    decided_disc: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    n_report = 0
    i = 0
    while i < n_cases:
        p = rng.choices(processes, weights)[0]
        staff = staff_by_agency[p["agency_id"]]
        o = rng.choice(staff)
        oid = o["officer_id"]
        if p["discretionary"] and rng.random() < RATES["repeat"] / 20 and n_cases - i >= 7:
            k = rng.choice([4, 5, 6, 7])  # 4 stays under the threshold: a near miss that must not fire
            applicant = f"APP-R{i:07d}"
            for _ in range(k):
                rows.append(_case(w, rng, p, oid, sup, as_of, i, invalid_ethics, decided_disc,
                                  applicant=applicant, repeat=True))
                i += 1
            if k >= 5:
                w.expect("1.4-repeat-applicant", "officer", oid, "medium", applicant=applicant)
            continue
        rows.append(_case(w, rng, p, oid, sup, as_of, i, invalid_ethics, decided_disc))
        i += 1
        if progress and i % 10_000 == 0:
            progress(i)
    for row in rows:
        for esc in row.pop("_escalations"):
            n_report += 1
            w.add("escalations", {"report_id": f"RPT{n_report:07d}", **esc})
    if "escalations" not in w.tables:
        w.tables["escalations"] = []
    w.tables["cases"] = rows
    return rows, decided_disc


def _case(w: _Writer, rng: random.Random, p: dict[str, Any], oid: str, sup: dict[str, str | None], as_of: dt.date,
          n: int, invalid_ethics: set[str], decided_disc: dict[str, int], applicant: str | None = None,
          repeat: bool = False) -> dict[str, Any]:
    cid = f"C{n + 1:07d}"
    boss = sup[oid]
    sd, basis = p["standard_days"], p["day_basis"]
    disc = p["discretionary"] and (repeat or rng.random() < 0.85)
    r = {k: rng.random() for k in ("review", "dev", "over", "it", "coi", "legal", "pending")}
    received = _ago(as_of, rng.randint(40, 170) if repeat else rng.randint(31, 320))
    decided: dt.date | None = None
    pending = not repeat and r["pending"] < 0.08
    overdue = sd is not None and r["over"] < RATES["overdue"] and not repeat
    if pending:
        if overdue:  # overdue for more than a week, so that the unreported deviation fires
            while days(first_day_over(received, sd, basis), as_of) <= 7:
                received -= dt.timedelta(days=7)
        elif sd is not None:
            received = _ago(as_of, rng.randint(0, 3))
            while elapsed(received, as_of, basis) > sd:
                received += dt.timedelta(days=1)
    else:
        if sd is None:
            decided = received + dt.timedelta(days=rng.randint(0, 20))
        elif overdue:
            decided = first_day_over(received, sd, basis) + dt.timedelta(days=rng.randint(0, 10))
        else:
            took = rng.randint(0, sd)
            decided = received if took == 0 else first_day_over(received, took - 1, basis)
        decided = min(decided, _ago(as_of, 31))
        if decided < received:
            decided = received
        if sd is not None and not overdue and elapsed(received, decided, basis) > sd:
            decided = received
        if overdue and elapsed(received, decided, basis) <= sd:
            overdue = False
    row: dict[str, Any] = {"case_id": cid, "process_id": p["process_id"], "officer_id": oid,
                           "applicant_id": applicant or f"APP{rng.randint(0, 10**9):09d}", "received_on": received,
                           "decided_on": decided, "outcome": "", "discretion_used": disc,
                           "legal_basis": rng.choice(_LEGAL_BASIS), "reviewed_by": "", "reviewed_on": None,
                           "deviation": "", "via_it_system": True if p["it_system"] else None, "override_reason": "",
                           "applicant_related": False, "coi_declared": False, "_escalations": []}
    expect = lambda rule, sev="medium": w.expect(rule, "case", cid, sev)  # noqa: E731
    if decided is not None:
        row["outcome"] = rng.choice(["approved", "approved", "approved", "denied", "partial"])
        # every decision here is at least 30 days old, so a missing review is always over the limit
        if disc and r["review"] < RATES["unreviewed"]:
            expect("1.1-unreviewed", "high")
        elif disc or r["review"] < 0.5:
            row["reviewed_by"], row["reviewed_on"] = boss, decided + dt.timedelta(days=rng.randint(0, 7))
            anomaly = rng.random()
            if anomaly < RATES["late_review"]:
                row["reviewed_on"] = decided + dt.timedelta(days=rng.randint(8, 30))
                if disc:
                    expect("1.1-late-review")
            elif anomaly < RATES["late_review"] + RATES["self_review"]:
                row["reviewed_by"] = oid
                expect("1.1-self-review", "high")
            elif anomaly < RATES["late_review"] + RATES["self_review"] + RATES["outside_chain"]:
                row["reviewed_by"] = _outsider(w, oid, sup)
                expect("1.1-reviewer-outside-chain")
        if disc and r["legal"] < RATES["no_legal_basis"]:
            row["legal_basis"] = ""
            expect("1.1-no-legal-basis")
        if disc and not p["work_manual"]:
            expect("1.2-decision-without-manual")
        if disc:
            decided_disc[oid] = decided_disc.get(oid, 0) + 1
            if oid in invalid_ethics:
                expect("1.5-ethics-not-acknowledged", "low")
        if r["dev"] < RATES["deviation_unreported"] + RATES["deviation_reported"]:
            row["deviation"] = rng.choice(["อนุมัติโดยเอกสารประกอบไม่ครบตามคู่มือ", "ยกเว้นค่าธรรมเนียมนอกหลักเกณฑ์",
                                           "ข้ามขั้นตอนการตรวจสอบสถานที่"])
    deviates = bool(row["deviation"]) or overdue
    if overdue and p["public_service"]:
        expect("1.6-time-limit-exceeded")
    if deviates:
        dev_on = decided if decided is not None else first_day_over(received, sd, basis)
        escalate = (r["dev"] >= RATES["deviation_unreported"] if row["deviation"]
                    else rng.random() < RATES["overdue_escalated"])
        if escalate:
            reported = dev_on + dt.timedelta(days=rng.randint(0, 5))
            reported = min(reported, _ago(as_of, 0))
            to = boss
            if rng.random() < RATES["report_outside_chain"]:
                to = _outsider(w, oid, sup)
                expect("1.3-report-outside-chain")
            investigated: dt.date | None = reported + dt.timedelta(days=rng.randint(1, 30))
            if rng.random() < RATES["uninvestigated"] and days(reported, as_of) > 30:
                investigated = rng.choice([None, reported + dt.timedelta(days=rng.randint(31, 60))])
                if investigated and investigated > as_of:
                    investigated = None
                expect("1.3-uninvestigated")
            row["_escalations"].append({"case_id": cid, "reported_by": oid, "reported_to": to, "reported_on": w.date(reported),
                                        "investigated_on": w.date(investigated),
                                        "finding": "ข้อเท็จจริงตามรายงาน" if investigated else "",
                                        "corrective_action": "ทบทวนคู่มือและอบรมเจ้าหน้าที่" if investigated else ""})
        elif days(dev_on, as_of) > 7:
            expect("1.3-unreported-deviation", "high")
    if p["it_system"] and r["it"] < RATES["it_bypassed"] + RATES["it_override"]:
        row["via_it_system"] = False
        if r["it"] < RATES["it_bypassed"]:
            expect("1.7-it-bypassed")
        else:
            row["override_reason"] = "ระบบขัดข้อง ดำเนินการด้วยเอกสารแทน"
    if r["coi"] < RATES["coi"]:
        row["applicant_related"] = True
        row["coi_declared"] = r["coi"] < RATES["coi"] / 2
        expect("1.5-conflict-of-interest", "medium" if row["coi_declared"] else "high")
    for key in ("received_on", "decided_on", "reviewed_on"):
        row[key] = w.date(row[key])
    for key in ("discretion_used", "via_it_system", "applicant_related", "coi_declared"):
        row[key] = w.flag(row[key]) if (key != "coi_declared" or row["applicant_related"]) else ""
    row["reviewed_by"] = row["reviewed_by"] or ""
    return row


def _outsider(w: _Writer, oid: str, sup: dict[str, str | None]) -> str:
    """Someone who is neither the officer, nor in the officer's supervisor chain, nor their direct supervisor."""
    chain = set()
    boss = sup[oid]
    while boss is not None:
        chain.add(boss)
        boss = sup[boss]
    candidates = [o for o in sup if o != oid and o not in chain]
    return w.rng.choice(candidates)
