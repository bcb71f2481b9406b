"""The Streamlit app through AppTest: every page renders, every action works, scope holds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from engine.store.db import transaction
from engine.store.demo import DEMO_PASSWORD, setup_demo
from engine.store.schema import FlagEvent, FlagRow

APP = str(Path(__file__).resolve().parents[1] / "ui" / "app.py")
AS_OF = dt.date(2026, 11, 25)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('app')}/app.db"
    list(setup_demo(url, cases=800, as_of=AS_OF))
    return url


@pytest.fixture
def app(demo_db, monkeypatch):
    monkeypatch.setenv("DISCRETION_DB_URL", demo_db)

    def make(user: tuple[str, str, str | None] | None = None, lang: str = "th") -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["app.lang"] = lang
        if user:
            at.session_state["auth.user"] = user
        return at.run()
    return make


SUP = ("supervisor.land", "supervisor", "kk-land")


def open_flag(db: str, agency: str, status: str = "open") -> str:
    with transaction(db) as s:
        return s.scalar(select(FlagRow.flag_id).where(FlagRow.agency_id == agency, FlagRow.status == status,
                                                      FlagRow.subject_type == "case").order_by(FlagRow.flag_id))


def test_login(app):
    at = app()
    assert not at.exception and at.title[0].value == "ตรวจสอบการใช้ดุลพินิจ"
    at.text_input(key="login.username").input("supervisor.land")
    at.text_input(key="login.password").input("wrong-password")
    at.button[0].click().run()
    assert at.error[0].value == "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง หรือบัญชีถูกระงับ"
    at.text_input(key="login.password").input(DEMO_PASSWORD)
    at.button[0].click().run()
    assert not at.exception and at.title[0].value == "รายการข้อสังเกตที่ต้องพิจารณา"
    assert at.session_state["auth.user"] == SUP


def test_queue_shows_only_own_agency_and_filters(app):
    at = app(SUP)
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) > 0 and set(table["หน่วยงาน"]) == {"kk-land"}
    at.multiselect(key="queue.severities").select("high").run()
    assert set(at.dataframe[0].value["ระดับ"]) == {"สูง"}
    at.text_input(key="queue.text").input("no-such-text-anywhere").run()
    assert at.info[0].value == "ไม่มีข้อสังเกตตามเงื่อนไขที่เลือก"


def test_queue_in_english(app):
    at = app(SUP, lang="en")
    assert at.title[0].value == "Flags to review" and "Explanation" in at.dataframe[0].value.columns


def test_flag_detail_and_dismiss_keeps_text_on_error(app, demo_db):
    flag_id = open_flag(demo_db, "kk-land")
    at = app(SUP)
    at.session_state["flag.selected"] = flag_id
    at.switch_page("views/flag.py").run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "**ไทย** — เรื่อง" in text and "**English** — Case" in text and "มาตรการข้อ" in text
    form = f"flag.{flag_id}.dismiss"
    at.text_area(key=f"{form}.reason").input("   ")
    at.button(key=f"{form}.submit").click().run()
    assert at.error[0].value == "dismiss needs reason"
    at.text_area(key=f"{form}.reason").input("ผู้บังคับบัญชาตรวจสอบด้วยวาจาแล้ว มีบันทึกในสมุดคุมงาน")
    at.button(key=f"{form}.submit").click().run()
    assert not at.exception and not at.error
    with transaction(demo_db) as s:
        assert s.get(FlagRow, flag_id).status == "dismissed"
        event = s.scalars(select(FlagEvent).where(FlagEvent.flag_id == flag_id).order_by(FlagEvent.id.desc())).first()
        assert (event.action, event.actor, event.reason) == ("dismiss", "supervisor.land",
                                                             "ผู้บังคับบัญชาตรวจสอบด้วยวาจาแล้ว มีบันทึกในสมุดคุมงาน")
    history = at.table[-1].value
    assert "ผู้บังคับบัญชาตรวจสอบด้วยวาจาแล้ว มีบันทึกในสมุดคุมงาน" in set(history["เหตุผล"])


def test_confirm_waive_and_request_info_forms(app, demo_db):
    with transaction(demo_db) as s:
        ids = s.scalars(select(FlagRow.flag_id).where(FlagRow.agency_id == "kk-land", FlagRow.status == "open")
                        .order_by(FlagRow.flag_id).offset(1).limit(3)).all()
    at = app(SUP)
    for flag_id, action, fields in [
        (ids[0], "confirm", {"corrective_action": "ให้ตรวจสอบย้อนหลังทุกเรื่อง"}),
        (ids[1], "waive", {"reason": "อยู่ระหว่างย้ายระบบ", "approver": "หัวหน้าสำนักงาน"}),
        (ids[2], "request_info", {"reason": "ขอสำเนาคำสั่งอนุญาต"}),
    ]:
        at.session_state["flag.selected"] = flag_id
        at.switch_page("views/flag.py").run()
        for name, value in fields.items():
            widget = at.text_area if name == "reason" else at.text_input
            widget(key=f"flag.{flag_id}.{action}.{name}").input(value)
        at.button(key=f"flag.{flag_id}.{action}.submit").click().run()
        assert not at.exception and not at.error, [e.value for e in at.error]
    with transaction(demo_db) as s:
        assert [s.get(FlagRow, i).status for i in ids] == ["confirmed", "waived", "needs_info"]
        assert s.get(FlagRow, ids[0]).due_date == dt.date.today() + dt.timedelta(days=30)


def test_bulk_dismiss_from_the_queue(app, demo_db):
    from engine.store.access import Scope
    from engine.store.review import QueueFilter, queue

    with transaction(demo_db) as s:
        first_two = [r.flag_id for r in queue(s, Scope(*SUP), QueueFilter(), "severity", 1, 50)[0][:2]]
    at = app(SUP)
    assert at.multiselect(key="queue.selected.1").value == []
    at.multiselect(key="queue.selected.1").set_value(first_two).run()
    assert at.expander[-1].label == "ดำเนินการกับรายการที่เลือก (2 รายการ)"
    at.text_area(key="queue.bulk.dismiss.reason").input("ตรวจแล้วทั้งชุด")
    at.button(key="queue.bulk.dismiss.submit").click().run()
    assert not at.exception and not at.error
    with transaction(demo_db) as s:
        assert [s.get(FlagRow, i).status for i in first_two] == ["dismissed", "dismissed"]
        reasons = s.scalars(select(FlagEvent.reason).where(FlagEvent.flag_id.in_(first_two))).all()
        assert reasons.count("ตรวจแล้วทั้งชุด") == 2


def test_ethics_committee_reads_but_cannot_act(app, demo_db):
    flag_id = open_flag(demo_db, "kk-land")
    at = app(("ethics.land", "ethics_committee", "kk-land"))
    at.session_state["flag.selected"] = flag_id
    at.switch_page("views/flag.py").run()
    assert not at.exception
    assert at.info[-1].value == "สถานะนี้ไม่มีการดำเนินการที่ทำได้ หรือบทบาทของท่านอ่านได้อย่างเดียว"


def test_a_crafted_flag_id_from_another_agency_is_not_shown(app, demo_db):
    other = open_flag(demo_db, "kk-transport")
    at = app(SUP)
    at.session_state["flag.selected"] = other
    at.switch_page("views/flag.py").run()
    assert not at.exception and at.info[0].value == "ยังไม่ได้เลือกข้อสังเกต เลือกจากรายการที่ต้องพิจารณา"


def test_data_page_upload_problems_import_and_run(app, demo_db):
    at = app(("admin", "admin", None))
    at.switch_page("views/upload.py").run()
    assert not at.exception and at.title[0].value == "ข้อมูลและการประมวลผล"
    at.date_input(key="data.as_of").set_value(AS_OF)
    at.button(key="data.run").click().run()
    assert not at.exception and at.success[0].value.startswith("ประมวลผลครั้งที่")
    assert len(at.dataframe[-1].value) >= 2  # the runs table


def test_rules_page(app):
    at = app(SUP)
    at.switch_page("views/rules.py").run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "ผู้บังคับบัญชาทุกระดับชั้นต้องปฏิบัติตนเป็นแบบอย่างที่ดี" in text and "1.3-unreported-deviation" in text
    assert "ตรวจเฉพาะเรื่องที่" in text  # a rule's applies_to: what its "evaluated" counts


def _uploads(folder: Path) -> list[tuple[str, bytes, str]]:
    return [(p.name, p.read_bytes(), "text/csv") for p in sorted(folder.glob("*.csv"))]


def test_upload_shows_problems_as_a_table_and_imports_nothing(app, dataset_dir, demo_db):
    bad = dataset_dir({"cases": [{"case_id": "X1", "process_id": "P1", "officer_id": "NOBODY",
                                  "received_on": "31/2/2567", "discretion_used": "perhaps"}]})
    at = app(("admin", "admin", None))
    at.switch_page("views/upload.py").run()
    before = at.dataframe[0].value.iloc[0].to_dict()
    at.file_uploader(key="data.files").set_value(_uploads(bad)).run()
    at.button(key="data.check").click().run()
    assert not at.exception and at.error[0].value == "พบปัญหา 3 รายการ ยังไม่ได้นำเข้าข้อมูล"
    problems = at.dataframe[1].value
    assert list(problems.columns) == ["ไฟล์", "แถว", "คอลัมน์", "ค่า", "เหตุผล"]
    assert set(problems["คอลัมน์"]) == {"received_on", "discretion_used", "officer_id"}
    assert "data.import" not in [b.key for b in at.button]
    assert at.dataframe[0].value.iloc[0].to_dict() == before


def test_upload_valid_dataset_then_import(app, dataset_dir):
    good = dataset_dir()
    at = app(("admin", "admin", None))
    at.switch_page("views/upload.py").run()
    cases_before = int(at.dataframe[0].value.iloc[0]["จำนวนเรื่อง"])
    at.file_uploader(key="data.files").set_value(_uploads(good)).run()
    at.button(key="data.check").click().run()
    assert at.success[0].value.startswith("ไฟล์ถูกต้อง: agencies 1, processes 2, officers 6, cases 1")
    at.button(key="data.import").click().run()
    assert not at.exception and at.success[-1].value.startswith("นำเข้าแล้ว (ครั้งที่")
    at.run()
    assert int(at.dataframe[0].value.iloc[0]["จำนวนเรื่อง"]) == cases_before + 1


def test_a_supervisor_cannot_import_another_agency(app, dataset_dir):
    at = app(SUP)
    at.switch_page("views/upload.py").run()
    at.file_uploader(key="data.files").set_value(_uploads(dataset_dir(name="other"))).run()
    at.button(key="data.check").click().run()
    at.button(key="data.import").click().run()
    assert "may import data of agency kk-land only" in at.error[0].value


def test_resolve_then_reopen_from_the_flag_page(app, demo_db):
    from engine.store.access import Scope
    from engine.store.review import act

    flag_id = open_flag(demo_db, "kk-land")
    with transaction(demo_db) as s:
        act(s, Scope(*SUP), flag_id, "confirm", corrective_action="แก้ไขคู่มือ", due_date=dt.date.today())
    at = app(SUP)
    at.session_state["flag.selected"] = flag_id
    at.switch_page("views/flag.py").run()
    assert at.warning[0].value.startswith("การแก้ไข: แก้ไขคู่มือ")
    at.text_area(key=f"flag.{flag_id}.resolve.reason").input("แก้ไขคู่มือและอบรมแล้ว")
    at.button(key=f"flag.{flag_id}.resolve.submit").click().run()
    at.text_area(key=f"flag.{flag_id}.reopen.reason").input("พบเรื่องซ้ำ")
    at.button(key=f"flag.{flag_id}.reopen.submit").click().run()
    assert not at.exception and not at.error
    with transaction(demo_db) as s:
        actions = s.scalars(select(FlagEvent.action).where(FlagEvent.flag_id == flag_id).order_by(FlagEvent.id)).all()
        assert actions[-3:] == ["confirm", "resolve", "reopen"] and s.get(FlagRow, flag_id).status == "open"


HEAD_LAND = ("head.land", "agency_head", "kk-land")


def test_risk_page_renders_signals_and_records_an_analysis(app, demo_db):
    at = app(("ethics.land", "ethics_committee", "kk-land"))
    at.switch_page("views/risk.py").run()
    assert not at.exception and at.title[0].value == "วิเคราะห์ความเสี่ยงการใช้ดุลพินิจ (มาตรการข้อ 1.4)"
    assert len(at.get("vega_lite_chart")) == 2  # the heatmap and the fiscal-year trend
    assert [b.label for b in at.get("download_button")][:2] == ["CSV", "Excel"]
    at.text_area(key="risk.participants").input("หัวหน้าสำนักงาน คณะกรรมการจริยธรรม 5 คน")
    at.text_area(key="risk.risks").input("การรังวัดล่าช้าซ้ำในบางตำบล")
    at.text_area(key="risk.rotation_plan").input("หมุนเวียนช่างรังวัดทุก 2 ปี")
    at.button(key="risk.submit").click().run()
    assert not at.exception and at.success[0].value == "บันทึกการวิเคราะห์แล้ว"
    from engine.store.schema import RiskAnalysisRow
    with transaction(demo_db) as s:
        row = s.scalars(select(RiskAnalysisRow).where(RiskAnalysisRow.source == "app")).one()
        assert (row.agency_id, row.recorded_by, row.rotation_considered) == ("kk-land", "ethics.land", True)


def test_self_assessment_page_edit_submit_and_lock(app, demo_db):
    at = app(("admin", "admin", None))
    at.switch_page("views/assessment.py").run()
    at.button(key="assess.create").click().run()
    assert not at.exception
    at = app(HEAD_LAND)
    at.switch_page("views/assessment.py").run()
    assert not at.exception and at.metric[0].label == "คะแนน"
    forms = sorted({w.key.rsplit(".", 1)[0] for w in at.selectbox if w.key and w.key.startswith("assess.") and
                    w.key.endswith(".status")})
    key = next(k for k in forms if k.endswith(".1.7"))
    at.selectbox(key=f"{key}.status").set_value("non_compliant")
    at.text_area(key=f"{key}.reason").input("")
    at.button(key=f"{key}.save").click().run()
    assert at.error and "needs a reason" in at.error[0].value
    proposed = at.selectbox(key=f"{key}.status").value
    at.text_area(key=f"{key}.reason").input("ยังไม่มีระบบสารสนเทศในงานอนุญาตบางประเภท")
    at.button(key=f"{key}.save").click().run()
    assert not at.exception and not at.error, proposed
    at.button(key="assess.submit").click().run()
    assert not at.exception and at.success[0].value.startswith("ส่งแล้วเมื่อ")
    assert not [b for b in at.button if b.key and b.key.endswith(".save")]  # locked: no forms


def test_reports_page_offers_both_documents(app):
    at = app(HEAD_LAND)
    at.switch_page("views/reports.py").run()
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["PDF", "Excel", "PDF", "Excel"]


def test_province_overview_lists_all_33_agencies(app):
    at = app(("province", "provincial", None))
    assert not at.exception and at.title[0].value == "ภาพรวม 33 หน่วยงาน จังหวัดขอนแก่น"
    from engine.kb import load_agencies

    shown = set(at.dataframe[0].value["id"])
    assert {a.id for a in load_agencies()} <= shown  # every agency of the letter's annex (others may be added)
    assert sum(int(m.value) for m in at.metric) == len(shown)


@pytest.mark.parametrize("user", [("admin", "admin", None), ("province", "provincial", None),
                                  ("head.x", "agency_head", "kk-land"), ("ethics.x", "ethics_committee", "kk-land")])
def test_every_page_renders_on_an_empty_database(tmp_path, monkeypatch, user):
    monkeypatch.setenv("DISCRETION_DB_URL", f"sqlite:///{tmp_path}/empty.db")
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["auth.user"] = user
    at.run()
    assert not at.exception
    pages = ["views/queue.py", "views/flag.py", "views/risk.py", "views/assessment.py", "views/reports.py",
             "views/upload.py", "views/rules.py"] + (["views/dashboard.py"] if user[2] is None else [])
    for page in pages:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)


def test_login_is_refused_after_repeated_failures(app):
    at = app()
    at.text_input(key="login.username").input("supervisor.transport")
    for i in range(5):
        at.text_input(key="login.password").input(f"wrong-{i}")
        at.button[0].click().run()
        assert at.error[0].value == "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง หรือบัญชีถูกระงับ"
    at.text_input(key="login.password").input(DEMO_PASSWORD)
    at.button[0].click().run()
    assert at.error[0].value == "เข้าสู่ระบบผิดหลายครั้งเกินไป กรุณาลองใหม่ในอีก 15 นาที"
    assert "auth.user" not in at.session_state


ADMIN_USER = ("admin", "admin", None)


def test_days_off_page_admin_records_a_day_off_and_opens_a_round(app, demo_db):
    from engine.demo import DEMO_ROUND_SOURCE
    from engine.store.schema import AcknowledgementRoundRow, CalendarEntryRow

    at = app(ADMIN_USER)
    at.switch_page("views/days_off.py").run()
    assert not at.exception and at.title[0].value == "วันหยุดราชการและรอบการรายงาน"
    at.number_input(key="cal.year").set_value(2568).run()
    days = at.dataframe[0].value
    ploughing = days[days["วันที่"] == "9 พ.ค. 2568"].iloc[0]  # from the government calendar, read-only
    assert "พืชมงคล" in ploughing["ชื่อ"] and ploughing["มาจาก"] == "ปฏิทินวันหยุดราชการ (อ่านอย่างเดียว)"
    assert ploughing["ที่มา"].startswith("ปฏิทินวันหยุดราชการ (ไลบรารี holidays")
    assert at.info[0].value == "ยังไม่มีรายการ"  # no entry recorded yet: days off, then the rounds
    rounds_kb, rounds_stored = at.dataframe[1].value, at.dataframe[2].value
    assert rounds_kb.iloc[0]["ที่มา"].startswith("หนังสือจังหวัด แนวทางข้อ ๒.๓")  # the KB's 2562 round
    assert list(rounds_stored["ที่มา"]) == [DEMO_ROUND_SOURCE]  # demo-setup opened the demo's round

    at.date_input(key="cal.add.date").set_value(dt.date(2027, 12, 13))
    at.text_input(key="cal.add.name_th").input("วันหยุดพิเศษ (ทดสอบ)")
    at.text_input(key="cal.add.name_en").input("Special day off (test)")
    at.button(key="cal.add.submit").click().run()
    assert at.error and "source" in at.error[0].value  # no source: nothing stored, the entries stay
    assert at.text_input(key="cal.add.name_th").value == "วันหยุดพิเศษ (ทดสอบ)"
    at.text_input(key="cal.add.source").input("มติคณะรัฐมนตรี 1 ธ.ค. 2570")
    at.button(key="cal.add.submit").click().run()
    assert not at.exception and not at.error
    assert at.success[0].value == "บันทึกแล้ว การประมวลผลครั้งต่อไปจะใช้ปฏิทินนี้"
    assert list(at.dataframe[1].value["ที่มา"]) == ["มติคณะรัฐมนตรี 1 ธ.ค. 2570"]

    at.number_input(key="cal.round.fy").set_value(2572)
    at.date_input(key="cal.round.deadline").set_value(dt.date(2027, 12, 15))
    at.text_input(key="cal.round.source").input("ที่ ขก 0017.3/ว 999")
    at.button(key="cal.round.submit").click().run()
    assert at.error and "fiscal year 2571, not 2572" in at.error[0].value
    at.number_input(key="cal.round.fy").set_value(2571)
    at.button(key="cal.round.submit").click().run()
    assert not at.exception and not at.error and at.success[0].value.startswith("เปิดรอบปีงบประมาณ 2571 แล้ว")
    with transaction(demo_db) as s:
        entry = s.scalars(select(CalendarEntryRow)).one()
        assert (entry.date, entry.kind, entry.actor) == (dt.date(2027, 12, 13), "add", "admin")
        stored = s.scalars(select(AcknowledgementRoundRow).order_by(AcknowledgementRoundRow.id)).all()
        assert [(r.fiscal_year, r.deadline, r.actor) for r in stored][-1] == (2571, dt.date(2027, 12, 15), "admin")


def test_days_off_page_is_read_only_for_everyone_else(app):
    at = app(SUP)
    at.switch_page("views/days_off.py").run()
    assert not at.exception and at.title[0].value == "วันหยุดราชการและรอบการรายงาน"
    assert at.info[0].value == "เฉพาะผู้ดูแลระบบที่บันทึกได้ ท่านดูได้อย่างเดียว"
    assert not [b for b in at.button if b.key and b.key.startswith("cal.")]  # no forms
    assert len(at.dataframe) >= 3  # the days off and the rounds are there to read


def test_self_assessment_page_shows_not_assessed_no_data(tmp_path, dataset_dir, monkeypatch):
    """The base dataset at 2024-04-20: no acknowledgement round is open, so 2.1–2.3 are not assessed."""
    from engine.loader import load_dataset
    from engine.store import assessment as sa
    from engine.store.access import SYSTEM, add_user
    from engine.store.data import import_dataset
    from engine.store.db import session_factory, upgrade
    from engine.store.runs import run_evaluation

    url = f"sqlite:///{tmp_path}/nodata.db"
    upgrade(url)
    with transaction(url) as s:
        import_dataset(s, SYSTEM, load_dataset(dataset_dir()), "fixture")
        add_user(s, SYSTEM, "head.a1", DEMO_PASSWORD, "agency_head", "A1", "หัวหน้า")
    run_evaluation(session_factory(url), SYSTEM, dt.date(2024, 4, 20))
    with transaction(url) as s:
        sa.create_campaign(s, SYSTEM, 2567, dt.date(2024, 9, 30))
    monkeypatch.setenv("DISCRETION_DB_URL", url)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["auth.user"] = ("head.a1", "agency_head", "A1")
    at.run()
    at.switch_page("views/assessment.py").run()
    assert not at.exception
    summary = at.dataframe[0].value.set_index("ข้อ")
    assert list(summary.loc[["2.1", "2.2", "2.3"], "ผลการประเมิน"]) == ["ยังไม่ได้ประเมิน — ไม่มีข้อมูล"] * 3
    assert summary.loc["1.1", "ผลการประเมิน"] == "เป็นไปตามมาตรการ"
    assert at.metric[0].value == "100.0"  # the no-data items are left out of the score
    assert "ไม่นับรวมในคะแนน" in at.caption[0].value
