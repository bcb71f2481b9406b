"""``audit verify``: every trail walked (engine/store/audit.py ``walk``), and replayed against the
rows it describes (``verify_all``). Every flag's status,
version and decision, and every user's role, agency and active flag, must be what its events
say. A row changed without its event — ``UPDATE flags SET status = 'dismissed'``, a role made
``admin`` by SQL — is found here; the trails themselves are keyed (engine/store/audit.py), so
whoever can only write to the database cannot add the event that would explain the change.

What each event does to its row (the store's writers, engine/store/review.py, sync.py, access.py):

* a flag: ``created`` makes it (version 1); every later event moves it to the event's
  ``to_status`` and its version on by one (each writer bumps the version with its event:
  a decision, a waiver's expiry, a run's ``fired_again``, ``evidence_changed``,
  ``cleared_by_data`` and ``severity_changed``); ``confirm`` sets the corrective action and
  its due date, ``waive`` the approver and expiry (both stay through later events, as on the row).
* a user: ``added`` (role, agency, active); ``disabled`` / ``enabled``; ``updated`` (each
  changed field as ``[before, after]``); ``officer_linked`` / ``officer_unlinked`` (``officer_id``
  as ``[before, after]``, migration 0019); ``renamed`` (``from``, ``to``: the account's state
  goes on under its new name); ``password_reset`` changes none of them. A store before 0019 has
  no ``users.officer_id``: its users are compared on the other fields.
* ``state_recorded`` (both trails): the row as it was when migration 0017 keyed the trails,
  written for each row whose state its older events could not tell (a flag's version moved by
  a severity change, which made no event before 0017; an account made before user events).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store import audit, notify, requests, tokens
from engine.store.keys import AuditKeys
from engine.store.schema import FlagRow, User
from engine.store.scope import Scope

FLAG_FIELDS = ("status", "version", "corrective_action", "due_date", "waiver_approver", "waiver_expires_on")
USER_FIELDS = ("role", "agency_id", "active", "officer_id")
FIELD_NAMES = {
    "status": ("สถานะ", "status"), "version": ("เลขรุ่น", "version"),
    "corrective_action": ("การแก้ไข", "corrective action"), "due_date": ("กำหนดแล้วเสร็จ", "due date"),
    "waiver_approver": ("ผู้อนุมัติการผ่อนผัน", "waiver approver"),
    "waiver_expires_on": ("ผ่อนผันถึง", "waiver expiry"),
    "role": ("บทบาท", "role"), "agency_id": ("หน่วยงาน", "agency"), "active": ("ใช้งานได้", "active"),
    "officer_id": ("เจ้าหน้าที่ที่เชื่อมโยง", "linked officer"),
}
RECORDED = "state_recorded"


def verify(session: Session, scope: Scope) -> tuple[dict[str, int], list[audit.Broken]]:
    """``verify_all`` without anchors: (events per trail, what is broken)."""
    report = verify_all(session, scope)
    return report.counts, report.broken


def verify_all(session: Session, scope: Scope, anchors: list | None = None,
               keys: AuditKeys | None = None) -> audit.Report:
    """Walk every trail and replay each against the rows it describes: flags and information
    requests (flag_events), users and their notification settings (user_events), the API's
    tokens (api_token_events); with ``anchors`` (``anchors.read``), check that each trail still
    passes through them (``audit.walk``). Call it in one snapshot of the store
    (``db.begin_read``): a decision committed meanwhile would show as a flag ahead of its trail."""
    replays = {"flag_events": [FlagReplay(), requests.RequestReplay()],
               "user_events": [UserReplay(), notify.SettingsReplay()],
               "api_token_events": [tokens.TokenReplay()]}
    return audit.walk(session, scope, replays, anchors, keys)


def _plain(value: Any) -> Any:
    """A value as events hold it: dates as ISO text."""
    return value.isoformat() if isinstance(value, dt.date) else value


class FlagReplay:
    """Each flag's state as its events say, fed event by event in id order."""

    rows = "flags"

    def __init__(self) -> None:
        # flag id -> [status, version, corrective action, due date, approver, expiry, last event id]
        self.state: dict[str, list[Any]] = {}

    def feed(self, event_id: int, e: dict[str, Any]) -> None:
        st = self.state.get(e["flag_id"])
        action, details = e["action"], e["details"] or {}
        if action == RECORDED:
            self.state[e["flag_id"]] = [*(details.get(f) for f in FLAG_FIELDS), event_id]
            return
        if st is None:
            st = self.state[e["flag_id"]] = [None, 0, None, None, None, None, event_id]
        st[0] = e["to_status"]
        st[1] += 1
        if action == "confirm":
            st[2], st[3] = details.get("corrective_action"), details.get("due_date")
        elif action == "waive":
            st[4], st[5] = details.get("approver"), details.get("expires_on")
        st[6] = event_id

    def differences(self, session: Session):
        """(flag id, {field: (stored, replayed)}, last event id, the row's ``FLAG_FIELDS``) of
        every flag that differs (``None`` for a flag without events); ``compared`` counts the
        flags read."""
        seen = set()
        self.compared = 0
        stmt = select(FlagRow.flag_id, *(getattr(FlagRow, f) for f in FLAG_FIELDS)).order_by(FlagRow.flag_id)
        for row in session.execute(stmt).yield_per(5000):
            flag_id, stored = row[0], [_plain(v) for v in row[1:]]
            seen.add(flag_id)
            self.compared += 1
            st = self.state.get(flag_id)
            if st is None:
                yield flag_id, None, None, stored
                continue
            diff = {f: (s, r) for f, s, r in zip(FLAG_FIELDS, stored, st) if s != r}
            if diff:
                yield flag_id, diff, st[6], stored
        for flag_id in sorted(set(self.state) - seen):  # a flag's events name it (a foreign key): never here
            yield flag_id, {"status": (None, self.state[flag_id][0])}, self.state[flag_id][6], None

    def mismatches(self, session: Session) -> tuple[list[tuple[str, str, str]], int]:
        out = []
        for flag_id, diff, last, _ in self.differences(session):
            if diff is None:
                out.append(("flags", flag_id, "ไม่มีเหตุการณ์ใดในประวัติของข้อสังเกตนี้: ถูกเพิ่มโดยไม่ผ่านระบบ / "
                                              "no event in its trail: it was added without the trail"))
            else:
                out.append(("flags", flag_id, _said(diff, last, "ข้อสังเกต", "the flag")))
        return out, self.compared


