"""Issue 20 items 3 and 9: a user account linked to an officer of the data (CLI, admin page, audited
and replayed by `audit verify`), who may not decide a flag about their own decision, review or
report; user names [a-z0-9._-] 3–64 and unique ignoring case (the upgrade refuses a clash, naming
it); display names at most 200 characters."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from conftest import base_tables, merge_tables, write_dataset
from engine.cli import main
from engine.domain.errors import UsageError
from engine.store.access import add_user, authenticate, check_username, link_officer, people, update_user
from engine.store.db import session_factory, transaction
from engine.store.review import ReviewError, act, bulk_act
from engine.store.schema import FlagRow, User, UserEvent
from engine.store.scope import SYSTEM, Scope

STRONG = "Kh0n-Kaen-ledger-2569!"
SUP = Scope("sup", "supervisor", "A1")
CASES = [  # SUP decided C1 and reviewed C2; reported C3 outside his chain; C4 is none of his
    {"case_id": "C1", "process_id": "P1", "officer_id": "SUP", "applicant_id": "X1", "received_on": "2024-04-01",
     "decided_on": "2024-04-02", "discretion_used": "true", "reviewed_by": "HEAD", "reviewed_on": "2024-04-03",
     "via_it_system": "true"},
    {"case_id": "C2", "process_id": "P1", "officer_id": "OFF1", "applicant_id": "X2", "received_on": "2024-04-01",
     "decided_on": "2024-04-02", "discretion_used": "true", "reviewed_by": "SUP", "reviewed_on": "2024-04-03",
     "via_it_system": "true"},
    {"case_id": "C3", "process_id": "P1", "officer_id": "OFF3", "applicant_id": "X3", "received_on": "2024-04-01",
     "decided_on": "2024-04-02", "discretion_used": "true", "reviewed_by": "SUP2", "reviewed_on": "2024-04-03",
     "via_it_system": "true", "deviation": "ไม่เป็นไปตามคู่มือ"},
    {"case_id": "C4", "process_id": "P1", "officer_id": "OFF2", "applicant_id": "X4", "received_on": "2024-04-01",
     "decided_on": "2024-04-02", "discretion_used": "true", "reviewed_by": "SUP2", "reviewed_on": "2024-04-03",
     "via_it_system": "true"},
]


@pytest.fixture
def store(db_url, tmp_path):
    """A1 with C1–C4 (no legal basis: a flag on each), SUP's report on C3, users sup and head."""
    from engine.ingest.loader import load_dataset
    from engine.store.data import import_dataset
    from engine.store.runs import run_evaluation

    tables = merge_tables(base_tables(), {
        "officers": [{**o, "position": "ผู้อำนวยการกลุ่มงาน 1"} for o in base_tables()["officers"]
                     if o["officer_id"] == "SUP"],
        "cases": CASES,
        "escalations": [{"report_id": "R1", "case_id": "C3", "reported_by": "SUP", "reported_to": "SUP2",
                         "reported_on": "2024-04-03"}]}, replace=["cases"])
    ds = load_dataset(write_dataset(tmp_path / "ds", tables))
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, ds, "fixture")
        add_user(s, SYSTEM, "sup", STRONG, "supervisor", "A1", "สมชาย ใจดี")
        add_user(s, SYSTEM, "head", STRONG, "agency_head", "A1", "หัวหน้าสำนักงาน")
        add_user(s, SYSTEM, "other.sup", STRONG, "supervisor", "A1", "สมหญิง รักงาน")
    run_evaluation(session_factory(db_url), SYSTEM, dt.date(2024, 4, 20))
    return db_url


def flag(url: str, case_id: str) -> FlagRow:
    with transaction(url) as s:
        row = s.scalar(select(FlagRow).where(FlagRow.subject_id == case_id, FlagRow.rule_id == "1.1-no-legal-basis"))
        s.expunge(row)
        return row


