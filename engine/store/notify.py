"""Telling people (issue 23 item 3), in the store: each user's notification settings — the
e-mail address their daily digest goes to, its language, and whether they want it — and the log
of digests sent, one per user and day.

Settings are the user's own: they change them in the app (an administrator may set them for
anyone, e.g. from the command line). Every change is a ``notification_settings`` event in
``user_events`` (keyed and hash-chained like the other account changes), holding the settings
after it; ``audit verify`` replays the rows from those events (``SettingsReplay``).

The log (``digests_sent``) keeps who, which day, when, the counts and the Message-ID, never the
body. A digest is *claimed* for its user and day (a unique row, committed) before it is handed to
the mail server, so two ``notify`` runs — or a second one the same day — never send it twice;
a digest the server refused is marked ``failed`` and may be tried again that day; one whose fate
is unknown (the connection broke while the server had it) stays ``sending`` and is not.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.domain.errors import UsageError
from engine.store import audit
from engine.store.schema import DigestSent, NotificationSetting, User, UserEvent, utcnow
from engine.store.scope import MANAGE_USERS, READ, PermissionDenied, Scope

LANGS = ("th", "en")
ACTION = "notification_settings"  # the user_events action of a change
# an address as a mail server takes it: a local part and a domain with a dot, no spaces, no
# display name or angle brackets (the digest is sent to exactly this)
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")


@dataclass(frozen=True)
class Settings:
    username: str
    email: str | None
    lang: str
    digest: bool


def check_email(text: str | None) -> str | None:
    """The address as stored (stripped; empty: none), or a refusal in Thai and English."""
    email = (text or "").strip()
    if not email:
        return None
    if len(email) > 254 or not _EMAIL.match(email):
        raise UsageError(f"อีเมล {email[:80]!r} ไม่ถูกต้อง ใช้รูปแบบ name@agency.go.th / that is not an e-mail "
                         "address: use the form name@agency.go.th")
    return email


def _target(scope: Scope, username: str | None) -> str:
    if username is None or username == scope.username:
        return scope.username
    if not scope.can(MANAGE_USERS):
        raise PermissionDenied(f"ตั้งค่าการแจ้งเตือนได้เฉพาะของตนเอง / {scope.username} may change only their own "
                               "notification settings")
    return username


def settings(session: Session, scope: Scope, username: str | None = None) -> Settings:
    """The user's settings (another user's: administrators only); none stored yet: no address,
    Thai, digest wanted."""
    scope.require(READ)
    name = _target(scope, username)
    row = session.get(NotificationSetting, name)
    if row is None:
        return Settings(name, None, "th", True)
    return Settings(name, row.email, row.lang, row.digest)


def update_settings(session: Session, scope: Scope, *, username: str | None = None, email: str | None = ...,
                    lang: str | None = None, digest: bool | None = None) -> Settings:
    """Change the user's own settings (another user's: administrators only); each field left out
    stays. Recorded in ``user_events`` when anything changed. ``email=None`` or ``""`` removes it."""
    scope.require(READ)
    name = _target(scope, username)
    if session.scalar(select(User.id).where(User.username == name)) is None:
        raise UsageError(f"no user '{name}'")
    before = settings(session, scope, name)
    after = Settings(name, before.email if email is ... else check_email(email),
                     before.lang if lang is None else lang, before.digest if digest is None else bool(digest))
    if after.lang not in LANGS:
        raise UsageError(f"ภาษาต้องเป็น th หรือ en / lang must be th or en, not {after.lang!r}")
    changed = {f: [getattr(before, f), getattr(after, f)] for f in ("email", "lang", "digest")
               if getattr(before, f) != getattr(after, f)}
    if not changed and session.get(NotificationSetting, name) is not None:
        return after
    row = session.get(NotificationSetting, name)
    if row is None:
        row = NotificationSetting(username=name)
        session.add(row)
    row.email, row.lang, row.digest, row.updated_at = after.email, after.lang, after.digest, utcnow()
    session.flush()
    audit.append(session, UserEvent, [{"actor": scope.username, "action": ACTION, "username": name,
                                       "details": {"changed": sorted(changed), "email": after.email,
                                                   "lang": after.lang, "digest": after.digest}}])
    return after


def recipients(session: Session, scope: Scope) -> list[tuple[User, Settings]]:
    """Active users who want the digest and have an address, by name (administrators only: it
    names every account)."""
    scope.require(MANAGE_USERS)
    rows = session.execute(select(User, NotificationSetting).join(NotificationSetting,
                                                                  NotificationSetting.username == User.username)
                           .where(User.active.is_(True), NotificationSetting.digest.is_(True),
                                  NotificationSetting.email.is_not(None)).order_by(User.username)).all()
    return [(u, Settings(u.username, s.email, s.lang, s.digest)) for u, s in rows]


# -- the log of digests sent -----------------------------------------------------------------------

SENT, SENDING, FAILED = "sent", "sending", "failed"


def last_cutoff(session: Session, scope: Scope, username: str, before: dt.date) -> dt.datetime | None:
    """The new-flags cut-off of the user's latest digest before ``before`` that went out (or may
    have: ``sending``), or None: the next digest's new flags are those after it."""
    scope.require(MANAGE_USERS)
    return session.scalar(select(DigestSent.flags_until).where(
        DigestSent.username == username, DigestSent.day < before, DigestSent.status.in_((SENT, SENDING)))
        .order_by(DigestSent.day.desc()).limit(1))


