"""The risk page's case figures, counted by the database (engine/store/analytics.py and
stored_terms.py), held to the case terms evaluated in Python case by case — the process ranking's
deviating and overdue cases and the approval-rate outliers — on the demo data and on the edges of
the time limits, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

import pytest
from conftest import write_dataset
from sqlalchemy import event

from engine.ingest.loader import load_dataset
from engine.kb.knowledge import load_kb
from engine.rules.context import RunContext
from engine.rules.terms.case import CaseFacts
from engine.store import analytics, province, stored_terms
from engine.store.data import import_dataset, load_from_db
from engine.store.db import session_factory, transaction
from engine.store.scope import SYSTEM, Scope

PROVINCE = Scope("p", "provincial", None)


def python_count(url: str, scope: Scope, as_of: dt.date) -> Counter:
    """``analytics.count_cases``' figures as the case terms give them, case by case, over the whole
    dataset loaded into memory (what the page did before), keyed by process, officer and outcome;
    and the approvals among the decided discretionary cases (the term ``outcome_approved``)."""
    kb = load_kb()
    with transaction(url) as s:
        ds = load_from_db(s, SYSTEM)
        stored = province.stored_parameters(s, SYSTEM, kb)
        calendar = province.government_calendar(s, SYSTEM)
    run = RunContext.build(ds, as_of, kb.resolve_parameters({}, base={n: v.value for n, v in stored.items()}),
                           calendar=calendar, stored=stored)
    out: Counter = Counter()
    for p in ds.processes:
        if not scope.sees(p.agency_id):
            continue
        for row in run.cases_by_process.get(p.process_id, ()):
            c = CaseFacts(run, row, p.agency_id)
            key = (row.process_id, row.officer_id, row.outcome)
            if row.received_on <= as_of:  # the case exists (terms.case.subjects)
                out[key + ("cases",)] += 1
                out[key + ("deviating",)] += c.deviates
                out[key + ("overdue",)] += c.overdue
            decided_discretionary = row.discretion_used and c.decided_on is not None
            out[key + ("decided discretionary",)] += decided_discretionary
            out[key + ("approved",)] += decided_discretionary and c.outcome_approved
    return +out  # zero counts dropped


def sql_count(url: str, scope: Scope, as_of: dt.date) -> Counter:
    """``analytics.count_cases``' figures, keyed as ``python_count``'s (which also counts approvals)."""
    with session_factory(url)() as s:
        counted = analytics.count_cases(s, scope, stored_terms.context(s, scope, as_of))
    assert len({r[:3] for r in counted}) == len(counted)  # one row per process, officer and outcome
    out: Counter = Counter()
    for process_id, officer_id, outcome, *numbers in counted:
        for name, n in zip(("cases", "deviating", "overdue", "decided discretionary"), numbers):
            out[(process_id, officer_id, outcome, name)] += n
    return +out


def _without_approvals(counts: Counter) -> Counter:
    return Counter({k: n for k, n in counts.items() if k[3] != "approved"})


def python_signals(url: str, scope: Scope, as_of: dt.date) -> dict[str, list[dict[str, Any]]]:
    """The process ranking and the outliers as the page computed them before, from the terms in Python."""
    counts = python_count(url, scope, as_of)
    approved = Counter({k[:3]: n for k, n in counts.items() if k[3] == "approved"})
    with transaction(url) as s:
        ds = load_from_db(s, SYSTEM)
    processes = {p.process_id: p for p in ds.processes}
    per_process: dict[str, Counter] = defaultdict(Counter)
    tally: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for (process_id, officer_id, outcome, name), n in counts.items():
        per_process[process_id][name] += n
        if name == "decided discretionary":
            tally[process_id][officer_id][0] += n
            tally[process_id][officer_id][1] += approved[process_id, officer_id, outcome]
    ranking = [{"process_id": pid, "agency_id": processes[pid].agency_id, "name": processes[pid].name,
                "cases": c["cases"], "deviating": c["deviating"], "deviation_rate": round(c["deviating"] / c["cases"], 4),
                "overdue": c["overdue"], "overdue_rate": round(c["overdue"] / c["cases"], 4)}
               for pid, c in per_process.items() if c["cases"]]
    outliers = []
    for pid, officers in tally.items():
        rates = {o: a / n for o, (n, a) in officers.items() if n >= 5}
        if len(rates) < 4:
            continue
        fence = analytics.iqr_fence(list(rates.values()))
        outliers += [{"process_id": pid, "agency_id": processes[pid].agency_id, "officer_id": o,
                      "decisions": officers[o][0], "approved": officers[o][1], "approval_rate": round(r, 4),
                      "direction": "high" if r > fence.high else "low", "peers": len(rates),
                      "q1": round(fence.q1, 4), "q3": round(fence.q3, 4), "fence_low": round(fence.low, 4),
                      "fence_high": round(fence.high, 4)} for o, r in rates.items() if not fence.low <= r <= fence.high]
    return {"processes": sorted(ranking, key=lambda r: (-r["deviation_rate"], -r["overdue_rate"], r["process_id"])),
            "outliers": sorted(outliers, key=lambda r: (r["process_id"], -r["approval_rate"], r["officer_id"]))}


def signals(url: str, scope: Scope, as_of: dt.date) -> dict[str, list[dict[str, Any]]]:
    with session_factory(url)() as s:
        return analytics.case_signals(s, scope, as_of)


@pytest.fixture
def demo_store(db_url, tmp_path):
    """The demo data (3,000 cases; working and calendar limits, complete_on, pending and late cases)."""
    from engine.demo.generate import generate

    generate(tmp_path / "demo", cases=3000, seed=5, as_of=dt.date(2025, 6, 30))
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, load_dataset(tmp_path / "demo"), "demo")
    return db_url


def test_the_database_counts_the_demo_cases_as_the_terms_do(demo_store):
    """On the demo data, at the demo's as_of, before it (cases still pending, decisions not made
    yet) and after it, for the province and for each of three agencies: every process, officer
    and outcome's counts of cases, deviating, overdue and decided discretionary cases are the
    terms' own, and so are the ranking and the outliers the page shows."""
    with transaction(demo_store) as s:
        ds = load_from_db(s, SYSTEM)
    agency_of = {p.process_id: p.agency_id for p in ds.processes}
    busiest = [a for a, _ in Counter(agency_of[c.process_id] for c in ds.cases).most_common(3)]
    for as_of in (dt.date(2025, 6, 30), dt.date(2025, 2, 3), dt.date(2025, 10, 1)):
        for scope in (PROVINCE, *(Scope("s", "supervisor", a) for a in busiest)):
            expected = python_count(demo_store, scope, as_of)
            assert sql_count(demo_store, scope, as_of) == _without_approvals(expected), (as_of, scope)
            assert expected[next(k for k in expected if k[3] == "overdue")] > 0  # something was overdue
            assert signals(demo_store, scope, as_of) == python_signals(demo_store, scope, as_of), (as_of, scope)
    province_wide = signals(demo_store, PROVINCE, dt.date(2025, 6, 30))
    assert sum(p["overdue"] for p in province_wide["processes"]) > 50 and province_wide["outliers"]