def test_a_link_is_an_audited_event_that_verify_replays(store, capsys):
    assert main(["users", "--db", store, "link", "sup", "--officer", "SUP"]) == 0
    assert "sup is officer SUP" in capsys.readouterr().out
    assert main(["users", "--db", store, "list"]) == 0
    assert [line for line in capsys.readouterr().out.splitlines() if line.startswith("sup ")][0].split()[4] == "SUP"
    with transaction(store) as s:
        event = s.scalars(select(UserEvent).where(UserEvent.username == "sup").order_by(UserEvent.id.desc())).first()
        assert (event.action, event.details, event.actor) == ("officer_linked", {"officer_id": [None, "SUP"]}, "system")
    assert main(["audit", "verify", "--db", store]) == 0
    capsys.readouterr()
    with transaction(store) as s:  # a link changed outside the app: no event explains it
        s.execute(sa.update(User).where(User.username == "sup").values(officer_id="OFF2"))
    assert main(["audit", "verify", "--db", store]) == 1
    err = capsys.readouterr().err
    assert "users sup:" in err and "เจ้าหน้าที่ที่เชื่อมโยง ในตารางคือ 'OFF2' แต่ประวัติบอกว่า 'SUP'" in err
    assert "its linked officer is 'OFF2' but its events say 'SUP'" in err
    with transaction(store) as s:
        s.execute(sa.update(User).where(User.username == "sup").values(officer_id="SUP"))
    assert main(["users", "--db", store, "unlink", "sup"]) == 0
    with transaction(store) as s:
        s.execute(sa.update(User).where(User.username == "sup").values(officer_id="SUP"))  # relinked by SQL
    assert main(["audit", "verify", "--db", store]) == 1
    assert "its linked officer is 'SUP' but its events say (none)" in capsys.readouterr().err


def test_a_link_is_refused_where_it_cannot_be_right(store):
    with transaction(store) as s:
        with pytest.raises(UsageError, match="no officer 'NOBODY' in the imported data"):
            link_officer(s, SYSTEM, "sup", "NOBODY")
        add_user(s, SYSTEM, "sup.b2", STRONG, "supervisor", "kk-land")
        with pytest.raises(UsageError, match="officer SUP is of agency A1, but sup.b2 is of agency kk-land"):
            link_officer(s, SYSTEM, "sup.b2", "SUP")
        link_officer(s, SYSTEM, "sup", "SUP")
        with pytest.raises(UsageError, match="officer SUP is linked to sup already: unlink it first"):
            link_officer(s, SYSTEM, "other.sup", "SUP")
        with pytest.raises(UsageError, match="sup is linked to officer SUP of agency A1, not kk-land: unlink it first"):
            update_user(s, SYSTEM, "sup", agency_id="kk-land")
        with pytest.raises(Exception, match="may not manage users"):
            link_officer(s, SUP, "other.sup", "OFF1")


@pytest.mark.parametrize("case_id, part", [("C1", "your own decision of case C1"),
                                           ("C2", "your own review of case C2"),
                                           ("C3", "your own report on case C3")])
def test_a_linked_user_may_not_decide_a_flag_about_their_own_doing(store, case_id, part):
    with transaction(store) as s:
        link_officer(s, SYSTEM, "sup", "SUP")
    target = flag(store, case_id)
    for action, fields in (("dismiss", {"reason": "ไม่มีปัญหา"}), ("request_info", {"reason": "?"}),
                           ("confirm", {"corrective_action": "x", "due_date": dt.date(2099, 1, 1)})):
        with pytest.raises(ReviewError) as caught:
            with transaction(store) as s:
                act(s, SUP, target.flag_id, action, expected_version=target.version, **fields)
        th, en = str(caught.value).split(" / ")
        assert th.startswith("ท่านพิจารณาข้อสังเกตนี้ไม่ได้") and case_id in th and "ส่วนได้เสีย" in th
        assert part in en and "conflict of interest" in en
    assert flag(store, case_id).status == "open"
    with transaction(store) as s:  # someone else may, and so may he once unlinked
        act(s, Scope("head", "agency_head", "A1"), target.flag_id, "request_info", reason="ขอเอกสาร")


