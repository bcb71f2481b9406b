"""A realistic demo dataset (exchange format v2) for the 33 Khon Kaen agencies, with a truth file.

Every case starts clean (reviewed in time by the direct supervisor, a legal basis, within
the manual's time limit, through the IT system, no conflict) and then violations and near
misses of rule catalogue v2 are injected at known rates (the head's own decisions, sampled
review, complete_on, juristic applicants, delay notices, permitted conflicts, agency and
process parameter rows, an acknowledgement round of the current fiscal year). The truth file lists, for each injection, the flags it must
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

from engine.domain.calendar import days, fiscal_year
from engine.domain.thai import BE_OFFSET, to_thai_digits
from engine.kb.knowledge import default_calendar, load_agencies

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
    "unreviewed": 0.03, "late_review": 0.03, "self_review": 0.01, "outside_chain": 0.015, "no_legal_basis": 0.03,
    "deviation_unreported": 0.015, "deviation_reported": 0.02, "report_outside_chain": 0.25, "report_skip_level": 0.2,
    "uninvestigated": 0.3, "no_finding": 0.2, "overdue": 0.04, "complete_later": 0.2, "notice_missed": 0.35,
    "notice_not_copied": 0.1, "it_bypassed": 0.02, "it_override": 0.02, "coi": 0.015, "head_decides": 0.02,
    "juristic": 0.3, "no_manual": 0.12, "manual_outdated": 0.15, "manual_unpublished": 0.15, "no_it": 0.5,
    "it_exempt": 0.3, "sampled": 0.12, "sample_short": 0.5, "rotation_post": 0.3, "rotation": 0.3,
    "ethics_invalid": 0.06, "repeat": 0.05, "process_review_days": 0.1, "agency_rotation_years": 0.15,
    "no_risk_analysis": 0.25, "no_monitoring": 0.2, "staff_short": 0.2, "unpublished": 0.15, "ack_late": 0.15,
    "ack_missing": 0.1,
}
SAMPLE_WINDOW, REVIEW_DAYS, ROTATION_YEARS, NOTICE_EVERY = 90, 7, 4, 7  # the KB defaults the injections assume
ORDER = "คำสั่งหน่วยงาน ที่ {n}/{year} เรื่อง กำหนดเกณฑ์การตรวจสอบการใช้ดุลพินิจ"


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


DEMO_ROUND_SOURCE = "หนังสือจังหวัดขอนแก่น (ข้อมูลสาธิต) / the province's letter (demo data)"


def acknowledgement_round(as_of: dt.date) -> tuple[int, dt.date]:
    """The demo's current acknowledgement round: a deadline 45 days before as_of, in its fiscal year."""
    deadline = as_of - dt.timedelta(days=45)
    return fiscal_year(deadline), deadline


