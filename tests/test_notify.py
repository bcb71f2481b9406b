"""The daily digest by e-mail (issue 23 item 3), against a local SMTP server (aiosmtpd) that
requires STARTTLS and a login: each user once a day, in their language, what is new and due in
their scope and nothing of anybody else's, linked to the app; turned off by the user; logged
without its body; a refused digest tried again, a sent one never twice."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from sqlalchemy import select, text
from test_due import AS_OF, OPEN_DUTIES

from engine.cli import main
from engine.ingest.loader import load_dataset
from engine.store import notify, province
from engine.store.access import add_user
from engine.store.replay import verify
from engine.store.data import import_dataset
from engine.store.db import session_factory, transaction
from engine.store.review import act
from engine.store.runs import run_evaluation
from engine.store.schema import DigestSent, FlagRow, UserEvent
from engine.store.scope import SYSTEM, Scope

PASSWORD = "ไม่มีใครเดาได้-correct-horse-battery"
SMTP_PASSWORD = "smtp-secret-8f2c"
BASE = "https://kk.example.go.th/discretion/"
WARN = {"warn_within_working_days": "5"}


class Inbox:
    """What the server received, and what it refuses (addresses answered 550)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], email.message.EmailMessage, bool]] = []
        self.refuse: set[str] = set()
        self.logins: list[str] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), msg, session.ssl is not None))
        return "250 Message accepted"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"digest" and \
            auth_data.password == SMTP_PASSWORD.encode()
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for localhost (the server's), which the client is told to trust."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture
def smtp(certificate, tmp_path, monkeypatch):
    cert, key = certificate
    inbox = Inbox()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    port = _free_port()

    class Server(Controller):
        def factory(self):
            return SMTP(self.handler, tls_context=context, require_starttls=True, authenticator=inbox.authenticate,
                        auth_require_tls=True, auth_required=True)

    controller = Server(inbox, hostname="localhost", port=port)
    controller.start()
    secret = tmp_path / "smtp-password"
    secret.write_text(SMTP_PASSWORD + "\n", encoding="utf-8")
    secret.chmod(0o600)
    for name, value in {"DISCRETION_SMTP_HOST": "localhost", "DISCRETION_SMTP_PORT": str(port),
                        "DISCRETION_SMTP_STARTTLS": "true", "DISCRETION_SMTP_USER": "digest",
                        "DISCRETION_SMTP_PASSWORD_FILE": str(secret), "DISCRETION_SMTP_CA_FILE": str(cert),
                        "DISCRETION_MAIL_FROM": "ระบบตรวจสอบการใช้ดุลพินิจ <noreply@kk.example.go.th>",
                        "DISCRETION_BASE_URL": BASE}.items():
        monkeypatch.setenv(name, value)
    yield inbox
    controller.stop()


USERS = [  # name, role, agency, display name, address, language, digest wanted
    ("head.a1", "agency_head", "A1", "หัวหน้าสำนักงานทดสอบ", "head@a1.example.go.th", "th", True),
    ("sup.a1", "supervisor", "A1", "Somchai Supervisor", "sup@a1.example.go.th", "en", True),
    ("sup.k2", "supervisor", "kk-transport", "ผู้บังคับบัญชาหน่วยงานอื่น", "sup@k2.example.go.th", "th", True),
    ("quiet.a1", "supervisor", "A1", "ไม่รับอีเมล", "quiet@a1.example.go.th", "th", False),
    ("province", "provincial", None, "สำนักงานจังหวัด", None, "th", True),  # no address: nothing to send to
]


@pytest.fixture
def store(db_url, dataset_dir):
    ds = load_dataset(dataset_dir(OPEN_DUTIES, replace=["risk_analyses", "monitoring_reports", "acknowledgements"]))
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, ds, "fixture")
        province.open_round(s, SYSTEM, 2567, dt.date(2024, 4, 25), "หนังสือจังหวัด (ทดสอบ)")
        for name, role, agency, display, address, lang, wanted in USERS:
            add_user(s, SYSTEM, name, PASSWORD, role, agency, display)
            notify.update_settings(s, SYSTEM, username=name, email=address, lang=lang, digest=wanted)
    run_evaluation(session_factory(db_url), SYSTEM, AS_OF - dt.timedelta(days=1), WARN)
    with transaction(db_url) as s:
        flag_id = s.scalar(select(FlagRow.flag_id).where(FlagRow.status == "open", FlagRow.subject_type == "case")
                           .order_by(FlagRow.flag_id))
        act(s, Scope("sup.a1", "supervisor", "A1"), flag_id, "request_info", reason="ขอสำเนาคำสั่ง (ความลับ)",
            officer_id="OFF1", reply_within_days=2, today=AS_OF)
    return db_url


