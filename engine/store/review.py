"""The review workflow: the queue, a flag's detail and history, and the actions on flags.

States: open → confirmed (corrective action and due date) | dismissed (reason) | waived
(justification, approver, expiry; reopens by itself after expiry) | needs_info (question);
needs_info → confirmed | dismissed | waived; confirmed → resolved; any decided state →
open again on "reopen" (with a reason). The system adds: cleared_by_data, fired_again,
evidence_changed, severity_changed, waiver_expired (and, once, state_recorded: migration 0017).
Every change appends to ``flag_events``, and bumps the flag's version with it
(``audit verify`` replays both: engine/store/replay.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.domain.errors import ReviewError
from engine.domain.calendar import today as bangkok_today
from engine.store import audit, conflicts, requests
from engine.store.db import begin_write
from engine.store.schema import AgencyRow, FlagEvent, FlagRow, OfficerRow, ProcessRow, utcnow
from engine.store.scope import ACT, READ, NotFound, PermissionDenied, Scope

STATUSES = ("open", "needs_info", "confirmed", "dismissed", "waived", "resolved", "cleared_by_data")
STATUS_NAMES = {
    "open": ("รอพิจารณา", "Open"), "needs_info": ("ขอข้อมูลเพิ่มเติม", "Needs information"),
    "confirmed": ("ยืนยันว่าไม่เป็นไปตามหลักเกณฑ์", "Confirmed"), "dismissed": ("ยุติ (ชี้แจงได้)", "Dismissed"),
    "waived": ("ผ่อนผันชั่วคราว", "Waived"), "resolved": ("แก้ไขแล้ว", "Resolved"),
    "cleared_by_data": ("ไม่พบในการประมวลผลครั้งล่าสุด", "Cleared by data"),
}


@dataclass(frozen=True)
class ActionSpec:
    to_status: str
    from_statuses: tuple[str, ...]
    required: tuple[str, ...]


ACTIONS: dict[str, ActionSpec] = {
    "confirm": ActionSpec("confirmed", ("open", "needs_info"), ("corrective_action", "due_date")),
    "dismiss": ActionSpec("dismissed", ("open", "needs_info"), ("reason",)),
    "waive": ActionSpec("waived", ("open", "needs_info"), ("reason", "approver", "expires_on")),
    "request_info": ActionSpec("needs_info", ("open",), ("reason",)),
    "resolve": ActionSpec("resolved", ("confirmed",), ("reason",)),
    "reopen": ActionSpec("open", ("confirmed", "dismissed", "waived", "needs_info", "resolved"), ("reason",)),
    # the answer to a request for information, kept in the history; the flag is open to decide again
    "answer": ActionSpec("open", ("needs_info",), ("reason",)),
}
ACTION_NAMES = {
    "confirm": ("ยืนยันว่าไม่เป็นไปตามหลักเกณฑ์", "Confirm non-compliance"), "dismiss": ("ยุติ (ชี้แจงได้)", "Dismiss as justified"),
    "waive": ("ผ่อนผันชั่วคราว", "Waive"), "request_info": ("ขอข้อมูลเพิ่มเติม", "Request information"),
    "resolve": ("บันทึกว่าแก้ไขแล้ว", "Mark resolved"), "reopen": ("เปิดพิจารณาใหม่", "Reopen"),
    "answer": ("บันทึกคำตอบข้อมูลที่ขอ", "Record the answer"),
    "created": ("ระบบพบ", "Found by the engine"), "evidence_changed": ("ข้อมูลเปลี่ยน", "Evidence changed"),
    "cleared_by_data": ("ไม่พบในการประมวลผลครั้งล่าสุด", "Cleared by data"), "fired_again": ("พบอีกครั้ง", "Found again"),
    "waiver_expired": ("การผ่อนผันหมดอายุ", "Waiver expired"),
    "severity_changed": ("ระดับความสำคัญเปลี่ยน", "Severity changed"),
    "state_recorded": ("บันทึกสถานะเมื่อปรับรุ่นฐานข้อมูล", "State recorded at the store's upgrade"),
}


@dataclass(frozen=True)
class Change:
    """A flag someone else changed since the user saw it, as the refusal names it: the flag, its
    subject, where it stands now, and the latest event on it (who did what, why and when).
    Only the flag id is known of one that is no longer within the user's reach."""

    flag_id: str
    rule_id: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    status: str | None = None  # None: no longer within reach (deleted, or out of the user's scope)
    version: int | None = None
    actor: str | None = None
    action: str | None = None
    reason: str | None = None
    at: dt.datetime | None = None

    def subject(self, lang: str = "en") -> str:
        """``case C0004883`` / ``เรื่อง C0004883``; the flag id when the subject is not known."""
        if not self.subject_id:
            return self.flag_id
        words = SUBJECT_WORDS.get(self.subject_type or "", ("", ""))
        word = words[0] if lang == "th" else words[1]
        return f"{word} {self.subject_id}".strip()