def claim(session: Session, scope: Scope, username: str, day: dt.date, flags_until: dt.datetime,
          counts: dict[str, int], message_id: str) -> bool:
    """Claim the user's digest of ``day`` before sending it (commit before sending): False when it
    was sent already, or is being sent, or its fate is unknown; True when it is ours to send —
    new, or tried before and refused by the server (``failed``)."""
    scope.require(MANAGE_USERS)
    values = {"status": SENDING, "claimed_at": utcnow(), "sent_at": None, "flags_until": flags_until,
              "counts": counts, "message_id": message_id, "error": None}
    done = session.execute(update(DigestSent).where(DigestSent.username == username, DigestSent.day == day,
                                                    DigestSent.status == FAILED).values(**values))
    if done.rowcount:
        return True
    try:
        with session.begin_nested():
            session.add(DigestSent(username=username, day=day, **values))
    except IntegrityError:
        return False  # one row per user and day: claimed by another run, or done
    return True


def sent(session: Session, scope: Scope, username: str, day: dt.date) -> None:
    """The claimed digest was accepted by the mail server."""
    scope.require(MANAGE_USERS)
    session.execute(update(DigestSent).where(DigestSent.username == username, DigestSent.day == day,
                                             DigestSent.status == SENDING).values(status=SENT, sent_at=utcnow()))


def failed(session: Session, scope: Scope, username: str, day: dt.date, error: str) -> None:
    """The mail server refused the claimed digest, or could not be reached: it may be tried again."""
    scope.require(MANAGE_USERS)
    session.execute(update(DigestSent).where(DigestSent.username == username, DigestSent.day == day,
                                             DigestSent.status == SENDING).values(status=FAILED, error=error[:2000]))


def log(session: Session, scope: Scope, day: dt.date | None = None) -> list[dict[str, Any]]:
    """The digests logged (of ``day``, or all), newest first: what an administrator may read."""
    scope.require(MANAGE_USERS)
    stmt = select(DigestSent).order_by(DigestSent.day.desc(), DigestSent.username)
    if day is not None:
        stmt = stmt.where(DigestSent.day == day)
    return [{c.name: getattr(r, c.name) for c in DigestSent.__table__.columns} for r in session.scalars(stmt)]


# -- audit verify: the settings replayed from the users' events -----------------------------------------

SETTING_FIELDS = ("email", "lang", "digest")
FIELD_NAMES = {"email": ("อีเมล", "e-mail"), "lang": ("ภาษา", "language"), "digest": ("รับสรุปรายวัน", "digest wanted")}


