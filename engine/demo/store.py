"""The demo installation: a database with the demo dataset, one evaluation and demo users."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import func, select

from engine.demo.generate import generate
from engine.domain.calendar import today
from engine.ingest.loader import load_dataset
from engine.store.access import DEMO_PASSWORD, add_user
from engine.store.data import import_dataset
from engine.store.db import session_factory, transaction
from engine.store.migrate import upgrade
from engine.store.health import shown_url
from engine.store.province import RoundLetter, open_round
from engine.store.runs import run_evaluation
from engine.store.schema import FlagRow, User
from engine.store.scope import SYSTEM

# username, role, agency, display name
DEMO_USERS = [
    ("admin", "admin", None, "ผู้ดูแลระบบ"),
    ("province", "provincial", None, "เจ้าหน้าที่สำนักงานจังหวัดขอนแก่น"),
    ("head.land", "agency_head", "kk-land", "เจ้าพนักงานที่ดินจังหวัดขอนแก่น"),
    ("supervisor.land", "supervisor", "kk-land", "ผู้อำนวยการกลุ่มงาน สำนักงานที่ดิน"),
    ("ethics.land", "ethics_committee", "kk-land", "คณะกรรมการจริยธรรม สำนักงานที่ดิน"),
    ("supervisor.transport", "supervisor", "kk-transport", "ผู้อำนวยการกลุ่มงาน สำนักงานขนส่ง"),
]


def setup_demo(url: str | None = None, cases: int = 5000, as_of: dt.date | None = None) -> Iterator[str]:
    """Idempotent: a database that already has flags and users is left as it is."""
    as_of = as_of or today()
    upgrade(url)
    yield f"database: {shown_url(url)}"  # never the password
    with transaction(url) as session:
        for username, role, agency, name in DEMO_USERS:
            if session.scalar(select(User).where(User.username == username)) is None:
                add_user(session, SYSTEM, username, DEMO_PASSWORD, role, agency, name, demo=True)
        has_flags = session.scalar(select(func.count()).select_from(FlagRow))
    if not has_flags:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "demo"
            manifest = generate(folder, cases=cases, seed=1, as_of=as_of)
            ds = load_dataset(folder)
        with transaction(url) as session:
            import_dataset(session, SYSTEM, ds, f"demo-data --cases {cases} --seed 1")
            # the demo's acknowledgement round, opened as the administrator would from the
            # province's letter: stored, so every later run (CLI or app) keeps it
            r = manifest["round"]
            deadline = dt.date.fromisoformat(r["deadline"])
            open_round(session, SYSTEM, r["fiscal_year"], deadline, r["source"], RoundLetter(
                "ขก 0017.5/ว 9999 (ข้อมูลสาธิต)", deadline - dt.timedelta(days=30), "ผู้ว่าราชการจังหวัดขอนแก่น",
                f"การรายงานการรับทราบมาตรการตรวจสอบการใช้ดุลพินิจ ประจำปีงบประมาณ พ.ศ. {r['fiscal_year']}"))
        run_evaluation(session_factory(url), SYSTEM, as_of)
        yield f"demo data: {cases} cases of the 33 Khon Kaen agencies, evaluated at {as_of.isoformat()}"
    yield f"demo users (password for each: {DEMO_PASSWORD}):"
    for username, role, agency, _ in DEMO_USERS:
        yield f"  {username:22} {role:17} {agency or 'all agencies'}"