def _edge_tables() -> dict[str, list[dict[str, Any]]]:
    """Agency A1: process PW (5 working days), PC (10 calendar days), PN (no time limit, not a public
    service); agencies B2 and C3 (no officers of its own): processes PB and PX (5 working days). 6 and 10 May 2024 are days off (Coronation
    Day in lieu, the Royal Ploughing Ceremony); as_of is Friday 28 June 2024."""
    def case(cid: str, process: str, received: str, decided: str | None = None, officer: str = "O1",
             **more: Any) -> dict[str, Any]:
        return {"case_id": cid, "process_id": process, "officer_id": officer, "received_on": received,
                "decided_on": decided, "discretion_used": True, "outcome": "approved" if decided else None, **more}

    def process(pid: str, agency: str, days: int | None, basis: str = "working", public: bool = True) -> dict[str, Any]:
        return {"process_id": pid, "agency_id": agency, "name": f"งาน {pid}", "discretionary": True,
                "public_service": public, "standard_days": days, "day_basis": basis}
    return {
        "agencies": [{"agency_id": "A1", "name": "หน่วยงาน ก", "serves_public": True},
                     {"agency_id": "B2", "name": "หน่วยงาน ข", "serves_public": True},
                     {"agency_id": "C3", "name": "หน่วยงาน ค", "serves_public": True}],
        "processes": [process("PW", "A1", 5), process("PC", "A1", 10, "calendar"),
                      process("PN", "A1", None, public=False), process("PB", "B2", 5), process("PX", "C3", 5)],
        "officers": [{"officer_id": "O1", "agency_id": "A1", "name": "หนึ่ง"},
                     {"officer_id": "O2", "agency_id": "A1", "name": "สอง"},
                     {"officer_id": "OB", "agency_id": "B2", "name": "บี"}],
        "cases": [
            # calendar basis: 24 Apr + 10 days = Sat 4 May, moved past Sun 5 and Mon 6 May (days off) to Tue 7 May
            case("C01", "PC", "2024-04-24", "2024-05-07"), case("C02", "PC", "2024-04-24", "2024-05-08"),
            # working basis: 5 working days after Wed 1 May, Mon 6 May off: Thu 9 May
            case("C03", "PW", "2024-05-01", "2024-05-09"), case("C04", "PW", "2024-05-01", "2024-05-13", officer="O2"),
            # counted from complete_on (1 May), not from received_on (Saturday 20 April)
            case("C05", "PW", "2024-04-20", "2024-05-09", complete_on="2024-05-01"),
            # pending at as_of: counted to as_of (limit 9 May: overdue; limit 3 July: not yet)
            case("C06", "PW", "2024-05-01"), case("C07", "PW", "2024-06-26"),
            # decided after as_of: pending at as_of, and its deviation not yet a deviating decision
            case("C08", "PW", "2024-05-01", "2024-07-15", deviation="ข้ามขั้นตอน"),
            # decided after as_of and after its limit (Mon 1 July): not overdue yet at as_of
            case("C15", "PW", "2024-06-24", "2024-07-05"),
            # complete only after as_of: the clock has not started (from received_on it would be overdue)
            case("C09", "PW", "2024-06-20", complete_on="2024-07-05"),
            # received after as_of: not a case yet
            case("C10", "PW", "2024-07-01"),
            # no time limit
            case("C11", "PN", "2024-01-02"),
            # a deviating decision, on time; another agency's overdue case
            case("C12", "PW", "2024-05-01", "2024-05-08", deviation="ไม่ตรวจเอกสาร"),
            case("C13", "PB", "2024-05-01", "2024-06-03", officer="OB"),
            # an agency with no officers of its own: its case decided by another agency's officer
            case("C14", "PX", "2024-05-01", "2024-05-13"),
        ],
    }


