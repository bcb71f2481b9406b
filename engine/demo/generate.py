"""A realistic demo dataset (exchange format v3) for the 33 Khon Kaen agencies, with a truth file.

Every case starts clean (reviewed in time by the direct supervisor, a legal basis, within its
limit day, through the IT system, no conflict) and then violations of rule catalogue v3 and near
misses that must not fire are injected at known rates: outcomes in Thai and English words with
and without a legal basis, processes whose orders affect others, licensing only where the process
is a licence, permit or registration, public services without a time limit of their own (the
Administrative Procedure Act s.39/1's 30 days), conflicts of interest by ground (s13, s16) with
s18 exceptions, juristic repeat applicants at their own threshold, officers who decided while
their ethics acknowledgement was not valid, and the agencies' dated orders (``parameters`` rows
with effective_from) — some taking effect in the middle of the data, one on a decision's day.

The truth file lists, for each injection, the flags it must produce — written from what was
injected and from this module's own reading of SPEC §3, never by running an evaluator: the days
are counted by ``engine.demo.calendar`` (not the engine's calendar) and the parameters take the
values of SPEC §3's table (v3), not ``kb/measures.yaml``'s.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from engine.demo.calendar import DemoCalendar, add_years, days, demo_calendar, fiscal_year, today
from engine.domain.thai import BE_OFFSET, to_thai_digits
from engine.kb.knowledge import load_agencies, load_kb


class _Spec(NamedTuple):
    """A kind of work of an agency, as its manual describes it."""

    name: str
    discretionary: bool
    public: bool
    standard_days: int | None
    basis: str
    it_system: str | None
    licensing: bool = False  # a licence, permit or registration (Licensing Facilitation Act 2558)
    affects_others: bool = False  # granting it touches other persons' rights (APA s.37 para 3 (1))
    law: str = ""


_PROCESSES: dict[str, list[_Spec]] = {
    "kk-land": [
        _Spec("จดทะเบียนสิทธิและนิติกรรมเกี่ยวกับอสังหาริมทรัพย์", True, True, 1, "working", "LandsMaps", True,
              law="ประมวลกฎหมายที่ดิน มาตรา ๗๑"),
        _Spec("รังวัดแบ่งแยกที่ดิน", True, True, 30, "working", "ระบบรังวัดดิจิทัล", affects_others=True,
              law="ประมวลกฎหมายที่ดิน มาตรา ๖๙ ทวิ"),
        _Spec("ออกโฉนดที่ดินเฉพาะราย", True, True, 90, "calendar", None, affects_others=True,
              law="ประมวลกฎหมายที่ดิน มาตรา ๕๙")],
    "kk-transport": [
        _Spec("ต่ออายุใบอนุญาตขับรถยนต์", False, True, 1, "working", "DLT e-Service", True, law="พ.ร.บ.รถยนต์ พ.ศ. ๒๕๒๒"),
        _Spec("จดทะเบียนรถใหม่", False, True, 3, "working", "DLT e-Service", True, law="พ.ร.บ.รถยนต์ พ.ศ. ๒๕๒๒"),
        _Spec("อนุญาตประกอบการขนส่งไม่ประจำทาง", True, True, 60, "working", None, True,
              law="พ.ร.บ.การขนส่งทางบก พ.ศ. ๒๕๒๒")],
    "kk-commerce": [
        _Spec("จดทะเบียนพาณิชย์", False, True, 1, "working", "DBD e-Registration", True,
              law="พ.ร.บ.ทะเบียนพาณิชย์ พ.ศ. ๒๔๙๙"),
        _Spec("ตรวจสอบและกำหนดราคาสินค้าควบคุม", True, False, None, "working", None, affects_others=True,
              law="พ.ร.บ.ว่าด้วยราคาสินค้าและบริการ พ.ศ. ๒๕๔๒")],
    "kk-industry": [
        _Spec("อนุญาตประกอบกิจการโรงงาน (ร.ง.๔)", True, True, 30, "working", "i-Industry", True, True,
              law="พ.ร.บ.โรงงาน พ.ศ. ๒๕๓๕ มาตรา ๑๒"),
        _Spec("ต่ออายุใบอนุญาตประกอบกิจการโรงงาน", True, True, 15, "working", "i-Industry", True,
              law="พ.ร.บ.โรงงาน พ.ศ. ๒๕๓๕")],
    "kk-public-health": [
        _Spec("อนุญาตสถานที่ผลิตอาหาร", True, True, 40, "working", None, True, law="พ.ร.บ.อาหาร พ.ศ. ๒๕๒๒"),
        _Spec("อนุญาตสถานพยาบาล", True, True, 60, "working", None, True, law="พ.ร.บ.สถานพยาบาล พ.ศ. ๒๕๔๑")],
    "kk-employment": [
        _Spec("อนุญาตทำงานของคนต่างด้าว", True, True, 7, "working", "e-WorkPermit", True,
              law="พ.ร.ก.การบริหารจัดการการทำงานของคนต่างด้าว พ.ศ. ๒๕๖๐")],
    "kk-social-security": [
        _Spec("วินิจฉัยสิทธิประโยชน์ทดแทนกรณีเจ็บป่วย", True, True, 10, "working", "SSO Connect",
              law="พ.ร.บ.ประกันสังคม พ.ศ. ๒๕๓๓")],
    "kk-labour-protection": [
        _Spec("พิจารณาคำร้องตามกฎหมายคุ้มครองแรงงาน (คร.๗)", True, True, 60, "calendar", None, affects_others=True,
              law="พ.ร.บ.คุ้มครองแรงงาน พ.ศ. ๒๕๔๑ มาตรา ๑๒๔")],
    "kk-dopa": [
        _Spec("อนุญาตให้มีและใช้อาวุธปืน (ป.๔)", True, True, 30, "working", None, True,
              law="พ.ร.บ.อาวุธปืน เครื่องกระสุนปืน วัตถุระเบิด ดอกไม้เพลิง และสิ่งเทียมอาวุธปืน พ.ศ. ๒๔๙๐"),
        _Spec("จดทะเบียนจัดตั้งมูลนิธิ", True, True, 60, "working", None, True,
              law="ประมวลกฎหมายแพ่งและพาณิชย์ มาตรา ๑๑๔")],
    "kk-local-admin": [
        _Spec("พิจารณาเบี้ยยังชีพผู้สูงอายุกรณีย้ายภูมิลำเนา", True, True, None, "working", None,
              law="ระเบียบกระทรวงมหาดไทยว่าด้วยหลักเกณฑ์การจ่ายเงินเบี้ยยังชีพผู้สูงอายุ พ.ศ. ๒๕๕๒")],
    "kk-public-works": [
        _Spec("อนุญาตก่อสร้างอาคาร", True, True, 45, "calendar", None, True, True,
              law="พ.ร.บ.ควบคุมอาคาร พ.ศ. ๒๕๒๒ มาตรา ๒๑")],
    "kk-enforcement": [
        _Spec("ขายทอดตลาดทรัพย์สิน", True, True, None, "working", "LED e-Auction", affects_others=True,
              law="ประมวลกฎหมายวิธีพิจารณาความแพ่ง")],
    "kk-probation": [_Spec("สืบเสาะและพินิจผู้ถูกคุมความประพฤติ", True, False, 15, "working", None,
                           law="พ.ร.บ.คุมประพฤติ พ.ศ. ๒๕๕๙")],
    "kk-phon-prison": [_Spec("พิจารณาพักการลงโทษ", True, False, 90, "calendar", None, law="พ.ร.บ.ราชทัณฑ์ พ.ศ. ๒๕๖๐")],
    "kk-livestock": [_Spec("อนุญาตเคลื่อนย้ายสัตว์", True, True, 3, "working", "e-Movement", True,
                           law="พ.ร.บ.โรคระบาดสัตว์ พ.ศ. ๒๕๕๘")],
    "kk-fisheries": [_Spec("อนุญาตทำการประมงในแหล่งน้ำจืด", True, True, 15, "working", None, True,
                           law="พ.ร.ก.การประมง พ.ศ. ๒๕๕๘")],
    "kk-land-reform": [_Spec("คัดเลือกเกษตรกรเข้าทำประโยชน์ในเขตปฏิรูปที่ดิน", True, True, 90, "working", None,
                             affects_others=True, law="พ.ร.บ.การปฏิรูปที่ดินเพื่อเกษตรกรรม พ.ศ. ๒๕๑๘")],
    "kk-energy": [_Spec("อนุญาตใช้พลังงานควบคุม", True, True, 30, "working", None, True,
                        law="พ.ร.บ.การส่งเสริมการอนุรักษ์พลังงาน พ.ศ. ๒๕๓๕")],
    "kk-social-dev": [_Spec("พิจารณาเงินสงเคราะห์ครอบครัวผู้มีรายได้น้อย", True, True, None, "working", None,
                            law="ระเบียบกรมพัฒนาสังคมและสวัสดิการว่าด้วยการจ่ายเงินสงเคราะห์ครอบครัวผู้มีรายได้น้อย")],
    "kk-community-dev": [_Spec("พิจารณาเงินยืมกองทุนชุมชน", True, True, None, "working", None,
                               law="ระเบียบกรมการพัฒนาชุมชนว่าด้วยกองทุนชุมชน")],
    "kk-cooperatives": [_Spec("จดทะเบียนสหกรณ์", True, True, 30, "working", None, True, law="พ.ร.บ.สหกรณ์ พ.ศ. ๒๕๔๒")],
    "kk-environment": [_Spec("อนุญาตทำไม้และเก็บหาของป่า", True, True, 30, "working", None, True,
                             law="พ.ร.บ.ป่าไม้ พ.ศ. ๒๔๘๔")],
}
_COMMON = [
    _Spec("จัดซื้อจัดจ้างโดยวิธีเฉพาะเจาะจง", True, False, 30, "working", "e-GP", affects_others=True,
          law="ระเบียบกระทรวงการคลังว่าด้วยการจัดซื้อจัดจ้างและการบริหารพัสดุภาครัฐ พ.ศ. ๒๕๖๐ ข้อ ๗๙"),
    _Spec("พิจารณาเลื่อนเงินเดือนและความดีความชอบ", True, False, None, "working", None,
          law="กฎ ก.พ. ว่าด้วยการเลื่อนเงินเดือน พ.ศ. ๒๕๕๒"),
    _Spec("อนุมัติการลา", False, False, 3, "working", "DPIS", law="ระเบียบสำนักนายกรัฐมนตรีว่าด้วยการลาของข้าราชการ พ.ศ. ๒๕๕๕")]
_GENERIC_BASIS = ["คู่มือการปฏิบัติงาน ข้อ ๕.๒", "พ.ร.บ.วิธีปฏิบัติราชการทางปกครอง พ.ศ. ๒๕๓๙ มาตรา ๓๗"]
# SPEC §2 v3: the outcome words, by what they mean (a permit's words for a licence, the others for
# the rest, English in a few offices); the rest is kept as written and means neither
_OUTCOME_WORDS = {
    True: {"approved": ["อนุญาต", "อนุญาต", "ให้ตามคำขอ", "approved", "Approved"],
           "partial": ["อนุญาตบางส่วน", "partial"], "denied": ["ไม่อนุญาต", "ไม่อนุญาต", "ยกคำขอ", "denied", "refused"]},
    False: {"approved": ["อนุมัติ", "อนุมัติ", "ให้ตามคำขอ", "เห็นชอบ", "approved", "APPROVED"],
            "partial": ["อนุมัติบางส่วน", "partial"],
            "denied": ["ไม่อนุมัติ", "ไม่อนุมัติ", "ยกคำขอ", "ปฏิเสธ", "denied", "refused"]},
}
_OTHER_DECIDED = ["คืนคำขอ", "ส่งเรื่องให้หน่วยงานที่มีอำนาจพิจารณา", "ผู้ยื่นคำขอถอนคำขอ"]
_OTHER_PENDING = ["รอเอกสาร", "อยู่ระหว่างพิจารณา"]
_COI_EXCEPTIONS = ["ไม่มีเจ้าหน้าที่อื่นปฏิบัติหน้าที่แทนได้ (พ.ร.บ.วิธีปฏิบัติราชการทางปกครองฯ มาตรา ๑๘)",
                   "กรณีจำเป็นเร่งด่วน หากล่าช้าจะเสียหายต่อประโยชน์สาธารณะ (มาตรา ๑๘)"]
_GIVEN = ["สมชาย", "สมหญิง", "วิชัย", "อรุณี", "ประเสริฐ", "กาญจนา", "สุริยา", "พรทิพย์", "ธนพล", "นภาพร",
          "ชัยวัฒน์", "ศิริพร", "อนุชา", "จันทร์เพ็ญ", "บุญมี", "ปราณี", "ณัฐวุฒิ", "รัตนา"]
_FAMILY = ["ศรีสุข", "แก้วมณี", "ทองดี", "บุญเรือง", "จันทร์หอม", "พรหมมา", "ศรีวงศ์", "ภูมิพันธ์", "ขันทอง", "วงศ์ใหญ่"]
RATES = {  # probability per eligible case / process / officer / agency
    "unreviewed": 0.03, "late_review": 0.03, "review_on_due": 0.02, "review_day_late": 0.01, "self_review": 0.01,
    "outside_chain": 0.015, "no_legal_basis": 0.03, "no_legal_basis_routine": 0.02,
    "deviation_unreported": 0.015, "deviation_reported": 0.02, "report_outside_chain": 0.25, "report_skip_level": 0.2,
    "uninvestigated": 0.3, "no_finding": 0.2, "overdue": 0.04, "complete_later": 0.2, "notice_missed": 0.35,
    "notice_not_copied": 0.1, "it_bypassed": 0.02, "it_override": 0.02, "coi": 0.015, "coi_exception": 0.15,
    "head_decides": 0.02, "pending": 0.08, "recent": 0.04, "archive": 0.05,
    "no_manual": 0.12, "manual_outdated": 0.15, "manual_unpublished": 0.15, "no_it": 0.5,
    "it_exempt": 0.3, "sampled": 0.12, "sample_short": 0.5, "rotation_post": 0.3, "rotation": 0.3,
    "ethics_missing": 0.03, "ethics_expired": 0.03, "ethics_lapsed": 0.04, "ethics_late": 0.02, "repeat": 0.05,
    "juristic": 0.4, "process_review_days": 0.1, "process_review_order": 0.08, "agency_review_order": 0.08,
    "agency_rotation_years": 0.15, "agency_ethics_days": 0.1, "agency_monitoring_days": 0.15,
    "agency_juristic_threshold": 0.1, "order_not_yet": 0.05,
    "no_risk_analysis": 0.25, "no_monitoring": 0.2, "monitoring_half_year": 0.3, "staff_short": 0.2,
    "unpublished": 0.15, "ack_late": 0.15, "ack_missing": 0.1,
}
# SPEC §3's parameters table (catalogue v3): the values the truth is written with
DEFAULTS: dict[str, int] = {
    "review_within_days": 7, "review_sample_window_days": 90, "manual_max_age_days": 730,
    "escalation_within_days": 7, "investigation_within_days": 30, "decision_within_days": 30,
    "delay_notice_every_days": 7, "rotation_years": 4, "active_officer_window_days": 365,
    "repeat_applicant_threshold": 5, "repeat_applicant_threshold_juristic": 15, "repeat_window_days": 180,
    "risk_analysis_interval_days": 365, "ethics_ack_valid_days": 365, "monitoring_interval_days": 183,
}
ORDER = "คำสั่งหน่วยงาน ที่ {n}/{year} เรื่อง กำหนดเกณฑ์การตรวจสอบการใช้ดุลพินิจ"
DEMO_ROUND_SOURCE = "หนังสือจังหวัดขอนแก่น (ข้อมูลสาธิต)"  # quoted in 2.x messages: Thai, as a letter is
CASE_COLUMNS = ["case_id", "process_id", "officer_id", "applicant_id", "applicant_kind", "received_on", "complete_on",
                "decided_on", "outcome", "discretion_used", "legal_basis", "reviewed_by", "reviewed_on", "deviation",
                "via_it_system", "override_reason", "applicant_related", "coi_ground", "coi_declared",
                "coi_permitted_by", "coi_exception"]
_TABLE_COLUMNS = {
    "parameters": ["agency_id", "process_id", "name", "value", "effective_from", "source"],
    "escalations": ["report_id", "case_id", "reported_by", "reported_to", "reported_on", "investigated_on", "finding",
                    "corrective_action"],
    "delay_notices": ["notice_id", "case_id", "notified_on", "opdc_copied"],
}


def acknowledgement_round(as_of: dt.date) -> tuple[int, dt.date]:
    """The demo's current acknowledgement round: a deadline 45 days before as_of, in its fiscal year."""
    deadline = as_of - dt.timedelta(days=45)
    return fiscal_year(deadline), deadline


