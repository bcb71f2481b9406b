"""The Streamlit app through AppTest: every page renders, every action works, scope holds."""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from engine.demo.store import DEMO_PASSWORD, setup_demo
from engine.domain.thai import format_date
from engine.store.db import transaction
from engine.store.schema import FlagEvent, FlagRow
from markup import LINES, MARKUP, mark_up

USERS_PAGE_MERGED = hasattr(__import__("engine.store.access", fromlist=["list_users"]), "list_users")
APP = str(Path(__file__).resolve().parents[1] / "ui" / "app.py")
sys.path.insert(0, str(Path(APP).parent))  # the app's own modules (auth, appdata), for tests of their functions
AS_OF = dt.date(2026, 11, 25)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('app')}/app.db"
    list(setup_demo(url, cases=1200, as_of=AS_OF))  # open case flags enough for every test that decides one
    return url


@pytest.fixture
def app(demo_db, monkeypatch):
    monkeypatch.setenv("DISCRETION_DB_URL", demo_db)
    import streamlit as st

    st.cache_data.clear()  # reads are cached per server, not per database: another test may have used another one

    def make(user: tuple[str, str, str | None] | None = None, lang: str = "th") -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["app.lang"] = lang
        if user:
            at.session_state["auth.user"] = user
        return at.run()
    return make


SUP = ("supervisor.land", "supervisor", "kk-land")


def shown(markdown: str) -> str:
    """What a person reads of Markdown that quotes data through ``present.plain``: its escapes,
    hard line breaks and invisible word joiners undone."""
    return re.sub(r"\\([!-/:-@\[-`{-~\n])", r"\1", str(markdown).replace("\u2060", ""))


def table_text(element):
    """An ``st.table`` as a person reads it (its cells are Markdown made by ``present.plain``)."""
    frame = element.value.map(shown)
    frame.index = [shown(i) for i in frame.index]
    frame.columns = [shown(c) for c in frame.columns]
    return frame


def open_flag(db: str, agency: str, status: str = "open") -> str:
    with transaction(db) as s:
        return s.scalar(select(FlagRow.flag_id).where(FlagRow.agency_id == agency, FlagRow.status == status,
                                                      FlagRow.subject_type == "case").order_by(FlagRow.flag_id))


def show_flag(at: AppTest, flag_id: str) -> AppTest:
    """Open a flag as the queue and a shared link do: /flag?id=F…"""
    at.query_params["id"] = flag_id
    return at.switch_page("views/flag.py").run()


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
    assert at.session_state["auth.issued"] > 0  # the signed cookie's time of issue, checked on every click


def test_queue_shows_only_own_agency_and_filters(app):
    at = app(SUP)
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) > 0 and set(table["หน่วยงาน"]) == {"สำนักงานที่ดินจังหวัดขอนแก่น (kk-land)"}
    assert all(link.startswith("flag?id=F") for link in table["ลิงก์"])  # relative: works under a sub-path
    # rule titles and officer names beside their codes
    assert all(re.fullmatch(r".+ \([12]\.\d-[a-z-]+\)", rule) for rule in table["เกณฑ์การตรวจสอบ"]), set(table["เกณฑ์การตรวจสอบ"])
    assert all(o == "" or re.fullmatch(r".+ \(OF\d+\)", o) for o in table["เจ้าหน้าที่"])
    at.multiselect(key="queue.severities").select("high").run()
    assert set(at.dataframe[0].value["ระดับ"]) == {"สูง"}
    at.text_input(key="queue.text").input("no-such-text-anywhere").run()
    assert at.info[0].value == "ไม่พบข้อสังเกตที่ตรงกับคำค้นหาตามเงื่อนไขที่เลือก"


def _shown_date(text: str) -> dt.date:
    """Back from the screen's ``1 ต.ค. 2569`` to a date."""
    from engine.domain.thai import MONTHS_TH_ABBR

    day, month, year = text.split()
    return dt.date(int(year) - 543, MONTHS_TH_ABBR.index(month) + 1, int(day))