class SettingsReplay:
    """Each user's notification settings as their ``notification_settings`` events say."""

    rows = "notification_settings"

    def __init__(self) -> None:
        self.state: dict[str, list[Any]] = {}  # user name -> SETTING_FIELDS values and the last event id

    def feed(self, event_id: int, e: dict[str, Any]) -> None:
        if e["action"] == ACTION:
            details = e.get("details") or {}
            self.state[e["username"]] = [*(details.get(f) for f in SETTING_FIELDS), event_id]

    def mismatches(self, session: Session) -> tuple[list, int]:
        out, seen, compared = [], set(), 0
        t = NotificationSetting.__table__
        for row in session.execute(select(t.c.username, *(t.c[f] for f in SETTING_FIELDS)).order_by(t.c.username)):
            compared += 1
            seen.add(row[0])
            st = self.state.get(row[0])
            if st is None:
                out.append((self.rows, row[0], "ไม่มีเหตุการณ์ในประวัติของบัญชีที่ตั้งค่านี้: ถูกเพิ่มโดยไม่ผ่านระบบ / "
                                               "no event in the account's trail sets them: added without the trail"))
                continue
            diff = [(f, s, r) for f, s, r in zip(SETTING_FIELDS, row[1:], st) if s != r]
            if diff:
                th = ", ".join(f"{FIELD_NAMES[f][0]} ในตารางคือ {s!r} แต่ประวัติบอกว่า {r!r}" for f, s, r in diff)
                en = ", ".join(f"its {FIELD_NAMES[f][1]} is {s!r} but its events say {r!r}" for f, s, r in diff)
                out.append((self.rows, row[0], f"การตั้งค่าการแจ้งเตือนถูกแก้ไขโดยไม่มีเหตุการณ์ในประวัติ: {th} "
                                               f"(เหตุการณ์ล่าสุด #{st[3]}) / the notification settings were changed "
                                               f"without an event in the trail: {en} (last event #{st[3]})"))
        for name in sorted(set(self.state) - seen):
            out.append((self.rows, name, f"ประวัติบอกว่ามีการตั้งค่านี้ (เหตุการณ์ #{self.state[name][3]}) แต่ไม่มีในตาราง: "
                                         f"ถูกลบ / its events say the settings exist (event #{self.state[name][3]}) "
                                         "but there is no such row: they were deleted"))
        return out, compared


# -- what one user is told ---------------------------------------------------------------------------

def gather(session: Session, scope: Scope, day: dt.date, since: dt.datetime, until: dt.datetime,
           lang: str = "th", display_name: str | None = None, calendar: Any = None) -> Any:
    """The user's digest of ``day`` (``engine.outputs.digest.Digest``), within their scope: flags
    found after ``since`` up to ``until`` that still await a decision (open or needing
    information), most severe first; the duties due soon and not late (``duties.due_soon`` counted
    from ``day``), the requests for information awaiting an answer, the answers to the user's own
    requests recorded after ``since``, and the deadlines of the self-assessment campaigns and the
    acknowledgement rounds (guideline 2.3)."""
    from sqlalchemy import func

    from engine.outputs.digest import LIMIT, Digest
    from engine.store import duties, requests
    from engine.store.schema import FlagRow

    scope.require(READ)
    new = (FlagRow.created_at > since, FlagRow.created_at <= until, FlagRow.status.in_(("open", "needs_info")))
    agency = scope.agency_filter()
    where = (*new, FlagRow.agency_id == agency) if agency else new
    by_severity = dict(session.execute(select(FlagRow.severity, func.count()).where(*where)
                                       .group_by(FlagRow.severity)).all())
    first = session.execute(select(FlagRow.flag_id, FlagRow.rule_id, FlagRow.severity, FlagRow.subject_type,
                                   FlagRow.subject_id, FlagRow.agency_id).where(*where)
                            .order_by(FlagRow.severity_rank, FlagRow.created_at, FlagRow.flag_id).limit(LIMIT)).all()
    items = duties.due_soon(session, scope, on=day, calendar=calendar)
    round_rule = "2.3-not-reported"
    return Digest(
        username=scope.username, display_name=display_name or scope.username, lang=lang, day=day,
        new_flags=[dict(r._mapping) for r in first], new_flags_total=sum(by_severity.values()),
        new_by_severity=by_severity,
        duties=[i for i in items if i["kind"] == "duty" and not i["late"] and i["rule_id"] != round_rule],
        requests=[i for i in items if i["kind"] == "request"],
        answers=requests.answered_since(session, scope, since, until),
        deadlines=[i for i in items if i["kind"] == "campaign" or (i["kind"] == "duty" and not i["late"]
                                                                    and i["rule_id"] == round_rule)])


def already(session: Session, scope: Scope, username: str, day: dt.date) -> str | None:
    """The status of the user's digest of ``day`` when one was sent or is being sent (not to be
    sent again); None when it may be sent (none yet, or the last try was refused)."""
    scope.require(MANAGE_USERS)
    status = session.scalar(select(DigestSent.status).where(DigestSent.username == username, DigestSent.day == day))
    return status if status in (SENT, SENDING) else None