@dataclass
class _Process:
    process_id: str
    agency_id: str
    spec: _Spec
    it_system: str | None
    manual: bool
    sample: int | None = None
    review_share: float = 1.0  # of a sampled process: the share of its decisions a supervisor reviews
    limit: tuple[int, str] | None = None  # (days, basis) of its limit day: the manual's, else APA s.39/1's
    decided_disc: bool = False
    window: list[tuple[dt.date, bool]] = field(default_factory=list)  # sampled: (decided_on, reviewed) recent


@dataclass
class _Officer:
    officer_id: str
    agency_id: str
    boss: str | None
    since: dt.date
    ack: dt.date | None
    rotation_post: bool
    decided_disc: set[dt.date] = field(default_factory=set)


@dataclass
class _Order:
    agency_id: str
    process_id: str | None
    name: str
    value: int
    effective_from: dt.date | None
    source: str


class _Orders:
    """The agencies' ``parameters`` rows and SPEC §3's resolution: the default, then the agency's row
    in force, then the process's row in force, on the reference date; of several rows in force the
    latest effective_from (an empty one the earliest)."""

    def __init__(self) -> None:
        self.rows: list[_Order] = []
        self._by: dict[tuple[str, str | None, str], list[_Order]] = {}
        self._cache: dict[tuple[str, str, str | None, dt.date], int] = {}

    def add(self, order: _Order) -> None:
        key = (order.agency_id, order.process_id, order.name)
        if any(o.effective_from == order.effective_from for o in self._by.get(key, [])):
            return  # one order per day: two would be a problem in the data
        self.rows.append(order)
        self._by.setdefault(key, []).append(order)
        self._cache.clear()

    def in_force(self, agency: str, process: str | None, name: str, on: dt.date) -> _Order | None:
        found = [o for o in self._by.get((agency, process, name), []) if o.effective_from is None or o.effective_from <= on]
        return max(found, key=lambda o: o.effective_from or dt.date.min, default=None)

    def value(self, name: str, agency: str, process: str | None, on: dt.date) -> int:
        key = (name, agency, process, on)
        out = self._cache.get(key)
        if out is None:
            out = DEFAULTS[name]
            for scope in (None, process) if process is not None else (None,):
                order = self.in_force(agency, scope, name, on)
                if order is not None:
                    out = order.value
            self._cache[key] = out
        return out