@pytest.fixture
def edge_store(db_url, tmp_path):
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, load_dataset(write_dataset(tmp_path / "edges", _edge_tables())), "edges")
    return db_url


AS_OF = dt.date(2024, 6, 28)


def _overdue_cases(url: str, scope: Scope) -> dict[str, tuple[int, int, int]]:
    """process -> (cases, deviating, overdue) as the page shows them."""
    return {p["process_id"]: (p["cases"], p["deviating"], p["overdue"]) for p in signals(url, scope, AS_OF)["processes"]}


def test_time_limits_on_the_government_calendar_at_their_edges(edge_store):
    """Hand-counted: PW's overdue cases are C04 (decided the day after its limit), C06 (pending
    past it) and C08 (decided after as_of, so pending); not C03 (decided on its limit day), C05
    (counted from complete_on), C07 (its limit after as_of), C09 (clock not started), C12, C15
    (its limit and its decision after as_of); C10
    is no case yet. PC: C02 only (its limit moved past a weekend and a day off). PN: none. PX's
    case, decided by another agency's officer, is counted for its agency."""
    assert _overdue_cases(edge_store, PROVINCE) == {"PW": (9, 1, 3), "PC": (2, 0, 1), "PN": (1, 0, 0), "PB": (1, 0, 1),
                                                    "PX": (1, 0, 1)}
    assert _overdue_cases(edge_store, Scope("s", "supervisor", "A1")) == {
        "PW": (9, 1, 3), "PC": (2, 0, 1), "PN": (1, 0, 0)}
    assert _overdue_cases(edge_store, Scope("s", "supervisor", "C3")) == {"PX": (1, 0, 1)}
    for scope in (PROVINCE, Scope("s", "supervisor", "B2"), Scope("s", "supervisor", "C3")):
        assert sql_count(edge_store, scope, AS_OF) == _without_approvals(python_count(edge_store, scope, AS_OF))


def test_a_day_off_recorded_by_an_administrator_moves_the_limit_day(edge_store):
    """The calendar in force is the store's: with Thursday 9 May 2024 recorded as a day off, PW's
    limit from 1 May is Monday 13 May (10 May is off too), so C04, decided on it, is no longer
    overdue; C06 and C08 still are."""
    with transaction(edge_store) as s:
        province.add_calendar_entry(s, Scope("admin", "admin", None), dt.date(2024, 5, 9), "add",
                                    "วันหยุดพิเศษ", "Special day off", "มติคณะรัฐมนตรี (ทดสอบ)")
    assert _overdue_cases(edge_store, PROVINCE)["PW"] == (9, 1, 2)
    assert sql_count(edge_store, PROVINCE, AS_OF) == _without_approvals(python_count(edge_store, PROVINCE, AS_OF))