SUBJECT_WORDS = {"case": ("เรื่อง", "case"), "officer": ("เจ้าหน้าที่", "officer"),
                 "process": ("กระบวนงาน", "process"), "agency": ("หน่วยงาน", "agency")}


class StaleFlag(ReviewError):
    """Someone else changed the flag since it was read; nothing was saved, nothing typed is lost.
    ``changes`` names each flag that changed (``Change``), for the page to say who did what."""

    def __init__(self, message: str, changes: list[Change] | tuple[Change, ...] = ()) -> None:
        super().__init__(message)
        self.changes = list(changes)


class StoreBusy(ReviewError):
    """The database's write lock stayed taken past ``busy_timeout`` (an evaluation run saving a
    very large number of flags): nothing was saved, nothing typed is lost; try again."""

    def __init__(self) -> None:
        super().__init__("ระบบกำลังบันทึกผลการประมวลผลตามเกณฑ์ จึงยังบันทึกไม่ได้ ข้อความที่ท่านพิมพ์ยังอยู่ในแบบฟอร์ม "
                         "กรุณาบันทึกอีกครั้งในอีกสักครู่ / the database is busy saving an evaluation run, so nothing "
                         "was saved; your text is still in the form: save again in a moment.")


def is_lock_timeout(exc: BaseException) -> bool:
    """Whether a database error is SQLite's write lock not freed within ``busy_timeout``."""
    return "database is locked" in str(getattr(exc, "orig", exc))


@dataclass
class QueueFilter:
    measures: list[str] = field(default_factory=list)
    severities: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=lambda: ["open", "needs_info"])
    rule_ids: list[str] = field(default_factory=list)
    agency_id: str | None = None
    process_id: str | None = None
    officer_id: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    text: str | None = None


SORTS = {
    # severity_rank is computed by the database; both queue indexes follow this order exactly
    "severity": (FlagRow.severity_rank, FlagRow.event_date.desc(), FlagRow.flag_id),
    "newest": (FlagRow.created_at.desc(), FlagRow.flag_id),
    "date": (FlagRow.event_date.desc(), FlagRow.flag_id),
    "rule": (FlagRow.rule_id, FlagRow.subject_id),
    "subject": (FlagRow.subject_id, FlagRow.rule_id),
}


def _scoped(scope: Scope, stmt: Select) -> Select:
    scope.require(READ)
    agency = scope.agency_filter()
    return stmt.where(FlagRow.agency_id == agency) if agency else stmt


