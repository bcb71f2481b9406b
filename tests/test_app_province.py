"""Issue 20 items 6–8 in the app: the province's overview per round (worst first, coloured, every
name whole), rounds with their letters, campaigns corrected by later entries, dates outside the
data's years refused in Thai, and every screen naming the year's ITA item (O48 for 2562 only)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from test_app import ADMIN_USER, app, demo_db, shown  # noqa: F401  (fixtures)

from engine.store import assessment as sa
from engine.store.db import transaction
from engine.store.reports import ACK_STATE_NAMES, ACK_STATES
from engine.store.schema import AcknowledgementRow, AgencyRow, Campaign
from engine.store.scope import SYSTEM

PROVINCE = ("province", "provincial", None)
ROUND_2570 = dt.date(2026, 10, 11)  # the demo's round: 45 days before its as_of, 25 Nov 2569
STATE_BY_NAME = {v[0]: k for k, v in ACK_STATE_NAMES.items()}


def _expected(url: str, fiscal_year: int, deadline: dt.date) -> dict[str, int]:
    """The counts straight from the acknowledgement rows of that year (SPEC: an empty fiscal_year is 2562)."""
    first: dict[str, dt.date | None] = {}
    with transaction(url) as s:
        agencies = set(s.scalars(select(AgencyRow.agency_id)))
        for agency, day, year in s.execute(select(AcknowledgementRow.agency_id, AcknowledgementRow.reported_on,
                                                  AcknowledgementRow.fiscal_year)):
            if (year or 2562) == fiscal_year and day and (agency not in first or day < first[agency]):
                first[agency] = day
    on_time = sum(1 for d in first.values() if d <= deadline)
    return {"on_time": on_time, "late": len(first) - on_time, "overdue": len(agencies) - len(first), "due": 0}


def test_the_province_overview_counts_each_round_against_its_own_deadline(app, demo_db):  # noqa: F811
    at = app(PROVINCE)
    assert not at.exception and at.selectbox(key="dash.fy").value == 2570  # the current round
    for fy, deadline in ((2570, ROUND_2570), (2562, dt.date(2019, 6, 20))):
        at.selectbox(key="dash.fy").set_value(fy).run()
        assert not at.exception
        metrics = {STATE_BY_NAME[m.label]: int(m.value) for m in at.metric}
        assert metrics == _expected(demo_db, fy, deadline), fy
        table = at.dataframe[0].value
        states = [STATE_BY_NAME[v] for v in table["รายงานการรับทราบ (2.3)"]]
        assert [ACK_STATES.index(s_) for s_ in states] == sorted(ACK_STATES.index(s_) for s_ in states)  # worst first
        late = [int(d) for d, s_ in zip(table["ช้า (วัน)"], states) if s_ == "late"]
        assert late == sorted(late, reverse=True)  # the latest first among the late
        assert len(table) == 33
        colours = str(at.dataframe[0].proto)  # the state's cell coloured: on time green, past the deadline red
        assert "#abebc6" in colours and ("#f5b7b1" in colours) == (metrics["overdue"] > 0)
    counts_2562 = metrics
    assert counts_2562 != _expected(demo_db, 2570, ROUND_2570)  # not the same counts for every year
    with transaction(demo_db) as s:  # a year with a campaign and no round: said so, nothing counted
        if not s.scalar(select(Campaign).where(Campaign.fiscal_year == 2569)):
            sa.create_campaign(s, SYSTEM, 2569, dt.date(2026, 9, 30))
    import streamlit as st

    st.cache_data.clear()  # written past the app: its reads are read again
    at = app(PROVINCE)
    at.selectbox(key="dash.fy").set_value(2569).run()
    assert not at.exception and not at.metric
    assert at.warning[0].value.startswith("ยังไม่ได้เปิดรอบการรายงานของปีงบประมาณ 2569")
    assert set(at.dataframe[0].value["รายงานการรับทราบ (2.3)"]) == {"ยังไม่ได้เปิดรอบการรายงาน"}


def test_every_agency_name_is_whole_in_the_chart(app):  # noqa: F811
    at = app(PROVINCE)
    import json

    chart = at.get("arrow_vega_lite_chart")[0] if at.get("arrow_vega_lite_chart") else at.get("vega_lite_chart")[0]
    y = json.loads(chart.proto.spec)["encoding"]["y"]
    assert y["field"] == "agency" and y["axis"]["labelLimit"] == 0  # names read across, none cut short
    assert json.loads(chart.proto.spec)["height"] >= 24 * 33  # a line for each of the 33


def test_a_typed_year_out_of_range_is_refused_and_a_campaign_is_corrected_by_a_later_entry(app, demo_db):  # noqa: F811
    at = app(ADMIN_USER)
    at.switch_page("views/assessment.py").run()
    at.number_input(key="assess.new_fy").set_value(2571)
    at.text_input(key="assess.new_due").input("1/1/2643")  # a slip of the keyboard (2643 for 2571)
    at.button(key="assess.create").click().run()
    assert not at.exception and "กำหนดส่ง 1 ม.ค. 2643 อยู่นอกช่วงที่รับได้" in shown(at.error[0].value)
    with transaction(demo_db) as s:
        assert s.scalar(select(Campaign).where(Campaign.fiscal_year == 2571)) is None  # nothing stored
    at.text_input(key="assess.new_due").input("1/1/2571")
    at.button(key="assess.create").click().run()
    assert not at.exception and not at.error
    with transaction(demo_db) as s:
        campaign = s.scalar(select(Campaign).where(Campaign.fiscal_year == 2571))
    at.selectbox(key="assess.campaign").select_index(0).run()  # newest first: 2571
    at.text_input(key=f"assess.fix_due.{campaign.id}").input("30/9/2643")
    at.text_input(key=f"assess.fix_reason.{campaign.id}").input("พิมพ์ปีผิด")
    at.button(key="assess.fix").click().run()
    assert "อยู่นอกช่วงที่รับได้" in shown(at.error[0].value)
    at.text_input(key=f"assess.fix_due.{campaign.id}").input("30/9/2571")
    at.button(key="assess.fix").click().run()
    assert not at.exception and not at.error
    assert at.success[0].value.startswith("แก้ไขกำหนดส่งของรอบปีงบประมาณ 2571 เป็น 30 ก.ย. 2571 แล้ว")
    history = [d for d in at.dataframe if "ประวัติ" in str(d.value.columns) or "กำหนดส่ง" in d.value.columns][0].value
    assert list(history["กำหนดส่ง"]) == ["1 ม.ค. 2571", "30 ก.ย. 2571"] and list(history["เหตุผล"]) == ["", "พิมพ์ปีผิด"]
    with transaction(demo_db) as s:
        assert s.get(Campaign, campaign.id).due_date == dt.date(2028, 9, 30)


def _texts(at) -> str:
    parts = [e.value for kind in ("title", "subheader", "caption", "markdown", "info", "warning", "success")
             for e in getattr(at, kind)]
    return " ".join(str(p) for p in parts)


def test_every_screen_names_the_years_ita_item_and_o48_only_for_2562(app):  # noqa: F811
    at = app(ADMIN_USER)
    for page in ("views/dashboard.py", "views/reports.py", "views/assessment.py"):
        at.switch_page(page).run()
        assert not at.exception and "O48" not in _texts(at), page
    at.switch_page("views/reports.py").run()
    assert "ข้อการประเมิน ITA ปีงบประมาณ 2570: ยังไม่ได้กำหนด" in _texts(at)
    at.selectbox(key="reports.ack_fy").set_value(2562).run()
    assert "ITA ปีงบประมาณ 2562 ข้อ O48 (ตัวชี้วัดที่ 10.2)" in _texts(at)
    at.switch_page("views/days_off.py").run()  # the administrator maps 2570
    at.number_input(key="ita.add.fy").set_value(2570)
    at.text_input(key="ita.add.items").input("O40, O41")
    at.button(key="ita.add.submit").click().run()
    assert "ต้องระบุที่มา" in shown(at.error[0].value)  # no source: nothing stored
    at.text_input(key="ita.add.source").input("คู่มือการประเมิน ITA ประจำปีงบประมาณ พ.ศ. 2570 (ทดสอบ)")
    at.button(key="ita.add.submit").click().run()
    assert not at.exception and not at.error and at.success[0].value == "บันทึกข้อการประเมิน ITA ของปีงบประมาณ 2570 แล้ว"
    mapped = at.dataframe[-2].value if len(at.dataframe) > 1 else at.dataframe[0].value
    assert "O40, O41" in set(mapped["ข้อการประเมิน"])
    for page in ("views/dashboard.py", "views/reports.py"):
        at.switch_page(page).run()
        assert "ITA ปีงบประมาณ 2570 ข้อ O40, O41" in _texts(at) and "O48" not in _texts(at), page
    at = app()  # the login page: no item named for every year
    assert "O48" not in _texts(at)
