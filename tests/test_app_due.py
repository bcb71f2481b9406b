"""The app's pages of issue 23 through AppTest: ใกล้ครบกำหนด for each role (soonest first, the day in
the Buddhist Era, working days left, linked to the case), a case's page, a request for
information to a named officer from a flag's page and its answer, and the user's own
notification settings (audited)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from engine.demo.store import DEMO_USERS, setup_demo
from engine.domain.calendar import today
from engine.domain.thai import format_date
from engine.store.db import transaction
from engine.store.schema import DutyRow, FlagRow, InformationRequest, NotificationSetting, OfficerRow, UserEvent
from test_app import ALLOWED_WORDS, _screen_text, english_words, shown

APP = str(Path(__file__).resolve().parents[1] / "ui" / "app.py")
sys.path.insert(0, str(Path(APP).parent))
SUP = ("supervisor.land", "supervisor", "kk-land")
HEAD = ("head.land", "agency_head", "kk-land")
ETHICS = ("ethics.land", "ethics_committee", "kk-land")
PROVINCE = ("province", "provincial", None)


@pytest.fixture(scope="module")
def due_db(tmp_path_factory):
    """The demo evaluated today, so that its duties are due in the days to come."""
    url = f"sqlite:///{tmp_path_factory.mktemp('due')}/app.db"
    list(setup_demo(url, cases=1500, as_of=today()))
    return url


@pytest.fixture
def app(due_db, monkeypatch):
    monkeypatch.setenv("DISCRETION_DB_URL", due_db)
    import streamlit as st

    st.cache_data.clear()

    def make(user, lang: str = "th") -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["app.lang"] = lang
        at.session_state["auth.user"] = user
        return at.run()
    return make


def due_table(at: AppTest):
    return at.dataframe[0].value


@pytest.mark.parametrize("user", [SUP, HEAD, ETHICS, PROVINCE, ("admin", "admin", None)], ids=lambda u: u[1])
def test_the_due_soon_page_lists_each_roles_items_soonest_first_in_thai(app, due_db, user):
    at = app(user).switch_page("views/due.py").run()
    assert not at.exception and at.title[0].value == "ใกล้ครบกำหนด"
    with transaction(due_db) as s:
        stored = s.scalars(select(DutyRow)).all()
    mine = [d for d in stored if user[2] is None or d.agency_id == user[2]]
    table = due_table(at)
    assert len(table) == len(mine) > 0
    days = [format_date(d.due_on) for d in sorted(mine, key=lambda d: (d.due_on, d.agency_id))]
    assert list(table["ครบกำหนด"]) == days  # soonest first, in the Buddhist Era
    assert set(table["ประเภท"]) == {"หน้าที่ตามเกณฑ์"}
    if user[2] is not None:  # one agency: named once above the list, not on every line
        assert "หน่วยงาน" not in table.columns
        assert at.markdown[0].value.replace("\\", "").startswith("รายการของหน่วยงาน สำนักงานที่ดินจังหวัดขอนแก่น")
    else:
        assert len(set(table["หน่วยงาน"])) > 1
    left = {d.due_on: d.working_days_left for d in mine}
    first = sorted(mine, key=lambda d: d.due_on)[0]
    assert table.iloc[0]["เหลือ (วันทำการ)"] == ("วันนี้วันสุดท้าย" if left[first.due_on] == 0
                                                 else str(left[first.due_on]))
    cases = [d for d in mine if d.subject_type == "case"]
    assert {f"case?id={d.subject_id}" for d in cases} <= set(table["ลิงก์"])
    # every line leads somewhere: its case or flag, else the rules it is the duty of
    assert {link.split("?")[0] for link in table["ลิงก์"]} <= {"case", "flag", "./rules", "./assessment"}
    allowed = ALLOWED_WORDS | {u[0] for u in DEMO_USERS}
    assert english_words(_screen_text(at), allowed) == set()


def test_the_province_narrows_the_list_to_an_agency(app):
    at = app(PROVINCE).switch_page("views/due.py").run()
    at.selectbox(key="due.agency").select("kk-land").run()
    assert set(due_table(at)["หน่วยงาน"]) == {"สำนักงานที่ดินจังหวัดขอนแก่น (kk-land)"}


def test_a_case_page_shows_its_record_flags_and_duties_and_not_another_agencys_case(app, due_db):
    with transaction(due_db) as s:
        duty = s.scalars(select(DutyRow).where(DutyRow.subject_type == "case", DutyRow.agency_id == "kk-land")
                         .order_by(DutyRow.due_on)).first()
        other = s.scalar(select(DutyRow.subject_id).where(DutyRow.subject_type == "case",
                                                          DutyRow.agency_id != "kk-land"))
    at = app(SUP)
    at.query_params["id"] = duty.subject_id
    at.switch_page("views/case.py").run()
    assert not at.exception and at.title[0].value == f"เรื่อง {duty.subject_id}"
    assert any(duty.message_th in t.value for t in at.text)
    at.query_params["id"] = other
    at.switch_page("views/case.py").run()
    assert at.error[0].value == "ไม่มีสิทธิ์เข้าถึงเรื่องนี้ หรือไม่มีเรื่องนี้"


def test_a_request_to_a_named_officer_from_the_flag_page_is_due_for_them_and_answered(app, due_db):
    with transaction(due_db) as s:
        flag = s.scalars(select(FlagRow).where(FlagRow.agency_id == "kk-land", FlagRow.status == "open",
                                               FlagRow.subject_type == "case").order_by(FlagRow.flag_id)).first()
        officer = s.get(OfficerRow, flag.officer_id)
    at = app(SUP)
    at.query_params["id"] = flag.flag_id
    at.switch_page("views/flag.py").run()
    prefix = f"flag.{flag.flag_id}.request_info"
    at.text_area(key=f"{prefix}.reason").input("ขอสำเนาคำสั่งอนุญาตพร้อมเหตุผล")
    at.button(key=f"{prefix}.submit").click().run()  # nobody named: refused in Thai, nothing saved
    assert [e.value for e in at.error] == ["ต้องระบุเจ้าหน้าที่ผู้ต้องตอบคำขอ"]
    at.selectbox(key=f"{prefix}.officer_id").select(officer.officer_id)
    at.number_input(key=f"{prefix}.reply_within_days").set_value(3)
    at.run()
    with transaction(due_db) as s:
        from engine.store.requests import reply_by
        from engine.store.scope import SYSTEM

        expected = reply_by(s, SYSTEM, 3, today())
    assert f"ต้องตอบภายใน {format_date(expected)}" in " ".join(c.value for c in at.caption)
    at.button(key=f"{prefix}.submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with transaction(due_db) as s:
        request = s.scalar(select(InformationRequest).where(InformationRequest.flag_id == flag.flag_id))
        assert (request.officer_id, request.reply_by, request.reply_within_days) == (officer.officer_id, expected, 3)
    shown = " ".join(str(m.value) for m in at.markdown).replace("\\", "")
    assert f"{officer.name} ({officer.officer_id})" in shown and format_date(expected) in shown and "รอคำตอบ" in shown
    # in the agency's due-soon list, with the officer named
    at.switch_page("views/due.py").run()
    table = due_table(at)
    row = table[table["ประเภท"] == "คำขอข้อมูล"].iloc[0]
    assert row["ครบกำหนด"] == format_date(expected) and row["เหลือ (วันทำการ)"] == "3"
    assert row["เจ้าหน้าที่"] == f"{officer.name} ({officer.officer_id})" and row["ลิงก์"] == f"case?id={flag.subject_id}"
    # answered on the flag: no longer awaited
    at.query_params["id"] = flag.flag_id
    at.switch_page("views/flag.py").run()
    at.text_area(key=f"flag.{flag.flag_id}.answer.reason").input("ส่งสำเนาคำสั่งแล้ว")
    at.button(key=f"flag.{flag.flag_id}.answer.submit").click().run()
    assert not at.error and "ตอบแล้ว" in " ".join(str(m.value) for m in at.markdown)
    at.switch_page("views/due.py").run()
    assert "คำขอข้อมูล" not in set(due_table(at)["ประเภท"])


def test_a_user_sets_their_own_notifications_and_each_change_is_audited(app, due_db):
    at = app(HEAD).switch_page("views/notifications.py").run()
    assert not at.exception and at.title[0].value == "การแจ้งเตือนทางอีเมล"
    at.text_input(key="note.email").input("หัวหน้า ที่ดิน")
    at.button(key="note.submit").click().run()
    assert shown(at.error[0].value) == "อีเมล 'หัวหน้า ที่ดิน' ไม่ถูกต้อง ใช้รูปแบบ name@agency.go.th"
    at.text_input(key="note.email").input("head@land.khonkaen.go.th")
    at.checkbox(key="note.digest").uncheck()
    at.button(key="note.submit").click().run()
    assert not at.exception and at.success[0].value == "บันทึกการตั้งค่าแล้ว"
    assert at.info[0].value == "ท่านปิดการรับสรุปประจำวันไว้"
    with transaction(due_db) as s:
        row = s.get(NotificationSetting, "head.land")
        assert (row.email, row.lang, row.digest) == ("head@land.khonkaen.go.th", "th", False)
        event = s.scalars(select(UserEvent).where(UserEvent.username == "head.land",
                                                  UserEvent.action == "notification_settings")).all()[-1]
        assert event.actor == "head.land" and set(event.details["changed"]) == {"email", "digest"}


@pytest.mark.parametrize("page", ["views/due.py", "views/notifications.py"])
def test_the_new_pages_render_in_english(app, page):
    at = app(HEAD, lang="en").switch_page(page).run()
    assert not at.exception and at.title[0].value in ("Due soon", "E-mail notifications")


def test_the_due_page_renders_on_an_empty_database(tmp_path, monkeypatch):
    monkeypatch.setenv("DISCRETION_DB_URL", f"sqlite:///{tmp_path}/empty.db")
    for user in (SUP, PROVINCE):
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["auth.user"] = user
        at.run()
        for page in ("views/due.py", "views/case.py", "views/notifications.py"):
            at.switch_page(page).run()
            assert not at.exception, (page, at.exception)
    assert at.info  # the case page: no case selected


def test_a_link_to_a_case_opens_it_after_login_not_as_a_flag(app, due_db):
    from engine.demo.store import DEMO_PASSWORD

    with transaction(due_db) as s:
        case_id = s.scalar(select(DutyRow.subject_id).where(DutyRow.subject_type == "case",
                                                            DutyRow.agency_id == "kk-land"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["app.lang"] = "th"
    at.query_params["id"] = case_id
    at.switch_page("views/case.py").run()  # logged out: the login form answers at the case's address
    at.text_input(key="login.username").input(SUP[0])
    at.text_input(key="login.password").input(DEMO_PASSWORD)
    at.button[0].click().run()
    assert not at.exception and at.title[0].value == f"เรื่อง {case_id}"
