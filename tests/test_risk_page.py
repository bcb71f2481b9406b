"""The risk page through AppTest: every figure the data layer counts is on the page, for the
province and for one agency, and the page never loads the stored dataset into the app."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from engine.demo.store import setup_demo
from engine.store import analytics
from engine.store.db import session_factory
from engine.store.scope import Scope

APP = str(Path(__file__).resolve().parents[1] / "ui" / "app.py")
sys.path.insert(0, str(Path(APP).parent))
from i18n import COLUMNS  # noqa: E402  (the app's column labels)


@pytest.fixture(scope="module")
def risk_db(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('risk')}/risk.db"
    list(setup_demo(url, cases=3000, as_of=dt.date(2026, 11, 25)))
    return url


def _open(url: str, user: tuple[str, str, str | None], monkeypatch) -> AppTest:
    import streamlit as st

    def whole_dataset(*args, **kwargs):
        raise AssertionError("the risk page read the whole stored dataset")

    monkeypatch.setattr("engine.store.data.read_all", whole_dataset)
    monkeypatch.setenv("DISCRETION_DB_URL", url)
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["app.lang"] = "th"
    at.session_state["auth.user"] = user
    at.run()
    at.switch_page("views/risk.py").run()
    assert not at.exception, at.exception
    return at


def _frame(at: AppTest, *names: str) -> pd.DataFrame | None:
    """The table whose columns are these (their Thai labels), or None when it is not shown."""
    labels = [COLUMNS[n][0] for n in names]
    found = [f.value for f in at.dataframe if list(f.value.columns) == labels]
    assert len(found) <= 1
    return found[0].set_axis(list(names), axis=1) if found else None


def _code(label: str) -> str:
    """``ชื่อ (code)`` → code."""
    match = re.search(r"\(([^()]+)\)$", label)
    return match.group(1) if match else label


def _pct(share: float) -> float:
    return round(100 * share, 1)


@pytest.mark.parametrize("who", ["province", "agency"])
def test_the_risk_page_shows_every_figure_without_loading_the_dataset(risk_db, monkeypatch, who):
    today = dt.date.today()
    with session_factory(risk_db)() as s:
        province_wide = analytics.case_signals(s, Scope("p", "provincial", None), today)
    # the agency: one with an approval-rate outlier, so that every table has rows
    user = ("province", "provincial", None) if who == "province" else \
        ("sup", "supervisor", province_wide["outliers"][0]["agency_id"])
    scope = Scope(*user)
    with session_factory(risk_db)() as s:
        signals = analytics.case_signals(s, scope, today)
        heat = analytics.heatmap(s, scope)
        fy = analytics.fiscal_years(s, scope)[0]
        trend = analytics.monthly_trend(s, scope, fy)
        rotation = analytics.flags_of_rule(s, scope, "1.4-rotation-due")
        repeat = analytics.flags_of_rule(s, scope, "1.4-repeat-applicant")
        recorded = analytics.analyses(s, scope)
    assert signals["processes"] and signals["outliers"] and heat and trend
    at = _open(risk_db, user, monkeypatch)
    assert len(at.get("vega_lite_chart")) == 2  # the heatmap and the trend

    # the names first, the numbers next, the agency last; an agency's own user has no column for it
    agency_column = ("agency_id",) if who == "province" else ()
    processes = _frame(at, "process_id", "cases", "deviating", "deviation_pct", "overdue", "overdue_pct", *agency_column)
    assert [(_code(r.process_id), r.cases, r.deviating, r.deviation_pct, r.overdue, r.overdue_pct)
            + ((_code(r.agency_id),) if agency_column else ()) for r in processes.itertuples()] == [
        (p["process_id"], p["cases"], p["deviating"], _pct(p["deviation_rate"]), p["overdue"],
         _pct(p["overdue_rate"])) + ((p["agency_id"],) if agency_column else ()) for p in signals["processes"]]
    assert processes["overdue"].sum() > 0 and processes["deviating"].sum() > 0

    outliers = _frame(at, "officer_id", "process_id", "approval_pct", "direction", "fence_low_pct", "fence_high_pct",
                      "decisions", "approved", "peers", "q1_pct", "q3_pct", *agency_column)
    assert [(_code(r.process_id), _code(r.officer_id), r.decisions, r.approved, r.approval_pct, r.direction, r.peers,
             r.q1_pct, r.q3_pct, r.fence_low_pct, r.fence_high_pct) for r in outliers.itertuples()] == [
        (o["process_id"], o["officer_id"], o["decisions"], o["approved"], _pct(o["approval_rate"]),
         {"high": "สูงกว่าเพื่อน", "low": "ต่ำกว่าเพื่อน"}[o["direction"]], o["peers"], _pct(o["q1"]), _pct(o["q3"]),
         _pct(o["fence_low"]), _pct(o["fence_high"])) for o in signals["outliers"]]

    rates = _frame(at, "agency", "measure", "flags", "cases", "per_100_cases")
    case_level = [h for h in heat if h["level"] == "case"]
    assert sorted((_code(r.agency), r.measure.split()[0], r.flags, r.cases, r.per_100_cases) for r in rates.itertuples()) \
        == sorted((h["agency_id"], h["measure"], h["flags"], h["cases"], h["per_100_cases"]) for h in case_level)
    counts = _frame(at, "agency", "measure", "flags")
    assert sorted((_code(r.agency), r.measure.split()[0], r.flags) for r in counts.itertuples()) \
        == sorted((h["agency_id"], h["measure"], h["flags"]) for h in heat if h["level"] == "other")

    months = _frame(at, "month", "measure", "flags")
    future = {i for i, (y, m) in enumerate(analytics.fiscal_months(fy)) if (y, m) > (today.year, today.month)}
    assert [(r.month, r.measure, r.flags) for r in months.itertuples()] == [
        (t["month"], t["measure"], t["flags"]) for t in trend if t["order"] not in future]

    for rows, names, none in ((rotation, ("officer_id", "since", "rotation_due_on", "status", *agency_column),
                               "ไม่พบเจ้าหน้าที่ที่ถึงรอบหมุนเวียน"),
                              (repeat, ("officer_id", "applicant", "decisions", "status", *agency_column),
                               "ไม่พบผู้ยื่นคำขอที่ได้รับการพิจารณาซ้ำจากเจ้าหน้าที่คนเดิมถึงเกณฑ์"),
                              (recorded, ("analysed_on", "agency_id", "ethics_committee", "participants", "risks",
                                          "rotation_plan", "rotation_considered", "controls", "notes", "recorded_by"),
                               "ยังไม่มีการวิเคราะห์ที่บันทึกไว้")):
        shown = _frame(at, *names)
        if rows:
            assert shown is not None and len(shown) == len(rows), names
        else:  # an empty table is said so, in words saying what was looked for and not found
            assert shown is None and none in [i.value for i in at.info], names
    if rotation:  # the day the rotation falls due (its evidence), never an empty column
        assert not (_frame(at, "officer_id", "since", "rotation_due_on", "status", *agency_column)["rotation_due_on"]
                    == "—").any()
    if who == "province":
        assert rotation and repeat and recorded
        assert sorted(map(_code, _frame(at, *("officer_id", "applicant", "decisions", "status", "agency_id"))
                          ["officer_id"])) == sorted(r["officer_id"] for r in repeat)