class UserReplay:
    """Each user's role, agency, active flag and linked officer as the user events say."""

    rows = "users"

    def __init__(self) -> None:
        # user name -> [role, agency, active, officer, last event id]
        self.state: dict[str, list[Any]] = {}

    def feed(self, event_id: int, e: dict[str, Any]) -> None:
        action, details, name = e["action"], e["details"] or {}, e["username"]
        if action == RECORDED and details.get("exists") is False:
            self.state.pop(name, None)  # no account (0017 found events of one deleted outside the app)
            return
        if action == "renamed":  # the same account, under its new name from now on
            moved = self.state.pop(details.get("from"), None)
            if moved is not None:
                self.state[name] = moved
        st = self.state.setdefault(name, [None, None, None, None, event_id])
        if action in ("added", RECORDED):
            st[0], st[1] = details.get("role"), details.get("agency_id")
            st[2] = details.get("active", True)
            st[3] = details.get("officer_id")
        elif action in ("disabled", "enabled"):
            st[2] = action == "enabled"
        elif action in ("updated", "officer_linked", "officer_unlinked"):
            for i, f in enumerate(("role", "agency_id", "active", "officer_id")):
                if f in details:
                    st[i] = details[f][1]
        st[4] = event_id

    def differences(self, session: Session):
        """(user name, {field: (stored, replayed)}, last event id, the row's fields) of every user
        that differs (``None``: no events; ``{}``: events but no row); ``compared`` counts the
        users read. The fields are ``USER_FIELDS`` that the store's ``users`` has (a store before
        migration 0019 has no ``officer_id``)."""
        from sqlalchemy import inspect

        present = {c["name"] for c in inspect(session.connection()).get_columns("users")}
        fields = [f for f in USER_FIELDS if f in present]
        at = [USER_FIELDS.index(f) for f in fields]
        seen = set()
        self.compared = 0
        for row in session.execute(select(User.username, *(getattr(User, f) for f in fields))
                                   .order_by(User.username)):
            seen.add(row[0])
            self.compared += 1
            st = self.state.get(row[0])
            if st is None:
                yield row[0], None, None, tuple(row[1:])
                continue
            diff = {f: (s, st[i]) for f, s, i in zip(fields, row[1:], at) if s != st[i]}
            if diff:
                yield row[0], diff, st[4], tuple(row[1:])
        for name in sorted(set(self.state) - seen):
            yield name, {}, self.state[name][4], None

    def mismatches(self, session: Session) -> tuple[list[tuple[str, str, str]], int]:
        out = []
        for name, diff, last, _ in self.differences(session):
            if diff is None:
                out.append(("users", name, "ไม่มีเหตุการณ์ใดในประวัติของบัญชีนี้: ถูกเพิ่มโดยไม่ผ่านระบบ / "
                                           "no event in its trail: the account was added without the trail"))
            elif not diff:
                out.append(("users", name, f"ประวัติบอกว่ามีบัญชีนี้ (เหตุการณ์ล่าสุด #{last}) แต่ไม่มีในตาราง users: "
                                           f"ถูกลบ / its events say the account exists (last event #{last}) "
                                           "but there is no such row in users: it was deleted"))
            else:
                out.append(("users", name, _said(diff, last, "บัญชีผู้ใช้", "the account")))
        return out, self.compared


def _said(diff: dict[str, tuple[Any, Any]], last: int | None, what_th: str, what_en: str) -> str:
    th = ", ".join(f"{FIELD_NAMES[f][0]} ในตารางคือ {_shown(s)} แต่ประวัติบอกว่า {_shown(r)}" for f, (s, r) in diff.items())
    en = ", ".join(f"its {FIELD_NAMES[f][1]} is {_shown(s)} but its events say {_shown(r)}" for f, (s, r) in diff.items())
    return (f"{what_th}ถูกแก้ไขโดยไม่มีเหตุการณ์ในประวัติ: {th} (เหตุการณ์ล่าสุด #{last}) / {what_en} was changed "
            f"without an event in its trail: {en} (last event #{last})")


def _shown(value: Any) -> str:
    return "(none)" if value is None else repr(value)