def test_an_agency_users_counts_are_read_from_its_own_rows_only(edge_store):
    """Every statement that reads the cases for an agency's user names the agency in its WHERE
    clause (the database filters, by index, before it counts), and the figures are the
    province's rows of that agency."""
    from sqlalchemy.orm import Session

    from engine.store.db import make_engine

    engine = make_engine(edge_store)
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda conn, cursor, statement, *a: seen.append(statement))
    with Session(engine) as s:
        mine = analytics.case_signals(s, Scope("s", "supervisor", "B2"), AS_OF)
    engine.dispose()
    reading_cases = [q for q in seen if "FROM cases" in q]
    assert len(reading_cases) >= 2 and all("cases.agency_id = " in q.partition("WHERE")[2] for q in reading_cases)
    assert mine["processes"] == [p for p in signals(edge_store, PROVINCE, AS_OF)["processes"] if p["agency_id"] == "B2"]


def test_approval_outliers_name_the_officer_and_the_numbers(db_url, tmp_path):
    """Per process, 5 officers with 10 decided discretionary decisions each approve 6, 6, 6, 7 and
    10 of them: rates 0.6 0.6 0.6 0.7 1.0, Q1 0.6, Q3 0.7, fence 0.45–0.85, so O5 alone stands
    out. " Approved " is an approval (the term ``outcome_approved``); a decision after as_of, a
    case without discretion and an officer with 4 decisions are not compared; a process with 3
    comparable officers has no fence."""
    approvals = {"O1": 6, "O2": 6, "O3": 7, "O4": 6, "O5": 10}
    cases = []
    for officer, approved in approvals.items():
        for i in range(10):
            cases.append({"case_id": f"{officer}-{i}", "process_id": "P", "officer_id": officer,
                          "received_on": "2024-01-01", "decided_on": "2024-01-02", "discretion_used": True,
                          "outcome": (" Approved " if i % 2 else "approved") if i < approved else "denied"})
    cases += [{"case_id": f"late-{i}", "process_id": "P", "officer_id": "O1", "received_on": "2024-01-01",
               "decided_on": "2024-07-01", "discretion_used": True, "outcome": "approved"} for i in range(5)]
    cases += [{"case_id": f"plain-{i}", "process_id": "P", "officer_id": "O2", "received_on": "2024-01-01",
               "decided_on": "2024-01-02", "discretion_used": False, "outcome": "approved"} for i in range(5)]
    cases += [{"case_id": f"few-{i}", "process_id": "P", "officer_id": "O6", "received_on": "2024-01-01",
               "decided_on": "2024-01-02", "discretion_used": True, "outcome": "denied"} for i in range(4)]
    cases += [{"case_id": f"Q-{o}-{i}", "process_id": "Q", "officer_id": o, "received_on": "2024-01-01",
               "decided_on": "2024-01-02", "discretion_used": True, "outcome": "approved" if o == "O3" else "denied"}
              for o in ("O1", "O2", "O3") for i in range(5)]
    tables = {"agencies": [{"agency_id": "A1", "name": "หน่วยงาน ก", "serves_public": True}],
              "processes": [{"process_id": pid, "agency_id": "A1", "name": "อนุญาต", "discretionary": True,
                             "public_service": True} for pid in ("P", "Q")],
              "officers": [{"officer_id": f"O{i}", "agency_id": "A1", "name": f"เจ้าหน้าที่ {i}"} for i in range(1, 7)],
              "cases": cases}
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, load_dataset(write_dataset(tmp_path / "rates", tables)), "rates")
    out = signals(db_url, Scope("s", "supervisor", "A1"), dt.date(2024, 6, 1))["outliers"]
    assert [(o["officer_id"], o["approval_rate"], o["direction"], o["fence_high"]) for o in out] == [("O5", 1.0, "high", 0.85)]
    assert (out[0]["decisions"], out[0]["approved"], out[0]["peers"], out[0]["q1"], out[0]["q3"]) == (10, 10, 5, 0.6, 0.7)
    assert signals(db_url, Scope("s", "supervisor", "B2"), dt.date(2024, 6, 1)) == {"processes": [], "outliers": []}


def test_a_count_that_failed_leaves_nothing_in_the_way_of_the_next(edge_store, monkeypatch):
    """A failure after the limit days were written (here: building the count) leaves the session's
    connection fit for the next count: SQLite keeps a temporary table's creation through the
    rollback, and the next count starts by dropping it."""
    with session_factory(edge_store)() as s:
        run = stored_terms.context(s, PROVINCE, AS_OF)
        with monkeypatch.context() as m:
            m.setattr(stored_terms, "overdue", lambda *a: 1 / 0)
            with pytest.raises(ZeroDivisionError):
                analytics.count_cases(s, PROVINCE, run)
        s.rollback()
        again = analytics.count_cases(s, PROVINCE, run)
    assert sum(r[5] for r in again) == 6  # overdue: C02, C04, C06, C08, C13, C14