def _filtered(stmt: Select, f: QueueFilter) -> Select:
    if f.measures:
        stmt = stmt.where(FlagRow.measure.in_(f.measures))
    if f.severities:
        stmt = stmt.where(FlagRow.severity.in_(f.severities))
    if f.statuses:
        stmt = stmt.where(FlagRow.status.in_(f.statuses))
    if f.rule_ids:
        stmt = stmt.where(FlagRow.rule_id.in_(f.rule_ids))
    if f.agency_id:
        stmt = stmt.where(FlagRow.agency_id == f.agency_id)
    if f.process_id:
        stmt = stmt.where(FlagRow.process_id == f.process_id)
    if f.officer_id:
        stmt = stmt.where(FlagRow.officer_id == f.officer_id)
    if f.date_from:
        stmt = stmt.where(FlagRow.event_date >= f.date_from)
    if f.date_to:
        stmt = stmt.where(FlagRow.event_date <= f.date_to)
    text = search_text(f.text)
    if text:
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

        def named(row: Any, key: Any) -> Any:  # the ids whose name matches (the flags stay in scope)
            return select(key).where(row.name.ilike(like, escape="\\"))

        stmt = stmt.where(or_(
            *(col.ilike(like, escape="\\") for col in (FlagRow.flag_id, FlagRow.subject_id, FlagRow.applicant,
                                                        FlagRow.message_th, FlagRow.message_en)),
            FlagRow.officer_id.in_(named(OfficerRow, OfficerRow.officer_id)),
            FlagRow.process_id.in_(named(ProcessRow, ProcessRow.process_id)),
            FlagRow.agency_id.in_(named(AgencyRow, AgencyRow.agency_id))))
    return stmt


# characters that show as nothing: a text copied from the screen may bring them into the search box
# (present.plain's word joiner among them), where they would stop an id or a name from matching
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"))


def search_text(text: str | None) -> str:
    """What the queue's search looks for: ``text`` without invisible characters and outer white space.

    >>> search_text(" www\u2060.example.go.th ")
    'www.example.go.th'
    """
    return (text or "").translate(_INVISIBLE).strip()


def queue(session: Session, scope: Scope, f: QueueFilter, sort: str = "severity", page: int = 1,
          page_size: int = 50) -> tuple[list[FlagRow], int]:
    """One page of the flags the user may see, and how many match in all."""
    total = session.scalar(_filtered(_scoped(scope, select(func.count()).select_from(FlagRow)), f)) or 0
    # The page's ids first, then its rows: skipping to a far page walks only the index (the
    # severity indexes carry agency and status), not 10,000 whole rows with their evidence.
    page_ids = (_filtered(_scoped(scope, select(FlagRow.flag_id)), f).order_by(*SORTS[sort])
                .limit(page_size).offset(max(0, page - 1) * page_size).subquery())
    rows = session.scalars(select(FlagRow).join(page_ids, FlagRow.flag_id == page_ids.c.flag_id)
                           .order_by(*SORTS[sort])).all()
    return list(rows), total


def facets(session: Session, scope: Scope) -> dict[str, list[Any]]:
    """Distinct values for the queue's filters, within scope."""
    out = {}
    for name, col in (("process_id", FlagRow.process_id), ("officer_id", FlagRow.officer_id),
                      ("agency_id", FlagRow.agency_id), ("rule_id", FlagRow.rule_id)):
        out[name] = [v for v in session.scalars(_scoped(scope, select(col).distinct().order_by(col))) if v]
    return out


def status_counts(session: Session, scope: Scope) -> dict[str, int]:
    stmt = _scoped(scope, select(FlagRow.status, func.count()).group_by(FlagRow.status))
    return {s: n for s, n in session.execute(stmt)}


def get_flag(session: Session, scope: Scope, flag_id: str) -> FlagRow:
    """The flag, if it exists and the user may see it; otherwise ``NotFound`` either way."""
    row = session.scalar(_scoped(scope, select(FlagRow).where(FlagRow.flag_id == flag_id)))
    if row is None:
        raise NotFound(f"no flag {flag_id}")
    return row


def history(session: Session, scope: Scope, flag_id: str) -> list[FlagEvent]:
    get_flag(session, scope, flag_id)
    return list(session.scalars(select(FlagEvent).where(FlagEvent.flag_id == flag_id).order_by(FlagEvent.id)))


def _clean(value: Any) -> Any:
    return value.strip() or None if isinstance(value, str) else value


def _change(session: Session, row: FlagRow) -> Change:
    """The flag as it stands, with its latest event: what a refused decision is told."""
    last = session.scalar(select(FlagEvent).where(FlagEvent.flag_id == row.flag_id)
                          .order_by(FlagEvent.id.desc()).limit(1))
    return Change(row.flag_id, row.rule_id, row.subject_type, row.subject_id, row.status, row.version,
                  *((last.actor, last.action, last.reason, last.at) if last else ()))


