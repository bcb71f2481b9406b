"""The demo data of rule catalogue v3 and its truth file (engine/demo): every v3 column in the data,
the same files for the same seed, a truth that names only subjects of the data with the rules'
subject types and sane counts, and days counted by the demo's own calendar — never the engine's.

Some tests read the generated files back and check the truth against SPEC §3 read once more here
(a rule's facts → its flag): they pin the edges the demo is built to exercise (an order from a
decision's day, the day in lieu of Labour Day, s.39/1's 30 days, s.37 para 3 (1), ss.13/16/18,
the juristic threshold, one ethics flag per officer).
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from engine.demo.calendar import DemoCalendar, days
from engine.demo.generate import DEFAULTS, generate
from engine.domain.models import Dataset
from engine.ingest.loader import load_dataset

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 11, 25)
# SPEC §3's rules table (v3): the subject of each rule and the severities it may have
RULES = {
    "1.1-unreviewed": ("case", {"high"}), "1.1-late-review": ("case", {"medium"}),
    "1.1-self-review": ("case", {"high"}), "1.1-reviewer-outside-chain": ("case", {"medium"}),
    "1.1-review-sample-short": ("process", {"medium"}), "1.1-no-legal-basis": ("case", {"medium"}),
    "1.2-process-without-manual": ("process", {"high", "medium"}), "1.2-manual-outdated": ("process", {"low"}),
    "1.3-unreported-deviation": ("case", {"high"}), "1.3-report-outside-chain": ("case", {"low"}),
    "1.3-uninvestigated": ("case", {"medium"}), "1.3-no-finding": ("case", {"low"}),
    "1.4-rotation-due": ("officer", {"medium"}), "1.4-repeat-applicant": ("officer", {"medium"}),
    "1.4-no-risk-analysis": ("agency", {"medium"}), "1.5-ethics-not-acknowledged": ("officer", {"low"}),
    "1.5-conflict-of-interest": ("case", {"high", "medium", "low"}),
    "1.6-manual-not-published": ("process", {"medium"}), "1.6-time-limit-exceeded": ("case", {"medium"}),
    "1.6-delay-not-notified": ("case", {"medium"}), "1.6-delay-notice-not-copied": ("case", {"low"}),
    "1.7-it-bypassed": ("case", {"medium"}), "1.7-no-it-system": ("process", {"low"}),
    "1.8-no-monitoring": ("agency", {"medium"}), "1.8-corrective-action-overdue": ("agency", {"medium"}),
    "2.1-staff-not-informed": ("agency", {"low"}), "2.2-not-published": ("agency", {"low"}),
    "2.3-not-reported": ("agency", {"medium"}),
}
STORE_ONLY = {"1.8-corrective-action-overdue"}
# SPEC §2 v3: the accepted outcome words
APPROVED = {"approved", "อนุมัติ", "อนุญาต", "ให้ตามคำขอ", "เห็นชอบ"}
PARTIAL = {"partial", "อนุมัติบางส่วน", "อนุญาตบางส่วน"}
DENIED = {"denied", "refused", "ไม่อนุมัติ", "ไม่อนุญาต", "ยกคำขอ", "ปฏิเสธ"}


class Demo:
    def __init__(self, folder: Path, as_of: dt.date):
        self.folder, self.as_of = folder, as_of
        self.ds: Dataset = load_dataset(folder)
        self.truth = [json.loads(line) for line in (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines()]
        self.cases = {c.case_id: c for c in self.ds.cases}
        self.processes = {p.process_id: p for p in self.ds.processes}
        self.officers = {o.officer_id: o for o in self.ds.officers}

    def flagged(self, rule: str) -> dict[str, str]:
        """subject id → severity of the truth's flags of ``rule`` (not 1.4-repeat-applicant)."""
        return {t["subject_id"]: t["severity"] for t in self.truth if t["rule_id"] == rule}

    def value(self, name: str, agency: str, process: str | None, on: dt.date) -> int:
        """SPEC §3 "Parameters": the default, the agency's row in force on ``on``, the process's."""
        value = DEFAULTS[name]
        for scope in (None, process) if process else (None,):
            rows = [r for r in self.ds.parameters if (r.agency_id, r.process_id, r.name) == (agency, scope, name)
                    and (r.effective_from is None or r.effective_from <= on)]
            if rows:
                value = int(max(rows, key=lambda r: r.effective_from or dt.date.min).value)
        return value

    def chain(self, officer: str) -> set[str]:
        out, boss = set(), self.officers[officer].supervisor_id
        while boss:
            out.add(boss)
            boss = self.officers[boss].supervisor_id
        return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Demo:
    folder = tmp_path_factory.mktemp("demo") / "demo"
    generate(folder, cases=5000, seed=11, as_of=AS_OF)
    return Demo(folder, AS_OF)


