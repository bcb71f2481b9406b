"""``discretion-review notify``: each user's daily digest by e-mail (issue 23 item 3).

For every active user who wants the digest and gave an address (engine/store/notify.py): what is
new in their scope since their last digest, what is due soon, the requests for information awaiting
an answer and the answers to their own, and the campaign and round deadlines — in their language,
each item linked to the app (``DISCRETION_BASE_URL``). A user with nothing to be told gets no mail.

A digest goes out at most once per user and day: it is claimed in the store before it is handed to
the mail server, then marked sent; one the server refused is marked failed and tried again by the
next ``notify`` that day; one whose fate is unknown (the connection broke) is not tried again. The
log keeps who, when, the counts and the Message-ID — never the body.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from sqlalchemy import select

from engine import logs
from engine.domain.errors import UsageError
from engine.outputs import digest as words
from engine.outputs.mail import Mailer, Refused, SmtpSettings, Uncertain, address, message_id
from engine.store import notify
from engine.store.db import session_factory, transaction
from engine.store.schema import AgencyRow, utcnow
from engine.store.scope import SYSTEM, Scope


@dataclass
class Outcome:
    """What a ``notify`` did, user by user."""

    sent: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # sent (or being sent) today before
    nothing: list[str] = field(default_factory=list)  # nothing new, nothing due
    failed: dict[str, str] = field(default_factory=dict)  # refused: tried again at the next notify today
    uncertain: dict[str, str] = field(default_factory=dict)  # may have been delivered: not tried again
    dry: list[str] = field(default_factory=list)  # --dry-run: composed, not sent

    def summary(self, day: dt.date) -> str:
        line = (f"notify {day.isoformat()}: {len(self.sent)} sent, {len(self.already)} already sent that day, "
                f"{len(self.nothing)} with nothing to tell")
        if self.dry:
            line += f", {len(self.dry)} composed (dry run: nothing sent or logged)"
        if self.failed:
            line += f", {len(self.failed)} refused by the mail server (tried again at the next notify that day)"
        if self.uncertain:
            line += f", {len(self.uncertain)} uncertain (the connection broke: not tried again)"
        return line


def base_url(env: dict[str, str] | None = None) -> str:
    """The app's address that links in a digest start with (``DISCRETION_BASE_URL``)."""
    env = os.environ if env is None else env  # type: ignore[assignment]
    url = (env.get("DISCRETION_BASE_URL") or "").strip()
    if not url.startswith(("https://", "http://")):
        raise UsageError("ไม่ได้ตั้งค่าที่อยู่ของแอป DISCRETION_BASE_URL (เช่น https://host/discretion/) ลิงก์ในอีเมลจึงชี้ไปไหนไม่ได้ / "
                         "DISCRETION_BASE_URL (e.g. https://host/discretion/) must be the app's address: the "
                         f"digest's links start with it (now {url!r})")
    return url if url.endswith("/") else url + "/"


def send_digests(url: str, day: dt.date, *, dry_run: bool = False, settings: SmtpSettings | None = None,
                 app_url: str | None = None, out: IO[str] | None = None,
                 mailer: Callable[[SmtpSettings], Mailer] = Mailer) -> Outcome:
    """Send every user's digest of ``day``; with ``dry_run`` write each one to ``out`` instead and
    neither send nor log it."""
    from engine.rules.catalogue import default_catalogue
    from engine.store.province import government_calendar

    app_url = app_url or base_url()
    if settings is None:
        settings = SmtpSettings.from_env() if not dry_run else _dry_settings()
    titles = {r.rule_id: (r.title_th, r.title_en) for r in default_catalogue()}
    outcome = Outcome()
    with transaction(url) as session:
        people = [(u.username, u.role, u.agency_id, u.display_name, s) for u, s in notify.recipients(session, SYSTEM)]
        agencies = dict(session.execute(select(AgencyRow.agency_id, AgencyRow.name)).all())
        calendar = government_calendar(session, SYSTEM)
    factory = session_factory(url)
    with mailer(settings) as post:
        for username, role, agency_id, display_name, wanted in people:
            scope = Scope(username, role, agency_id)
            with factory() as session:
                if not dry_run and notify.already(session, SYSTEM, username, day):
                    outcome.already.append(username)
                    continue
                until = utcnow()
                since = notify.last_cutoff(session, SYSTEM, username, day) or until - dt.timedelta(days=1)
                d = notify.gather(session, scope, day, since, until, wanted.lang, display_name, calendar)
            if d.empty:
                outcome.nothing.append(username)
                continue
            msg_id = message_id(settings)
            msg = words.compose(d, app_url, settings.sender, address(wanted.email, display_name), msg_id, titles,
                                {a: n for a, n in agencies.items() if scope.sees(a)})
            if dry_run:
                outcome.dry.append(username)
                if out is not None:
                    out.write(msg.as_string() + "\n")
                continue
            with transaction(url) as session:
                claimed = notify.claim(session, SYSTEM, username, day, until, d.counts(), msg_id)
            if not claimed:  # another notify took it meanwhile
                outcome.already.append(username)
                continue
            try:
                post.send(msg)
            except Refused as exc:
                with transaction(url) as session:
                    notify.failed(session, SYSTEM, username, day, str(exc))
                outcome.failed[username] = str(exc)
                logs.event("notify", "warning", user=username, day=day, outcome="refused", counts=d.counts(),
                           message_id=msg_id, error=str(exc))
                continue
            except Uncertain as exc:
                outcome.uncertain[username] = str(exc)
                logs.event("notify", "warning", user=username, day=day, outcome="uncertain", counts=d.counts(),
                           message_id=msg_id, error=str(exc))
                continue
            with transaction(url) as session:
                notify.sent(session, SYSTEM, username, day)
            outcome.sent.append(username)
            logs.event("notify", user=username, day=day, outcome="sent", counts=d.counts(), message_id=msg_id)
    return outcome


def _dry_settings() -> SmtpSettings:
    """A dry run composes with the real From when it is set, and sends nothing."""
    sender = os.environ.get("DISCRETION_MAIL_FROM", "").strip() or "discretion-review@localhost"
    return SmtpSettings("", 0, True, None, None, sender)

