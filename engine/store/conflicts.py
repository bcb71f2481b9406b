"""A reviewer's own conflict of interest: a user whose account is linked to an officer of the
data (``users.officer_id``, migration 0019) may not decide a flag about that officer's own
decision, review or report — the same reason the Administrative Procedure Act s.13 keeps an
official from considering their own matter. Every action on such a flag (engine/store/review.py,
single and bulk, app and command line) is refused in Thai and English, and the flag page names
who may decide it instead.

A flag is about an officer's own
* **decision** when it is about a case the officer decided (``cases.officer_id``) or let the
  decider go on with despite a conflict (``coi_permitted_by``), or is about the officer
  (an officer flag: rotation, repeat applicants, the ethics acknowledgement);
* **review** when the officer reviewed the case (``reviewed_by``);
* **report** when the officer made a report on the case up the chain (``escalations.reported_by``)
  or received one, whose investigation is theirs (``reported_to``).

A process or agency flag is about no one officer: it is decided as before.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.domain.errors import ReviewError
from engine.store.schema import CaseRow, EscalationRow, FlagRow, OfficerRow, User
from engine.store.scope import READ, ROLES, Scope

# how the officer is part of what the flag is about: (Thai, English)
PARTS = {
    "decided": ("การพิจารณาเรื่อง {case} ของท่านเอง", "your own decision of case {case}"),
    "permitted": ("การอนุญาตให้พิจารณาเรื่อง {case} ต่อไปของท่านเอง", "your own permission to go on with case {case}"),
    "subject": ("ตัวท่านเอง", "you yourself"),
    "reviewed": ("การสอบทานเรื่อง {case} ของท่านเอง", "your own review of case {case}"),
    "reported": ("รายงานเรื่อง {case} ของท่านเอง", "your own report on case {case}"),
    "reported_to": ("รายงานเรื่อง {case} ที่เสนอถึงท่าน", "the report on case {case} made to you"),
}


class ConflictOfInterest(ReviewError):
    """The user's own decision, review or report is what the flag is about: they may not decide it."""


@dataclass(frozen=True)
class Conflict:
    officer_id: str
    parts: tuple[str, ...]  # keys of PARTS
    case_id: str | None

    def words(self, lang: str = "th") -> str:
        i = 0 if lang == "th" else 1
        return (" และ" if lang == "th" else " and ").join(PARTS[p][i].format(case=self.case_id) for p in self.parts)

    def message(self) -> str:
        return (f"ท่านพิจารณาข้อสังเกตนี้ไม่ได้ เพราะเป็นเรื่องเกี่ยวกับ{self.words('th')} (ส่วนได้เสียของท่าน) "
                f"ให้ผู้มีสิทธิคนอื่นเป็นผู้พิจารณา / you may not decide this flag: it is about {self.words('en')} "
                "(your own conflict of interest); another user with the right must decide it")


def _linked_officer(session: Session, username: str) -> str | None:
    """The officer the user's account is linked to, or None."""
    return session.scalar(select(User.officer_id).where(User.username == username))


def _officers_involved(session: Session, flag: FlagRow) -> dict[str, tuple[str, ...]]:
    """Each officer whose own decision, review or report the flag is about, with how (``PARTS``)."""
    out: dict[str, list[str]] = {}

    def add(officer: str | None, part: str) -> None:
        if officer and part not in out.setdefault(officer, []):
            out[officer].append(part)

    if flag.subject_type == "officer":
        add(flag.subject_id, "subject")
    elif flag.subject_type == "case":
        case = session.get(CaseRow, flag.subject_id)
        if case is None:  # the case left the data since (its flag is cleared): the flag still names its decider
            add(flag.officer_id, "decided")
        else:
            add(case.officer_id, "decided")
            add(case.coi_permitted_by, "permitted")
            add(case.reviewed_by, "reviewed")
            for by, to in session.execute(select(EscalationRow.reported_by, EscalationRow.reported_to)
                                          .where(EscalationRow.case_id == case.case_id)):
                add(by, "reported")
                add(to, "reported_to")
    return {k: tuple(v) for k, v in out.items()}


def conflict(session: Session, scope: Scope, flag: FlagRow) -> Conflict | None:
    """The user's own conflict with this flag, if their account is linked to an officer involved."""
    officer = _linked_officer(session, scope.username)
    if officer is None:
        return None
    parts = _officers_involved(session, flag).get(officer)
    if not parts:
        return None
    return Conflict(officer, parts, flag.subject_id if flag.subject_type == "case" else None)


def check(session: Session, scope: Scope, flag: FlagRow) -> None:
    """Refuse (``ConflictOfInterest``) an action by a user on a flag about their own doing."""
    found = conflict(session, scope, flag)
    if found is not None:
        raise ConflictOfInterest(found.message())


@dataclass(frozen=True)
class Decider:
    username: str
    display_name: str
    role: str
    position: str | None


def who_may_decide(session: Session, scope: Scope, flag: FlagRow) -> list[Decider]:
    """The active users who may act on the flag's agency and are not linked to an officer it is
    about: the agency's head first, then its supervisors, then administrators, each by name
    (for a user who may see the flag)."""
    scope.require(READ, flag.agency_id)
    involved = set(_officers_involved(session, flag))
    order = {"agency_head": 0, "supervisor": 1, "admin": 2}
    rows = session.execute(select(User, OfficerRow.position)
                           .outerjoin(OfficerRow, OfficerRow.officer_id == User.officer_id)
                           .where(User.active.is_(True), User.role.in_(list(order)))).all()
    out = []
    for user, position in rows:
        if user.officer_id in involved:
            continue
        if not ROLES[user.role][0] and user.agency_id != flag.agency_id:
            continue
        out.append(Decider(user.username, user.display_name or user.username, user.role, position))
    return sorted(out, key=lambda d: (order[d.role], d.display_name, d.username))