def test_a_linked_user_decides_the_rest_and_a_bulk_with_one_of_his_saves_nothing(store):
    with transaction(store) as s:
        link_officer(s, SYSTEM, "sup", "SUP")
    mine, theirs = flag(store, "C2"), flag(store, "C4")
    for versions in (None, {mine.flag_id: mine.version, theirs.flag_id: theirs.version}):
        with pytest.raises(ReviewError) as caught:
            with transaction(store) as s:
                bulk_act(s, SUP, [theirs.flag_id, mine.flag_id], "dismiss", expected_versions=versions, reason="ok")
        assert f"C2 ({mine.flag_id}): ท่านพิจารณาข้อสังเกตนี้ไม่ได้" in str(caught.value)
        assert "C4" not in str(caught.value)
        assert flag(store, "C4").status == "open"
    with transaction(store) as s:
        act(s, SUP, theirs.flag_id, "dismiss", reason="ok")
    assert main(["users", "--db", store, "unlink", "sup"]) == 0
    with transaction(store) as s:
        act(s, SUP, mine.flag_id, "dismiss", reason="ไม่เกี่ยวแล้ว")


def test_history_names_the_person_with_the_officers_position(store):
    with transaction(store) as s:
        link_officer(s, SYSTEM, "sup", "SUP")
        found = people(s, SUP, ["sup", "head", "nobody"])
    assert found == {"sup": ("สมชาย ใจดี", "supervisor", "ผู้อำนวยการกลุ่มงาน 1"),
                     "head": ("หัวหน้าสำนักงาน", "agency_head", None)}
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))
    from present import person

    assert person("sup", found) == "สมชาย ใจดี (ผู้อำนวยการกลุ่มงาน 1)"
    assert person("head", found) == "หัวหน้าสำนักงาน (หัวหน้าหน่วยงาน)"


# --- item 9: user names ------------------------------------------------------------------------

def test_user_names_are_lowercase_letters_digits_and_dot_dash_underscore():
    for good in ("abc", "somchai.k", "sup_2", "head-land", "a" * 64):
        assert check_username(f" {good} ") == good
    for bad, why in (("ab", ""), ("a" * 65, ""), ("สมชาย", ""), ("som chai", ""), ("som@land", ""),
                     ("Supervisor.Land", "use lowercase: supervisor.land")):
        with pytest.raises(UsageError, match="a user name has 3–64 characters: lowercase a–z") as caught:
            check_username(bad)
        assert why in str(caught.value)
        assert str(caught.value).startswith("ชื่อผู้ใช้ต้องยาว 3–64 ตัว")


def test_names_are_unique_ignoring_case_and_log_in_so(db_url):
    from engine.store.access import hash_password

    with transaction(db_url) as s:  # a name an older release let in, in capitals
        s.execute(sa.insert(User).values(username="Supervisor.Land", display_name="x", role="supervisor",
                                         agency_id="kk-land", password_hash=hash_password(STRONG), active=True))
    with transaction(db_url) as s:
        with pytest.raises(UsageError, match="user 'Supervisor.Land' exists already"):
            add_user(s, SYSTEM, "supervisor.land", STRONG, "supervisor", "kk-land")
        with pytest.raises(UsageError, match="use lowercase: supervisor.land"):
            add_user(s, SYSTEM, "Supervisor.Land", STRONG, "supervisor", "kk-land")
        # nor can the database hold another name that differs in case only
        with pytest.raises(sa.exc.IntegrityError):
            with s.begin_nested():
                s.execute(sa.insert(User).values(username="supervisor.land", display_name="x", password_hash="x",
                                                 role="admin", active=True))
    with transaction(db_url) as s:  # whatever the case typed, it is that one account
        assert authenticate(s, "supervisor.land", STRONG).username == "Supervisor.Land"
        assert authenticate(s, "SUPERVISOR.LAND", STRONG).username == "Supervisor.Land"
        assert s.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_failed_logins_count_one_name_whatever_its_case(db_url):
    from engine.store.access import MAX_FAILURES, TooManyAttempts

    with transaction(db_url) as s:
        add_user(s, SYSTEM, "head.land", STRONG, "agency_head", "kk-land")
    for i in range(MAX_FAILURES):
        with transaction(db_url) as s:
            assert authenticate(s, ["Head.Land", "HEAD.LAND", "head.Land"][i % 3], "guess", source="10.0.0.9") is None
    with pytest.raises(TooManyAttempts):
        with transaction(db_url) as s:
            authenticate(s, "head.land", STRONG, source="10.0.0.9")


