"""Ethics committee analysis, self-assessment, reports and exports."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import select, text

from engine.domain.calendar import fiscal_year
from engine.domain.errors import UsageError
from engine.ingest.loader import load_dataset
from engine.outputs.tables import to_csv, to_xlsx
from engine.store import analytics
from engine.store import assessment as sa
from engine.store.data import import_dataset
from engine.store.db import session_factory, transaction
from engine.store.runs import run_evaluation
from engine.store.schema import AssessmentEvent, FlagRow
from engine.store.scope import SYSTEM, NotFound, PermissionDenied, Scope

HEAD = Scope("head.a1", "agency_head", "A1")
ETHICS = Scope("ethics.a1", "ethics_committee", "A1")
SUP = Scope("sup.a1", "supervisor", "A1")


def test_iqr_fence_against_a_hand_computed_example():
    # sorted: 0.50 0.60 0.62 0.65 0.70 0.95; inclusive quartiles at positions 1.25 and 3.75
    fence = analytics.iqr_fence([0.70, 0.50, 0.95, 0.62, 0.60, 0.65])
    assert fence.q1 == pytest.approx(0.605)        # 0.60 + 0.25 × (0.62 − 0.60)
    assert fence.q3 == pytest.approx(0.6875)       # 0.65 + 0.75 × (0.70 − 0.65)
    assert fence.low == pytest.approx(0.48125)     # 0.605 − 1.5 × 0.0825
    assert fence.high == pytest.approx(0.81125)    # 0.6875 + 1.5 × 0.0825


def test_fiscal_year_starts_in_october_with_buddhist_era_labels():
    assert fiscal_year(dt.date(2025, 9, 30)) == 2568
    assert fiscal_year(dt.date(2025, 10, 1)) == 2569
    months = analytics.fiscal_months(2569)
    assert months[0] == (2025, 10) and months[-1] == (2026, 9)
    assert analytics.month_label(*months[0]) == "ต.ค. 68" and analytics.month_label(*months[-1]) == "ก.ย. 69"


def _rules(url: str) -> set[str]:
    with transaction(url) as s:
        return {r for r in s.scalars(select(FlagRow.rule_id).where(FlagRow.status == "open"))}


def test_a_recorded_analysis_satisfies_rule_1_4_and_survives_reimport(agency_db, dataset_dir):
    assert "1.4-no-risk-analysis" in _rules(agency_db)
    with transaction(agency_db) as s:
        with pytest.raises(UsageError, match="names its participants and the risks found"):
            analytics.record_analysis(s, ETHICS, "A1", dt.date(2024, 4, 1), True, "  ", "x", None, None)
        with pytest.raises(PermissionDenied):
            analytics.record_analysis(s, SUP, "A1", dt.date(2024, 4, 1), True, "a", "b", None, None)
        analytics.record_analysis(s, ETHICS, "A1", dt.date(2024, 4, 1), True, "หัวหน้า, คณะกรรมการจริยธรรม 5 คน",
                                  "อนุญาตล่าช้าในช่วงสงกรานต์", "หมุนเวียนงานอนุญาตทุก 2 ปี", "สุ่มตรวจรายเดือน")
    run_evaluation(session_factory(agency_db), SYSTEM, dt.date(2024, 4, 20))
    assert "1.4-no-risk-analysis" not in _rules(agency_db)
    ds = load_dataset(dataset_dir({"risk_analyses": []}, replace=["risk_analyses"], name="again"))
    with transaction(agency_db) as s:
        import_dataset(s, SYSTEM, ds, "again")
        assert [a["participants"] for a in analytics.analyses(s, ETHICS)] == ["หัวหน้า, คณะกรรมการจริยธรรม 5 คน"]


def test_self_assessment_proposes_overrides_with_reason_and_locks_on_submit(agency_db):
    with transaction(agency_db) as s:
        campaign = sa.create_campaign(s, SYSTEM, 2567, dt.date(2024, 9, 30))
        a = sa.assessment(s, HEAD, campaign.id, "A1")
        items = {i.measure_id: i for i in sa.items(s, HEAD, a.id)}
        assert list(items) == ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "2.1", "2.2", "2.3"]
        assert items["1.4"].proposed_status == "partial"          # 1.4-no-risk-analysis is medium
        assert items["1.1"].proposed_status == "compliant"
        with pytest.raises(UsageError, match="1.4: changing the proposed status \\(partial\\) needs a reason"):
            sa.update_item(s, HEAD, items["1.4"].id, "compliant")
        sa.update_item(s, HEAD, items["1.4"].id, "compliant", override_reason="วิเคราะห์แล้วเมื่อ 1 เม.ย. 2567",
                       evidence_url="https://a1.example.go.th/risk-2567",
                       evidence_file=("บันทึก.pdf", b"%PDF-1.4 minutes\n%%EOF\n"))
        sa.update_item(s, HEAD, items["1.7"].id, "non_compliant", override_reason="ยังไม่มีระบบ",
                       evidence_note="อยู่ระหว่างจัดซื้อ")
        # no acknowledgement round is open at 2024-04-20 (the KB has only 2562's): 2.1–2.3 are
        # not assessed — no data, and left out of the score with not-applicable items
        assert [items[m].proposed_status for m in ("2.1", "2.2", "2.3")] == ["no_data"] * 3
        expected = round(100 * 7 / 8, 1)  # seven compliant, one non-compliant, three no data
        assert sa.score(sa.items(s, HEAD, a.id)) == expected
        with pytest.raises(PermissionDenied, match="only the head"):
            sa.submit(s, SUP, a.id)
        sa.submit(s, HEAD, a.id)
        assert (a.status, a.score, a.submitted_by) == ("submitted", expected, "head.a1")
        with pytest.raises(UsageError, match="submitted and is locked"):
            sa.update_item(s, HEAD, items["1.1"].id, "compliant")
        actions = [e.action for e in s.scalars(select(AssessmentEvent).where(AssessmentEvent.assessment_id == a.id)
                                              .order_by(AssessmentEvent.id))]
        assert actions == ["created", "item_updated", "item_updated", "submitted"]
    with pytest.raises(Exception, match="append-only"):
        with transaction(agency_db) as s:
            s.execute(text("DELETE FROM assessment_events"))


def test_another_agency_cannot_open_or_edit_the_assessment(agency_db):
    with transaction(agency_db) as s:
        campaign = sa.create_campaign(s, SYSTEM, 2567, dt.date(2024, 9, 30))
        a = sa.assessment(s, HEAD, campaign.id, "A1")
        item = sa.items(s, HEAD, a.id)[0]
        other = Scope("head.b2", "agency_head", "B2")
        with pytest.raises(NotFound):
            sa.assessment(s, other, campaign.id, "A1")
        with pytest.raises(NotFound):
            sa.update_item(s, other, item.id, "compliant")


def test_exports_neutralise_formulas_and_round_trip_thai():
    rows = [["=HYPERLINK(\"http://x\")", "ข้อความไทย", 5], ["+1", "-2", dt.date(2024, 4, 20)]]
    csv_text = to_csv(["a", "b", "c"], rows).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "'+1" in csv_text and "'-2" in csv_text and "ข้อความไทย" in csv_text
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx({"ตาราง": (["a", "b", "c"], rows)})))
    sheet = book["ตาราง"]
    assert sheet["A2"].value == "'=HYPERLINK(\"http://x\")" and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == "ข้อความไทย" and sheet["C2"].value == 5


def test_evidence_file_is_kept_and_only_its_agency_reads_it(agency_db):
    with transaction(agency_db) as s:
        campaign = sa.create_campaign(s, SYSTEM, 2567, dt.date(2024, 9, 30))
        item = sa.items(s, HEAD, sa.assessment(s, HEAD, campaign.id, "A1").id)[0]
        sa.update_item(s, HEAD, item.id, item.proposed_status, evidence_file=("คำสั่ง.pdf", b"%PDF-1.4 order\n%%EOF\n"))
    with transaction(agency_db) as s:
        assert sa.evidence_file(s, HEAD, item.id) == ("คำสั่ง.pdf", b"%PDF-1.4 order\n%%EOF\n")
        with pytest.raises(NotFound):
            sa.evidence_file(s, Scope("x", "agency_head", "B2"), item.id)


def test_the_monthly_trend_counts_each_flag_once_in_its_fiscal_month(db_url, tmp_path):
    """Per month of the fiscal year (October first) and measure, the flags whose event date falls
    in it, but those cleared by data: counted here flag by flag, for the province and for one
    agency, the fiscal year's first and last days included."""
    from collections import Counter

    from engine.demo.generate import generate

    as_of = dt.date(2025, 6, 30)
    generate(tmp_path / "demo", cases=1500, seed=4, as_of=as_of)
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, load_dataset(tmp_path / "demo"), "demo")
    run_evaluation(session_factory(db_url), SYSTEM, as_of)
    with transaction(db_url) as s:
        flags = s.execute(select(FlagRow.flag_id, FlagRow.agency_id, FlagRow.event_date, FlagRow.measure)
                          .where(FlagRow.event_date.is_not(None))).all()
        # the fiscal year's edges and a flag the data cleared, so that each bound is tested
        edge, inside, cleared = flags[0], flags[1], flags[2]
        for flag, day in ((edge, dt.date(2024, 10, 1)), (inside, dt.date(2025, 9, 30))):
            s.execute(FlagRow.__table__.update().where(FlagRow.flag_id == flag.flag_id).values(event_date=day))
        s.execute(FlagRow.__table__.update().where(FlagRow.flag_id == cleared.flag_id)
                  .values(status="cleared_by_data", event_date=dt.date(2025, 1, 15)))
        flags = s.execute(select(FlagRow.agency_id, FlagRow.event_date, FlagRow.measure)
                          .where(FlagRow.event_date.is_not(None), FlagRow.status != "cleared_by_data")).all()
    busiest = Counter(f.agency_id for f in flags).most_common(1)[0][0]
    for scope, agency in ((Scope("p", "provincial", None), None), (Scope("s", "supervisor", busiest), busiest)):
        expected = Counter((analytics.month_label(f.event_date.year, f.event_date.month), f.measure) for f in flags
                           if dt.date(2024, 10, 1) <= f.event_date <= dt.date(2025, 9, 30)
                           and agency in (None, f.agency_id))
        with transaction(db_url) as s:
            trend = analytics.monthly_trend(s, scope, 2568)
        got = Counter({(r["month"], r["measure"]): r["flags"] for r in trend if r["flags"]})
        assert got == expected and sum(got.values()) > 10
        assert [r["month"] for r in trend][0] == "ต.ค. 67" and trend[-1]["month"] == "ก.ย. 68"
        assert got[("ต.ค. 67", edge.measure)] >= 1 or agency not in (None, edge.agency_id)