class _Writer:
    """Rows as people type them, and the truth file's expectations."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.tables: dict[str, list[dict[str, Any]]] = {}
        self.truth: list[dict[str, Any]] = []
        self._dates: dict[dt.date, tuple[str, str, str, str]] = {}

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
        forms = self._dates.get(day)
        if forms is None:
            be = f"{day.day}/{day.month}/{day.year + BE_OFFSET}"
            forms = self._dates[day] = (day.isoformat(), be, f"{day.day}/{day.month}/{day.year}", to_thai_digits(be))
        r = self.rng.random()
        return forms[0] if r < 0.5 else forms[1] if r < 0.8 else forms[2] if r < 0.9 else forms[3]

    def flag(self, value: bool | None) -> str:
        if value is None:
            return ""
        return self.rng.choice([("true", "false"), ("yes", "no"), ("ใช่", "ไม่ใช่"), ("1", "0"), ("Y", "N")])[0 if value else 1]


class _Plan(NamedTuple):
    """A case made to order (the scenarios): its dates and review, everything else clean."""

    received: dt.date
    decided: dt.date
    reviewed: dt.date | None


def _ago(as_of: dt.date, n: int) -> dt.date:
    return as_of - dt.timedelta(days=n)


def generate(out: Path, cases: int = 5000, seed: int = 1, as_of: dt.date | None = None,
             progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Write a demo dataset to ``out`` and return its manifest (as_of, counts, truth count, and the
    acknowledgement round the truth assumes: as ``--set`` in ``manifest["set"]``, and as the
    round an administrator opens in the store in ``manifest["round"]``)."""
    demo = _Demo(out, seed, as_of or today(), demo_calendar())
    demo.agencies()
    out.mkdir(parents=True, exist_ok=True)
    demo.cases(cases, progress)
    demo.officer_truth()
    demo.process_truth()
    return demo.write(cases)