def test_display_names_have_at_most_200_characters_on_one_line(db_url, capsys):
    with transaction(db_url) as s:
        add_user(s, SYSTEM, "long.name", STRONG, "supervisor", "kk-land", "ก" * 200)
        for bad in ("ก" * 201, "นาย ก\nนาย ข"):
            with pytest.raises(UsageError, match="a display name has at most 200 characters on one line"):
                add_user(s, SYSTEM, "other.name", STRONG, "supervisor", "kk-land", bad)
            with pytest.raises(UsageError, match="at most 200 characters"):
                update_user(s, SYSTEM, "long.name", display_name=bad)
    assert main(["users", "--db", db_url, "add", "third.name", "--role", "admin", "--name", "x" * 201,
                 "--password", STRONG]) == 2
    assert "ชื่อที่แสดงต้องยาวไม่เกิน 200 ตัวอักษร" in capsys.readouterr().err


def _store_at_0017(url: str, names: list[str]) -> None:
    """A store as release 0.3 left it (revision 0017) with accounts of these names, each added
    through the trail as that release did."""
    from alembic import command

    from engine.store import audit
    from engine.store.db import make_engine
    from engine.store.migrate import alembic_config

    command.upgrade(alembic_config(url), "0018")
    engine = make_engine(url)
    users = sa.table("users", sa.column("username"), sa.column("display_name"), sa.column("password_hash"),
                     sa.column("role"), sa.column("agency_id"), sa.column("active"), sa.column("created_at"))
    with sa.orm.Session(engine) as s, s.begin():
        for name in names:
            s.execute(users.insert().values(username=name, display_name=name, password_hash="x", role="supervisor",
                                            agency_id="kk-land", active=True, created_at=dt.datetime(2025, 1, 1)))
        audit.append(s, UserEvent, [{"actor": "admin", "action": "added", "username": name,
                                     "details": {"role": "supervisor", "agency_id": "kk-land",
                                                 "display_name": name}} for name in names])
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def old_url(request, tmp_path):
    from conftest import pg_base_url, scratch_pg_database

    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/old.db"
        return
    base = pg_base_url()
    if not base:
        pytest.skip("no PostgreSQL server")
    with scratch_pg_database(base) as url:
        yield url


def test_the_upgrade_refuses_names_that_differ_only_in_case(old_url, capsys):
    from engine.store.migrate import current_revision

    _store_at_0017(old_url, ["supervisor.land", "Supervisor.Land", "head.land", "SUPERVISOR.LAND"])
    assert main(["db", "upgrade", "--db", old_url]) == 2
    err = capsys.readouterr().err
    assert "SUPERVISOR.LAND, Supervisor.Land, supervisor.land" in err and "head.land" not in err
    assert "ไม่ได้รวมบัญชีใด" in err and "no account was merged" in err and "--rename-user OLD=NEW" in err
    assert current_revision(old_url) == "0018"
    assert main(["db", "upgrade", "--db", old_url, "--rename-user", "Supervisor.Land=supervisor.land.2"]) == 2
    assert "SUPERVISOR.LAND, supervisor.land" in capsys.readouterr().err  # one clash is left: still refused
    assert current_revision(old_url) == "0018"
    assert main(["db", "upgrade", "--db", old_url, "--rename-user", "Supervisor.Land=supervisor.land.2",
                 "--rename-user", "SUPERVISOR.LAND=supervisor.land.old"]) == 0
    capsys.readouterr()
    with transaction(old_url) as s:
        assert sorted(s.scalars(select(User.username))) == ["head.land", "supervisor.land", "supervisor.land.2",
                                                           "supervisor.land.old"]
        renamed = s.scalars(select(UserEvent).where(UserEvent.action == "renamed").order_by(UserEvent.id)).all()
        assert [(e.username, e.details) for e in renamed] == [
            ("supervisor.land.2", {"from": "Supervisor.Land", "to": "supervisor.land.2"}),
            ("supervisor.land.old", {"from": "SUPERVISOR.LAND", "to": "supervisor.land.old"})]
        assert people(s, SYSTEM, ["Supervisor.Land"])["Supervisor.Land"][0] == "Supervisor.Land"  # the old login reads as the account
    assert main(["audit", "verify", "--db", old_url]) == 0, capsys.readouterr().err