def received(inbox: Inbox) -> dict[str, email.message.EmailMessage]:
    return {rcpt[0]: msg for _, rcpt, msg, _ in inbox.messages}


def body(msg: email.message.EmailMessage, kind: str = "plain") -> str:
    return msg.get_body(preferencelist=(kind,)).get_content()


def test_each_user_gets_one_digest_of_their_scope_in_their_language_over_starttls(store, smtp, capsys):
    assert main(["notify", "--as-of", AS_OF.isoformat(), "--db", store]) == 0
    mail = received(smtp)
    assert set(mail) == {"head@a1.example.go.th", "sup@a1.example.go.th"}  # K2 has nothing; quiet is off; no address
    assert all(tls for *_, tls in smtp.messages) and smtp.logins == ["digest"]  # one connection, logged in, TLS
    head = mail["head@a1.example.go.th"]
    assert head["Subject"].startswith("ระบบตรวจสอบการใช้ดุลพินิจ: สรุปประจำวันที่ 22 เม.ย. 2567")
    # (Python's parser puts a space between the name's two encoded words; mail readers join them: RFC 2047)
    assert "หัวหน้าสำนักงานทดสอบ<head@a1.example.go.th>" in head["To"].replace(" ", "")
    assert head["Auto-Submitted"] == "auto-generated"
    th = body(head)
    assert "ข้อสังเกตใหม่" in th and "หน้าที่ที่ใกล้ครบกำหนด" in th
    # duties with their day in the Buddhist Era and the working days left, linked to their case
    # (the run was a day earlier: the time left is counted again from the digest's day)
    assert ("26 เม.ย. 2567 — เรื่อง UNREVIEWED (อนุญาตทดสอบ) ผู้บังคับบัญชาต้องสอบทานภายใน 26 เม.ย. 2567 "
            "(อีก 4 วันทำการ)") in th
    assert "ต้องวิเคราะห์ความเสี่ยงร่วมกับคณะกรรมการจริยธรรมครั้งใหม่ภายใน 22 เม.ย. 2567 (วันนี้เป็นวันสุดท้าย)" in th
    assert f"{BASE}case?id=UNREVIEWED" in th
    # the round's deadline, the request awaiting its answer (to whom, by when), links to flags
    assert "กำหนดส่งรายงานและผลการประเมิน" in th and "ถึงจังหวัดภายใน 25 เม.ย. 2567 (อีก 3 วันทำการ)" in th
    assert "ขอให้เจ้าหน้าที่ OFF1 ตอบภายใน 24 เม.ย. 2567 (เหลือ 2 วันทำการ)" in th
    assert f"{BASE}flag?id=F" in th and f'href="{BASE}flag?id=F' in body(head, "html")
    # never the question typed, nor another agency
    assert "ความลับ" not in th and "ความลับ" not in body(head, "html")
    sup = body(mail["sup@a1.example.go.th"])
    assert "duties due soon" in sup and "Case UNREVIEWED (อนุญาตทดสอบ) must be checked by a supervisor by 2024-04-26" in sup
    assert "(4 working days left)" in sup and "1 request for information awaiting an answer" in sup
    # logged: who, the day, counts, the Message-ID the message carries — not the body
    with transaction(store) as s:
        rows = {r.username: r for r in s.scalars(select(DigestSent))}
    assert set(rows) == {"head.a1", "sup.a1"} and {r.status for r in rows.values()} == {"sent"}
    assert rows["head.a1"].message_id == head["Message-ID"] and rows["head.a1"].day == AS_OF
    assert rows["head.a1"].counts["duties"] > 0 and rows["head.a1"].counts["requests"] == 1
    assert set(DigestSent.__table__.columns.keys()) == {"id", "username", "day", "status", "claimed_at", "sent_at",
                                                        "flags_until", "counts", "message_id", "error"}
    assert "notify 2024-04-22: 2 sent, 0 already sent that day, 1 with nothing to tell" in capsys.readouterr().err


