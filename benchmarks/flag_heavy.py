"""A flag-heavy dataset for the benchmarks: random cases in a few large agencies, about two
flags per case (issue 10's second dataset: 100k cases, 4 agencies).

    .venv/bin/python benchmarks/flag_heavy.py OUT_DIR [--cases 100000] [--agencies 4] [--seed 1]

Unlike the demo data (a realistic province: 33 agencies, few flags), every agency is large and
most decisions break a rule or two — no legal basis, no review, an unreported deviation, the
IT system bypassed, an undeclared conflict of interest, a time limit passed — so that the cost
of building, passing and writing flags shows. Dates are in ISO, Buddhist-Era D/M/YYYY and
Thai digits, booleans in Thai and English, as the exchange format allows.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
from pathlib import Path

AS_OF = dt.date(2025, 6, 30)
THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
COLUMNS = {
    "agencies": ["agency_id", "name", "serves_public"],
    "processes": ["process_id", "agency_id", "name", "discretionary", "public_service", "work_manual",
                  "work_manual_reviewed_on", "citizen_manual_url", "citizen_manual_at_office", "standard_days",
                  "day_basis", "it_system"],
    "officers": ["officer_id", "agency_id", "name", "position", "supervisor_id", "in_position_since",
                 "ethics_acknowledged_on", "rotation_post"],
    "cases": ["case_id", "process_id", "officer_id", "applicant_id", "received_on", "decided_on", "outcome",
              "discretion_used", "legal_basis", "reviewed_by", "reviewed_on", "deviation", "via_it_system",
              "override_reason", "applicant_related", "coi_declared", "complete_on", "applicant_kind"],
    "escalations": ["report_id", "case_id", "reported_by", "reported_to", "reported_on", "investigated_on",
                    "finding", "corrective_action"],
}


def _date(rng: random.Random, day: dt.date | None) -> str:
    if day is None:
        return ""
    style = rng.random()
    if style < 0.5:
        return day.isoformat()
    text = f"{day.day}/{day.month}/{day.year + 543}"
    return text.translate(THAI_DIGITS) if style < 0.7 else text


def _bool(rng: random.Random, value: bool | None) -> str:
    if value is None:
        return ""
    return rng.choice(["true", "Y", "ใช่", "1"] if value else ["false", "N", "ไม่ใช่", "0"])


def generate(out: Path, cases: int = 100_000, agencies: int = 4, seed: int = 1) -> Path:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[list[str]]] = {name: [] for name in COLUMNS}
    officers_of: dict[str, list[tuple[str, str | None]]] = {}
    processes_of: dict[str, list[tuple[str, bool]]] = {}
    for a in range(agencies):
        agency = f"AG{a + 1:02d}"
        rows["agencies"].append([agency, f"หน่วยงานทดสอบ {a + 1}", _bool(rng, True)])
        processes_of[agency] = []
        for p in range(12):
            pid = f"{agency}-P{p + 1:02d}"
            it = rng.random() < 0.7
            processes_of[agency].append((pid, it))
            rows["processes"].append([
                pid, agency, f"กระบวนงาน {p + 1} ของหน่วยงาน {a + 1}", _bool(rng, True), _bool(rng, rng.random() < 0.8),
                f"คู่มือ {pid}", _date(rng, AS_OF - dt.timedelta(days=rng.randint(30, 900))),
                f"https://{agency.lower()}.example.go.th/{pid.lower()}" if rng.random() < 0.8 else "",
                _bool(rng, rng.random() < 0.8), str(rng.choice([5, 7, 15, 30])), rng.choice(["working", "calendar", ""]),
                "e-Service" if it else ""])
        officers_of[agency] = []
        head = f"{agency}-O000"
        rows["officers"].append([head, agency, f"หัวหน้า {agency}", "หัวหน้าส่วนราชการ", "", "2020-10-01", "2024-10-15", ""])
        for o in range(1, 60):
            oid = f"{agency}-O{o:03d}"
            officers_of[agency].append((oid, head))
            rows["officers"].append([
                oid, agency, f"เจ้าหน้าที่ {o} {agency}", "นักวิชาการ", head,
                _date(rng, AS_OF - dt.timedelta(days=rng.randint(100, 2500))),
                _date(rng, AS_OF - dt.timedelta(days=rng.randint(0, 400)) if rng.random() < 0.7 else None),
                _bool(rng, rng.random() < 0.2)])
    per_agency = -(-cases // agencies)
    report = 0
    for n in range(cases):
        agency = f"AG{n // per_agency + 1:02d}"
        pid, it = rng.choice(processes_of[agency])
        officer, boss = rng.choice(officers_of[agency])
        received = AS_OF - dt.timedelta(days=rng.randint(5, 270))
        decided = received + dt.timedelta(days=rng.randint(0, 40)) if rng.random() < 0.85 else None
        decided = decided if decided is None or decided <= AS_OF else None
        reviewed = decided + dt.timedelta(days=rng.randint(0, 20)) if decided and rng.random() < 0.45 else None
        deviation = "ข้ามขั้นตอนการตรวจสอบเอกสาร" if decided and rng.random() < 0.2 else ""
        related = rng.random() < 0.15
        cid = f"C{n + 1:07d}"
        rows["cases"].append([
            cid, pid, officer, f"APP{rng.randint(1, cases // 3):07d}", _date(rng, received), _date(rng, decided),
            rng.choice(["approved", "denied", "partial", ""]) if decided else "", _bool(rng, rng.random() < 0.85),
            "" if rng.random() < 0.35 else "พ.ร.บ.วิธีปฏิบัติราชการทางปกครอง พ.ศ. ๒๕๓๙ มาตรา ๓๗",
            boss if reviewed else "", _date(rng, reviewed), deviation,
            _bool(rng, rng.random() > 0.3) if it else "", "ระบบขัดข้อง" if it and rng.random() < 0.05 else "",
            _bool(rng, related), _bool(rng, related and rng.random() < 0.5), "", rng.choice(["person", "juristic", ""])])
        if deviation and rng.random() < 0.4:
            report += 1
            reported = decided + dt.timedelta(days=rng.randint(0, 10))
            if reported <= AS_OF:
                rows["escalations"].append([f"R{report:07d}", cid, officer, boss, _date(rng, reported), "", "", ""])
    for name, columns in COLUMNS.items():
        with (out / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            writer.writerows(rows[name])
    (out / "manifest.json").write_text(json.dumps({"cases": cases, "agencies": agencies, "seed": seed, "set": []}))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--agencies", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    generate(args.out, args.cases, args.agencies, args.seed)


if __name__ == "__main__":
    main()