class _Demo:
    def __init__(self, out: Path, seed: int, as_of: dt.date, calendar: DemoCalendar):
        self.out, self.seed, self.as_of, self.cal = out, seed, as_of, calendar
        self.rng = random.Random(seed)
        self.w = _Writer(self.rng)
        self.orders = _Orders()
        self.officers: dict[str, _Officer] = {}
        self.staff: dict[str, list[str]] = {}
        self.heads: dict[str, str] = {}
        self.processes: list[_Process] = []
        self.round_fy, self.round_deadline = acknowledgement_round(as_of)
        self.n_order = 0
        self._outsiders: dict[str, list[str]] = {}
        self._chains: dict[str, list[str]] = {}
        self.rows: dict[str, int] = {}
        self.csv: dict[str, Any] = {}  # cases, escalations and delay notices: written as they are made
        self.n_case = self.n_report = self.n_notice = 0
        # an order for a parameter the knowledge base does not define yet would be refused by the
        # loader (catalogue v3's repeat_applicant_threshold_juristic before the KB has it): left out
        self.known_parameters = set(load_kb().parameters)

    # -- agencies, officers, processes, orders ----------------------------------------------
    def order_source(self, effective_from: dt.date | None) -> str:
        self.n_order += 1
        return ORDER.format(n=self.n_order, year=fiscal_year(effective_from or _ago(self.as_of, 800)))

    def order(self, agency: str, process: str | None, name: str, value: int, effective_from: dt.date | None) -> None:
        if name not in self.known_parameters:
            return
        self.orders.add(_Order(agency, process, name, value, effective_from, self.order_source(effective_from)))

    def order_day(self) -> dt.date:
        """A working day in the middle of the data: decisions before it and after it."""
        return self.cal.next_working_day(_ago(self.as_of, self.rng.randint(60, 200)))

    def agencies(self) -> None:
        rng, w = self.rng, self.w
        for a in load_agencies():
            w.add("agencies", {"agency_id": a.id, "name": a.name, "name_en": a.name_en,
                               "serves_public": w.flag(a.serves_public), "website": f"https://{a.id}.example.go.th"})
            self.agency_orders(a.id)
            head = self.officer(a.id, "หัวหน้าส่วนราชการ", None, decides=True, rotation=False)
            self.heads[a.id] = head
            staff: list[str] = []
            for _ in range(rng.randint(2, 3)):
                division = self.officer(a.id, "ผู้อำนวยการกลุ่มงาน", head, decides=False, rotation=False)
                for _ in range(rng.randint(3, 5)):
                    staff.append(self.officer(a.id, rng.choice(["นักวิชาการ", "เจ้าพนักงาน", "นิติกร"]), division,
                                              decides=True, rotation=True))
            self.staff[a.id] = staff
            for n, spec in enumerate(_PROCESSES.get(a.id, []) + _COMMON, 1):
                self.process(a.id, f"{a.id.removeprefix('kk-').upper()}-P{n:02d}", spec)
            self.agency_records(a.id)
        self.ensure_dated_orders()
        for o in self.orders.rows:
            w.add("parameters", {"agency_id": o.agency_id, "process_id": o.process_id or "", "name": o.name,
                                 "value": str(o.value), "effective_from": w.date(o.effective_from), "source": o.source})

    def agency_orders(self, agency: str) -> None:
        """The agency's own orders (SPEC §3 "Parameters"): some in force since long ago, some from a
        day in the middle of the data, some signed but not yet in force at as_of."""
        rng, as_of = self.rng, self.as_of

        def when() -> dt.date | None:
            return rng.choice([None, _ago(as_of, rng.randint(100, 900))])

        if rng.random() < RATES["agency_rotation_years"]:
            self.order(agency, None, "rotation_years", rng.choice([3, 5]), when())
        if rng.random() < RATES["agency_ethics_days"]:
            self.order(agency, None, "ethics_ack_valid_days", 400, when())
        if rng.random() < RATES["agency_monitoring_days"]:  # a quarterly report, as v2 assumed
            self.order(agency, None, "monitoring_interval_days", 92, when())
        if rng.random() < RATES["agency_juristic_threshold"]:
            self.order(agency, None, "repeat_applicant_threshold_juristic", 10, when())
        if rng.random() < RATES["agency_review_order"]:
            self.order(agency, None, "review_within_days", rng.choice([5, 10]), self.order_day())
        if rng.random() < RATES["order_not_yet"]:  # signed, in force only after as_of: judges nothing yet
            name, value = rng.choice([("rotation_years", 2), ("repeat_applicant_threshold_juristic", 5),
                                      ("monitoring_interval_days", 30), ("ethics_ack_valid_days", 90)])
            self.order(agency, None, name, value, as_of + dt.timedelta(days=rng.randint(1, 60)))

    def ensure_dated_orders(self) -> None:
        """At least one agency order and one process order taking effect in the middle of the data,
        a process of an agency with a dated order that keeps its own (older) order (the process's
        row in force wins over the agency's, however new the agency's), and an order signed but not
        yet in force at as_of."""
        rng = self.rng
        dated = [o for o in self.orders.rows if o.name == "review_within_days" and o.effective_from is not None]
        if not any(o.process_id is None for o in dated):
            self.order(rng.choice(sorted(self.staff)), None, "review_within_days", 10, self.order_day())
        if not any(o.process_id is not None for o in dated):
            p = rng.choice([p for p in self.processes if p.spec.discretionary and p.sample is None])
            self.order(p.agency_id, p.process_id, "review_within_days", 3, self.order_day())
        agency = next(o.agency_id for o in self.orders.rows if o.name == "review_within_days"
                      and o.process_id is None and o.effective_from is not None)
        own = {o.process_id for o in self.orders.rows if o.name == "review_within_days" and o.process_id}
        mine = [p for p in self.processes if p.agency_id == agency and p.spec.discretionary and p.sample is None]
        if mine and not any(p.process_id in own for p in mine):
            self.order(agency, rng.choice(mine).process_id, "review_within_days", 5, None)
        if not any(o.effective_from is not None and o.effective_from > self.as_of for o in self.orders.rows):
            self.order(rng.choice(sorted(self.staff)), None, "rotation_years", 2,
                       self.as_of + dt.timedelta(days=rng.randint(1, 60)))

    def officer(self, agency: str, position: str, boss: str | None, decides: bool, rotation: bool) -> str:
        rng, as_of, w = self.rng, self.as_of, self.w
        oid = f"OF{len(self.officers) + 1:05d}"
        years = self.orders.value("rotation_years", agency, None, as_of)
        since = _ago(as_of, rng.randint(200, min(1200, years * 365 - 2)))
        post = rotation and rng.random() < RATES["rotation_post"]
        if rotation and rng.random() < RATES["rotation"]:
            # long in position: due when the post is a rotation post (the others are near misses)
            anniversary = add_years(as_of, -years)
            since = rng.choice([anniversary, anniversary + dt.timedelta(days=1),  # due / one day short
                                _ago(as_of, rng.randint(years * 366 + 1, 12 * 365))])
        ack: dt.date | None = _ago(as_of, rng.randint(325, 335))  # before every decision in the active window
        if decides:
            r = rng.random()
            if r < RATES["ethics_missing"]:
                ack = None
            elif r < RATES["ethics_missing"] + RATES["ethics_expired"]:
                ack = _ago(as_of, rng.randint(800, 900))
            elif r < RATES["ethics_missing"] + RATES["ethics_expired"] + RATES["ethics_lapsed"]:
                ack = _ago(as_of, rng.randint(380, 420))  # valid for the older decisions only
            elif r < (RATES["ethics_missing"] + RATES["ethics_expired"] + RATES["ethics_lapsed"]
                      + RATES["ethics_late"]):
                ack = _ago(as_of, rng.randint(10, 60))  # acknowledged after deciding
        self.officers[oid] = _Officer(oid, agency, boss, since, ack, post)
        w.add("officers", {"officer_id": oid, "agency_id": agency, "name": self.person(), "position": position,
                           "supervisor_id": boss or "", "in_position_since": w.date(since),
                           "ethics_acknowledged_on": w.date(ack),
                           "rotation_post": w.flag(post) if post or rng.random() < 0.5 else ""})
        return oid

    def person(self) -> str:
        rng = self.rng
        return f"{rng.choice(['นาย', 'นาง', 'นางสาว'])}{rng.choice(_GIVEN)} {rng.choice(_FAMILY)}"

    def process(self, agency: str, pid: str, spec: _Spec) -> None:
        rng, as_of, w = self.rng, self.as_of, self.w
        manual = f"คู่มือการปฏิบัติงาน{spec.name}"
        reviewed: dt.date | None = _ago(as_of, rng.randint(30, 700))
        if rng.random() < 0.05:
            reviewed = _ago(as_of, DEFAULTS["manual_max_age_days"])  # reviewed exactly two years ago: not outdated
        if rng.random() < RATES["no_manual"]:
            manual, reviewed = "", None  # 1.2-process-without-manual: its severity is known once the cases are made
        elif rng.random() < RATES["manual_outdated"]:
            reviewed = rng.choice([None, _ago(as_of, rng.randint(DEFAULTS["manual_max_age_days"] + 1, 2000))])
            w.expect("1.2-manual-outdated", "process", pid, "low")
        it = spec.it_system
        if not spec.discretionary and rng.random() < RATES["no_it"]:
            it = None
        exempt = ""
        if spec.discretionary and it is None:
            if rng.random() < RATES["it_exempt"]:
                exempt = "การใช้ดุลพินิจเป็นอำนาจของเจ้าหน้าที่ตามกฎหมาย ระบบสารสนเทศทดแทนไม่ได้"
            else:
                w.expect("1.7-no-it-system", "process", pid, "low")
        url, at_office = (f"https://{agency}.example.go.th/manual/{pid}", True) if spec.public else ("", None)
        if spec.public and rng.random() < RATES["manual_unpublished"]:
            url, at_office = rng.choice([("", True), (url, False), ("", False)])
            w.expect("1.6-manual-not-published", "process", pid, "medium")
        sample = rng.choice([10, 20, 30]) if spec.discretionary and rng.random() < RATES["sampled"] else None
        p = _Process(pid, agency, spec, it, bool(manual), sample)
        if sample is not None:
            short = rng.random() < RATES["sample_short"]
            p.review_share = sample / 100 * 0.3 if short else min(1.0, sample / 100 + 0.3)
        if spec.standard_days is not None:
            p.limit = (spec.standard_days, spec.basis)
        elif spec.public:
            p.limit = (DEFAULTS["decision_within_days"], "calendar")  # APA s.39/1
        if spec.discretionary and sample is None:
            r = rng.random()
            if r < RATES["process_review_days"]:  # the process's own order, in force for as long as the data goes
                self.order(agency, pid, "review_within_days", rng.choice([5, 10]), None)
            elif r < RATES["process_review_days"] + RATES["process_review_order"]:
                old = DEFAULTS["review_within_days"]
                if rng.random() < 0.5:  # an older order, replaced from a day in the middle of the data
                    old = rng.choice([5, 10])
                    self.order(agency, pid, "review_within_days", old, None)
                self.order(agency, pid, "review_within_days", rng.choice([v for v in (3, 5, 10) if v != old]),
                           self.order_day())
        self.processes.append(p)
        licensing = "" if not spec.licensing and rng.random() < 0.8 else w.flag(spec.licensing)
        affects = "" if not spec.affects_others and rng.random() < 0.7 else w.flag(spec.affects_others)
        w.add("processes", {"process_id": pid, "agency_id": agency, "name": spec.name,
                            "discretionary": w.flag(spec.discretionary), "public_service": w.flag(spec.public),
                            "work_manual": manual, "work_manual_reviewed_on": w.date(reviewed),
                            "citizen_manual_url": url, "citizen_manual_at_office": w.flag(at_office),
                            "standard_days": "" if spec.standard_days is None else str(spec.standard_days),
                            "day_basis": spec.basis, "it_system": it or "", "licensing": licensing,
                            "affects_others": affects, "review_sample_percent": "" if sample is None else str(sample),
                            "it_exempt_reason": exempt})

    def agency_records(self, agency: str) -> None:
        rng, w, as_of = self.rng, self.w, self.as_of
        head = self.heads[agency]
        if rng.random() < RATES["no_risk_analysis"]:
            if rng.random() < 0.5:
                w.add("risk_analyses", {"agency_id": agency, "analysed_on": w.date(_ago(as_of, rng.randint(365, 800))),
                                        "ethics_committee": w.flag(True), "rotation_considered": w.flag(False), "notes": ""})
            w.expect("1.4-no-risk-analysis", "agency", agency, "medium")
        else:
            w.add("risk_analyses", {"agency_id": agency, "analysed_on": w.date(_ago(as_of, rng.randint(0, 364))),
                                    "ethics_committee": w.flag(True), "rotation_considered": w.flag(True),
                                    "notes": "วิเคราะห์ความเสี่ยงการใช้ดุลพินิจตามภารกิจหลักร่วมกับคณะกรรมการจริยธรรม"})
        interval = self.orders.value("monitoring_interval_days", agency, None, as_of)
        if rng.random() < RATES["no_monitoring"]:
            if rng.random() < 0.5:
                w.add("monitoring_reports", {"agency_id": agency, "by": head,
                                             "reported_on": w.date(_ago(as_of, rng.randint(interval, 400)))})
            w.expect("1.8-no-monitoring", "agency", agency, "medium")
        else:
            # a six-monthly report (v3) is enough where the agency ordered nothing shorter
            ago = rng.randint(0, interval - 1) if rng.random() < RATES["monitoring_half_year"] else rng.randint(0, 91)
            w.add("monitoring_reports", {"agency_id": agency, "reported_on": w.date(_ago(as_of, ago)), "by": head})
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
        reported = self.round_deadline - dt.timedelta(days=rng.randint(0, 6))
        if rng.random() < RATES["ack_late"]:
            reported = self.round_deadline + dt.timedelta(days=rng.randint(1, 40))
            w.expect("2.3-not-reported", "agency", agency, "medium")
        w.add("acknowledgements", {"agency_id": agency, "staff_total": str(total), "staff_acknowledged": str(acknowledged),
                                   "published_url": url, "reported_on": w.date(reported), "fiscal_year": str(self.round_fy)})

    # -- cases ------------------------------------------------------------------------------
    def cases(self, n_cases: int, progress: Callable[[int], None] | None) -> None:
        rng = self.rng
        scenarios = self.scenarios() if n_cases >= 300 else []
        budget = n_cases - len(scenarios)
        cum, total = [], 0
        for p in self.processes:
            total += 4 if p.spec.public else 1
            cum.append(total)
        files = {t: (self.out / f"{t}.csv").open("w", encoding="utf-8-sig", newline="")
                 for t in ("cases", "escalations", "delay_notices")}
        try:
            self.csv = {t: csv.writer(fh) for t, fh in files.items()}
            self.csv["cases"].writerow(CASE_COLUMNS)
            for t in ("escalations", "delay_notices"):
                self.csv[t].writerow(_TABLE_COLUMNS[t])
            i, tick = 0, 10_000
            if budget >= 1000:  # both sides of both thresholds, whatever the draw: persons 4 and 5, juristic 14 and 15
                for juristic, k in ((False, 4), (False, 5), (True, DEFAULTS["repeat_applicant_threshold_juristic"] - 1),
                                    (True, DEFAULTS["repeat_applicant_threshold_juristic"])):
                    p = rng.choice([p for p in self.processes if p.spec.discretionary and p.spec.public])
                    i += self.repeat_group(p, rng.choice(self.staff[p.agency_id]), juristic, k)
            while i < budget:
                p = rng.choices(self.processes, cum_weights=cum)[0]
                oid = rng.choice(self.staff[p.agency_id])
                if p.spec.discretionary and rng.random() < RATES["repeat"] / 20 and budget - i >= 16:
                    i += self.repeat_group(p, oid)
                else:
                    if rng.random() < RATES["head_decides"]:
                        oid = self.heads[p.agency_id]  # the head's own decision: no one above reviews it
                    self.case(p, oid)
                    i += 1
                if progress and i >= tick:
                    progress(i)
                    tick += 10_000
            for p, oid, plan in scenarios:
                self.case(p, oid, plan=plan)
        finally:
            for fh in files.values():
                fh.close()
        self.rows.update(cases=self.n_case, escalations=self.n_report, delay_notices=self.n_notice)

    def repeat_group(self, p: _Process, oid: str, juristic: bool | None = None, k: int | None = None) -> int:
        """One applicant's decisions by one officer within the repeat window: persons at 4 (a near
        miss), 5 and more; juristic persons below their threshold, at it and above it."""
        rng, as_of = self.rng, self.as_of
        if juristic is None:
            juristic = rng.random() < RATES["juristic"]
        if k is None:
            k = rng.choice([6, 8, 10, 14, 15, 16]) if juristic else rng.choice([4, 5, 6, 7])
        applicant = f"APP-{'J' if juristic else 'R'}{self.n_case + 1:07d}"
        decided = [self.case(p, oid, kind="repeat", applicant=applicant, juristic=juristic) for _ in range(k)]
        window = DEFAULTS["repeat_window_days"]
        count = sum(1 for d in decided if d is not None and 0 <= days(d, as_of) < window)
        agency = self.officers[oid].agency_id
        name = "repeat_applicant_threshold_juristic" if juristic else "repeat_applicant_threshold"
        if count >= self.orders.value(name, agency, None, as_of):
            self.w.expect("1.4-repeat-applicant", "officer", oid, "medium", applicant=applicant)
        return k

    def dates(self, p: _Process, kind: str, late_start: bool) -> tuple[dt.date, dt.date | None, dt.date | None]:
        """received_on, complete_on and decided_on of a case of ``kind``: pending (some past their
        limit day), decided at least 31 days ago (review and report periods have passed; some
        overdue), decided in the last days (periods still running), or decided over a year ago."""
        rng, as_of, cal = self.rng, self.as_of, self.cal
        lim = p.limit
        one = dt.timedelta(days=1)
        if kind == "pending":
            if lim is not None and rng.random() < RATES["overdue"]:
                received = _ago(as_of, rng.randint(31, 200))
                complete = received + dt.timedelta(days=rng.randint(1, 5)) if late_start else None
                while cal.deadline(complete or received, *lim) >= as_of:
                    received -= dt.timedelta(days=7)
                    complete = complete and complete - dt.timedelta(days=7)
                return received, complete, None
            if lim is not None:  # still within its limit day
                start = _ago(as_of, rng.randint(0, 3))
                while cal.deadline(start, *lim) < as_of:
                    start += one
                if late_start:
                    return start - dt.timedelta(days=rng.randint(1, 3)), start, None
                return start, None, None
            received = _ago(as_of, rng.randint(31, 320))
            return received, received + dt.timedelta(days=rng.randint(1, 5)) if late_start else None, None
        if kind == "repeat":
            received = _ago(as_of, rng.randint(40, 170))
        elif kind == "archive":
            received = _ago(as_of, rng.randint(380, 560))
        else:
            received = _ago(as_of, rng.randint(31, 320))
        complete = received + dt.timedelta(days=rng.randint(1, 5)) if late_start else None
        start = complete or received
        if lim is None:
            decided = start + dt.timedelta(days=rng.randint(0, 20))
        elif kind == "normal" and rng.random() < RATES["overdue"]:
            decided = cal.deadline(start, *lim) + dt.timedelta(days=rng.randint(1, 30))
        else:
            decided = start + dt.timedelta(days=rng.randint(0, max(0, days(start, cal.deadline(start, *lim)))))
        if kind == "recent":
            target = _ago(as_of, rng.randint(0, 5))
        elif kind == "archive":  # outside the active window (365 days ago is already outside)
            target = min(decided, _ago(as_of, DEFAULTS["active_officer_window_days"] + rng.randint(0, 30)))
        else:
            target = min(decided, _ago(as_of, 31))
        # moving the dates moves weekends and holidays: what is overdue is read from the calendar after
        shift = dt.timedelta(days=days(decided, target))
        return received + shift, complete and complete + shift, target

    def case(self, p: _Process, oid: str, kind: str = "normal", applicant: str | None = None,
             juristic: bool = False, plan: _Plan | None = None) -> dt.date | None:
        """Write one case with its escalations and delay notices, and expect its flags; returns
        decided_on when the case is decided and discretion was used."""
        rng, cal, as_of, w, orders = self.rng, self.cal, self.as_of, self.w, self.orders
        self.n_case += 1
        cid = f"C{self.n_case:07d}"
        spec, pid, agency = p.spec, p.process_id, p.agency_id
        boss = self.officers[oid].boss
        expect = w.expect
        if plan is not None:
            disc = spec.discretionary
            received, complete, decided = plan.received, None, plan.decided
        else:
            disc = spec.discretionary and (kind == "repeat" or rng.random() < 0.85)
            if kind == "normal":
                r = rng.random()
                kind = ("pending" if r < RATES["pending"] else "recent" if r < RATES["pending"] + RATES["recent"]
                        else "archive" if r < RATES["pending"] + RATES["recent"] + RATES["archive"] else "normal")
            received, complete, decided = self.dates(p, kind, rng.random() < RATES["complete_later"])
        limit = cal.deadline(complete or received, *p.limit) if p.limit is not None else None
        end = decided or as_of
        overdue = limit is not None and end > limit
        law = spec.law or rng.choice(_GENERIC_BASIS)
        basis = law if rng.random() < 0.7 else rng.choice(_GENERIC_BASIS)
        outcome, kind_of_outcome = "", None
        reviewed_by, reviewed_on = "", None
        deviation = override = ""
        via_it: bool | None = True if p.it_system else None
        escalation: list[Any] | None = None
        if decided is None:
            outcome = rng.choice(_OTHER_PENDING) if rng.random() < 0.2 else ""
        else:
            words = _OUTCOME_WORDS[spec.licensing]
            if plan is not None:
                kind_of_outcome, outcome = "approved", rng.choice(words["approved"])
            else:
                x = rng.random()
                kind_of_outcome = ("approved" if x < 0.68 else "partial" if x < 0.76 else "denied" if x < 0.94
                                   else "other" if x < 0.98 else "")
                outcome = (rng.choice(words[kind_of_outcome]) if kind_of_outcome in words
                           else rng.choice(_OTHER_DECIDED) if kind_of_outcome else "")
            due = cal.deadline(decided, orders.value("review_within_days", agency, pid, decided), "working")
            review = False
            if plan is not None:
                if plan.reviewed is not None:
                    reviewed_by, reviewed_on = boss or "", plan.reviewed
                    if disc and boss is not None and reviewed_on > due:
                        expect("1.1-late-review", "case", cid, "medium")
            elif boss is None:
                pass  # the head's own decision: no one above reviews it
            elif as_of <= due:  # the review period is still running: no flag either way
                if rng.random() < 0.5:
                    reviewed_by, reviewed_on = boss, decided + dt.timedelta(days=rng.randint(0, days(decided, as_of)))
            elif p.sample is not None:
                review = rng.random() < p.review_share
            elif disc and rng.random() < RATES["unreviewed"]:
                expect("1.1-unreviewed", "case", cid, "high")
            else:
                review = disc or rng.random() < 0.5
            if review:
                reviewed_by, reviewed_on = boss, decided + dt.timedelta(days=rng.randint(0, days(decided, due)))
                a = rng.random()
                if a < RATES["late_review"]:
                    reviewed_on = min(due + dt.timedelta(days=rng.randint(1, 20)), as_of)
                    if disc:
                        expect("1.1-late-review", "case", cid, "medium")
                elif (a := a - RATES["late_review"]) < RATES["review_on_due"]:
                    reviewed_on = due  # on the last day: in time
                elif (a := a - RATES["review_on_due"]) < RATES["review_day_late"]:
                    reviewed_on = due + dt.timedelta(days=1)
                    if disc:
                        expect("1.1-late-review", "case", cid, "medium")
                elif (a := a - RATES["review_day_late"]) < RATES["self_review"]:
                    reviewed_by = oid
                    if disc:  # v3: only a decision that used discretion
                        expect("1.1-self-review", "case", cid, "high")
                elif a - RATES["self_review"] < RATES["outside_chain"]:
                    reviewed_by = self.outsider(oid)
                    if disc:
                        expect("1.1-reviewer-outside-chain", "case", cid, "medium")
            if disc:
                self.officers[oid].decided_disc.add(decided)
                p.decided_disc = True
                if p.sample is not None and boss is not None and days(decided, as_of) <= 366:
                    p.window.append((decided, reviewed_on is not None))
            if plan is None:
                d = rng.random()
                if d < RATES["deviation_unreported"] + RATES["deviation_reported"]:
                    deviation = rng.choice(["อนุมัติโดยเอกสารประกอบไม่ครบตามคู่มือ", "ยกเว้นค่าธรรมเนียมนอกหลักเกณฑ์",
                                            "ข้ามขั้นตอนการตรวจสอบสถานที่"])
                    if d >= RATES["deviation_unreported"] and boss is not None:
                        escalation = self.escalation(cid, oid, agency, pid, decided)
                    else:
                        days_ = orders.value("escalation_within_days", agency, pid, decided)
                        if as_of > cal.deadline(decided, days_, "working"):  # a recent one is not due yet
                            expect("1.3-unreported-deviation", "case", cid, "high")
        if plan is None and rng.random() < (RATES["no_legal_basis"] if disc else RATES["no_legal_basis_routine"]):
            basis = ""
            # APA s.37 para 3 (1): no reasons needed only for a full grant that affects no one else
            if disc and decided is not None and not (kind_of_outcome == "approved" and not spec.affects_others):
                expect("1.1-no-legal-basis", "case", cid, "medium")
        if overdue and spec.public:
            expect("1.6-time-limit-exceeded", "case", cid, "medium")
        notices: list[tuple[dt.date, bool]] = []
        if overdue and spec.licensing:
            assert limit is not None
            missed = plan is None and rng.random() < RATES["notice_missed"]
            days_, was_missed = self.notices(limit, end, missed)
            if was_missed:
                expect("1.6-delay-not-notified", "case", cid, "medium")
            notices = [(n, plan is not None or rng.random() >= RATES["notice_not_copied"]) for n in days_]
            if not all(copied for _, copied in notices):
                expect("1.6-delay-notice-not-copied", "case", cid, "low")
        if p.it_system and plan is None and (x := rng.random()) < RATES["it_bypassed"] + RATES["it_override"]:
            via_it = False
            if x < RATES["it_bypassed"]:
                expect("1.7-it-bypassed", "case", cid, "medium")
            else:
                override = "ระบบขัดข้อง ดำเนินการด้วยเอกสารแทน"
        coi = self.conflict(cid, oid) if plan is None and rng.random() < RATES["coi"] else None
        if applicant is None:
            applicant = f"APP{rng.randint(0, 10**9):09d}"
            x = rng.random()
            applicant_kind = "juristic" if x < 0.1 else "person" if x < 0.55 else ""
        else:
            applicant_kind = "juristic" if juristic else rng.choice(["person", ""])
        related = coi is not None
        self.csv["cases"].writerow([
            cid, pid, oid, applicant, applicant_kind, w.date(received), w.date(complete), w.date(decided), outcome,
            w.flag(disc), basis, reviewed_by, w.date(reviewed_on), deviation, w.flag(via_it), override,
            w.flag(related), *(coi or ("", "", "", ""))])
        if escalation is not None:
            self.n_report += 1
            self.csv["escalations"].writerow([f"RPT{self.n_report:07d}", *escalation])
        for day, copied in notices:
            self.n_notice += 1
            self.csv["delay_notices"].writerow([f"NTC{self.n_notice:07d}", cid, w.date(day), w.flag(copied)])
        return decided if disc else None

    def escalation(self, cid: str, oid: str, agency: str, pid: str, decided: dt.date) -> list[Any]:
        """The decider's report of a deviation to the chain (1.3), and its investigation."""
        rng, as_of, cal, w = self.rng, self.as_of, self.cal, self.w
        boss = self.officers[oid].boss
        assert boss is not None
        reported = min(decided + dt.timedelta(days=rng.randint(0, 5)), as_of)
        to = boss
        if rng.random() < RATES["report_outside_chain"]:
            to = self.outsider(oid)
            w.expect("1.3-report-outside-chain", "case", cid, "low")  # v3: low
        elif self.officers[boss].boss is not None and rng.random() < RATES["report_skip_level"]:
            to = self.officers[boss].boss  # skipping a level stays in the chain
        due = cal.deadline(reported, self.orders.value("investigation_within_days", agency, pid, decided), "calendar")
        investigated: dt.date | None = reported + dt.timedelta(days=rng.randint(1, 30))
        if rng.random() < RATES["uninvestigated"] and as_of > due:
            investigated = rng.choice([None, due + dt.timedelta(days=rng.randint(1, 30))])
            w.expect("1.3-uninvestigated", "case", cid, "medium")
        if investigated is not None and investigated > as_of:
            investigated = None  # not done yet at as_of (still within its period unless flagged above)
        finding, action = "ข้อเท็จจริงตามรายงาน", "ทบทวนคู่มือและอบรมเจ้าหน้าที่"
        if investigated is not None and rng.random() < RATES["no_finding"]:
            finding, action = rng.choice([("", action), (finding, ""), ("", "")])
            w.expect("1.3-no-finding", "case", cid, "low")
        return [cid, oid, to, w.date(reported), w.date(investigated), finding if investigated else "",
                action if investigated else ""]

    def conflict(self, cid: str, oid: str) -> tuple[str, str, str, str]:
        """A decider related to the applicant (1.5, APA ss.13/16/18): coi_ground, coi_declared,
        coi_permitted_by and coi_exception as written, with the flag it must raise."""
        rng, w = self.rng, self.w
        chain = self.chain(oid)
        ground = rng.choices(["", "s13", "s16"], [0.4, 0.2, 0.4])[0]
        permitted = ""
        severity: str | None = "high"
        if ground != "s16":  # s13, written or by default: may not consider the matter at all
            declared = rng.random() < 0.5
            if declared and chain and rng.random() < 0.5:
                permitted = rng.choice(chain)  # a superior's permission does not lift s13
        else:
            x = rng.random()
            declared = x >= 0.25
            if not declared:
                pass
            elif x < 0.6 and chain:
                permitted, severity = rng.choice(chain), None  # s16: the superior in the chain decided
            elif x < 0.8:
                permitted, severity = self.outsider(oid), "medium"
            else:
                severity = "medium"
        exception = ""
        if rng.random() < RATES["coi_exception"]:
            exception = rng.choice(_COI_EXCEPTIONS)
            if severity is not None:
                severity = "low"  # s18: the supervisor should check the reason
        if severity is not None:
            w.expect("1.5-conflict-of-interest", "case", cid, severity)
        return ground, w.flag(declared), permitted, exception

    def notices(self, limit: dt.date, end: dt.date, missed: bool) -> tuple[list[dt.date], bool]:
        """Delay notices at most every delay_notice_every_days from the limit day until ``end``
        (Licensing Facilitation Act s.10); when ``missed``, the chain stops at a random step.
        Returns the notices and whether one was due and missing."""
        out: list[dt.date] = []
        p = limit
        stop_after = self.rng.randint(0, 3) if missed else -1
        while True:
            due = self.cal.deadline(p, DEFAULTS["delay_notice_every_days"], "calendar")
            if due >= end:
                return out, False
            if len(out) == stop_after:
                return out, True
            p = due - dt.timedelta(days=self.rng.randint(0, 3))
            out.append(p)

    def chain(self, oid: str) -> list[str]:
        out = self._chains.get(oid)
        if out is None:
            out, boss = [], self.officers[oid].boss
            while boss is not None:
                out.append(boss)
                boss = self.officers[boss].boss
            self._chains[oid] = out
        return out

    def outsider(self, oid: str) -> str:
        """Someone who is neither the officer nor in the officer's chain."""
        found = self._outsiders.get(oid)
        if found is None:
            chain = set(self.chain(oid))
            found = self._outsiders[oid] = [o for o in self.officers if o != oid and o not in chain]
        return self.rng.choice(found)

    # -- cases made to order ------------------------------------------------------------------
    def previous_working_day(self, day: dt.date) -> dt.date:
        day -= dt.timedelta(days=1)
        while self.cal.is_day_off(day):
            day -= dt.timedelta(days=1)
        return day

    def scenarios(self) -> list[tuple[_Process, str, _Plan]]:
        """Decisions on both sides of the edges a reading of SPEC §3 can get wrong."""
        rng, cal, as_of, orders = self.rng, self.cal, self.as_of, self.orders
        out: list[tuple[_Process, str, _Plan]] = []
        by_agency: dict[str, list[_Process]] = {}
        for p in self.processes:
            by_agency.setdefault(p.agency_id, []).append(p)
        # an order taking effect in the middle of the data: a decision on its first day is judged by
        # it, one on the working day before by the value it replaced (a review one working day after
        # the shorter of the two deadlines is late by one and in time by the other)
        for o in orders.rows:
            if o.name != "review_within_days" or o.effective_from is None or o.effective_from > _ago(as_of, 40):
                continue
            candidates = [p for p in by_agency[o.agency_id] if p.spec.discretionary and p.sample is None
                          and (o.process_id is None or p.process_id == o.process_id)]
            # for an agency's order: a process it governs and, if any, one that keeps its own order
            own = [p for p in candidates if self.orders.in_force(p.agency_id, p.process_id, o.name, as_of)]
            targets = [*[p for p in candidates if p not in own][:1], *own[:1]]
            for p in targets:
                oid = rng.choice(self.staff[p.agency_id])
                sides = (self.previous_working_day(o.effective_from), o.effective_from)
                values = {orders.value("review_within_days", p.agency_id, p.process_id, d) for d in sides}
                shortest = min(values | {o.value, DEFAULTS["review_within_days"]})
                for d in sides:
                    out.append((p, oid, _Plan(d, d, cal.deadline(d, shortest + 1, "working"))))
        # National Labour Day and the day in lieu of it are working days: a review on the working day
        # after its deadline is late, and a decision on the working day after the limit day is overdue
        for labour_day in cal.labour_days(_ago(as_of, 300), _ago(as_of, 40)):
            public = [p for p in self.processes if p.spec.public and p.spec.discretionary and p.sample is None
                      and p.limit is not None and p.limit[1] == "working" and p.limit[0] <= 10]
            p = rng.choice(public)
            oid = rng.choice(self.staff[p.agency_id])
            d = self.previous_working_day(labour_day)
            due = cal.deadline(d, orders.value("review_within_days", p.agency_id, p.process_id, d), "working")
            out.append((p, oid, _Plan(d, d, cal.next_working_day(due + dt.timedelta(days=1)))))
            assert p.limit is not None
            late = cal.next_working_day(cal.deadline(d, *p.limit) + dt.timedelta(days=1))
            out.append((p, oid, _Plan(d, late, late)))
        # APA s.39/1's 30 days ending on a day off run to the next working day: decided then is in
        # time, the day after is overdue
        for p in self.processes:
            if p.spec.public and p.spec.standard_days is None:
                oid = rng.choice(self.staff[p.agency_id])
                start = _ago(as_of, rng.randint(60, 250))
                while not cal.is_day_off(start + dt.timedelta(days=DEFAULTS["decision_within_days"])):
                    start -= dt.timedelta(days=1)
                limit = cal.deadline(start, DEFAULTS["decision_within_days"], "calendar")
                for decided in (limit, limit + dt.timedelta(days=1)):
                    out.append((p, oid, _Plan(start, decided, decided)))
        return out

    # -- officers' and processes' flags -------------------------------------------------------
    def officer_truth(self) -> None:
        as_of, orders, w = self.as_of, self.orders, self.w
        window = DEFAULTS["active_officer_window_days"]
        for off in self.officers.values():
            active = [d for d in off.decided_disc if 0 <= days(d, as_of) < window]
            if not active:
                continue
            valid = orders.value("ethics_ack_valid_days", off.agency_id, None, as_of)
            ack = off.ack if off.ack is not None and off.ack <= as_of else None
            if any(ack is None or ack > d or days(ack, d) > valid for d in active):
                w.expect("1.5-ethics-not-acknowledged", "officer", off.officer_id, "low")  # v3: one per officer
            years = orders.value("rotation_years", off.agency_id, None, as_of)
            if off.rotation_post and add_years(off.since, years) <= as_of:
                w.expect("1.4-rotation-due", "officer", off.officer_id, "medium")

    def process_truth(self) -> None:
        as_of, orders, cal, w = self.as_of, self.orders, self.cal, self.w
        for p in self.processes:
            if p.spec.discretionary and not p.manual:
                w.expect("1.2-process-without-manual", "process", p.process_id, "high" if p.decided_disc else "medium")
            if p.sample is not None:
                review_days = orders.value("review_within_days", p.agency_id, p.process_id, as_of)
                window = orders.value("review_sample_window_days", p.agency_id, p.process_id, as_of)
                due = [reviewed for d, reviewed in p.window
                       if days(d, as_of) <= window and as_of > cal.deadline(d, review_days, "working")]
                if due and 100 * sum(due) < p.sample * len(due):
                    w.expect("1.1-review-sample-short", "process", p.process_id, "medium")

    # -- files ----------------------------------------------------------------------------------
    def write(self, n_cases: int) -> dict[str, Any]:
        w, out = self.w, self.out
        w.tables.setdefault("parameters", [])
        for table, rows in w.tables.items():
            columns = _TABLE_COLUMNS.get(table) or list(rows[0])
            with (out / f"{table}.csv").open("w", encoding="utf-8-sig", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=columns)
                writer.writeheader()
                writer.writerows(rows)
            self.rows[table] = len(rows)
        w.truth.sort(key=lambda t: (t["rule_id"], t["subject_id"], t["applicant"] or ""))
        with (out / "truth.jsonl").open("w", encoding="utf-8") as fh:
            for t in w.truth:
                fh.write(json.dumps(t, ensure_ascii=False) + "\n")
        manifest = {"as_of": self.as_of.isoformat(), "seed": self.seed, "cases": n_cases,
                    "set": [f"acknowledgement_deadlines.{self.round_fy}={self.round_deadline.isoformat()}"],
                    # the same round as the province's letter would open it in the app (demo-setup)
                    "round": {"fiscal_year": self.round_fy, "deadline": self.round_deadline.isoformat(),
                              "source": DEMO_ROUND_SOURCE},
                    "rows": self.rows, "expected_flags": len(w.truth)}
        (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        return manifest