def test_a_digest_is_never_sent_twice_for_a_day_and_the_next_tells_only_what_is_new(store, smtp, capsys):
    assert main(["notify", "--as-of", AS_OF.isoformat(), "--db", store]) == 0
    assert main(["notify", "--as-of", AS_OF.isoformat(), "--db", store]) == 0
    assert len(smtp.messages) == 2
    assert "0 sent, 2 already sent that day" in capsys.readouterr().err
    # the next day: nothing new found, so no "new flags" section; then a run finds one, and it is told once
    nxt = AS_OF + dt.timedelta(days=1)
    run_evaluation(session_factory(store), SYSTEM, nxt, WARN)
    assert main(["notify", "--as-of", nxt.isoformat(), "--db", store]) == 0
    head = received(smtp)["head@a1.example.go.th"]
    th = body(head)
    assert "ข้อสังเกตใหม่ 1 รายการ" in th and "1.4" not in th.split("ข้อสังเกตใหม่")[0]
    with transaction(store) as s:
        new = s.scalar(select(FlagRow.flag_id).where(FlagRow.rule_id == "1.4-no-risk-analysis"))
    assert f"{BASE}flag?id={new}" in th


def test_a_digest_the_server_refuses_is_tried_again_and_the_others_are_not_sent_twice(store, smtp, capsys):
    smtp.refuse.add("sup@a1.example.go.th")
    assert main(["notify", "--as-of", AS_OF.isoformat(), "--db", store]) == 5
    err = capsys.readouterr().err
    assert "1 sent" in err and "1 refused by the mail server" in err and "550" in err
    with transaction(store) as s:
        assert {r.username: r.status for r in s.scalars(select(DigestSent))} == {"head.a1": "sent", "sup.a1": "failed"}
    smtp.refuse.clear()
    assert main(["notify", "--as-of", AS_OF.isoformat(), "--db", store]) == 0
    assert [rcpt for _, rcpt, _, _ in smtp.messages] == [["head@a1.example.go.th"], ["sup@a1.example.go.th"]]
    with transaction(store) as s:
        assert {r.username: r.status for r in s.scalars(select(DigestSent))} == {"head.a1": "sent", "sup.a1": "sent"}


def test_one_claim_per_user_and_day_whoever_asks_first(store):
    until = dt.datetime(2024, 4, 22, 1, 30)
    with transaction(store) as s:
        assert notify.claim(s, SYSTEM, "head.a1", AS_OF, until, {"duties": 1}, "<a@x>")
    with transaction(store) as s:
        assert not notify.claim(s, SYSTEM, "head.a1", AS_OF, until, {"duties": 1}, "<b@x>")
        notify.failed(s, SYSTEM, "head.a1", AS_OF, "550 refused")
    with transaction(store) as s:  # refused: the next may claim it again, once
        assert notify.claim(s, SYSTEM, "head.a1", AS_OF, until, {"duties": 1}, "<c@x>")
        assert not notify.claim(s, SYSTEM, "head.a1", AS_OF, until, {"duties": 1}, "<d@x>")


def test_a_dry_run_prints_the_digests_and_sends_and_logs_nothing(store, smtp, capsys):
    assert main(["notify", "--as-of", AS_OF.isoformat(), "--dry-run", "--db", store]) == 0
    out, err = capsys.readouterr()
    assert smtp.messages == [] and "2 composed (dry run" in err
    assert out.count("Message-ID:") == 2 and "head@a1.example.go.th" in out
    with transaction(store) as s:
        assert s.scalar(select(DigestSent.id)) is None