def act(session: Session, scope: Scope, flag_id: str, action: str, *, reason: str | None = None,
        corrective_action: str | None = None, due_date: dt.date | None = None, approver: str | None = None,
        expires_on: dt.date | None = None, expected_version: int | None = None,
        today: dt.date | None = None, officer_id: str | None = None,
        reply_within_days: int | None = None) -> FlagRow:
    """Take one action on a flag; raise before changing anything when it cannot be taken.

    ``request_info`` addresses its question to ``officer_id`` (an officer of the flag's agency),
    who replies within ``reply_within_days`` working days (default: the knowledge base's); both are
    in its event, with the reply-by date and the request's row (engine/store/requests.py).
    ``answer`` fills in the latest request's answer."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise ReviewError(f"unknown action '{action}'")
    # Flag writers queue on one lock (taken before reading, the same order as a run's sync)
    # rather than deadlock; the version check below still refuses a decision made on a stale view.
    begin_write(session, "flag_events")
    row = get_flag(session, scope, flag_id)
    scope.require(ACT, row.agency_id)
    conflicts.check(session, scope, row)  # not on a flag about the user's own decision, review or report
    given = {"reason": _clean(reason), "corrective_action": _clean(corrective_action), "due_date": due_date,
             "approver": _clean(approver), "expires_on": expires_on}
    missing = [name for name in spec.required if not given[name]]
    if missing:
        raise ReviewError(f"{action} needs {', '.join(missing)}")
    # checked first: a decision someone else made meanwhile is reported as such, not as a wrong state
    if expected_version is not None and row.version != expected_version:
        raise StaleFlag(f"flag {flag_id} was changed by someone else (version {row.version}, you saw "
                        f"{expected_version}); reload it — your text is kept in the form", [_change(session, row)])
    if row.status not in spec.from_statuses:
        raise ReviewError(f"a {row.status} flag cannot be {spec.to_status} (action {action})")
    today = today or bangkok_today()
    request = requests.prepare(session, scope, row, officer_id, reply_within_days, today) \
        if action == "request_info" else {}
    if action == "waive" and expires_on <= today:
        raise ReviewError("a waiver expires after today")
    if action == "confirm" and due_date < today:
        raise ReviewError("the due date of a corrective action is today or later")
    before = row.status
    row.status = spec.to_status
    row.updated_at = utcnow()
    if action == "confirm":
        row.corrective_action, row.due_date = given["corrective_action"], due_date
    elif action == "waive":
        row.waiver_approver, row.waiver_expires_on = given["approver"], expires_on
    details = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in given.items()
               if v is not None and k != "reason"}
    details.update(request)
    known = Change(flag_id, row.rule_id, row.subject_type, row.subject_id)  # read before a failed flush expires it
    try:
        session.flush()  # the version check: UPDATE … WHERE version = the one read
    except StaleDataError:
        raise StaleFlag(f"flag {flag_id} was changed by someone else while you were saving; reload it — "
                        "your text is kept in the form", [known]) from None
    at = utcnow()  # under the flags' lock: after every event before it
    if action == "request_info":  # its row, named by its event, at its event's time
        details["request_id"] = requests.record(session, scope, row, given["reason"], request, at)
    elif action == "answer" and (answered := requests.answer(session, scope, row, given["reason"], at)) is not None:
        details["request_id"] = answered
    audit.append(session, FlagEvent, [{"flag_id": flag_id, "actor": scope.username, "action": action,
                                       "from_status": before, "to_status": spec.to_status,
                                       "reason": given["reason"], "details": details or None, "at": at}])
    return row


def bulk_act(session: Session, scope: Scope, flag_ids: list[str], action: str,
             expected_versions: dict[str, int] | None = None, **fields: Any) -> list[FlagRow]:
    """The same action on every selected flag: all of them, or (on any problem) none.

    ``expected_versions`` (flag id -> the version the user saw when ticking it) makes it as careful
    as a single action, and then every flag must have one: if anyone changed one of the flags
    since, or it is no longer within reach, ``StaleFlag`` is raised naming their subjects
    (``changes``) and nothing of the bulk is saved. Flags are taken in id order, under the lock
    every writer of flags takes first (``begin_write``: a run waits for it, or it for the run).
    """
    if not flag_ids:
        raise ReviewError("no flags selected")
    flag_ids = list(dict.fromkeys(flag_ids))
    if expected_versions is not None:
        unseen = [f for f in flag_ids if expected_versions.get(f) is None]
        if unseen:  # a version for each flag, or the careful path is not careful for that one
            raise ReviewError(f"no version seen for {', '.join(unseen)}")
    problems: list[str] = []
    changes: list[Change] = []
    done: list[FlagRow] = []
    begin_write(session, "flag_events")  # before the savepoint: SQLite's lock must be taken outside it
    savepoint = session.begin_nested()
    for flag_id in sorted(flag_ids):
        expected = expected_versions.get(flag_id) if expected_versions is not None else None
        try:
            done.append(act(session, scope, flag_id, action, expected_version=expected, **fields))
        except StaleFlag as exc:
            changes.extend(exc.changes or [Change(flag_id)])
        except NotFound:
            if expected_versions is None:
                problems.append(f"{flag_id}: no flag {flag_id}")
            else:  # ticked, and gone from the user's reach since: a change like any other
                changes.append(Change(flag_id))
        except (ReviewError, PermissionDenied) as exc:
            problems.append(f"{_named(session, scope, flag_id)}: {exc}")
    if changes or problems:
        savepoint.rollback()
        if changes:
            th = ", ".join(c.subject("th") for c in changes)
            en = ", ".join(c.subject("en") for c in changes)
            raise StaleFlag(f"ไม่ได้บันทึกรายการใดเลย: มีผู้อื่นแก้ไขข้อสังเกตของ {th} หลังจากที่ท่านเลือก / "
                            f"nothing was saved; {len(changes)} of {len(flag_ids)} flags were changed by someone "
                            f"else since you ticked them ({en}) — check them and tick again:\n"
                            + "\n".join([f"{c.subject('en')} ({c.rule_id or '?'}, {c.flag_id})" for c in changes]
                                         + problems), changes)
        raise ReviewError(f"nothing was saved; {len(problems)} of {len(flag_ids)} flags cannot take '{action}':\n"
                          + "\n".join(problems))
    savepoint.commit()
    return done


def _named(session: Session, scope: Scope, flag_id: str) -> str:
    """``C0004883 (F…)``: a flag as a refusal names it, by its subject."""
    try:
        return f"{get_flag(session, scope, flag_id).subject_id} ({flag_id})"
    except NotFound:
        return flag_id


def expire_waivers(session: Session, today: dt.date | None = None) -> int:
    """Reopen every waiver whose expiry date has passed; return how many.

    Under the write lock (``begin_write``, rows ``FOR UPDATE``): the flags read as waived are
    the ones updated, so each ``waiver_expired`` event starts from the flag's real status.
    """
    today = today or bangkok_today()
    begin_write(session, "flag_events")
    # in expiry order, so that SQLite walks the expiry index rather than every flag by id; the
    # rows' lock order is immaterial: every writer of flags holds begin_write's lock first
    rows = session.execute(select(FlagRow.flag_id).where(FlagRow.status == "waived",
                                                         FlagRow.waiver_expires_on < today)
                           .order_by(FlagRow.waiver_expires_on, FlagRow.flag_id).with_for_update()).scalars().all()
    if not rows:
        return 0
    now = utcnow()
    session.execute(update(FlagRow).where(FlagRow.flag_id.in_(rows))
                    .values(status="open", updated_at=now, version=FlagRow.version + 1))
    audit.append(session, FlagEvent, [
        {"flag_id": r, "at": now, "actor": "system", "action": "waiver_expired", "from_status": "waived",
         "to_status": "open", "reason": None, "details": {"today": today.isoformat()}, "run_id": None} for r in rows])
    return len(rows)