# --- the app -----------------------------------------------------------------------------------

APP = str(Path(__file__).resolve().parents[1] / "ui" / "app.py")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    from engine.demo.store import setup_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('people')}/app.db"
    list(setup_demo(url, cases=400, as_of=dt.date(2026, 11, 25)))
    return url


def _app(demo_db, monkeypatch, user, page=None, **params):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    sys.path.insert(0, str(Path(APP).parent))
    monkeypatch.setenv("DISCRETION_DB_URL", demo_db)
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["app.lang"] = "th"
    at.session_state["auth.user"] = user
    at.run()
    if page:
        for k, v in params.items():
            at.query_params[k] = v
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_the_flag_page_refuses_the_users_own_matter_and_names_who_may_decide(demo_db, monkeypatch):
    with transaction(demo_db) as s:
        target = s.scalars(select(FlagRow).where(FlagRow.agency_id == "kk-land", FlagRow.status == "open",
                                                 FlagRow.subject_type == "case").order_by(FlagRow.flag_id)).first()
        link_officer(s, SYSTEM, "supervisor.land", target.officer_id)
    try:
        at = _app(demo_db, monkeypatch, ("supervisor.land", "supervisor", "kk-land"), "views/flag.py",
                  id=target.flag_id)
        warning = " ".join(w.value for w in at.warning).replace("\\", "")
        assert "ท่านพิจารณาข้อสังเกตนี้ไม่ได้ เพราะเป็นเรื่องเกี่ยวกับการพิจารณาเรื่อง" in warning
        assert target.subject_id in warning
        said = " ".join(m.value for m in at.markdown).replace("\\", "")
        assert "ผู้ที่พิจารณาข้อสังเกตนี้ได้" in said and "เจ้าพนักงานที่ดินจังหวัดขอนแก่น (หัวหน้าหน่วยงาน)" in said
        assert "ผู้อำนวยการกลุ่มงาน สำนักงานที่ดิน" not in said  # not himself
        assert not [b for b in at.button if b.key and b.key.endswith(".submit")]  # no form to save
        at = _app(demo_db, monkeypatch, ("head.land", "agency_head", "kk-land"), "views/flag.py", id=target.flag_id)
        assert not at.warning and [b for b in at.button if b.key == f"flag.{target.flag_id}.dismiss.submit"]
    finally:
        with transaction(demo_db) as s:
            from engine.store.access import unlink_officer

            unlink_officer(s, SYSTEM, "supervisor.land")


def test_the_users_page_links_and_unlinks_an_officer(demo_db, monkeypatch):
    with transaction(demo_db) as s:
        officer = s.scalar(select(sa.text("officer_id")).select_from(sa.text("officers"))
                           .where(sa.text("agency_id = 'kk-land'")).order_by(sa.text("officer_id")))
    admin = ("admin", "admin", None)
    at = _app(demo_db, monkeypatch, admin, "views/users.py")
    at.selectbox(key="users.pick").select("ethics.land").run()
    at.selectbox(key="users.ethics.land.officer").select(officer).run()
    at.button(key="users.ethics.land.link").click().run()
    assert not at.exception and f"เชื่อมโยง ethics.land กับเจ้าหน้าที่ {officer} แล้ว" in at.success[0].value.replace("\\", "")
    with transaction(demo_db) as s:
        assert s.scalar(select(User.officer_id).where(User.username == "ethics.land")) == officer
    at.button(key="users.ethics.land.unlink").click().run()
    with transaction(demo_db) as s:
        assert s.scalar(select(User.officer_id).where(User.username == "ethics.land")) is None
        assert [e.action for e in s.scalars(select(UserEvent).where(UserEvent.username == "ethics.land")
                                            .order_by(UserEvent.id))][-2:] == ["officer_linked", "officer_unlinked"]
