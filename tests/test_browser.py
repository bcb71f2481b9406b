"""A real browser (Debian's Chromium, headless, driven by Playwright) against a real server:
a supervisor logs in, dismisses a flag with a reason, the server restarts, and the decision
and its audit entry are still there."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.store.db import transaction
from engine.store.demo import DEMO_PASSWORD, setup_demo
from engine.store.schema import FlagEvent, FlagRow

ROOT = Path(__file__).resolve().parents[1]
REASON = "ตรวจสอบแล้ว ผู้บังคับบัญชาสั่งการด้วยวาจาและบันทึกไว้ในสมุดคุมงาน"


def _chromium() -> str:
    path = os.environ.get("DISCRETION_TEST_CHROMIUM") or shutil.which("chromium")
    if not path:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser test: install Debian's chromium (scripts/services.sh)")
        pytest.skip("Debian's chromium is not installed (bash scripts/services.sh installs it)")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, db_url: str, log: Path):
        self.port, self.db_url, self.log = _free_port(), db_url, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, "DISCRETION_DB_URL": self.db_url}
        streamlit = Path(sys.executable).parent / "streamlit"
        self.proc = subprocess.Popen(
            [str(streamlit), "run", str(ROOT / "ui" / "app.py"), "--server.headless", "true", "--server.port",
             str(self.port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            env=env, stdout=self.log.open("a"), stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_stcore/health", timeout=2).read() == b"ok":
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"streamlit did not start; see {self.log}")

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.proc = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


def _login(page, url: str, landing: str = "รายการข้อสังเกตที่ต้องพิจารณา") -> None:
    page.goto(url)
    page.get_by_label("ชื่อผู้ใช้").fill("supervisor.land")
    page.get_by_label("รหัสผ่าน").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    page.get_by_text(landing).first.wait_for(timeout=30_000)


def _history_text(page) -> str:
    table = page.get_by_test_id("stTable").last
    table.scroll_into_view_if_needed()
    return table.inner_text()


def test_dismiss_survives_a_server_restart(tmp_path):
    from playwright.sync_api import sync_playwright

    chromium = _chromium()
    db_url = f"sqlite:///{tmp_path}/browser.db"
    list(setup_demo(db_url, cases=600, as_of=dt.date(2026, 11, 25)))
    server = Server(db_url, tmp_path / "streamlit.log")
    server.start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            _login(page, server.url)
            # pick the first flag in the queue and open it, as a person would
            page.get_by_text("รายการ (หน้า 1/").wait_for(timeout=30_000)
            combo = page.get_by_role("combobox", name="เลือกรายการ")
            open_button = page.get_by_role("button", name="เปิดรายละเอียด")
            for _ in range(10):  # the page may still be settling after login
                combo.scroll_into_view_if_needed()
                combo.click()
                combo.press("ArrowDown")
                combo.press("Enter")
                page.keyboard.press("Escape")
                try:
                    open_button.wait_for(timeout=3_000)
                    break
                except Exception:
                    continue
            open_button.click()
            page.get_by_text("ประวัติการดำเนินการ").wait_for(timeout=30_000)
            flag_id = re.search(r"F[0-9a-f]{20}", page.inner_text("body")).group(0)
            page.get_by_role("tab", name="ยกเลิก (มีเหตุผลสมควร)").click()
            panel = page.get_by_role("tabpanel", name="ยกเลิก (มีเหตุผลสมควร)")
            panel.get_by_label("เหตุผล").fill(REASON)
            panel.get_by_role("button", name="บันทึก").click()
            page.get_by_text("บันทึกแล้ว").wait_for(timeout=30_000)
            page.screenshot(path=str(tmp_path / "after-dismiss.png"))
            with transaction(db_url) as s:
                assert s.get(FlagRow, flag_id).status == "dismissed"

            server.stop()
            server.start()

            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            _login(page, f"{server.url}?flag={flag_id}", landing="ประวัติการดำเนินการ")  # a link to the flag
            body = page.inner_text("body")
            page.screenshot(path=str(tmp_path / "after-restart.png"), full_page=True)
            assert "ยกเลิก (มีเหตุผลสมควร)" in body
            assert REASON in _history_text(page)
            browser.close()
        with transaction(db_url) as s:
            event = s.scalars(select(FlagEvent).where(FlagEvent.flag_id == flag_id, FlagEvent.action == "dismiss")).one()
            assert (event.actor, event.reason, event.to_status) == ("supervisor.land", REASON, "dismissed")
    finally:
        server.stop()
