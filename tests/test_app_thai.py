"""The app's words as a Thai official reads them (issue 19 item 2, issue 20 items 4, 12, 13), through
AppTest: people named as colleagues know them, the days off checked, the rules' numbers in words, a
run's outcome, the queue's search, the bulk form's text kept, an unknown address, no "no data" where a
search found nothing. The real browser's part (Streamlit's own box, downloads, copying, a phone) is in
tests/test_browser_thai.py."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from engine.demo.store import setup_demo
from engine.store.db import transaction
from engine.store.schema import EvaluationRun, FlagRow, OfficerRow, utcnow
from test_app import (
    ADMIN_USER,
    ALLOWED_WORDS,
    APP,
    AS_OF,
    HEAD_LAND,
    SUP,
    _first_rows,
    _screen_text,
    english_words,
    open_flag,
    show_flag,
    shown,
    table_text,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('thai')}/app.db"
    list(setup_demo(url, cases=1200, as_of=AS_OF))
    return url


@pytest.fixture
def app(store, monkeypatch):
    """``app(user)``: the app run once for ``user`` (None: logged out), in Thai, on ``store``."""
    monkeypatch.setenv("DISCRETION_DB_URL", store)
    import streamlit as st

    st.cache_data.clear()  # reads are cached per server, not per database

    def make(user: tuple[str, str, str | None] | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["app.lang"] = "th"
        if user:
            at.session_state["auth.user"] = user
        return at.run()
    return make


SUPERVISOR_NAME = "ผู้อำนวยการกลุ่มงาน สำนักงานที่ดิน"  # supervisor.land's display name (engine/demo/store.py)


def _sidebar_text(at: AppTest) -> str:
    return " ".join(shown(c.value) for c in at.sidebar.caption)


def test_the_sidebar_names_the_person_not_the_login(app):
    at = app(SUP)
    assert SUPERVISOR_NAME in _sidebar_text(at) and "supervisor.land" not in _sidebar_text(at)
    at = app(ADMIN_USER)  # a display name that is the role's own name is said once
    assert _sidebar_text(at).count("ผู้ดูแลระบบ") == 1


def test_the_runs_table_names_who_ran_it_and_says_a_partial_run_in_thai(app, store):
    at = app(ADMIN_USER)
    at.switch_page("views/upload.py").run()
    at.text_input(key="data.as_of").input("25/11/2569")
    at.button(key="data.run").click().run()
    assert not at.exception and at.success[0].value.startswith("ประมวลผลครั้งที่")
    with transaction(store) as s:  # a run that left an agency out (SPEC: partial)
        s.add(EvaluationRun(as_of=dt.date(2026, 11, 25), started_at=utcnow(), finished_at=utcnow(), status="partial",
                            triggered_by="head.land", parameters={}, kb_version="x", rules_version="x", agencies=[],
                            error="kk-transport ไม่ได้ประเมิน / not evaluated: x"))
    import streamlit as st

    st.cache_data.clear()
    at.run()
    runs = at.dataframe[-1].value
    assert "ผู้ดูแลระบบ" in set(runs["ผู้สั่ง"]) and "admin" not in set(runs["ผู้สั่ง"])
    assert "เจ้าพนักงานที่ดินจังหวัดขอนแก่น (หัวหน้าหน่วยงาน)" in set(runs["ผู้สั่ง"])
    assert "สำเร็จบางส่วน" in set(runs["ผล"]) and not {"partial", "succeeded"} & set(runs["ผล"])
    assert "ไม่พบในการประมวลผลครั้งล่าสุด" in runs.columns


def test_the_days_off_page_says_which_years_were_checked_and_who_recorded(app, store):
    at = app(ADMIN_USER)
    at.switch_page("views/days_off.py").run()
    at.number_input(key="cal.year").set_value(2569).run()
    assert [s.value for s in at.success][0].startswith("วันหยุดราชการปี 2569 ตรวจสอบกับประกาศของทางราชการแล้ว:")
    at.number_input(key="cal.year").set_value(2571).run()
    assert not at.success and shown(at.warning[0].value).startswith(
        "วันหยุดราชการปี 2571 ยังไม่ได้ตรวจสอบกับประกาศของทางราชการ")
    assert any(e.label == "ปีที่ตรวจสอบวันหยุดราชการกับประกาศของทางราชการแล้ว: 2567, 2568, 2569 (ปีอื่นยังไม่ได้ตรวจสอบ)"
               for e in at.expander)
    text = " ".join(_screen_text(at))
    assert "holidays" not in text and "ไลบรารี" not in text and not english_words(_screen_text(at), ALLOWED_WORDS)
    stored = at.dataframe[3].value  # the rounds opened: demo-setup opened one as the system
    assert list(stored["ผู้บันทึก"]) == ["ระบบ"]
    at.text_input(key="cal.add.date").input("14/12/2570")
    at.text_input(key="cal.add.name_th").input("วันหยุดพิเศษ")
    at.text_input(key="cal.add.name_en").input("Special day off")
    at.text_input(key="cal.add.source").input("มติคณะรัฐมนตรี 2 ธ.ค. 2570")
    at.button(key="cal.add.submit").click().run()
    assert not at.error, [shown(e.value) for e in at.error]
    assert list(at.dataframe[2].value["ผู้บันทึก"]) == ["ผู้ดูแลระบบ"]


def test_the_rules_page_says_every_number_in_words(app):
    at = app(SUP)
    at.switch_page("views/rules.py").run()
    assert not at.exception
    parameters = at.dataframe[0].value.set_index("รหัสค่ากำหนด")
    assert parameters.loc["review_within_days", "ค่าที่ใช้เมื่อไม่มีคำสั่งของหน่วยงาน"] == "7 วันทำการ"
    assert parameters.loc["manual_max_age_days", "ค่าที่ใช้เมื่อไม่มีคำสั่งของหน่วยงาน"] == "730 วัน"
    assert parameters.loc["acknowledgement_deadlines", "ค่าที่ใช้เมื่อไม่มีคำสั่งของหน่วยงาน"] == \
        "ปีงบประมาณ 2562: 20 มิ.ย. 2562"
    assert parameters.loc["review_within_days", "ที่มา"] == "ค่าที่ระบบตั้งไว้ (หนังสือจังหวัดไม่ได้กำหนด)"
    text = " ".join(_screen_text(at))
    assert "datetime" not in text and "2019" not in text and "(active_officer_window_days)" not in text
    assert "ตรวจเฉพาะกระบวนงานที่" in text and "ตรวจเฉพาะเจ้าหน้าที่ที่" in text
    assert "จำนวนวันนับจากพิจารณาเรื่องที่ใช้ดุลพินิจครั้งล่าสุด < 365 วัน" in text
    assert "๑๐.๒" not in text and "ตัวชี้วัดที่ 10.2" in text


def test_a_flag_says_its_parameters_with_their_units_and_its_severity_as_importance(app, store):
    with transaction(store) as s:
        flag_id = s.scalar(select(FlagRow.flag_id).where(FlagRow.agency_id == "kk-land",
                                                         FlagRow.rule_id == "1.1-unreviewed"))
    at = app(SUP)
    show_flag(at, flag_id)
    evidence = table_text(at.table[0])
    assert evidence.loc["ผู้บังคับบัญชาสอบทานผลการพิจารณาที่ใช้ดุลพินิจภายใน"].iloc[0] == "7 วันทำการ"
    assert "ระดับความสำคัญ" in shown(at.markdown[0].value) and "ความรุนแรง" not in shown(at.markdown[0].value)


def test_search_finds_a_flag_id_in_any_status_and_an_officer_by_name(app, store):
    from engine.store.review import act
    from engine.store.scope import Scope

    flag_id = open_flag(store, "kk-land")
    with transaction(store) as s:
        act(s, Scope(*HEAD_LAND), flag_id, "dismiss", reason="ชี้แจงได้")
        flag = s.get(FlagRow, flag_id)
        officer = s.get(OfficerRow, flag.officer_id).name
    at = app(SUP)
    at.text_input(key="queue.text").input(flag_id.lower()).run()  # as typed from a link, any case
    links = list(at.dataframe[0].value["ลิงก์"])
    assert links == [f"flag?id={flag_id}"] and at.multiselect(key="queue.statuses").value == []
    assert "ค้นหาในทุกสถานะ เลือกสถานะในตัวกรองด้านบนเพื่อจำกัดผลการค้นหา" in [c.value for c in at.caption]
    at.text_input(key="queue.text").input(officer).run()
    assert set(at.dataframe[0].value["เจ้าหน้าที่"]) == {f"{officer} ({flag.officer_id})"}
    at.text_input(key="queue.text").input("").run()  # the search gone: the statuses it widened come back
    assert at.multiselect(key="queue.statuses").value == ["open", "needs_info"]
    at.multiselect(key="queue.statuses").set_value(["open"]).run()  # a choice of the reader's own holds
    at.text_input(key="queue.text").input(flag_id).run()
    assert at.multiselect(key="queue.statuses").value == ["open"] and not at.dataframe
    assert at.info[0].value == "ไม่พบข้อสังเกตที่ตรงกับคำค้นหาตามเงื่อนไขที่เลือก"


def test_a_bulk_refused_whole_keeps_the_reason_typed(app, store):
    """Issue 20 item 4: every flag ticked was changed by someone else meanwhile; nothing is saved, no
    flag is left ticked, and the reason typed is in the form again when rows are ticked."""
    import streamlit as st

    from engine.store.review import act
    from engine.store.scope import Scope

    first_two = _first_rows(2)
    at = app(SUP)
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    at.text_area(key="queue.bulk.dismiss.reason").input("ตรวจเอกสารแล้วทั้งชุด มีบันทึกข้อความประกอบ")
    with transaction(store) as s:
        for flag_id in first_two:
            act(s, Scope(*HEAD_LAND), flag_id, "request_info", reason="ขอเอกสาร")
    st.cache_data.clear()
    at.button(key="queue.bulk.dismiss.submit").click().run()
    assert shown(at.error[0].value).startswith("ไม่ได้บันทึกรายการใดเลย")
    assert "queue.bulk.dismiss.reason" not in [w.key for w in at.text_area]  # nothing ticked: no form
    at.run()
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert at.text_area(key="queue.bulk.dismiss.reason").value == "ตรวจเอกสารแล้วทั้งชุด มีบันทึกข้อความประกอบ"


@pytest.mark.parametrize("user,address,title", [
    (SUP, "province", "ไม่พบหน้าที่ต้องการ"), (SUP, "xyz", "ไม่พบหน้าที่ต้องการ"),
    (SUP, "queue", "รายการข้อสังเกตที่ต้องพิจารณา"),  # the home page by its own name
    (("province", "provincial", None), "province", "ภาพรวม 33 หน่วยงาน จังหวัดขอนแก่น"),
    (("province", "provincial", None), "users", "ไม่พบหน้าที่ต้องการ"),
    (None, "xyz", "ตรวจสอบการใช้ดุลพินิจ")])  # before login: the login form
def test_an_address_no_page_answers_is_said_in_thai(store, monkeypatch, user, address, title):
    """What Streamlit does when the browser opens /{address}: st.navigation looks for the page whose
    url_path it is; none answers, and the reader sees a page in Thai (Streamlit's English box is
    the browser's part: tests/test_browser_thai.py)."""
    import functools

    import streamlit as st
    from streamlit.testing.v1 import local_script_runner

    monkeypatch.setenv("DISCRETION_DB_URL", store)
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["app.lang"] = "th"
    if user:
        at.session_state["auth.user"] = user
    # the browser opens /{address}: its first run names the page by its address (AppTest cannot say so)
    monkeypatch.setattr(local_script_runner, "RerunData",
                        functools.partial(local_script_runner.RerunData, page_name=address))
    at.run()
    assert not at.exception and at.title[0].value == title
    if title == "ไม่พบหน้าที่ต้องการ":
        assert f"ไม่มีหน้า /{address} ในระบบ" in shown(at.markdown[0].value)
    if user is None:
        assert shown(at.info[0].value) == f"ไม่พบหน้า /{address} กรุณาเข้าสู่ระบบ แล้วเลือกหน้าจากเมนูด้านข้าง"
    assert not english_words(_screen_text(at), ALLOWED_WORDS)


def test_risk_tables_fit_the_page_and_say_what_was_not_found(tmp_path, monkeypatch):
    """On a store with no flags of 1.4's rules, each empty table says what was looked for; every shown
    table's columns have widths that fit the 818 px the page has at 1280 px beside the menu."""
    import json

    import streamlit as st

    from engine.demo.store import setup_demo

    url = f"sqlite:///{tmp_path}/risk.db"
    list(setup_demo(url, cases=300, as_of=dt.date(2026, 11, 25)))
    monkeypatch.setenv("DISCRETION_DB_URL", url)
    st.cache_data.clear()
    for user in (ADMIN_USER, ("ethics.land", "ethics_committee", "kk-land")):
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["app.lang"] = "th"
        at.session_state["auth.user"] = user
        at.run()
        at.switch_page("views/risk.py").run()
        assert not at.exception
        assert "ไม่มีข้อมูล" not in [i.value for i in at.info]
        for frame in at.dataframe:
            config = json.loads(frame.proto.columns)
            order = list(frame.proto.column_order) or list(frame.value.columns)
            widths = [config.get(c, {}).get("width") for c in order if not c.startswith("_")]
            assert all(isinstance(w, int) for w in widths), (order, config)
            assert sum(widths) <= 818, (order, widths)
        help_text = " ".join(c.value for c in at.caption)
        assert "IQR" not in help_text and "ควอร์ไทล์ที่ 1 (Q1" in help_text


def test_an_agencys_flag_names_the_agency_once(app, store):
    with transaction(store) as s:
        flag_id = s.scalar(select(FlagRow.flag_id).where(FlagRow.agency_id == "kk-land",
                                                         FlagRow.subject_type == "agency"))
    at = app(SUP)
    show_flag(at, flag_id)
    assert shown(at.markdown[0].value).count("(kk-land)") == 1