def generate(out: Path, cases: int = 5000, seed: int = 1, as_of: dt.date | None = None,
             progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Write a demo dataset to ``out`` and return its manifest (as_of, counts, truth count, and the
    acknowledgement round the truth assumes: as ``--set`` in ``manifest["set"]``, and as the
    round an administrator opens in the store in ``manifest["round"]``)."""
    as_of = as_of or dt.date.today()
    rng = random.Random(seed)
    w = _Writer(rng)
    agencies = load_agencies()
    staff_by_agency: dict[str, list[dict[str, Any]]] = {}
    sup: dict[str, str | None] = {}
    heads: dict[str, str] = {}
    processes: list[dict[str, Any]] = []
    invalid_ethics: set[str] = set()
    rotation_due: set[str] = set()
    rotation_years: dict[str, int] = {}
    n_officer = 0
    n_order = 0

    def person() -> str:
        return f"{rng.choice(['นาย', 'นาง', 'นางสาว'])}{rng.choice(_GIVEN)} {rng.choice(_FAMILY)}"

    def order() -> str:
        nonlocal n_order
        n_order += 1
        return ORDER.format(n=n_order, year=fiscal_year(as_of))

    def officer(agency: str, position: str, boss: str | None, decides: bool) -> dict[str, Any]:
        nonlocal n_officer
        n_officer += 1
        oid = f"OF{n_officer:05d}"
        since = _ago(as_of, rng.randint(200, min(1200, rotation_years[agency] * 365 - 2)))
        post = decides and rng.random() < RATES["rotation_post"]
        if decides and rng.random() < RATES["rotation"]:
            # long in position; a flag only for a rotation post (the others are near misses)
            years = rotation_years[agency]
            since = _ago(as_of, rng.randint(years * 366 + 1, 12 * 365))
            if post:
                rotation_due.add(oid)
        ack: dt.date | None = _ago(as_of, rng.randint(325, 335))
        if decides and rng.random() < RATES["ethics_invalid"]:
            invalid_ethics.add(oid)
            ack = rng.choice([None, _ago(as_of, rng.randint(800, 900))])  # invalid even with 400 days
        row = {"officer_id": oid, "agency_id": agency, "name": person(), "position": position,
               "supervisor_id": boss or "", "in_position_since": w.date(since), "ethics_acknowledged_on": w.date(ack),
               "rotation_post": w.flag(post) if post or rng.random() < 0.5 else ""}
        w.add("officers", row)
        sup[oid] = boss
        return row

    for a in agencies:
        w.add("agencies", {"agency_id": a.id, "name": a.name, "name_en": a.name_en,
                           "serves_public": w.flag(a.serves_public), "website": f"https://{a.id}.example.go.th"})
        rotation_years[a.id] = ROTATION_YEARS
        if rng.random() < RATES["agency_rotation_years"]:
            rotation_years[a.id] = rng.choice([3, 5])
            w.add("parameters", {"agency_id": a.id, "process_id": "", "name": "rotation_years",
                                 "value": str(rotation_years[a.id]), "source": order()})
        if rng.random() < 0.1:  # an agency's own validity of the ethics acknowledgement: changes no flag here
            w.add("parameters", {"agency_id": a.id, "process_id": "", "name": "ethics_ack_valid_days",
                                 "value": "400", "source": order()})
        head = officer(a.id, "หัวหน้าส่วนราชการ", None, False)
        heads[a.id] = head["officer_id"]
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
                manual, reviewed = "", None  # 1.2-process-without-manual: severity known once the cases are made
            elif rng.random() < RATES["manual_outdated"]:
                reviewed = rng.choice([None, _ago(as_of, rng.randint(731, 2000))])
                w.expect("1.2-manual-outdated", "process", pid, "low")
            if not disc and rng.random() < RATES["no_it"]:
                it = None
            exempt = ""
            if disc and it is None:
                if rng.random() < RATES["it_exempt"]:
                    exempt = "การใช้ดุลพินิจเป็นอำนาจของเจ้าหน้าที่ตามกฎหมาย ระบบสารสนเทศทดแทนไม่ได้"
                else:
                    w.expect("1.7-no-it-system", "process", pid, "low")
            url, at_office = (f"https://{a.id}.example.go.th/manual/{pid}", True) if public else ("", None)
            if public and rng.random() < RATES["manual_unpublished"]:
                url, at_office = rng.choice([("", True), (url, False), ("", False)])
                w.expect("1.6-manual-not-published", "process", pid, "medium")
            if not public:
                url, at_office = "", None
            # welfare payments and internal work are not licences (Licensing Facilitation Act)
            licensing: bool | None = None if not name.startswith("พิจารณาเงิน") else False
            sample = rng.choice([10, 20, 30]) if disc and rng.random() < RATES["sampled"] else None
            review_days = REVIEW_DAYS
            if disc and rng.random() < RATES["process_review_days"]:
                review_days = rng.choice([5, 10])
                w.add("parameters", {"agency_id": a.id, "process_id": pid, "name": "review_within_days",
                                     "value": str(review_days), "source": order()})
            p = {"process_id": pid, "agency_id": a.id, "name": name, "discretionary": disc, "public_service": public,
                 "work_manual": manual, "work_manual_reviewed_on": reviewed, "citizen_manual_url": url,
                 "citizen_manual_at_office": at_office, "standard_days": sd, "day_basis": basis, "it_system": it,
                 "licensing": licensing, "review_sample_percent": sample, "it_exempt_reason": exempt,
                 "_review_days": review_days, "_sample_short": sample is not None and rng.random() < RATES["sample_short"]}
            processes.append(p)
            w.add("processes", {**{k: v for k, v in p.items() if not k.startswith("_")},
                                "discretionary": w.flag(disc), "public_service": w.flag(public),
                                "work_manual_reviewed_on": w.date(reviewed), "citizen_manual_at_office": w.flag(at_office),
                                "standard_days": "" if sd is None else str(sd), "day_basis": basis, "it_system": it or "",
                                "licensing": w.flag(licensing), "review_sample_percent": "" if sample is None else str(sample)})
    round_fy, round_deadline = acknowledgement_round(as_of)
    for a in agencies:
        _agency_records(w, a.id, heads[a.id], as_of, rng, round_fy, round_deadline)

    case_rows, decided_disc = _cases(w, rng, processes, staff_by_agency, heads, sup, cases, as_of, invalid_ethics,
                                     progress)
    for oid in rotation_due:
        if decided_disc.get(oid):
            w.expect("1.4-rotation-due", "officer", oid, "medium")
    _process_outcomes(w, processes, as_of, sup)
    out.mkdir(parents=True, exist_ok=True)
    columns = {"cases": list(case_rows[0]) if case_rows else [],
               "parameters": ["agency_id", "process_id", "name", "value", "source"],
               "delay_notices": ["notice_id", "case_id", "notified_on", "opdc_copied"]}
    w.tables.setdefault("parameters", [])
    w.tables.setdefault("delay_notices", [])
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
                "set": [f"acknowledgement_deadlines.{round_fy}={round_deadline.isoformat()}"],
                # the same round as the province's letter would open it in the app (demo-setup)
                "round": {"fiscal_year": round_fy, "deadline": round_deadline.isoformat(), "source": DEMO_ROUND_SOURCE},
                "rows": {t: len(r) for t, r in w.tables.items()}, "expected_flags": len(w.truth)}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def _agency_records(w: _Writer, agency: str, head: str, as_of: dt.date, rng: random.Random,
                    round_fy: int, round_deadline: dt.date) -> None:
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
    # the letter's own round (2562): history, outside the current round
    w.add("acknowledgements", {"agency_id": agency, "staff_total": "30", "staff_acknowledged": str(rng.randint(20, 30)),
                               "published_url": rng.choice(["", f"https://{agency}.example.go.th/o48-2562"]),
                               "reported_on": w.date(dt.date(2019, 6, rng.randint(14, 30))), "fiscal_year": ""})
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
    reported = round_deadline - dt.timedelta(days=rng.randint(0, 6))
    if rng.random() < RATES["ack_late"]:
        reported = round_deadline + dt.timedelta(days=rng.randint(1, 40))
        w.expect("2.3-not-reported", "agency", agency, "medium")
    w.add("acknowledgements", {"agency_id": agency, "staff_total": str(total), "staff_acknowledged": str(acknowledged),
                               "published_url": url, "reported_on": w.date(reported), "fiscal_year": str(round_fy)})


def _process_outcomes(w: _Writer, processes: list[dict[str, Any]], as_of: dt.date, sup: dict[str, str | None]) -> None:
    """Process flags that depend on the cases made: 1.2's severity, 1.1's sampled review."""
    for p in processes:
        mine = p.get("_decided_disc", [])
        if p["discretionary"] and not p["work_manual"]:
            w.expect("1.2-process-without-manual", "process", p["process_id"], "high" if mine else "medium")
        if p["_sample_short"]:
            # no decision of a short process is reviewed: the share is 0 once the window has one
            window = [d for d, oid in mine if sup[oid] is not None and days(d, as_of) <= SAMPLE_WINDOW
                      and as_of > default_calendar().deadline(d, p["_review_days"], "working")]
            if window:
                w.expect("1.1-review-sample-short", "process", p["process_id"], "medium")


def _cases(w: _Writer, rng: random.Random, processes: list[dict[str, Any]], staff_by_agency: dict[str, list[dict[str, Any]]],
           heads: dict[str, str], sup: dict[str, str | None], n_cases: int, as_of: dt.date, invalid_ethics: set[str],
           progress: Callable[[int], None] | None) -> tuple[list[dict[str, Any]], dict[str, int]]:
    weights = [4 if p["public_service"] else 1 for p in processes]
    decided_disc: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    n_report = n_notice = 0
    i = 0
    while i < n_cases:
        p = rng.choices(processes, weights)[0]
        staff = staff_by_agency[p["agency_id"]]
        o = rng.choice(staff)
        oid = o["officer_id"]
        if p["discretionary"] and rng.random() < RATES["repeat"] / 20 and n_cases - i >= 7:
            k = rng.choice([4, 5, 6, 7])  # 4 stays under the threshold: a near miss that must not fire
            juristic = rng.random() < RATES["juristic"]  # companies file repeatedly: never a flag
            applicant = f"APP-{'J' if juristic else 'R'}{i:07d}"
            for _ in range(k):
                rows.append(_case(w, rng, p, oid, sup, as_of, i, invalid_ethics, decided_disc,
                                  applicant=applicant, repeat=True, juristic=juristic))
                i += 1
            if k >= 5 and not juristic:
                w.expect("1.4-repeat-applicant", "officer", oid, "medium", applicant=applicant)
            continue
        if rng.random() < RATES["head_decides"]:
            oid = heads[p["agency_id"]]  # the head's own decision: no one above reviews it
        rows.append(_case(w, rng, p, oid, sup, as_of, i, invalid_ethics, decided_disc))
        i += 1
        if progress and i % 10_000 == 0:
            progress(i)
    for row in rows:
        for esc in row.pop("_escalations"):
            n_report += 1
            w.add("escalations", {"report_id": f"RPT{n_report:07d}", **esc})
        for notice in row.pop("_notices"):
            n_notice += 1
            w.add("delay_notices", {"notice_id": f"NTC{n_notice:07d}", **notice})
    if "escalations" not in w.tables:
        w.tables["escalations"] = []
    w.tables["cases"] = rows
    return rows, decided_disc


def _notices(w: _Writer, rng: random.Random, limit: dt.date, end: dt.date, missed: bool) -> tuple[list[dt.date], bool]:
    """Delay notices every at most 7 days from the limit day until the decision (Licensing
    Facilitation Act s.10); when ``missed``, the chain stops at a random step. Returns the
    notices and whether one was due and missing."""
    out: list[dt.date] = []
    p = limit
    stop_after = rng.randint(0, 3) if missed else -1
    while True:
        due = default_calendar().deadline(p, NOTICE_EVERY, "calendar")
        if due >= end:
            return out, False
        if len(out) == stop_after:
            return out, True
        p = due - dt.timedelta(days=rng.randint(0, 3))
        out.append(p)


def _case(w: _Writer, rng: random.Random, p: dict[str, Any], oid: str, sup: dict[str, str | None], as_of: dt.date,
          n: int, invalid_ethics: set[str], decided_disc: dict[str, int], applicant: str | None = None,
          repeat: bool = False, juristic: bool = False) -> dict[str, Any]:
    cid = f"C{n + 1:07d}"
    boss = sup[oid]
    sd, basis = p["standard_days"], p["day_basis"]
    disc = p["discretionary"] and (repeat or rng.random() < 0.85)
    r = {k: rng.random() for k in ("review", "dev", "over", "it", "coi", "legal", "pending", "complete")}
    received = _ago(as_of, rng.randint(40, 170) if repeat else rng.randint(31, 320))
    complete: dt.date | None = None
    decided: dt.date | None = None
    pending = not repeat and r["pending"] < 0.08
    overdue = sd is not None and r["over"] < RATES["overdue"] and not repeat
    late_start = r["complete"] < RATES["complete_later"]

    def start() -> dt.date:
        return complete or received

    def limit() -> dt.date:
        return default_calendar().deadline(start(), sd, basis)

    if pending:
        if overdue:
            received = _ago(as_of, rng.randint(31, 200))
            complete = received + dt.timedelta(days=rng.randint(1, 5)) if late_start else None
            while limit() >= as_of:
                received -= dt.timedelta(days=7)
                complete = complete and complete - dt.timedelta(days=7)
        elif sd is not None:
            received = _ago(as_of, rng.randint(0, 3))
            complete = min(as_of, received + dt.timedelta(days=1)) if late_start else None
            while limit() < as_of:
                received += dt.timedelta(days=1)
                complete = complete and complete + dt.timedelta(days=1)
    else:
        complete = received + dt.timedelta(days=rng.randint(1, 5)) if late_start else None
        if sd is None:
            decided = start() + dt.timedelta(days=rng.randint(0, 20))
        elif overdue:
            decided = limit() + dt.timedelta(days=rng.randint(1, 30))
        else:
            decided = start() + dt.timedelta(days=rng.randint(0, max(0, days(start(), limit()))))
        if decided > _ago(as_of, 31):  # every decision is at least 31 days old: review and report periods have passed
            shift = days(_ago(as_of, 31), decided)
            received -= dt.timedelta(days=shift)
            complete = complete and complete - dt.timedelta(days=shift)
            decided -= dt.timedelta(days=shift)
        if sd is not None:
            # shifting moves weekends and holidays: re-state the injection as what the calendar now says
            overdue = decided > limit()
    row: dict[str, Any] = {"case_id": cid, "process_id": p["process_id"], "officer_id": oid,
                           "applicant_id": applicant or f"APP{rng.randint(0, 10**9):09d}", "received_on": received,
                           "decided_on": decided, "outcome": "", "discretion_used": disc,
                           "legal_basis": rng.choice(_LEGAL_BASIS), "reviewed_by": "", "reviewed_on": None,
                           "deviation": "", "via_it_system": True if p["it_system"] else None, "override_reason": "",
                           "applicant_related": False, "coi_declared": False, "complete_on": complete,
                           "applicant_kind": "juristic" if juristic else rng.choice(["person", ""]),
                           "coi_permitted_by": "", "_escalations": [], "_notices": []}
    expect = lambda rule, sev="medium": w.expect(rule, "case", cid, sev)  # noqa: E731
    supervised = boss is not None
    if decided is not None:
        row["outcome"] = rng.choice(["approved", "approved", "approved", "denied", "partial"])
        review_due = default_calendar().deadline(decided, p["_review_days"], "working")
        sampled = p["review_sample_percent"] is not None
        if not supervised or (sampled and p["_sample_short"]):
            pass  # the head's own decision, or a sampled process that reviews none: no review at all
        elif disc and not sampled and r["review"] < RATES["unreviewed"]:
            expect("1.1-unreviewed", "high")
        elif disc or r["review"] < 0.5:
            row["reviewed_by"] = boss
            row["reviewed_on"] = decided + dt.timedelta(days=rng.randint(0, min(7, days(decided, review_due))))
            anomaly = rng.random()
            if anomaly < RATES["late_review"]:
                row["reviewed_on"] = review_due + dt.timedelta(days=rng.randint(1, 20))
                if disc:
                    expect("1.1-late-review")
            elif anomaly < RATES["late_review"] + RATES["self_review"]:
                row["reviewed_by"] = oid
                expect("1.1-self-review", "high")
            elif anomaly < RATES["late_review"] + RATES["self_review"] + RATES["outside_chain"]:
                row["reviewed_by"] = _outsider(w, oid, sup)
                expect("1.1-reviewer-outside-chain")
            row["reviewed_on"] = min(row["reviewed_on"], as_of)
        if disc and r["legal"] < RATES["no_legal_basis"]:
            row["legal_basis"] = ""
            if row["outcome"] != "approved":  # a full grant needs no stated reasons (APA s.37 para 3)
                expect("1.1-no-legal-basis")
        if disc:
            decided_disc[oid] = decided_disc.get(oid, 0) + 1
            p.setdefault("_decided_disc", []).append((decided, oid))
            if oid in invalid_ethics:
                expect("1.5-ethics-not-acknowledged", "low")
        if r["dev"] < RATES["deviation_unreported"] + RATES["deviation_reported"]:
            row["deviation"] = rng.choice(["อนุมัติโดยเอกสารประกอบไม่ครบตามคู่มือ", "ยกเว้นค่าธรรมเนียมนอกหลักเกณฑ์",
                                           "ข้ามขั้นตอนการตรวจสอบสถานที่"])
    if overdue and p["public_service"]:
        expect("1.6-time-limit-exceeded")
    licensing = p["public_service"] if p["licensing"] is None else p["licensing"]
    if overdue and licensing:
        end = decided if decided is not None else as_of
        notices, missed = _notices(w, rng, limit(), end, rng.random() < RATES["notice_missed"])
        if missed:
            expect("1.6-delay-not-notified")
        not_copied = False
        for day in notices:
            copied = rng.random() >= RATES["notice_not_copied"]
            not_copied |= not copied
            row["_notices"].append({"case_id": cid, "notified_on": w.date(day), "opdc_copied": w.flag(copied)})
        if not_copied:
            expect("1.6-delay-notice-not-copied", "low")
    if row["deviation"]:
        if r["dev"] >= RATES["deviation_unreported"] and boss is not None:
            reported = min(decided + dt.timedelta(days=rng.randint(0, 5)), as_of)
            to = boss
            if rng.random() < RATES["report_outside_chain"]:
                to = _outsider(w, oid, sup)
                expect("1.3-report-outside-chain")
            elif sup[boss] is not None and rng.random() < RATES["report_skip_level"]:
                to = sup[boss]  # skipping a level stays in the chain
            due = default_calendar().deadline(reported, 30, "calendar")
            investigated: dt.date | None = reported + dt.timedelta(days=rng.randint(1, 30))
            if rng.random() < RATES["uninvestigated"] and as_of > due:
                investigated = rng.choice([None, due + dt.timedelta(days=rng.randint(1, 30))])
                if investigated and investigated > as_of:
                    investigated = None
                expect("1.3-uninvestigated")
            finding, action = "ข้อเท็จจริงตามรายงาน", "ทบทวนคู่มือและอบรมเจ้าหน้าที่"
            if investigated and investigated <= as_of and rng.random() < RATES["no_finding"]:
                finding, action = rng.choice([("", action), (finding, ""), ("", "")])
                expect("1.3-no-finding", "low")
            row["_escalations"].append({"case_id": cid, "reported_by": oid, "reported_to": to, "reported_on": w.date(reported),
                                        "investigated_on": w.date(investigated),
                                        "finding": finding if investigated else "",
                                        "corrective_action": action if investigated else ""})
        else:
            expect("1.3-unreported-deviation", "high")
    if p["it_system"] and r["it"] < RATES["it_bypassed"] + RATES["it_override"]:
        row["via_it_system"] = False
        if r["it"] < RATES["it_bypassed"]:
            expect("1.7-it-bypassed")
        else:
            row["override_reason"] = "ระบบขัดข้อง ดำเนินการด้วยเอกสารแทน"
    if r["coi"] < RATES["coi"]:
        row["applicant_related"] = True
        row["coi_declared"] = r["coi"] < RATES["coi"] * 2 / 3
        if not row["coi_declared"]:
            expect("1.5-conflict-of-interest", "high")
        elif boss is not None and r["coi"] < RATES["coi"] / 3:
            row["coi_permitted_by"] = rng.choice([b for b in _chain(oid, sup)])  # APA s.16: no flag
        else:
            row["coi_permitted_by"] = rng.choice(["", _outsider(w, oid, sup)])
            expect("1.5-conflict-of-interest", "medium")
    for key in ("received_on", "decided_on", "reviewed_on", "complete_on"):
        row[key] = w.date(row[key])
    for key in ("discretion_used", "via_it_system", "applicant_related", "coi_declared"):
        row[key] = w.flag(row[key]) if (key != "coi_declared" or row["applicant_related"]) else ""
    row["reviewed_by"] = row["reviewed_by"] or ""
    return row


def _chain(oid: str, sup: dict[str, str | None]) -> list[str]:
    out, boss = [], sup[oid]
    while boss is not None:
        out.append(boss)
        boss = sup[boss]
    return out


def _outsider(w: _Writer, oid: str, sup: dict[str, str | None]) -> str:
    """Someone who is neither the officer nor in the officer's chain."""
    chain = set(_chain(oid, sup))
    candidates = [o for o in sup if o != oid and o not in chain]
    return w.rng.choice(candidates)
