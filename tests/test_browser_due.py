"""ใกล้ครบกำหนด in a real browser (Debian's Chromium through Playwright), one login per role: each
role's list (a supervisor's and a head's agency, the ethics committee's, the province's every
agency), a line's link opening its case, a request for information to a named officer made on a
flag and then listed as due, and the notification settings. Screenshots per role go to
DISCRETION_SCREENSHOTS (docs/screenshots: due-supervisor.png, due-head.png, due-ethics.png,
due-province.png, due-request.png, case.png, notifications.png)."""

from __future__ import annotations

import os

from sqlalchemy import func, select
from test_browser import Server, _chromium, _login, _open, _settled, _shots

from engine.demo.store import setup_demo
from engine.domain.calendar import today
from engine.store.db import transaction
from engine.store.schema import DutyRow, FlagRow, InformationRequest, NotificationSetting, OfficerRow

ROLES = [("supervisor.land", "supervisor"), ("head.land", "head"), ("ethics.land", "ethics"), ("province", "province")]


def _logout(page) -> None:
    page.get_by_role("button", name="ออกจากระบบ").click()
    page.get_by_role("button", name="เข้าสู่ระบบ").wait_for(timeout=30_000)


def _rows(page) -> int:
    """The rows the due list says it holds (its "ทั้งหมด" figure)."""
    metric = page.get_by_test_id("stMetric").filter(has_text="ทั้งหมด").first
    return int(metric.get_by_test_id("stMetricValue").inner_text().replace(",", ""))


def test_each_role_sees_its_due_soon_list_and_a_request_becomes_the_officers_due_item(tmp_path):
    from playwright.sync_api import sync_playwright

    chromium = _chromium()
    db_url = f"sqlite:///{tmp_path}/browser.db"
    list(setup_demo(db_url, cases=2000, as_of=today()))
    with transaction(db_url) as s:
        land = s.scalar(select(func.count()).select_from(DutyRow).where(DutyRow.agency_id == "kk-land"))
        everyone = s.scalar(select(func.count()).select_from(DutyRow))
        flag = s.scalars(select(FlagRow).where(FlagRow.agency_id == "kk-land", FlagRow.status == "open",
                                               FlagRow.subject_type == "case").order_by(FlagRow.flag_id)).first()
        officer = s.get(OfficerRow, flag.officer_id)
    assert 0 < land < everyone
    shots = _shots(tmp_path)
    server = Server(db_url, tmp_path / "streamlit.log")
    os.environ.setdefault("DISCRETION_SECRET_FILE", str(tmp_path / "session-secret"))
    server.start()
    timings: dict[str, float] = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--lang=th-TH"])
            context = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="th-TH")
            page = context.new_page()
            for user, name in ROLES:
                landing = "ภาพรวม 33 หน่วยงาน จังหวัดขอนแก่น" if name == "province" else "รายการข้อสังเกตที่ต้องพิจารณา"
                _login(page, server.url, landing=landing, user=user)
                timings[f"{name}: ใกล้ครบกำหนด"] = _open(page, "ใกล้ครบกำหนด", "ใกล้ครบกำหนด")
                page.wait_for_timeout(800)  # the table is drawn on a canvas after the run
                asked = 0 if name == "supervisor" else 1  # the supervisor's request, made below, is due in kk-land
                assert _rows(page) == (everyone if name == "province" else land) + asked
                scope = "รายการของทุกหน่วยงานในจังหวัด" if name == "province" else "รายการของหน่วยงาน สำนักงานที่ดินจังหวัดขอนแก่น"
                assert page.get_by_text(scope).count() >= 1
                assert page.get_by_test_id("stException").count() == 0
                page.screenshot(path=str(shots / f"due-{name}.png"))
                if name == "supervisor":
                    # a line's link opens its case (a relative link, as under the proxy's sub-path)
                    with transaction(db_url) as s:
                        first = s.scalars(select(DutyRow).where(DutyRow.agency_id == "kk-land",
                                                                DutyRow.subject_type == "case")
                                          .order_by(DutyRow.due_on, DutyRow.id)).first()
                    page.goto(f"{server.url}case?id={first.subject_id}")
                    page.get_by_role("heading", name=f"เรื่อง {first.subject_id}").wait_for(timeout=30_000)
                    _settled(page)
                    assert page.get_by_text(first.message_th[:40]).count() >= 1
                    page.screenshot(path=str(shots / "case.png"), full_page=True)
                    # a request for information to the officer who decided, answered within 3 working days
                    page.goto(f"{server.url}flag?id={flag.flag_id}")
                    page.get_by_text("ประวัติการดำเนินการ").wait_for(timeout=30_000)
                    _settled(page)
                    page.get_by_role("tab", name="ขอข้อมูลเพิ่มเติม").click()
                    page.get_by_label("ข้อมูลที่ต้องการเพิ่มเติม").fill("ขอสำเนาคำสั่งอนุญาตพร้อมเหตุผลประกอบ")
                    page.get_by_test_id("stSelectbox").filter(has_text="เจ้าหน้าที่ผู้ต้องตอบ").click()
                    page.get_by_role("option", name=f"{officer.name} ({officer.officer_id})").click()
                    box = page.get_by_label("ตอบภายใน (วันทำการ)")
                    box.fill("3")
                    box.press("Enter")
                    _settled(page)
                    page.get_by_text("ต้องตอบภายใน").first.wait_for(timeout=30_000)
                    page.get_by_role("button", name="บันทึก").first.click()
                    page.get_by_text("บันทึกแล้ว: ขอข้อมูลเพิ่มเติม").wait_for(timeout=30_000)
                    _settled(page)
                    with transaction(db_url) as s:
                        request = s.scalar(select(InformationRequest))
                    assert (request.officer_id, request.reply_within_days) == (officer.officer_id, 3)
                    _open(page, "ใกล้ครบกำหนด", "ใกล้ครบกำหนด")
                    page.wait_for_timeout(800)
                    assert _rows(page) == land + 1
                    page.get_by_test_id("stMultiSelect").get_by_role("button", name="หน้าที่ตามเกณฑ์").first.click()
                    _settled(page)
                    page.wait_for_timeout(800)
                    assert _rows(page) == 1
                    page.screenshot(path=str(shots / "due-request.png"))
                    _open(page, "การแจ้งเตือน", "การแจ้งเตือนทางอีเมล")
                    page.get_by_label("อีเมล", exact=True).fill("supervisor@land.khonkaen.go.th")
                    page.get_by_role("button", name="บันทึก").click()
                    page.get_by_text("บันทึกการตั้งค่าแล้ว").wait_for(timeout=30_000)
                    _settled(page)
                    assert page.get_by_label("อีเมล", exact=True).input_value() == "supervisor@land.khonkaen.go.th"
                    with transaction(db_url) as s:
                        assert s.get(NotificationSetting, "supervisor.land").email == "supervisor@land.khonkaen.go.th"
                    page.screenshot(path=str(shots / "notifications.png"))
                _logout(page)
            browser.close()
    finally:
        server.stop()
    for what, seconds in timings.items():
        print(f"{what}: {seconds:.2f} s")


def test_the_screenshots_are_taken_where_asked(tmp_path, monkeypatch):
    monkeypatch.setenv("DISCRETION_SCREENSHOTS", str(tmp_path / "shots"))
    assert _shots(tmp_path) == tmp_path / "shots" and (tmp_path / "shots").is_dir()