@pytest.fixture(scope="module")
def demo_2570(tmp_path_factory) -> Demo:
    """Data whose review periods and limit days run over Monday 3 May 2570, the day in lieu of a
    Labour Day on a Saturday."""
    as_of = dt.date(2027, 8, 31)
    folder = tmp_path_factory.mktemp("demo2570") / "demo"
    generate(folder, cases=3000, seed=2, as_of=as_of)
    return Demo(folder, as_of)


def test_every_v3_column_is_in_the_data_and_read_back(demo):
    ds = demo.ds
    assert {p.affects_others for p in ds.processes} == {True, False, None}  # true, false, and empty (= false)
    licensing = {p.name: p.licensing for p in ds.processes}
    assert {v for v in licensing.values()} == {True, False, None}
    # a licence, permit or registration says so; every other process leaves it false or empty (v3 default)
    assert all(name.startswith(("อนุญาต", "ต่ออายุใบอนุญาต", "จดทะเบียน")) == bool(v) for name, v in licensing.items())
    assert any(p.public_service and p.standard_days is None for p in ds.processes)  # APA s.39/1's 30 days
    outcomes = {(c.outcome or "").strip().lower() for c in ds.cases}
    assert APPROVED | PARTIAL | DENIED <= outcomes
    assert "รอเอกสาร" in outcomes and outcomes - APPROVED - PARTIAL - DENIED - {""}  # kept as written
    related = [c for c in ds.cases if c.applicant_related]
    assert {c.coi_ground for c in related} == {None, "s13", "s16"} and any(c.coi_exception for c in related)
    assert all(c.coi_ground is None and c.coi_exception is None for c in ds.cases if not c.applicant_related)
    assert any(c.coi_permitted_by for c in related)
    froms = [r.effective_from for r in ds.parameters]
    assert None in froms and any(f and f <= AS_OF for f in froms) and any(f and f > AS_OF for f in froms)
    assert any(r.process_id and r.effective_from for r in ds.parameters)  # a process's order from a date
    assert {c.applicant_kind for c in ds.cases} == {"person", "juristic", None}
    assert any(c.complete_on for c in ds.cases) and ds.delay_notices and ds.escalations


def test_the_same_seed_writes_the_same_files_whatever_the_hash_seed(tmp_path):
    script = ("import datetime as dt, sys; from pathlib import Path; from engine.demo.generate import generate; "
              "generate(Path(sys.argv[1]), cases=1500, seed=int(sys.argv[2]), as_of=dt.date(2026, 11, 25))")

    def files(name: str, seed: int, hash_seed: str) -> dict[str, bytes]:
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", script, str(tmp_path / name), str(seed)], check=True, cwd=ROOT, env=env,
                       timeout=300)
        return {f.name: f.read_bytes() for f in sorted((tmp_path / name).iterdir())}

    first = files("a", 4, "1")
    assert files("b", 4, "2") == first and {"truth.jsonl", "manifest.json", "cases.csv", "parameters.csv"} <= set(first)
    other = files("c", 5, "1")
    assert other["cases.csv"] != first["cases.csv"] and other["truth.jsonl"] != first["truth.jsonl"]


def test_truth_names_only_subjects_of_the_data_with_the_subject_type_of_their_rule(demo):
    subjects = {"case": demo.cases, "process": demo.processes, "officer": demo.officers,
                "agency": {a.agency_id: a for a in demo.ds.agencies}}
    keys = Counter((t["rule_id"], t["subject_id"], t["applicant"]) for t in demo.truth)
    assert max(keys.values()) == 1  # one flag per rule, subject (and applicant)
    applicants = {(c.officer_id, c.applicant_id) for c in demo.ds.cases}
    for t in demo.truth:
        subject_type, severities = RULES[t["rule_id"]]
        assert (t["subject_type"], t["severity"] in severities) == (subject_type, True), t
        assert t["subject_id"] in subjects[subject_type], t
        if t["rule_id"] == "1.4-repeat-applicant":
            assert (t["subject_id"], t["applicant"]) in applicants, t
        else:
            assert t["applicant"] is None, t


