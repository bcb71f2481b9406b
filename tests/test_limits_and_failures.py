"""One agency's valid data never stops every run (issue 24, item 2).

``standard_days=2147483647`` (the store's largest number) or ``rotation_years`` "1,500,000" passed
``validate`` and ``import``, and then every ``check`` and ``run`` exited 3: "year 10000 is out of
range". Day and year counts are now bounded by what the calendar can count (``models.MAX_DAYS``,
``MAX_YEARS``): validate, import and ``--set`` refuse more, naming the place and the limit. And
whatever still fails while one agency is evaluated — data stored before the bounds, a bug, a
crash of the rules engine — a store run sets that agency aside (the run is *partial*, its error
says which agency and why) and evaluates and syncs every other; ``check`` exits 3 naming it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from conftest import assert_crash_dump, base_tables, crash_evaluation_on, merge_tables, write_dataset, write_workbook
from engine.evaluation import run as evaluation
from engine.domain.calendar import add_years
from engine.kb.knowledge import government_calendar
from engine.cli import main
from engine.domain.errors import InputError
from engine.evaluation.run import evaluate
from engine.ingest.loader import load_dataset
from engine.domain.models import MAX_DAYS, MAX_YEARS
from engine.store.access import add_user
from engine.store.scope import SYSTEM
from engine.store.data import import_dataset
from engine.store.db import session_factory, transaction
from engine.store.runs import run_evaluation
from engine.store.schema import EvaluationRun, FlagRow, ProcessRow, RunAgencyRuleStat
from engine.domain.thai import DATE_MAX

AS_OF = dt.date(2024, 4, 20)
LIMIT = "the longest period the calendar can count from any date the data may hold; its last day is 9999-12-31"
# A second agency: its officer decided a case without a legal basis, and it has no risk analysis
# and no monitoring report (flags that a failed evaluation of it must leave as they are).
B2 = {
    "agencies": [{"agency_id": "B2", "name": "หน่วยงานบี", "serves_public": "true"}],
    "processes": [{"process_id": "PB", "agency_id": "B2", "name": "งานบี", "discretionary": "true",
                   "public_service": "false", "work_manual": "คู่มือ", "work_manual_reviewed_on": "2024-01-01",
                   "it_system": "ระบบ", "standard_days": "5"}],
    "officers": [{"officer_id": "OB", "agency_id": "B2", "name": "หัวหน้าบี", "in_position_since": "2023-01-01",
                  "ethics_acknowledged_on": "2024-01-01"}],
    "cases": [{"case_id": "CB1", "process_id": "PB", "officer_id": "OB", "received_on": "2024-04-01",
               "decided_on": "2024-04-02", "discretion_used": "true", "via_it_system": "true"}],
}


def _tables(extra: dict | None = None) -> dict:
    return merge_tables(merge_tables(base_tables(), B2), extra or {})


def _problems(path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_dataset(path)
    return [str(p) for p in info.value.problems]


TOO_LONG = {
    "processes": [{**base_tables()["processes"][0], "standard_days": "2147483647"}],
    "parameters": [
        {"agency_id": "A1", "name": "rotation_years", "value": "1,500,000", "source": "คำสั่ง 1"},
        {"agency_id": "A1", "process_id": "P1", "name": "review_within_days", "value": str(MAX_DAYS + 1),
         "source": "คำสั่ง 2"},
        {"agency_id": "B2", "name": "rotation_years", "value": str(MAX_YEARS + 1), "source": "คำสั่ง 3"},
    ],
}
TOO_LONG_PROBLEMS = [
    f"processes.csv, row 3, column standard_days, value '2147483647': too large: at most 1,000,000 days, {LIMIT}",
    f"parameters.csv, row 1, column value, value '1,500,000': rotation_years takes a whole number of years "
    f"(too large: at most 7,799 years, {LIMIT})",
    f"parameters.csv, row 2, column value, value '1000001': review_within_days takes a whole number of days "
    f"(too large: at most 1,000,000 days, {LIMIT})",
    f"parameters.csv, row 3, column value, value '7800': rotation_years takes a whole number of years "
    f"(too large: at most 7,799 years, {LIMIT})",
]


@pytest.mark.usefixtures("both_csv_readers")
def test_day_and_year_counts_past_the_calendar_are_refused_with_their_place_and_limit(tmp_path):
    assert (MAX_DAYS, MAX_YEARS) == (1_000_000, 7_799)
    assert _problems(write_dataset(tmp_path / "ds", _tables(TOO_LONG))) == TOO_LONG_PROBLEMS
    book = write_workbook(_tables({"processes": [{**base_tables()["processes"][0], "standard_days": 2147483647}]}),
                          tmp_path / "book.xlsx")  # a number typed in Excel: the same limit
    assert _problems(book) == [f"book.xlsx[processes], row 3, column standard_days, value '2147483647': too "
                               f"large: at most 1,000,000 days, {LIMIT}"]


def test_validate_and_import_refuse_them_and_store_nothing(db_url, tmp_path, capsys):
    folder = write_dataset(tmp_path / "ds", _tables(TOO_LONG))
    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err
    assert all(p in err for p in TOO_LONG_PROBLEMS), err
    with transaction(db_url) as s:
        add_user(s, SYSTEM, "admin", "Kh0n-Kaen-ledger-2569!", "admin", None)
    assert main(["import", str(folder), "--db", db_url, "--user", "admin"]) == 2
    err = capsys.readouterr().err
    assert all(p in err for p in TOO_LONG_PROBLEMS), err
    with transaction(db_url) as s:
        assert s.scalar(select(func.count()).select_from(ProcessRow)) == 0


def test_set_refuses_them_for_check_and_run(db_url, tmp_path, capsys):
    folder = write_dataset(tmp_path / "ds", _tables())
    out = tmp_path / "flags.jsonl"
    for given, limit in (("rotation_years=1,500,000", "at most 7,799 years"),
                         (f"investigation_within_days={MAX_DAYS + 1}", "at most 1,000,000 days")):
        assert main(["check", str(folder), "--as-of", AS_OF.isoformat(), "--set", given, "--output", str(out)]) == 2
        name, value = given.split("=")
        assert f"parameter {name}={value!r}: too large: {limit}, {LIMIT}" in capsys.readouterr().err
        assert not out.exists()
    with transaction(db_url) as s:
        add_user(s, SYSTEM, "admin", "Kh0n-Kaen-ledger-2569!", "admin", None)
    assert main(["import", str(folder), "--db", db_url, "--user", "admin"]) == 0
    assert main(["run", "--db", db_url, "--user", "admin", "--set", "rotation_years=1500000", "--as-of", AS_OF.isoformat()]) == 2
    assert "too large: at most 7,799 years" in capsys.readouterr().err
    with transaction(db_url) as s:
        assert s.scalar(select(func.count()).select_from(EvaluationRun)) == 0


def test_at_the_limits_the_calendar_counts_from_the_last_date_the_data_may_hold(tmp_path):
    """The bounds are what the calendar can count: at them, from 31 December 2200, it gives a date."""
    assert add_years(DATE_MAX, MAX_YEARS) == dt.date(9999, 12, 31)
    with pytest.raises(ValueError):
        add_years(DATE_MAX, MAX_YEARS + 1)
    calendar = government_calendar()
    assert DATE_MAX < calendar.deadline(DATE_MAX, MAX_DAYS, "calendar") < calendar.deadline(DATE_MAX, MAX_DAYS, "working")
    at_limit = _tables({
        "processes": [{**base_tables()["processes"][0], "standard_days": str(MAX_DAYS)}],
        "officers": [{**base_tables()["officers"][3], "in_position_since": DATE_MAX.isoformat(), "rotation_post": "true"}],
        "parameters": [{"agency_id": "A1", "name": "rotation_years", "value": str(MAX_YEARS), "source": "คำสั่ง 1"},
                       {"agency_id": "A1", "process_id": "P1", "name": "review_within_days", "value": str(MAX_DAYS),
                        "source": "คำสั่ง 2"}]})
    ds = load_dataset(write_dataset(tmp_path / "ds", at_limit))
    result = evaluate(ds, DATE_MAX, jobs=1)  # evaluates: no flag needs a date past the calendar's
    assert {f.agency_id for f in result.flags} <= {"A1", "B2"}


def _flags(url: str, agency: str) -> list[tuple]:
    with transaction(url) as s:
        return sorted(s.execute(select(FlagRow.flag_id, FlagRow.status, FlagRow.version, FlagRow.last_run_id,
                                       FlagRow.as_of).where(FlagRow.agency_id == agency)).all())


def _fail_b2(how: str, url: str, monkeypatch, dumps: list | None = None) -> str:
    """Make B2's evaluation fail; what its run's error then says."""
    if how == "stored before the limits":  # as an import before this version could have stored it
        with transaction(url) as s:
            s.execute(text("UPDATE processes SET standard_days = 2147483647 WHERE process_id = 'PB'"))
        return "the evaluation failed (ValueError: year 10000 is out of range)"
    if how == "a crash of the rules engine":
        dump = crash_evaluation_on("B2", monkeypatch)
        if dumps is not None:
            dumps.append(dump)
        return "the rules engine (durable-rules) crashed with signal SIGSEGV"
    real = evaluation.part_subjects

    def failing(context, part):
        if part[0] == "B2":
            raise RuntimeError("an error nobody foresaw")
        return real(context, part)
    monkeypatch.setattr(evaluation, "part_subjects", failing)
    return "the evaluation failed (RuntimeError: an error nobody foresaw)"


@pytest.mark.parametrize("how", ["stored before the limits", "any error", "a crash of the rules engine"])
def test_a_store_run_sets_aside_the_agency_whose_evaluation_fails_and_syncs_the_others(db_url, tmp_path,
                                                                                        monkeypatch, how):
    base1 = {**base_tables()["cases"][0], "legal_basis": ""}  # A1's one flag: a decision without a legal basis
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, load_dataset(write_dataset(tmp_path / "ds", _tables({"cases": [base1]}))), "two")
    factory = session_factory(db_url)
    first = run_evaluation(factory, SYSTEM, AS_OF, jobs=2)
    b2_before, a1_before = _flags(db_url, "B2"), _flags(db_url, "A1")
    assert len(b2_before) >= 2 and all(f[3] == first for f in b2_before) and len(a1_before) == 1
    with transaction(db_url) as s:  # A1 moves on: its flag's cause is put right, and a new case has one
        s.execute(text("UPDATE cases SET legal_basis = 'ม. 1' WHERE case_id = 'BASE1'"))
        s.execute(text("INSERT INTO cases (case_id, agency_id, process_id, officer_id, received_on, decided_on, "
                       "discretion_used, via_it_system) VALUES ('NEW1', 'A1', 'P1', 'OFF1', '2024-04-01', "
                       "'2024-04-02', true, true)"))
    dumps: list = []
    why = _fail_b2(how, db_url, monkeypatch, dumps)
    second = run_evaluation(factory, SYSTEM, AS_OF + dt.timedelta(days=1), jobs=2)
    with transaction(db_url) as s:
        run = s.get(EvaluationRun, second)
        assert (run.status, run.error) == ("partial", f"B2 ไม่ได้ประเมิน / not evaluated: การประเมินผิดพลาด / {why}")
        evaluated = set(s.scalars(select(RunAgencyRuleStat.agency_id).where(RunAgencyRuleStat.run_id == second)))
        assert evaluated == {"A1"}
        a1_after = {subject: (status, last_run) for subject, status, last_run in s.execute(
            select(FlagRow.subject_id, FlagRow.status, FlagRow.last_run_id).where(FlagRow.agency_id == "A1"))}
    assert a1_after == {"BASE1": ("cleared_by_data", second), "NEW1": ("open", second)}  # A1 synced
    assert _flags(db_url, "B2") == b2_before  # as they were: not cleared for want of an evaluation, nor touched
    for dump in dumps:
        assert_crash_dump(dump)


def test_check_names_the_agency_whose_evaluation_fails_and_writes_nothing(tmp_path, monkeypatch, capsys):
    folder = write_dataset(tmp_path / "ds", _tables())
    _fail_b2("any error", "", monkeypatch)
    out = tmp_path / "flags.jsonl"
    code = main(["check", str(folder), "--as-of", AS_OF.isoformat(), "--output", str(out), "--jobs", "2"])
    err = capsys.readouterr().err
    assert code == 3 and not out.exists() and [p.name for p in tmp_path.iterdir()] == ["ds"]
    assert ("discretion-review: the evaluation failed (RuntimeError: an error nobody foresaw) while evaluating "
            "agency 'B2'; nothing was written. Please report this with the dataset.") in err