def test_queue_date_filter_reads_a_buddhist_era_year(app, demo_db):
    with transaction(demo_db) as s:
        days = sorted(d for d in s.scalars(select(FlagRow.event_date).where(FlagRow.agency_id == "kk-land")) if d)
    middle = days[len(days) // 2]
    typed = f"{middle.day}/{middle.month}/{middle.year + 543}"
    at = app(SUP)
    at.multiselect(key="queue.statuses").set_value([]).run()
    everything = len(at.dataframe[0].value)
    at.text_input(key="queue.date_from").input(typed).run()
    assert f"หมายถึง {format_date(middle)}" in [c.value for c in at.caption]
    dates = at.dataframe[0].value["วันที่"]
    assert 0 < len(dates) < everything  # the BE year was read, not ignored
    assert all(_shown_date(d) >= middle for d in dates if d != "—")
    thai_digits = typed.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    at.text_input(key="queue.date_from").input(thai_digits).run()  # Thai digits: the same date
    assert f"หมายถึง {format_date(middle)}" in [c.value for c in at.caption]
    at.text_input(key="queue.date_from").input("31/2/2569").run()
    assert shown(at.error[0].value).startswith('"31/2/2569" ไม่ใช่วันที่') and not at.dataframe


def test_queue_in_english(app):
    at = app(SUP, lang="en")
    assert at.title[0].value == "Flags to review" and "Explanation" in at.dataframe[0].value.columns


def test_flag_detail_and_dismiss_keeps_text_on_error(app, demo_db):
    flag_id = open_flag(demo_db, "kk-land")
    at = app(SUP)
    show_flag(at, flag_id)
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "เรื่อง" in text and "มาตรการข้อ" in text and "Case " not in text
    assert at.query_params["id"] == flag_id  # the address bar names the flag: /flag?id=F…
    evidence, case = table_text(at.table[0]), table_text(at.table[1])
    assert "ผู้พิจารณา" in case.index and "officer_id" not in case.index
    assert set(case.loc["ใช้ดุลพินิจ"]) <= {"ใช่", "ไม่ใช่"}
    assert re.fullmatch(r"\d{1,2} \S+ 25\d\d", case.loc["วันที่รับเรื่อง"].iloc[0])  # Buddhist Era
    assert re.fullmatch(r".+ \(OF\d+\)", case.loc["ผู้พิจารณา"].iloc[0])  # the officer's name with the code
    assert not [k for k in evidence.index if re.fullmatch(r"[a-z_]+", k)]  # every evidence field in Thai
    form = f"flag.{flag_id}.dismiss"
    at.text_area(key=f"{form}.reason").input("   ")
    at.button(key=f"{form}.submit").click().run()
    assert shown(at.error[0].value) == "ยุติ (ชี้แจงได้): ต้องกรอกเหตุผล"
    at.text_area(key=f"{form}.reason").input("ผู้บังคับบัญชาตรวจสอบด้วยวาจาแล้ว มีบันทึกในสมุดคุมงาน")
    at.button(key=f"{form}.submit").click().run()
    assert not at.exception and not at.error
    with transaction(demo_db) as s:
        assert s.get(FlagRow, flag_id).status == "dismissed"
        event = s.scalars(select(FlagEvent).where(FlagEvent.flag_id == flag_id).order_by(FlagEvent.id.desc())).first()
        assert (event.action, event.actor, event.reason) == ("dismiss", "supervisor.land",
                                                             "ผู้บังคับบัญชาตรวจสอบด้วยวาจาแล้ว มีบันทึกในสมุดคุมงาน")
    history = table_text(at.table[-1])
    assert "ผู้บังคับบัญชาตรวจสอบด้วยวาจาแล้ว มีบันทึกในสมุดคุมงาน" in set(history["เหตุผล"])
    # the person and position, not the login
    assert history["ผู้ดำเนินการ"].iloc[-1] == "ผู้อำนวยการกลุ่มงาน สำนักงานที่ดิน (ผู้บังคับบัญชา)"
    assert "supervisor.land" not in set(history["ผู้ดำเนินการ"]) and "ระบบ" in set(history["ผู้ดำเนินการ"])


def test_confirm_waive_and_request_info_forms(app, demo_db):
    with transaction(demo_db) as s:
        ids = s.scalars(select(FlagRow.flag_id).where(FlagRow.agency_id == "kk-land", FlagRow.status == "open")
                        .order_by(FlagRow.flag_id).offset(1).limit(3)).all()
    at = app(SUP)
    for flag_id, action, fields in [
        (ids[0], "confirm", {"corrective_action": "ให้ตรวจสอบย้อนหลังทุกเรื่อง"}),
        (ids[1], "waive", {"reason": "อยู่ระหว่างย้ายระบบ", "approver": "หัวหน้าสำนักงาน", "expires_on": "31/12/2569"}),
        (ids[2], "request_info", {"reason": "ขอสำเนาคำสั่งอนุญาต"}),
    ]:
        show_flag(at, flag_id)
        for name, value in fields.items():
            widget = at.text_area if name == "reason" else at.text_input
            widget(key=f"flag.{flag_id}.{action}.{name}").input(value)
        if action == "request_info":  # a request names the officer who must answer (issue 23 item 4)
            officer = at.selectbox(key=f"flag.{flag_id}.{action}.officer_id")
            officer.select(officer.options[0] and officer.options[0].rsplit("(", 1)[1].rstrip(")"))
        at.button(key=f"flag.{flag_id}.{action}.submit").click().run()
        assert not at.exception and not at.error, [e.value for e in at.error]
    with transaction(demo_db) as s:
        assert [s.get(FlagRow, i).status for i in ids] == ["confirmed", "waived", "needs_info"]
        assert s.get(FlagRow, ids[0]).due_date == dt.date.today() + dt.timedelta(days=30)
        assert s.get(FlagRow, ids[1]).waiver_expires_on == dt.date(2026, 12, 31)
    show_flag(at, ids[0])  # the history's details read as a sentence, not JSON
    due = format_date(dt.date.today() + dt.timedelta(days=30))
    assert f"การแก้ไข ให้ตรวจสอบย้อนหลังทุกเรื่อง; กำหนดแล้วเสร็จ {due}" in set(table_text(at.table[-1])["รายละเอียด"])
    # the request for information is answered on the flag, and the answer is in its history
    show_flag(at, ids[2])
    at.text_area(key=f"flag.{ids[2]}.answer.reason").input("ได้รับสำเนาคำสั่งแล้ว เลขที่ 12/2569")
    at.button(key=f"flag.{ids[2]}.answer.submit").click().run()
    assert not at.error and at.success[0].value == "บันทึกแล้ว: บันทึกคำตอบข้อมูลที่ขอ"
    history = table_text(at.table[-1])
    assert "ได้รับสำเนาคำสั่งแล้ว เลขที่ 12/2569" in set(history["เหตุผล"])
    with transaction(demo_db) as s:
        assert s.get(FlagRow, ids[2]).status == "open"


@pytest.mark.parametrize("typed", ["31/12/2569", "31/12/2026", "2569-12-31", "๓๑/๑๒/๒๕๖๙"])
def test_a_date_is_read_as_thai_people_write_it(app, demo_db, typed):
    flag_id = open_flag(demo_db, "kk-land")
    at = app(SUP)
    show_flag(at, flag_id)
    form = f"flag.{flag_id}.waive"
    at.text_input(key=f"{form}.expires_on").input(typed).run()
    assert "หมายถึง 31 ธ.ค. 2569" in [c.value for c in at.caption]
    at.text_input(key=f"{form}.expires_on").input("32/12/2569").run()
    assert shown(at.error[0].value).startswith('"32/12/2569" ไม่ใช่วันที่')


def test_an_invalid_date_blocks_saving_and_keeps_the_text(app, demo_db):
    flag_id = open_flag(demo_db, "kk-land")
    at = app(SUP)
    show_flag(at, flag_id)
    form = f"flag.{flag_id}.waive"
    at.text_area(key=f"{form}.reason").input("ระบบล่ม")
    at.text_input(key=f"{form}.approver").input("หัวหน้าสำนักงาน")
    at.text_input(key=f"{form}.expires_on").input("31/13/2569")
    at.button(key=f"{form}.submit").click().run()
    assert "กรุณาแก้ไขวันที่ให้ถูกต้องก่อนบันทึก ยังไม่ได้บันทึก" in [e.value for e in at.error]
    assert at.text_area(key=f"{form}.reason").value == "ระบบล่ม"
    with transaction(demo_db) as s:
        assert s.get(FlagRow, flag_id).status == "open"  # never a silent default


def test_a_decision_made_meanwhile_is_reported_and_the_typed_text_kept(app, demo_db):
    """Two reviewers open the same flag; the first dismisses it; the second's save is refused
    in Thai, beside the form, naming who did what (issue 8, item 9; issue 20, item 2)."""
    flag_id = open_flag(demo_db, "kk-land")
    second = app(SUP)
    show_flag(second, flag_id)
    first = app(HEAD_LAND)
    show_flag(first, flag_id)
    first.text_area(key=f"flag.{flag_id}.dismiss.reason").input("ตรวจแล้ว ถูกต้อง")
    first.button(key=f"flag.{flag_id}.dismiss.submit").click().run()
    assert not first.error
    form = f"flag.{flag_id}.confirm"
    second.text_input(key=f"{form}.corrective_action").input("ให้ทบทวนคำสั่งทั้งหมด")
    second.button(key=f"{form}.submit").click().run()
    refusal = shown(second.error[0].value)
    assert refusal.startswith("**ยังไม่ได้บันทึก: มีผู้อื่นแก้ไขข้อสังเกตนี้หลังจากที่ท่านเปิดดู**")
    assert "ยุติ (ชี้แจงได้) โดย เจ้าพนักงานที่ดินจังหวัดขอนแก่น (หัวหน้าหน่วยงาน) เมื่อ" in refusal
    assert "เหตุผล: ตรวจแล้ว ถูกต้อง" in refusal and "head.land" not in refusal  # the person, not the login
    assert second.text_input(key=f"{form}.corrective_action").value == "ให้ทบทวนคำสั่งทั้งหมด"
    with transaction(demo_db) as s:
        assert s.get(FlagRow, flag_id).status == "dismissed"
        assert s.scalars(select(FlagEvent.action).where(FlagEvent.flag_id == flag_id)).all()[-1] == "dismiss"


def test_after_a_conflict_a_reload_keeps_every_field_as_typed_and_saving_works(app, demo_db):
    """Issue 20, item 2: someone else asks for information while the supervisor types a confirmation
    (due date 15/01/2570); the save is refused beside the form with who, what and when; the reload
    there keeps every field exactly as typed, the date included, and the next save goes through."""
    from engine.store.access import Scope
    from engine.store.review import act

    flag_id = open_flag(demo_db, "kk-land")
    at = app(SUP)
    show_flag(at, flag_id)
    form = f"flag.{flag_id}.confirm"
    at.text_input(key=f"{form}.corrective_action").input("ให้ทบทวนคำสั่งและรายงานภายในกำหนด")
    at.text_input(key=f"{form}.due_date").input("15/01/2570")
    at.text_area(key=f"{form}.reason").input("เห็นว่าไม่เป็นไปตามคู่มือ")
    at.run()
    with transaction(demo_db) as s:  # the head, meanwhile, elsewhere
        act(s, Scope(*HEAD_LAND), flag_id, "request_info", reason="ขอสำเนาคำสั่ง")
    at.button(key=f"{form}.submit").click().run()
    assert not at.exception
    refusal = shown(at.error[0].value)
    assert "ขอข้อมูลเพิ่มเติม โดย เจ้าพนักงานที่ดินจังหวัดขอนแก่น (หัวหน้าหน่วยงาน) เมื่อ" in refusal
    assert re.search(r"เมื่อ \d{1,2} \S+ 25\d\d \d\d:\d\d น\.", refusal)  # Buddhist Era, Bangkok time
    assert "เหตุผล: ขอสำเนาคำสั่ง" in refusal and "สถานะขณะนี้: ขอข้อมูลเพิ่มเติม" in refusal
    at.button(key=f"flag.{flag_id}.reload").click().run()
    assert not at.exception and not at.error
    assert at.text_input(key=f"{form}.due_date").value == "15/01/2570"  # as typed, not the form's default
    assert at.text_input(key=f"{form}.corrective_action").value == "ให้ทบทวนคำสั่งและรายงานภายในกำหนด"
    assert at.text_area(key=f"{form}.reason").value == "เห็นว่าไม่เป็นไปตามคู่มือ"
    at.button(key=f"{form}.submit").click().run()
    assert not at.exception and not at.error, [shown(e.value) for e in at.error]
    with transaction(demo_db) as s:
        row = s.get(FlagRow, flag_id)
        assert (row.status, row.due_date, row.corrective_action) == (
            "confirmed", dt.date(2027, 1, 15), "ให้ทบทวนคำสั่งและรายงานภายในกำหนด")
        event = s.scalars(select(FlagEvent).where(FlagEvent.flag_id == flag_id).order_by(FlagEvent.id.desc())).first()
        assert (event.actor, event.action, event.reason) == ("supervisor.land", "confirm", "เห็นว่าไม่เป็นไปตามคู่มือ")


def test_the_action_form_is_beside_the_explanation(app, demo_db):
    at = app(SUP)
    show_flag(at, open_flag(demo_db, "kk-land"))
    explanation, actions = at.columns[0], at.columns[1]
    assert [h.value for h in explanation.subheader] == ["คำอธิบาย"]
    assert [h.value for h in actions.subheader] == ["ดำเนินการ"] and actions.button  # the form, in the next column


def subject_th(row: FlagRow) -> str:
    """How a refusal names a flag's subject: ``• เรื่อง C0000293 · `` for a case, ``• กระบวนงาน <its name>
    (LAND-P03) · `` for a process (officers and agencies alike): a pattern."""
    word = {"case": "เรื่อง", "process": "กระบวนงาน", "officer": "เจ้าหน้าที่", "agency": "หน่วยงาน"}[row.subject_type]
    subject = re.escape(row.subject_id) if row.subject_type == "case" else rf".+ \({re.escape(row.subject_id)}\)"
    return rf"• {word} {subject} · "


def _first_rows(n: int) -> list[str]:
    from engine.store.review import QueueFilter, queue
    from engine.store.scope import Scope

    with transaction(os.environ["DISCRETION_DB_URL"]) as s:
        return [r.flag_id for r in queue(s, Scope(*SUP), QueueFilter(), "severity", 1, 50)[0][:n]]


def test_bulk_dismiss_from_the_queue(app, demo_db):
    first_two = _first_rows(2)
    at = app(SUP)
    assert not at.expander or at.expander[-1].label != "ดำเนินการกับรายการที่เลือก (2 รายการ)"
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    assert at.expander[-1].label == "ดำเนินการกับรายการที่เลือก (2 รายการ)"
    at.text_area(key="queue.bulk.dismiss.reason").input("ตรวจแล้วทั้งชุด")
    at.button(key="queue.bulk.dismiss.submit").click().run()
    assert not at.exception and not at.error
    assert shown(at.success[0].value) == f"ยุติ (ชี้แจงได้) แล้ว 2 รายการ: {', '.join(first_two)}"
    with transaction(demo_db) as s:
        assert [s.get(FlagRow, i).status for i in first_two] == ["dismissed", "dismissed"]
        reasons = s.scalars(select(FlagEvent.reason).where(FlagEvent.flag_id.in_(first_two))).all()
        assert reasons.count("ตรวจแล้วทั้งชุด") == 2
    assert "queue.bulk.dismiss.reason" not in [w.key for w in at.text_area]  # nothing stays selected


def test_picked_rows_do_not_carry_over_to_other_filters(app):
    at = app(SUP)
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    assert at.expander[-1].label == "ดำเนินการกับรายการที่เลือก (2 รายการ)"
    at.multiselect(key="queue.severities").select("low").run()
    assert not [e for e in at.expander if e.label.startswith("ดำเนินการกับรายการที่เลือก")]


def test_one_row_picked_shows_its_explanation_and_opens_the_flag(app):
    first = _first_rows(1)[0]
    at = app(SUP)
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    with transaction(os.environ["DISCRETION_DB_URL"]) as s:
        message = s.get(FlagRow, first).message_th
    assert message in [m.value for m in at.text]  # the whole explanation, not cut, as plain text
    at.button(key="queue.open").click().run()
    assert not at.exception and at.query_params["id"] == first


def test_a_stale_bulk_action_saves_nothing_and_says_so(app, demo_db):
    import streamlit as st

    from engine.store.scope import Scope
    from engine.store.review import act

    first_two = _first_rows(2)
    at = app(SUP)
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    with transaction(demo_db) as s:  # someone else asks for information on the second one meanwhile
        act(s, Scope(*HEAD_LAND), first_two[1], "request_info", reason="ขอเอกสารเพิ่ม")
        case = subject_th(s.get(FlagRow, first_two[1]))
    st.cache_data.clear()  # the list is read again while the reviewer types: it still holds the flag
    at.text_area(key="queue.bulk.dismiss.reason").input("ตรวจแล้วทั้งชุด").run()
    at.button(key="queue.bulk.dismiss.submit").click().run()
    refusal = shown(at.error[0].value)
    assert refusal.startswith("ไม่ได้บันทึกรายการใดเลย: มีผู้อื่นแก้ไขข้อสังเกตที่ท่านเลือกไว้ 1 รายการ")
    assert re.search(case, refusal), refusal
    assert "ขอข้อมูลเพิ่มเติม โดย เจ้าพนักงานที่ดินจังหวัดขอนแก่น (หัวหน้าหน่วยงาน) เมื่อ" in refusal
    assert at.text_area(key="queue.bulk.dismiss.reason").value == "ตรวจแล้วทั้งชุด"
    with transaction(demo_db) as s:
        assert [s.get(FlagRow, i).status for i in first_two] == ["open", "needs_info"]
    # the changed flag is no longer ticked; the other one still is, and saving now acts on it alone
    assert at.expander[-1].label == "ดำเนินการกับรายการที่เลือก (1 รายการ)"
    at.button(key="queue.bulk.dismiss.submit").click().run()
    assert not at.error and shown(at.success[0].value).endswith(f"แล้ว 1 รายการ: {first_two[0]}")
    with transaction(demo_db) as s:
        assert [s.get(FlagRow, i).status for i in first_two] == ["dismissed", "needs_info"]


def test_a_bulk_acts_on_the_flags_ticked_not_on_the_rows_now_in_their_place(app, demo_db):
    """Issue 20, item 1: two rows ticked; another user dismisses the first, so it leaves the list
    and the third flag moves up into the second row; saving changes nothing, names the case, and
    never touches the flag that moved into a ticked row's place."""
    import streamlit as st

    from engine.store.access import Scope
    from engine.store.review import act

    first_three = _first_rows(3)
    with transaction(demo_db) as s:
        statuses = [s.get(FlagRow, i).status for i in first_three]
        last_event = s.scalar(select(func.max(FlagEvent.id)))
    at = app(SUP)
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    at.text_area(key="queue.bulk.dismiss.reason").input("ตรวจแล้วทั้งชุด")
    with transaction(demo_db) as s:
        act(s, Scope(*HEAD_LAND), first_three[0], "dismiss", reason="ชี้แจงได้")
        case = subject_th(s.get(FlagRow, first_three[0]))
    st.cache_data.clear()  # the list is read again (as after any save in the app, or 30 s later)
    at.button(key="queue.bulk.dismiss.submit").click().run()
    assert not at.exception
    refusal = shown(at.error[0].value)
    assert refusal.startswith("ไม่ได้บันทึกรายการใดเลย") and re.search(case, refusal), refusal
    with transaction(demo_db) as s:
        assert [s.get(FlagRow, i).status for i in first_three] == ["dismissed"] + statuses[1:]
        assert s.scalars(select(FlagEvent.actor).where(FlagEvent.id > last_event)).all() == ["head.land"]
    # the tick stays with its flag, now the first row; the flag that moved up is not ticked
    assert at.session_state[at.dataframe[0].key]["selection"]["rows"] == [0]
    assert at.dataframe[0].value["ลิงก์"].iloc[0] == f"flag?id={first_three[1]}"


def test_ticks_reported_late_for_the_rows_shown_before_stay_with_their_flags(app, demo_db):
    """The browser reports ticks as positions in the rows it shows. After the list changed under
    two ticks, it may still report the old grid's ticks (its new one not drawn yet, as happens
    when a click follows a run closely): those positions are the old rows', never the new rows'."""
    import streamlit as st

    from engine.store.access import Scope
    from engine.store.review import act

    first_three = _first_rows(3)
    at = app(SUP)
    old_grid = at.dataframe[0].key
    ticked_there = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.session_state[old_grid] = ticked_there
    at.run()
    with transaction(demo_db) as s:
        act(s, Scope(*HEAD_LAND), first_three[0], "dismiss", reason="ชี้แจงได้")
    st.cache_data.clear()
    at.run()  # the list is read again: the first flag has left it
    at.session_state[old_grid] = ticked_there  # the browser reports the old grid's ticks again
    at.run()
    assert at.expander[-1].label == "ดำเนินการกับรายการที่เลือก (2 รายการ)"
    at.text_area(key="queue.bulk.dismiss.reason").input("ตรวจแล้วทั้งชุด")
    at.button(key="queue.bulk.dismiss.submit").click().run()
    assert shown(at.error[0].value).startswith("ไม่ได้บันทึกรายการใดเลย")
    with transaction(demo_db) as s:
        assert s.get(FlagRow, first_three[2]).status == "open"  # in the second row now: never ticked


def test_ethics_committee_reads_but_cannot_act(app, demo_db):
    flag_id = open_flag(demo_db, "kk-land")
    at = app(("ethics.land", "ethics_committee", "kk-land"))
    show_flag(at, flag_id)
    assert not at.exception
    assert at.info[-1].value == "สถานะนี้ไม่มีการดำเนินการที่ทำได้ หรือบทบาทของท่านอ่านได้อย่างเดียว"


def test_a_crafted_flag_id_from_another_agency_is_not_shown(app, demo_db):
    other = open_flag(demo_db, "kk-transport")
    at = app(SUP)
    show_flag(at, other)
    assert not at.exception and at.error[0].value == "ไม่มีสิทธิ์เข้าถึงข้อสังเกตนี้"
    assert other not in " ".join(m.value for m in at.markdown)


# --- text from data or a person is shown as written (issue 20, item 4) ---

RAW = ("![x](", "<img", "**หนา**", "**x**", ":smile:", ":material/", "-> b", "http://", "www.", "a@b", "$x$",
       "`c`", "~~s~~", "[l](")
# Streamlit rewrites these in text after Markdown has parsed it (static/js/StreamlitMarkdown.*.js of
# Streamlit 1.67: GFM's bare-address links, remark-emoji, :material/…: and :streamlit:, arrows)
REWRITES = [re.compile(r"(https?://|www(?=\.))", re.I), re.compile(r"[-.\w+]+@[-\w]+(?:\.[-\w]+)+"),
            re.compile(r":[\w+-]+:"), re.compile(r":material[/_]"), re.compile(r":streamlit:"),
            re.compile(r"(^|\s)(<->|->|<-|--|>=|<=|~=)(\s|$)")]
ASCII_PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _read_as_written(text: str) -> str:
    """What ``present.plain`` must show: the text, outer line breaks off, indentation as no-break spaces."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n").split("\n")
    return "\n".join("\u00a0" * (len(line) - len(line.lstrip(" \t"))) + line.lstrip(" \t") for line in lines)


def _check_plain(text: str) -> None:
    from present import plain

    source = plain(text)
    # every ASCII punctuation character is escaped (a backslash before a line break is a hard break)
    bare = re.sub(r"\\[!-/:-@\[-`{-~\n]", "", source)
    assert not ASCII_PUNCTUATION & set(bare), (text, source)
    assert "\n" not in bare  # every line break is a hard break: no list, heading, code or quote starts a line
    assert shown(source) == _read_as_written(text)
    parsed = re.sub(r"\\(.)", r"\1", source, flags=re.S)  # the text nodes Markdown leaves, before the rewrites
    assert not [r.pattern for r in REWRITES if r.search(parsed)], (text, parsed)


@pytest.mark.parametrize("text", [MARKUP, LINES, "<b>x</b> &amp; &#60; \\*", "a  \nb\n\nc", "\n\n  x\n", "",
                                  "http://x.th/a_b_c WWW.X.TH -- x <- y >= 1 ~= 2 :+1: :streamlit:",
                                  "เรื่อง C0004883 (นาย ก) เวลา 10:31 น."])
def test_plain_makes_any_text_literal_markdown(text):
    _check_plain(text)


def test_plain_makes_random_text_literal_markdown():
    from hypothesis import given, settings
    from hypothesis import strategies as st_

    pieces = list("ab ก\n\t#*_-+>.<!:[](){}`~$|\\/@=&;\"'") + ["www", "http", "://", "->", ":smile:", "1. ", "    "]

    @settings(max_examples=300, deadline=None)
    @given(st_.lists(st_.sampled_from(pieces), max_size=40).map("".join))
    def check(text: str) -> None:
        _check_plain(text)
    check()


@pytest.fixture
def marked_db(tmp_path, monkeypatch):
    """A demo store with MARKUP in names, a message and four decisions (tests/markup.py)."""
    import streamlit as st

    url = f"sqlite:///{tmp_path}/marked.db"
    list(setup_demo(url, cases=300, as_of=AS_OF))
    ids = mark_up(url)
    monkeypatch.setenv("DISCRETION_DB_URL", url)
    st.cache_data.clear()
    return ids


def _markdown_sources(at: AppTest) -> list[str]:
    """Everything on the page that Streamlit reads as Markdown."""
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        out += [str(e.value) for e in getattr(at, kind)]
    for kind in ("button", "expander", "tabs", "text_input", "text_area", "selectbox", "radio"):
        out += [str(getattr(e, "label", "")) for e in getattr(at, kind)]
    for table in at.table:
        out += [str(v) for v in table.value.values.ravel()] + [str(i) for i in table.value.index]
    return out


def _assert_as_written(at: AppTest, *expected: str) -> None:
    sources = _markdown_sources(at)
    found = {raw: v for v in sources for raw in RAW if re.search(r"(?<!\\)" + re.escape(raw), v)}
    assert not found, found  # no markup of the data reaches Markdown
    assert not [v for v in sources if re.search(r"(?m)^(- a|# h|1\. b|> q|    code)", v)]
    readable = "\n".join([shown(v) for v in sources] + [str(e.value) for e in at.text]).replace("\u00a0", " ")
    for text in expected:
        assert text in readable, text


def test_text_from_data_or_a_person_is_shown_as_written(marked_db):
    """Issue 20, item 4: names, messages, reasons, corrective actions, approvers, questions are
    shown as plain text on the queue and on confirmed, waived, needs-info and dismissed flags."""
    confirmed, waived, asked, dismissed = marked_db
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["app.lang"] = "th"
    at.session_state["auth.user"] = SUP
    at.run()
    at.multiselect(key="queue.statuses").set_value([]).run()
    rows = list(at.dataframe[0].value["ลิงก์"])
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": [rows.index(f"flag?id={confirmed}")],
                                                           "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    _assert_as_written(at, f"สำนักงานที่ดิน {MARKUP}", f"{MARKUP}\n{LINES}")
    for flag_id in marked_db:
        show_flag(at, flag_id)
        assert not at.exception
        _assert_as_written(at, f"{LINES}\n{MARKUP}", f"สำนักงานที่ดิน {MARKUP}")
    show_flag(at, confirmed)
    _assert_as_written(at, f"{MARKUP}\n{LINES}", f"นาย {MARKUP}", f"{LINES}\nงาน {MARKUP}")
    show_flag(at, waived)
    _assert_as_written(at, f"ผ่อนผันโดย นาย {MARKUP} ถึง")


def test_data_page_upload_problems_import_and_run(app, demo_db):
    at = app(("admin", "admin", None))
    at.switch_page("views/upload.py").run()
    assert not at.exception and at.title[0].value == "ข้อมูลและการประมวลผล"
    at.text_input(key="data.as_of").input("25/11/2569")
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
    assert set(problems["เหตุผล"]) == {"ไม่มีวันที่นี้ในปฏิทิน", "ไม่พบรหัสนี้ในข้อมูลเจ้าหน้าที่",
                                       "ไม่ใช่ค่าใช่/ไม่ใช่ กรุณาเขียน ใช่/ไม่ใช่, มี/ไม่มี, true/false หรือ 1/0"}
    assert "data.import" not in [b.key for b in at.button]
    assert at.dataframe[0].value.iloc[0].to_dict() == before


def test_upload_valid_dataset_then_import(app, dataset_dir):
    good = dataset_dir()
    at = app(("admin", "admin", None))
    at.switch_page("views/upload.py").run()
    cases_before = int(at.dataframe[0].value.iloc[0]["จำนวนเรื่อง"])
    at.file_uploader(key="data.files").set_value(_uploads(good)).run()
    at.button(key="data.check").click().run()
    assert at.success[0].value.startswith("ไฟล์ถูกต้อง: หน่วยงาน 1, กระบวนงาน 2, เจ้าหน้าที่ 6, เรื่อง 1")
    at.button(key="data.import").click().run()
    assert not at.exception and at.success[-1].value.startswith("นำเข้าแล้ว (ครั้งที่")
    at.run()
    assert int(at.dataframe[0].value.iloc[0]["จำนวนเรื่อง"]) == cases_before + 1


def test_a_supervisor_cannot_import_another_agency(app, dataset_dir):
    at = app(SUP)
    at.switch_page("views/upload.py").run()
    at.file_uploader(key="data.files").set_value(_uploads(dataset_dir(name="other"))).run()
    at.button(key="data.check").click().run()
    assert not at.success and "data.import" not in [b.key for b in at.button]  # refused at validation
    assert at.dataframe[1].value["เหตุผล"].iloc[0].startswith("ท่านนำเข้าข้อมูลได้เฉพาะของหน่วยงาน kk-land")


def test_resolve_then_reopen_from_the_flag_page(app, demo_db):
    from engine.store.review import act
    from engine.store.scope import Scope

    flag_id = open_flag(demo_db, "kk-land")
    with transaction(demo_db) as s:
        act(s, Scope(*SUP), flag_id, "confirm", corrective_action="แก้ไขคู่มือ", due_date=dt.date.today())
    at = app(SUP)
    show_flag(at, flag_id)
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
    assert not at.exception and shown(at.success[0].value) == f"บันทึกการวิเคราะห์ของ สำนักงานที่ดินจังหวัดขอนแก่น (kk-land) " \
                                                      f"วันที่ {format_date(dt.date.today())} แล้ว"
    assert at.text_area(key="risk.participants").value == ""  # emptied: not recorded twice
    history = at.dataframe[-1].value
    assert "การรังวัดล่าช้าซ้ำในบางตำบล" in set(history["ความเสี่ยงที่พบ"])  # listed at once
    from engine.store.schema import RiskAnalysisRow
    with transaction(demo_db) as s:
        row = s.scalars(select(RiskAnalysisRow).where(RiskAnalysisRow.source == "app")).one()
        assert (row.agency_id, row.recorded_by, row.rotation_considered) == ("kk-land", "ethics.land", True)


def test_self_assessment_page_edit_submit_and_lock(app, demo_db):
    at = app(("admin", "admin", None))
    at.switch_page("views/assessment.py").run()
    at.button(key="assess.create").click().run()
    assert not at.exception and at.success[0].value.startswith("เปิดรอบการประเมินปีงบประมาณ")
    at = app(HEAD_LAND)
    at.switch_page("views/assessment.py").run()
    assert not at.exception and at.metric[0].label == "คะแนน"
    forms = sorted({w.key.rsplit(".", 1)[0] for w in at.selectbox if w.key and w.key.startswith("assess.") and
                    w.key.endswith(".status")})
    key = next(k for k in forms if k.endswith(".1.7"))
    at.selectbox(key=f"{key}.status").set_value("non_compliant")
    at.text_area(key=f"{key}.reason").input("")
    at.button(key=f"{key}.save").click().run()
    assert shown(at.error[0].value) == "ข้อ 1.7: การเปลี่ยนผลการประเมินจากที่ระบบเสนอต้องระบุเหตุผล"
    proposed = at.selectbox(key=f"{key}.status").value
    at.text_area(key=f"{key}.reason").input("ยังไม่มีระบบสารสนเทศในงานอนุญาตบางประเภท")
    at.button(key=f"{key}.save").click().run()
    assert not at.exception and not at.error, proposed
    at.button(key="assess.submit").click().run()  # irreversible: a dialog asks first
    assert not at.exception and not at.success
    assert at.markdown[-1].value.startswith("เมื่อส่งแล้วจะแก้ไขไม่ได้อีก")
    at.button(key="assess.confirm_no").click().run()
    assert not at.success and at.button(key="assess.submit")  # cancelled: still a draft
    at.button(key="assess.submit").click().run()
    at.button(key="assess.confirm_yes").click().run()
    assert not at.exception and at.success[0].value.startswith("ส่งแล้วเมื่อ")
    assert not [b for b in at.button if b.key and b.key.endswith(".save")]  # locked: no forms


def test_reports_page_offers_both_documents(app):
    at = app(HEAD_LAND)
    at.switch_page("views/reports.py").run()
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["PDF", "Excel", "PDF", "Excel"]
    import appdata  # the files are made when a button is clicked: each is a real PDF or workbook

    fy = at.selectbox(key="reports.ack_fy").value
    for which, magic in (("ack.pdf", b"%PDF"), ("ack.xlsx", b"PK"), ("pack.pdf", b"%PDF"), ("pack.xlsx", b"PK")):
        assert appdata.report_file(HEAD_LAND, "kk-land", fy, dt.date.today(), which).startswith(magic)


def test_reports_open_with_the_latest_campaign_and_the_current_round(app):
    import appdata

    at = app(("admin", "admin", None))
    if not appdata.campaigns():
        at.switch_page("views/assessment.py").run()
        at.button(key="assess.create").click().run()
    at.switch_page("views/reports.py").run()
    # the pack opens on the latest campaign (its self-assessment and evidence), the form on the current round
    assert at.selectbox(key="reports.pack_fy").value == max(c["fiscal_year"] for c in appdata.campaigns())
    assert at.selectbox(key="reports.ack_fy").value == 2570  # the demo's round (as of 25 Nov 2569)


def test_province_overview_lists_all_33_agencies(app):
    at = app(("province", "provincial", None))
    assert not at.exception and at.title[0].value == "ภาพรวม 33 หน่วยงาน จังหวัดขอนแก่น"
    from engine.kb.knowledge import load_agencies

    shown_names = set(at.dataframe[0].value["หน่วยงาน"])
    assert {a.name for a in load_agencies()} <= shown_names  # every agency of the letter's annex (others may be added)
    assert sum(int(m.value) for m in at.metric) == len(shown_names)


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


# --- Thai everywhere: every page of every role, in Thai, shows no English word ---

ALLOWED_WORDS = {"ITA", "English", "PDF", "CSV", "Excel", "URL", "IQR", "MB", "XLSX", "admin", "province"}
_ID_LIKE = re.compile(r"[\d\-_./@:]")


def _screen_text(at: AppTest) -> list[str]:
    """Every piece of text a person sees on the page as AppTest renders it."""
    out: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info", "warning", "error",
                 "success", "exception"):
        out += [str(e.value) for e in getattr(at, kind)]
    for kind in ("button", "checkbox", "toggle", "text_input", "text_area", "number_input", "expander", "tabs",
                 "metric"):
        out += [str(getattr(e, "label", "")) for e in getattr(at, kind)]
    out += [str(e.placeholder or "") for e in at.text_input]
    for kind in ("selectbox", "multiselect", "radio"):
        for e in getattr(at, kind):
            out += [str(e.label), *(str(o) for o in e.options)]
    out += [str(m.value) for m in at.metric]
    out += [str(b.label) for b in at.get("download_button")]
    for frame in list(at.dataframe) + list(at.table):
        value = frame.value
        out += [str(c) for c in value.columns] + [str(i) for i in value.index if not isinstance(i, int)]
        out += [str(v) for v in value.astype(str).values.ravel()]
    for chart in at.get("vega_lite_chart"):
        out += re.findall(r'"title":\s*"([^"]*)"', chart.proto.spec)
    return out


def english_words(texts: list[str], allowed: set[str]) -> set[str]:
    """Words of Latin letters outside ids, codes and addresses, and outside the allow-list."""
    found = set()
    for text in texts:
        if text.lstrip().startswith("<style>"):  # a component's own layout rule, not shown
            continue
        text = re.sub(r"\]\([^)\s]*\)", "]", text)  # a Markdown link's target (privacy, /flag?id=…) is not shown
        for chunk in re.split(r"[\s,;()\"'«»“”·—–|*`>]+", text):
            if _ID_LIKE.search(chunk):
                continue  # an id, a rule id, a date, an address: F…, 1.4-rotation-due, kk-land, https://…
            found |= {w for w in re.findall(r"[A-Za-z]{2,}", chunk) if w not in allowed and not w.isupper()}
    return found


ROLES_TO_WALK = [("admin", "admin", None), ("province", "provincial", None), HEAD_LAND, SUP,
                 ("ethics.land", "ethics_committee", "kk-land")]


@pytest.mark.parametrize("user", ROLES_TO_WALK, ids=[u[1] for u in ROLES_TO_WALK])
def test_every_page_is_thai_for_every_role(app, demo_db, user):
    from engine.demo.store import DEMO_USERS

    allowed = ALLOWED_WORDS | {u[0] for u in DEMO_USERS}
    at = app(user)
    flag_id = open_flag(demo_db, "kk-land", status="open") or open_flag(demo_db, "kk-land", status="dismissed")
    pages = ["views/queue.py", "views/risk.py", "views/assessment.py", "views/reports.py", "views/upload.py",
             "views/rules.py"] + (["views/dashboard.py"] if user[2] is None else []) + \
        (["views/users.py"] if user[1] == "admin" and USERS_PAGE_MERGED else []) + \
        (["views/tokens.py"] if user[1] == "admin" else [])
    problems = {}
    for page in pages:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        problems[page] = english_words(_screen_text(at), allowed)
    show_flag(at, flag_id)
    problems["views/flag.py"] = english_words(_screen_text(at), allowed)
    assert not {p: w for p, w in problems.items() if w}


def test_the_english_word_check_finds_english():
    assert english_words(["สถานะ open"], set()) == {"open"}
    assert english_words(["kk-land F12ab 1.4-rotation-due O48 https://x.go.th as_of"], set()) == set()
    assert english_words(["succeeded", "ITA"], set()) == {"succeeded"}


def test_every_page_renders_in_english(app, demo_db):
    at = app(("admin", "admin", None), lang="en")
    for page in ["views/dashboard.py", "views/queue.py", "views/risk.py", "views/assessment.py", "views/reports.py",
                 "views/upload.py", "views/rules.py"]:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
    show_flag(at, open_flag(demo_db, "kk-land", status="dismissed") or open_flag(demo_db, "kk-land"))
    assert not at.exception and at.subheader[0].value == "Explanation"


# --- the admin manages users (engine.store.access from the store's branch: add_user, set_active, reset_password,
#     update_user, list_users with the caller's scope, and users.sessions_valid_after) ---

needs_store = pytest.mark.skipif(not USERS_PAGE_MERGED, reason="needs engine.store.access.list_users (dev/store)")


@needs_store
def test_admin_adds_changes_disables_and_resets_a_user(app, demo_db):
    from engine.store import access

    at = app(("admin", "admin", None))
    at.switch_page("views/users.py").run()
    assert not at.exception and at.title[0].value == "จัดการผู้ใช้งาน"
    at.text_input(key="users.new.username").input("officer.new")
    at.selectbox(key="users.new.role").set_value("supervisor")
    at.selectbox(key="users.new.agency").set_value("kk-land")
    at.text_input(key="users.new.password").input("short")
    at.button(key="users.new.submit").click().run()
    assert at.error and at.text_input(key="users.new.username").value == "officer.new"  # refused in Thai, kept
    assert not english_words([at.error[0].value], set())
    at.text_input(key="users.new.password").input("Kh0nKaen-ที่ดิน-2569!")
    at.button(key="users.new.submit").click().run()
    assert not at.error and shown(at.success[0].value) == "เพิ่มผู้ใช้ officer.new แล้ว"
    assert "officer.new" in set(at.dataframe[0].value["ชื่อผู้ใช้"])
    # the new user logs in; the admin changes the role, then resets the password: the old login no longer stands
    assert appdata_session_user("officer.new", auth_time()) == ("officer.new", "supervisor", "kk-land")
    issued = auth_time()
    at.selectbox(key="users.pick").set_value("officer.new").run()
    at.selectbox(key="users.officer.new.role").set_value("agency_head")
    at.button(key="users.officer.new.save").click().run()
    assert not at.error and shown(at.success[0].value) == "บันทึกการแก้ไขผู้ใช้ officer.new แล้ว"
    assert appdata_session_user("officer.new", issued) is None  # a new role: the old login ends
    issued = auth_time()
    assert appdata_session_user("officer.new", issued) == ("officer.new", "agency_head", "kk-land")
    at.text_input(key="users.officer.new.password").input("Another-รหัส-ใหม่-2569!")
    at.button(key="users.officer.new.reset").click().run()
    assert not at.error and appdata_session_user("officer.new", issued) is None  # a reset password ends it
    at.button(key="users.officer.new.disable").click().run()
    assert not at.error and shown(at.success[0].value) == "ระงับการใช้งานของ officer.new แล้ว"
    with transaction(demo_db) as s:
        assert access.authenticate(s, "officer.new", "Another-รหัส-ใหม่-2569!") is None  # disabled


def appdata_session_user(username: str, issued: float | None):
    import appdata

    return appdata.session_user(username, issued)


def auth_time() -> float:
    return time.time()


def test_a_session_cookie_is_signed_and_expires(tmp_path, monkeypatch):
    import auth

    monkeypatch.setenv("DISCRETION_SECRET_FILE", str(tmp_path / "secret"))
    monkeypatch.delenv("DISCRETION_SECRET_KEY", raising=False)
    token, issued = auth.issue("supervisor.land")
    assert auth.verify(token) == ("supervisor.land", issued)
    assert (tmp_path / "secret").stat().st_mode & 0o077 == 0  # the key is its owner's only
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert auth.verify(forged) is None
    from itsdangerous.timed import TimestampSigner

    with monkeypatch.context() as m:  # a token signed a working day (and a minute) ago
        m.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - auth.WORKING_DAY - 60)
        old, _ = auth.issue("supervisor.land")
    assert auth.verify(old) is None  # a working day later, the login is over
    monkeypatch.setenv("DISCRETION_SECRET_KEY", "another-server-with-a-key-of-its-own")
    assert auth.verify(token) is None  # signed elsewhere


def test_a_disabled_user_is_out_at_the_next_click(app, demo_db):
    from engine.store.schema import User

    at = app()
    at.text_input(key="login.username").input("ethics.land")
    at.text_input(key="login.password").input(DEMO_PASSWORD)
    at.button[0].click().run()
    assert at.session_state["auth.user"][0] == "ethics.land"
    with transaction(demo_db) as s:
        s.scalar(select(User).where(User.username == "ethics.land")).active = False
    try:
        at.run()
        assert "auth.user" not in at.session_state and at.title[0].value == "ตรวจสอบการใช้ดุลพินิจ"
    finally:
        with transaction(demo_db) as s:
            s.scalar(select(User).where(User.username == "ethics.land")).active = True


@needs_store
def test_logout_ends_the_login_on_the_server(app, demo_db):
    at = app()
    at.text_input(key="login.username").input("head.land")
    at.text_input(key="login.password").input(DEMO_PASSWORD)
    at.button[0].click().run()
    issued = at.session_state["auth.issued"]
    assert appdata_session_user("head.land", issued) == HEAD_LAND
    at.button(key="auth.logout").click().run()
    assert "auth.user" not in at.session_state
    assert appdata_session_user("head.land", issued) is None  # the cookie, if copied, no longer works


def test_risk_page_rates_in_percent_counts_by_level_and_no_future_months(app, demo_db):
    import json

    import pandas as pd

    from engine.domain.calendar import fiscal_year
    from engine.store.analytics import fiscal_months

    at = app(("admin", "admin", None))
    at.switch_page("views/risk.py").run()
    assert not at.exception
    frames = [f.value for f in at.dataframe]
    processes = next(f for f in frames if "ไม่เป็นไปตามหลักเกณฑ์ (%)" in f.columns)
    assert processes["ไม่เป็นไปตามหลักเกณฑ์ (%)"].between(0, 100).all()
    assert (processes["ไม่เป็นไปตามหลักเกณฑ์ (%)"] > 1).any()  # percentages, not shares of 1
    per_100 = next(f for f in frames if "ต่อ 100 เรื่อง" in f.columns)
    counts = next(f for f in frames if list(f.columns) == ["หน่วยงาน", "มาตรการ", "ข้อสังเกต"])
    with transaction(demo_db) as s:  # the counts table holds exactly the non-case flags, per agency and measure
        other = s.execute(select(FlagRow.agency_id, FlagRow.measure).where(
            FlagRow.subject_type != "case", FlagRow.status.in_(("open", "needs_info", "confirmed")))).all()
        case_level = s.execute(select(FlagRow.agency_id, FlagRow.measure).where(
            FlagRow.subject_type == "case", FlagRow.status.in_(("open", "needs_info", "confirmed")))).all()
    assert int(counts["ข้อสังเกต"].sum()) == len(other) and int(per_100["ข้อสังเกต"].sum()) == len(case_level)
    # the trend: this fiscal year's months still to come are not drawn (no value), past months are
    fy = at.selectbox(key="risk.fy").value
    from streamlit import dataframe_util

    chart = at.get("vega_lite_chart")[1].proto
    assert json.loads(chart.spec)["encoding"]["color"]["title"] == "มาตรการ"  # the legend speaks Thai
    drawn = dataframe_util.convert_arrow_bytes_to_pandas_df(chart.datasets[0].data.data)
    rows = [{"order": o, "flags": None if pd.isna(f) else f} for o, f in zip(drawn["order"], drawn["flags"])]
    today = dt.date.today()
    months = fiscal_months(fy)
    future = [i for i, (y, m) in enumerate(months) if (y, m) > (today.year, today.month)]
    if fy == fiscal_year(today):
        assert future and all(r["flags"] is None for r in rows if r["order"] in future)
    assert all(r["flags"] is not None for r in rows if r["order"] not in future)


def test_the_developer_toolbar_is_hidden(monkeypatch, tmp_path):
    import tomllib

    config = tomllib.loads((Path(APP).parents[1] / ".streamlit" / "config.toml").read_text())
    assert config["client"]["toolbarMode"] == "minimal"  # `streamlit run ui/app.py` from the project
    from engine import cli

    seen = []
    monkeypatch.setattr("os.execve", lambda exe, cmd, env: seen.append(cmd))  # `app` execs Streamlit
    cli.main(["db", "upgrade", "--create", "--db", f"sqlite:///{tmp_path}/x.db"])
    cli.main(["app", "--db", f"sqlite:///{tmp_path}/x.db"])
    assert seen and seen[0][seen[0].index("--client.toolbarMode") + 1] == "minimal"  # `discretion-review app`


ADMIN_USER = ("admin", "admin", None)


def test_days_off_page_admin_records_a_day_off_and_opens_a_round(app, demo_db):
    from engine.demo.generate import DEMO_ROUND_SOURCE
    from engine.store.schema import AcknowledgementRoundRow, CalendarEntryRow

    at = app(ADMIN_USER)
    at.switch_page("views/days_off.py").run()
    assert not at.exception and at.title[0].value == "วันหยุดราชการและรอบการรายงาน"
    at.number_input(key="cal.year").set_value(2568).run()
    days = at.dataframe[0].value
    ploughing = days[days["วันที่"] == "9 พ.ค. 2568"].iloc[0]  # from the government calendar, read-only
    assert "พืชมงคล" in ploughing["ชื่อ"] and ploughing["มาจาก"] == "ปฏิทินวันหยุดของระบบ (อ่านอย่างเดียว)"
    assert ploughing["ที่มา"].startswith("ปฏิทินวันหยุดของระบบ: วันหยุดนักขัตฤกษ์และวันหยุดราชการ")
    assert at.info[0].value == "ยังไม่มีรายการ"  # no entry recorded yet: days off, then the rounds
    rounds_kb, rounds_stored = at.dataframe[2].value, at.dataframe[3].value  # after the checked years (1)
    seed = rounds_kb[rounds_kb["ปีงบประมาณ (พ.ศ.)"] == "2562"].iloc[0]
    assert seed["ที่มา"].startswith("หนังสือจังหวัด แนวทางข้อ 2.3")  # the KB's 2562 round, with its letter
    assert seed["หนังสือของจังหวัด"] == "ขก ๐๐๑๗.๕/ว ๑๕๐๑๕ (15 มิ.ย. 2562)" and seed["ผู้ลงนาม"] == "ผู้ว่าราชการจังหวัดขอนแก่น"
    assert list(rounds_stored["ที่มา"]) == [DEMO_ROUND_SOURCE]  # demo-setup opened the demo's round

    at.text_input(key="cal.add.date").input("13/12/2570")  # typed as Thai people write it
    at.text_input(key="cal.add.name_th").input("วันหยุดพิเศษ (ทดสอบ)")
    at.text_input(key="cal.add.name_en").input("Special day off (test)")
    at.button(key="cal.add.submit").click().run()
    assert at.error and shown(at.error[0].value) == "ต้องระบุที่มา เช่น มติคณะรัฐมนตรี"  # no source: nothing stored, kept
    assert at.text_input(key="cal.add.name_th").value == "วันหยุดพิเศษ (ทดสอบ)"
    at.text_input(key="cal.add.source").input("มติคณะรัฐมนตรี 1 ธ.ค. 2570")
    at.button(key="cal.add.submit").click().run()
    assert not at.exception and not at.error
    assert at.success[0].value == "บันทึกแล้ว การประมวลผลครั้งต่อไปจะใช้ปฏิทินนี้"
    assert list(at.dataframe[2].value["ที่มา"]) == ["มติคณะรัฐมนตรี 1 ธ.ค. 2570"]

    at.number_input(key="cal.round.fy").set_value(2572)
    at.text_input(key="cal.round.deadline").input("2570-12-15")
    at.text_input(key="cal.round.source").input("ที่ ขก 0017.3/ว 999")
    at.text_input(key="cal.round.letter_number").input("ขก 0017.3/ว 999")
    at.text_input(key="cal.round.letter_date").input("1/11/2570")
    at.text_input(key="cal.round.signatory").input("ผู้ว่าราชการจังหวัดขอนแก่น")
    at.button(key="cal.round.submit").click().run()
    assert at.error and "อยู่ในปีงบประมาณ 2571 ไม่ใช่ 2572" in shown(at.error[0].value)
    at.number_input(key="cal.round.fy").set_value(2571)
    at.button(key="cal.round.submit").click().run()
    assert not at.exception and not at.error and at.success[0].value.startswith("เปิดรอบปีงบประมาณ 2571 แล้ว")
    with transaction(demo_db) as s:
        entry = s.scalars(select(CalendarEntryRow)).one()
        assert (entry.date, entry.kind, entry.actor) == (dt.date(2027, 12, 13), "add", "admin")
        stored = s.scalars(select(AcknowledgementRoundRow).order_by(AcknowledgementRoundRow.id)).all()
        assert [(r.fiscal_year, r.deadline, r.actor, r.letter_number, r.letter_date, r.signatory, r.subject)
                for r in stored][-1] == (2571, dt.date(2027, 12, 15), "admin", "ขก 0017.3/ว 999", dt.date(2027, 11, 1),
                                         "ผู้ว่าราชการจังหวัดขอนแก่น", None)


def test_days_off_page_is_read_only_for_everyone_else(app):
    at = app(SUP)
    at.switch_page("views/days_off.py").run()
    assert not at.exception and at.title[0].value == "วันหยุดราชการและรอบการรายงาน"
    assert at.info[0].value == "เฉพาะผู้ดูแลระบบที่บันทึกได้ ท่านดูได้อย่างเดียว"
    assert not [b for b in at.button if b.key and b.key.startswith("cal.")]  # no forms
    assert len(at.dataframe) >= 3  # the days off and the rounds are there to read


def test_self_assessment_page_shows_not_assessed_no_data(tmp_path, dataset_dir, monkeypatch):
    """The base dataset at 2024-04-20: no acknowledgement round is open, so 2.1–2.3 are not assessed."""
    from engine.ingest.loader import load_dataset
    from engine.store import assessment as sa
    from engine.store.access import add_user
    from engine.store.data import import_dataset
    from engine.store.db import session_factory
    from engine.store.migrate import upgrade
    from engine.store.runs import run_evaluation
    from engine.store.scope import SYSTEM

    url = f"sqlite:///{tmp_path}/nodata.db"
    upgrade(url)
    with transaction(url) as s:
        import_dataset(s, SYSTEM, load_dataset(dataset_dir()), "fixture")
        add_user(s, SYSTEM, "head.a1", DEMO_PASSWORD, "agency_head", "A1", "หัวหน้า", demo=True)
    run_evaluation(session_factory(url), SYSTEM, dt.date(2024, 4, 20))
    with transaction(url) as s:
        sa.create_campaign(s, SYSTEM, 2567, dt.date(2024, 9, 30))
    monkeypatch.setenv("DISCRETION_DB_URL", url)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["auth.user"] = ("head.a1", "agency_head", "A1")
    at.run()
    at.switch_page("views/assessment.py").run()
    assert not at.exception
    summary = at.dataframe[0].value
    summary.index = summary["ข้อ"].str.split(" ").str[0]  # "2.1 แจ้งบุคลากรให้รับทราบ": the item and its title
    assert list(summary.loc[["2.1", "2.2", "2.3"], "ผลการประเมิน"]) == ["ยังไม่ได้ประเมิน — ไม่มีข้อมูล"] * 3
    assert summary.loc["1.1", "ผลการประเมิน"] == "เป็นไปตามมาตรการ"
    assert at.metric[0].value == "100.0"  # the no-data items are left out of the score
    assert any("ไม่นับรวมในคะแนน" in c.value for c in at.caption)  # (the first caption: the year's ITA item)


def test_a_decision_blocked_by_a_long_run_is_said_in_thai_and_saves_nothing(tmp_path, monkeypatch):
    """SQLite's write lock held past the wait (a very large run saving its flags): the reviewer
    is told in Thai that nothing was saved and the text is kept; once the lock is free it saves."""
    import sqlite3

    import appdata
    import streamlit as st
    from messages import say
    from sqlalchemy import select

    from engine.store import db
    from engine.store.review import StoreBusy
    from engine.store.schema import FlagRow

    url = f"sqlite:///{tmp_path}/busy.db"
    list(setup_demo(url, cases=200, as_of=AS_OF))
    monkeypatch.setenv("DISCRETION_DB_URL", url)
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    db.forget_session_factories()
    st.cache_resource.clear()
    try:
        with appdata.factory()() as s:
            flag_id, agency = s.execute(select(FlagRow.flag_id, FlagRow.agency_id)
                                        .where(FlagRow.status == "open").limit(1)).one()
        who = ("sup", "supervisor", agency)
        run = sqlite3.connect(tmp_path / "busy.db", isolation_level=None)
        run.execute("BEGIN IMMEDIATE")  # as a run's synchronisation holds it
        with pytest.raises(StoreBusy) as refused:
            appdata.act(who, flag_id, "dismiss", reason="ตรวจแล้ว ไม่ใช่การใช้ดุลพินิจ")
        assert say(str(refused.value), "th").startswith("ระบบกำลังบันทึกผลการประมวลผลตามเกณฑ์")
        assert say(str(refused.value), "en").startswith("the database is busy")
        run.execute("ROLLBACK")
        with appdata.factory()() as s:
            assert s.get(FlagRow, flag_id).status == "open"  # nothing of it was saved
        appdata.act(who, flag_id, "dismiss", reason="ตรวจแล้ว ไม่ใช่การใช้ดุลพินิจ")
        with appdata.factory()() as s:
            assert s.get(FlagRow, flag_id).status == "dismissed"
        run.close()
    finally:
        db.forget_session_factories()
        st.cache_resource.clear()
