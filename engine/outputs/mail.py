"""Sending e-mail (the daily digest, ``discretion-review notify``) through the province's mail
server, with the settings an operator gives in the environment (docs/operations.md):

=============================  ==================================================================
``DISCRETION_SMTP_HOST``       the mail server (required to send)
``DISCRETION_SMTP_PORT``       its port (default 587, the submission port)
``DISCRETION_SMTP_STARTTLS``   ``true`` (default): the connection is encrypted with STARTTLS and the
                               server's certificate checked before anything is sent; ``false``: plain
                               (a relay on this machine only; never with a password)
``DISCRETION_SMTP_USER``       the account to log in as (none: no login)
``DISCRETION_SMTP_PASSWORD_FILE``  a file holding its password (its first line), readable by the
                               service only — never the password itself in the environment
``DISCRETION_SMTP_CA_FILE``    certificates to trust for the server, besides the system's (a private CA)
``DISCRETION_MAIL_FROM``       the From address, e.g. ``ระบบตรวจสอบการใช้ดุลพินิจ <noreply@province.go.th>``
=============================  ==================================================================
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import getaddresses, make_msgid
from pathlib import Path

from engine.domain.errors import UsageError


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    starttls: bool
    user: str | None
    password: str | None
    sender: str  # the From header as given
    ca_file: str | None = None
    timeout: float = 30.0

    @property
    def sender_domain(self) -> str:
        address = getaddresses([self.sender])[0][1]
        return address.rpartition("@")[2] or "localhost"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings:
        """The settings in the environment; a missing or unfit one is refused naming it (Thai and English)."""
        env = os.environ if env is None else env
        host = env.get("DISCRETION_SMTP_HOST", "").strip()
        if not host:
            raise UsageError("ไม่ได้ตั้งค่าเครื่องแม่ข่ายอีเมล DISCRETION_SMTP_HOST / DISCRETION_SMTP_HOST is not set: the "
                             "digest has no mail server to go through (docs/operations.md, E-mail)")
        try:
            port = int(env.get("DISCRETION_SMTP_PORT", "587"))
            if not 0 < port < 65536:
                raise ValueError
        except ValueError:
            raise UsageError(f"DISCRETION_SMTP_PORT ต้องเป็นเลขพอร์ต 1–65535 / DISCRETION_SMTP_PORT must be a port "
                             f"number, not {env.get('DISCRETION_SMTP_PORT')!r}") from None
        starttls_text = env.get("DISCRETION_SMTP_STARTTLS", "true").strip().lower()
        if starttls_text not in ("true", "false", "yes", "no", "1", "0"):
            raise UsageError(f"DISCRETION_SMTP_STARTTLS ต้องเป็น true หรือ false / DISCRETION_SMTP_STARTTLS is true or "
                             f"false, not {starttls_text!r}")
        starttls = starttls_text in ("true", "yes", "1")
        user = env.get("DISCRETION_SMTP_USER", "").strip() or None
        password = None
        if user is not None:
            password = _password(env.get("DISCRETION_SMTP_PASSWORD_FILE", "").strip())
            if not starttls:
                raise UsageError("จะไม่ส่งรหัสผ่านอีเมลผ่านการเชื่อมต่อที่ไม่เข้ารหัส: ตั้ง DISCRETION_SMTP_STARTTLS=true / "
                                 "the mail password is never sent over a plain connection: with DISCRETION_SMTP_USER, "
                                 "DISCRETION_SMTP_STARTTLS must be true")
        sender = env.get("DISCRETION_MAIL_FROM", "").strip()
        if not sender or "@" not in getaddresses([sender])[0][1]:
            raise UsageError(f"DISCRETION_MAIL_FROM ต้องเป็นที่อยู่อีเมลผู้ส่ง / DISCRETION_MAIL_FROM must be the sender's "
                             f"address (e.g. noreply@province.go.th), not {sender!r}")
        ca_file = env.get("DISCRETION_SMTP_CA_FILE", "").strip() or None
        if ca_file is not None and not Path(ca_file).is_file():
            raise UsageError(f"ไม่พบไฟล์ DISCRETION_SMTP_CA_FILE {ca_file} / DISCRETION_SMTP_CA_FILE {ca_file} is not a file")
        return cls(host, port, starttls, user, password, sender, ca_file)


def _password(path: str) -> str:
    """The first line of the password file: one others cannot read."""
    if not path:
        raise UsageError("มี DISCRETION_SMTP_USER แต่ไม่มี DISCRETION_SMTP_PASSWORD_FILE / DISCRETION_SMTP_USER is set "
                         "but DISCRETION_SMTP_PASSWORD_FILE (the file holding its password) is not")
    file = Path(path)
    try:
        mode = file.stat().st_mode
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"อ่านไฟล์รหัสผ่านอีเมล {path} ไม่ได้ / cannot read the mail password file {path}: "
                         f"{exc.strerror}") from None
    if mode & stat.S_IROTH:
        raise UsageError(f"ไฟล์รหัสผ่านอีเมล {path} ผู้อื่นอ่านได้: chmod 0640 หรือ 0600 / the mail password file {path} "
                         "is readable by every user of the machine: chmod it 0640 or 0600")
    password = (text.splitlines() or [""])[0]
    if not password:
        raise UsageError(f"ไฟล์รหัสผ่านอีเมล {path} ว่าง / the mail password file {path} is empty")
    return password


def message_id(settings: SmtpSettings) -> str:
    """A new Message-ID in the sender's domain."""
    return make_msgid(domain=settings.sender_domain)


def address(email: str, name: str | None = None) -> str:
    """A To header: the address, with the person's name when given (encoded by the header's rules)."""
    local, _, domain = email.partition("@")
    return str(Address(display_name=name or "", username=local, domain=domain))


class Refused(Exception):
    """The mail server refused the message, or could not be reached or logged in to: it was not
    sent, and may be tried again."""


class Uncertain(Exception):
    """The connection broke while the server had the message: it may or may not have been
    delivered (never tried again, so never sent twice)."""


class Mailer:
    """One connection to the mail server for many messages (opened at the first one)."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            smtp.ehlo()
            if s.starttls:
                context = ssl.create_default_context(cafile=s.ca_file)
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.user is not None:
                smtp.login(s.user, s.password or "")
        except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
            raise Refused(f"cannot reach or log in to {s.host}:{s.port}: {_said(exc)}") from None
        return smtp

    def send(self, msg: EmailMessage) -> None:
        """Hand ``msg`` to the server (``Refused`` or ``Uncertain`` when it did not take it)."""
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            refused = self._smtp.send_message(msg)
        except smtplib.SMTPServerDisconnected as exc:
            self._smtp = None
            raise Uncertain(f"the connection to {self.settings.host} broke while sending: {_said(exc)}") from None
        except smtplib.SMTPResponseException as exc:  # the server answered no: not taken
            raise Refused(f"{self.settings.host} refused it: {_said(exc)}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise Refused(f"{self.settings.host} refused the address: {_said(exc)}") from None
        except (OSError, socket.timeout) as exc:
            self._smtp = None
            raise Uncertain(f"the connection to {self.settings.host} failed while sending: {_said(exc)}") from None
        if refused:
            raise Refused(f"{self.settings.host} refused {', '.join(refused)}")

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._smtp = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _said(exc: BaseException) -> str:
    """An SMTP error's code and first line (never a password: smtplib's errors carry none)."""
    code = getattr(exc, "smtp_code", None)
    text = getattr(exc, "smtp_error", None)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    first = (str(text if text is not None else exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    return f"{code} {first}" if code else first