def test_truth_per_rule_counts_are_sane_for_5000_cases(demo):
    by_rule = Counter(t["rule_id"] for t in demo.truth)
    assert set(by_rule) == set(RULES) - STORE_ONLY  # every rule that `check` evaluates fires
    assert 0.05 * 5000 < len(demo.truth) < 0.3 * 5000
    for rule, n in by_rule.items():
        limit = {"case": 0.04 * 5000, "process": len(demo.processes) / 3, "officer": len(demo.officers) / 4,
                 "agency": 33 / 2}[RULES[rule][0]]
        assert n <= limit, (rule, n)
    severities = Counter((t["rule_id"], t["severity"]) for t in demo.truth)
    assert all(severities[("1.5-conflict-of-interest", s)] for s in ("high", "medium", "low"))
    assert severities[("1.2-process-without-manual", "high")]
    deciders = {c.officer_id for c in demo.ds.cases if c.decided_on and c.discretion_used}
    assert 5 <= by_rule["1.5-ethics-not-acknowledged"] <= 0.25 * len(deciders)  # v3: officers, not their cases


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names |= {node.module or ""} | {f"{node.module}.{a.name}" for a in node.names}
    return names


def test_the_generator_counts_days_with_its_own_calendar_and_runs_no_evaluator(tmp_path, monkeypatch):
    forbidden = ("engine.domain.calendar", "engine.rules", "engine.evaluation", "oracle", "tests.oracle")
    for module in sorted((ROOT / "engine" / "demo").glob("*.py")):
        if module.name == "store.py":  # demo-setup: stores the data and runs the store's evaluation
            continue
        imported = _imports(module)
        assert not [n for n in imported if n.startswith(forbidden)], (module.name, imported)
    # and nothing it calls reaches the engine's calendar
    from engine.domain import calendar

    def refuse(*args, **kwargs):
        raise AssertionError("the demo's truth must not count days with the engine's calendar")

    for name in ("deadline", "is_day_off", "elapsed", "working_days", "nth_working_day_after", "next_working_day"):
        monkeypatch.setattr(calendar.GovernmentCalendar, name, refuse)
    manifest = generate(tmp_path / "demo", cases=1200, seed=3, as_of=AS_OF)
    assert manifest["expected_flags"] > 100


def test_the_demo_calendar_counts_labour_day_and_its_day_in_lieu_as_working_days(tmp_path):
    cal = DemoCalendar.from_kb()
    for day in (dt.date(2027, 5, 3), dt.date(2022, 5, 2), dt.date(2021, 5, 3), dt.date(2026, 5, 1)):
        assert not cal.is_day_off(day), day
    # other days in lieu stay days off; so do weekends
    assert cal.is_day_off(dt.date(2025, 5, 5)) and cal.is_day_off(dt.date(2027, 5, 1))
    assert cal.deadline(dt.date(2027, 4, 30), 1, "working") == dt.date(2027, 5, 3)
    assert cal.labour_days(dt.date(2021, 1, 1), dt.date(2027, 12, 31)) == [
        dt.date(2021, 5, 3), dt.date(2022, 5, 2), dt.date(2023, 5, 1), dt.date(2024, 5, 1), dt.date(2025, 5, 1),
        dt.date(2026, 5, 1), dt.date(2027, 5, 3)]
    # calendar days: a + n, moved forward to the next working day (APA s.64)
    assert cal.deadline(dt.date(2026, 3, 1), 27, "calendar") == dt.date(2026, 3, 30)  # Saturday 28th → Monday
    assert cal.deadline(dt.date(2026, 3, 1), 30, "calendar") == dt.date(2026, 3, 31)
    # kb/calendar.yaml's entries: a cabinet's day off added, a library day taken away
    (tmp_path / "calendar.yaml").write_text(
        "entries:\n"
        "- {date: 2026-03-31, kind: add, name_th: วันหยุดพิเศษ, name_en: special day off, source: มติคณะรัฐมนตรี}\n"
        "- {date: 2025-05-05, kind: remove, name_th: แก้ไข, name_en: correction, source: ประกาศ}\n", encoding="utf-8")
    corrected = DemoCalendar.from_kb(tmp_path)
    assert corrected.deadline(dt.date(2026, 3, 1), 30, "calendar") == dt.date(2026, 4, 1)
    assert not corrected.is_day_off(dt.date(2025, 5, 5))