def test_a_user_who_turns_the_digest_off_gets_none_and_the_change_is_audited(store, smtp):
    head = Scope("head.a1", "agency_head", "A1")
    with transaction(store) as s:
        notify.update_settings(s, head, digest=False)
        with pytest.raises(Exception, match="may change only their own"):
            notify.update_settings(s, head, username="sup.a1", digest=False)
    assert main(["notify", "--as-of", AS_OF.isoformat(), "--db", store]) == 0
    assert set(received(smtp)) == {"sup@a1.example.go.th"}
    with transaction(store) as s:
        event = s.scalars(select(UserEvent).where(UserEvent.action == "notification_settings",
                                                  UserEvent.username == "head.a1").order_by(UserEvent.id.desc())).first()
        assert (event.actor, event.details["changed"], event.details["digest"]) == ("head.a1", ["digest"], False)
        assert verify(s, SYSTEM)[1] == []
        s.execute(text("UPDATE notification_settings SET digest = :t, email = 'x@evil.example' WHERE username = "
                       "'head.a1'"), {"t": True})
    with transaction(store) as s:
        [broken] = verify(s, SYSTEM)[1]
    assert broken.table == "notification_settings" and broken.event_id == "head.a1"
    assert "its e-mail is 'x@evil.example' but its events say 'head@a1.example.go.th'" in broken.what


@pytest.mark.parametrize("setting, value, says", [
    ("DISCRETION_SMTP_HOST", "", "DISCRETION_SMTP_HOST is not set"),
    ("DISCRETION_SMTP_PORT", "smtp", "DISCRETION_SMTP_PORT must be a port number"),
    ("DISCRETION_SMTP_STARTTLS", "false", "the mail password is never sent over a plain connection"),
    ("DISCRETION_SMTP_PASSWORD_FILE", "/nonexistent/password", "cannot read the mail password file"),
    ("DISCRETION_MAIL_FROM", "nobody", "DISCRETION_MAIL_FROM must be the sender's address"),
    ("DISCRETION_BASE_URL", "kk.example.go.th", "DISCRETION_BASE_URL (e.g. https://host/discretion/) must be"),
])
def test_an_unfit_mail_setting_is_refused_naming_it_and_nothing_is_sent(store, smtp, capsys, monkeypatch, setting,
                                                                          value, says):
    monkeypatch.setenv(setting, value)
    assert main(["notify", "--as-of", AS_OF.isoformat(), "--db", store]) == 2
    assert says in capsys.readouterr().err and smtp.messages == []
    with transaction(store) as s:
        assert s.scalar(select(DigestSent.id)) is None


def test_a_password_file_others_can_read_is_refused(store, smtp, capsys):
    Path(os.environ["DISCRETION_SMTP_PASSWORD_FILE"]).chmod(0o644)
    assert main(["notify", "--as-of", AS_OF.isoformat(), "--db", store]) == 2
    assert "is readable by every user of the machine" in capsys.readouterr().err


def test_an_address_that_is_not_one_is_refused(store):
    with transaction(store) as s, pytest.raises(Exception, match="is not an e-mail address"):
        notify.update_settings(s, Scope("head.a1", "agency_head", "A1"), email="หัวหน้า at a1")


def test_an_administrator_sets_a_users_digest_from_the_command_line(store, capsys):
    assert main(["users", "notify", "sup.a1", "--email", "somchai@a1.example.go.th", "--lang", "th", "--digest", "off",
                 "--db", store]) == 0
    assert "sup.a1: digest off, th, to somchai@a1.example.go.th" in capsys.readouterr().out
    with transaction(store) as s:
        assert notify.settings(s, SYSTEM, "sup.a1") == notify.Settings("sup.a1", "somchai@a1.example.go.th", "th", False)
        event = s.scalars(select(UserEvent).where(UserEvent.username == "sup.a1").order_by(UserEvent.id.desc())).first()
        assert (event.actor, event.action, sorted(event.details["changed"])) == (
            "system", "notification_settings", ["digest", "email", "lang"])
    assert main(["users", "notify", "sup.a1", "--email", "not an address", "--db", store]) == 2
    assert "that is not an e-mail address" in capsys.readouterr().err