def test_an_order_judges_decisions_from_the_day_it_takes_effect_and_not_before(demo):
    """A case decided on the first day of a process's order is judged by it; one decided the working
    day before by the value it replaced — the truth differs between the two whenever the values do."""
    cal, late = DemoCalendar.from_kb(), demo.flagged("1.1-late-review")
    pairs = 0
    for order in demo.ds.parameters:
        if order.name != "review_within_days" or order.effective_from is None or order.effective_from > AS_OF:
            continue
        on = order.effective_from
        before = on - dt.timedelta(days=1)
        while cal.is_day_off(before):
            before -= dt.timedelta(days=1)
        for p in demo.ds.processes:
            if p.agency_id != order.agency_id or order.process_id not in (None, p.process_id):
                continue
            values = [demo.value("review_within_days", p.agency_id, p.process_id, d) for d in (before, on)]
            reviewed = {d: [c for c in demo.ds.cases if c.process_id == p.process_id and c.decided_on == d
                            and c.received_on == d and c.reviewed_on and c.discretion_used] for d in (before, on)}
            for a in reviewed[before]:
                for b in reviewed[on]:
                    if values[0] != values[1] and a.reviewed_on == cal.deadline(
                            a.decided_on, min(values) + 1, "working"):
                        pairs += 1
                        assert (a.case_id in late) != (b.case_id in late), (order, a, b)
    assert pairs >= 1


def test_the_day_in_lieu_of_labour_day_is_a_working_day_in_the_truth(demo_2570):
    """A reader who skips Monday 3 May 2570 gives one more day: the truth's flags on that day exist."""
    right, wrong = DemoCalendar.from_kb(), DemoCalendar({dt.date(2027, 5, 3): True})
    d = demo_2570
    late, overdue = d.flagged("1.1-late-review"), d.flagged("1.6-time-limit-exceeded")
    reviews = [c for c in d.ds.cases if c.case_id in late and c.decided_on and c.decided_on.year == 2027
               and right.deadline(c.decided_on, n := d.value("review_within_days", d.processes[c.process_id].agency_id,
                                                             c.process_id, c.decided_on), "working")
               < c.reviewed_on <= wrong.deadline(c.decided_on, n, "working")]
    limits = [c for c in d.ds.cases if c.case_id in overdue and c.decided_on
              and (p := d.processes[c.process_id]).standard_days and p.day_basis != "calendar"
              and right.deadline(c.start_on, p.standard_days, "working") < c.decided_on
              <= wrong.deadline(c.start_on, p.standard_days, "working")]
    assert reviews and limits


def test_licensing_notices_and_apa_s39_1_limits(demo):
    cal = DemoCalendar.from_kb()
    notified = demo.flagged("1.6-delay-not-notified")
    overdue = demo.flagged("1.6-time-limit-exceeded")
    assert notified and all(demo.processes[demo.cases[c].process_id].licensing for c in notified)
    # overdue public services that are not licences: a time-limit flag, never a delay-notice one
    not_licences = {c for c in overdue if not demo.processes[demo.cases[c].process_id].licensing}
    assert not_licences and not not_licences & set(notified)
    # no standard_days: 30 calendar days from the complete application (s.39/1), run to a working day
    s39 = [c for c in demo.ds.cases if demo.processes[c.process_id].standard_days is None
           and demo.processes[c.process_id].public_service]
    limit = {c.case_id: cal.deadline(c.start_on, 30, "calendar") for c in s39}
    assert {c.case_id for c in s39 if (c.decided_on or AS_OF) > limit[c.case_id]} == {
        c.case_id for c in s39 if c.case_id in overdue}
    assert any(c.case_id in overdue for c in s39)
    rolled = [c for c in s39 if c.decided_on == limit[c.case_id] != c.start_on + dt.timedelta(days=30)]
    assert rolled and not any(c.case_id in overdue for c in rolled)  # decided on the day the period ran to


def test_a_full_grant_without_stated_reasons_is_flagged_only_where_it_affects_others(demo):
    flagged = demo.flagged("1.1-no-legal-basis")
    checked = Counter()
    for c in demo.ds.cases:
        if not (c.decided_on and c.discretion_used and not c.legal_basis):
            assert c.case_id not in flagged
            continue
        grant = (c.outcome or "").strip().lower() in APPROVED
        affects = bool(demo.processes[c.process_id].affects_others)
        assert (c.case_id in flagged) == (not grant or affects), c
        checked[(grant and c.outcome != "approved", affects)] += 1
    # Thai words for a full grant, affecting others and not
    assert checked[(True, True)] and checked[(True, False)]


def test_conflicts_of_interest_follow_apa_sections_13_16_and_18(demo):
    expected = {}
    for c in demo.ds.cases:
        if not c.applicant_related:
            continue
        if (c.coi_ground or "s13") == "s13":
            severity = "high"  # may not consider the matter at all, declared, permitted or not
        elif not c.coi_declared:
            severity = "high"
        elif c.coi_permitted_by and c.coi_permitted_by in demo.chain(c.officer_id):
            continue  # s16: the superior in the chain decided
        else:
            severity = "medium"
        expected[c.case_id] = "low" if c.coi_exception else severity
    assert demo.flagged("1.5-conflict-of-interest") == expected
    # s13 with a superior's permission stays high; s16 permitted in the chain raises nothing
    assert any(c.coi_ground in (None, "s13") and c.coi_permitted_by and expected.get(c.case_id) == "high"
               for c in demo.ds.cases)
    assert any(c.coi_ground == "s16" and c.coi_permitted_by and c.case_id not in expected for c in demo.ds.cases)


def test_repeat_applicants_are_counted_at_the_threshold_of_their_kind(demo):
    counts = Counter((c.officer_id, c.applicant_id, c.applicant_kind or "person") for c in demo.ds.cases
                     if c.decided_on and c.discretion_used and 0 <= days(c.decided_on, AS_OF) < 180)
    agency = {o.officer_id: o.agency_id for o in demo.ds.officers}

    def threshold(officer: str, kind: str) -> int:
        name = "repeat_applicant_threshold_juristic" if kind == "juristic" else "repeat_applicant_threshold"
        return demo.value(name, agency[officer], None, AS_OF)

    expected = {(o, a) for (o, a, kind), n in counts.items() if n >= threshold(o, kind)}
    got = {(t["subject_id"], t["applicant"]) for t in demo.truth if t["rule_id"] == "1.4-repeat-applicant"}
    assert got == expected
    near = {(kind, n) for (o, a, kind), n in counts.items() if n >= 4}
    assert {("person", 4), ("person", 5), ("juristic", 14), ("juristic", 15)} <= near


def test_ethics_is_one_flag_per_officer_who_decided_while_not_acknowledged(demo):
    agency = {o.officer_id: o.agency_id for o in demo.ds.officers}
    unacknowledged = Counter()
    for c in demo.ds.cases:
        if not (c.decided_on and c.discretion_used and 0 <= days(c.decided_on, AS_OF) < 365):
            continue
        ack = demo.officers[c.officer_id].ethics_acknowledged_on
        valid = demo.value("ethics_ack_valid_days", agency[c.officer_id], None, AS_OF)
        if ack is None or ack > AS_OF or ack > c.decided_on or days(ack, c.decided_on) > valid:
            unacknowledged[c.officer_id] += 1
    assert set(demo.flagged("1.5-ethics-not-acknowledged")) == set(unacknowledged)
    assert max(unacknowledged.values()) >= 2  # several decisions, one flag


def test_six_monthly_monitoring_is_enough_unless_the_agency_ordered_shorter(demo):
    latest: dict[str, dt.date] = {}
    for r in demo.ds.monitoring_reports:
        if r.reported_on <= AS_OF:
            latest[r.agency_id] = max(latest.get(r.agency_id, r.reported_on), r.reported_on)
    expected = {a.agency_id for a in demo.ds.agencies if a.agency_id not in latest or days(
        latest[a.agency_id], AS_OF) >= demo.value("monitoring_interval_days", a.agency_id, None, AS_OF)}
    assert set(demo.flagged("1.8-no-monitoring")) == expected
    assert any(92 <= days(day, AS_OF) < 183 and a not in expected for a, day in latest.items())
