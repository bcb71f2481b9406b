"""Users, passwords and what each role may see and do. Scope is enforced here, in the data
layer: every query of engine.store.review filters by it, and every action checks it."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine.domain.errors import DiscretionReviewError, UsageError
from engine.domain.models import USER_NAME_MAX_LENGTH
from engine.store.db import begin_write
from engine.store.schema import LoginAttempt, User, utcnow
from engine.store.scope import MANAGE_USERS, READ, ROLES, PermissionDenied, Scope

HASHER = PasswordHasher()




def hash_password(password: str) -> str:
    return HASHER.hash(password)


MAX_USERNAME = USER_NAME_MAX_LENGTH  # the width of users.username and login_attempts.username
MIN_STRENGTH = 3    # zxcvbn's score (0–4): 3 = "safely unguessable", about 10^8 guesses or more
# words of this application that make a password easier to guess, besides the user's own names
APP_WORDS = ("discretion", "review", "khonkaen", "ขอนแก่น", "ita", "o48")
DEMO_PASSWORD = "demo-2562"  # the demo users' password, printed by demo-setup and in the README


MIN_USERNAME = 3
USERNAME = re.compile(rf"[a-z0-9._-]{{{MIN_USERNAME},{MAX_USERNAME}}}")
MAX_DISPLAY_NAME = 200


def check_username(username: str) -> str:
    """A new user name as stored: stripped; 3–64 characters of lowercase a–z, digits, '.', '_'
    and '-' (names made before release 0.4 that do not fit keep working; migration 0019)."""
    name = (username or "").strip()
    if USERNAME.fullmatch(name):
        return name
    lower = USERNAME.fullmatch(name.lower())
    raise UsageError(f"ชื่อผู้ใช้ต้องยาว {MIN_USERNAME}–{MAX_USERNAME} ตัว ใช้ได้เฉพาะ a–z ตัวพิมพ์เล็ก ตัวเลข จุด (.) "
                     "ขีดล่าง (_) และขีด (-) เช่น somchai.k" + (f" (ใช้ตัวพิมพ์เล็ก: {name.lower()})" if lower else "")
                     + f" / a user name has {MIN_USERNAME}–{MAX_USERNAME} characters: lowercase a–z, digits, '.', '_' "
                     f"and '-', e.g. somchai.k: {name[:80]!r}" + (f" (use lowercase: {name.lower()})" if lower else ""))


def check_display_name(display_name: str | None) -> str | None:
    """A display name as stored: stripped, at most 200 characters, one line; None when empty."""
    name = (display_name or "").strip()
    if not name:
        return None
    if len(name) > MAX_DISPLAY_NAME or any(not c.isprintable() for c in name):
        raise UsageError(f"ชื่อที่แสดงต้องยาวไม่เกิน {MAX_DISPLAY_NAME} ตัวอักษรและอยู่ในบรรทัดเดียว (ยาว {len(name)} ตัว) / "
                         f"a display name has at most {MAX_DISPLAY_NAME} characters on one line (this one has {len(name)})")
    return name


def _by_name(name: str):
    """The statement finding the account named ``name``, ignoring case (names are unique so)."""
    return select(User).where(func.lower(User.username) == name.lower())


def check_password(password: str, *user_inputs: str | None, demo: bool = False) -> None:
    """Refuse a password that is easy to guess, as measured by zxcvbn (score ≥ ``MIN_STRENGTH``),
    and the demo's published password (or one made from it), except for the demo's own users
    (``demo``).

    Why it matters here: every decision on a flag is audited under the user's name, so a
    guessed password lets someone else decide — and be recorded as that user.
    """
    from zxcvbn import zxcvbn

    if len(password or "") < 8:
        raise UsageError("รหัสผ่านต้องยาวอย่างน้อย 8 ตัวอักษร / a password has at least 8 characters")
    if demo and password == DEMO_PASSWORD:
        return
    if "".join(c for c in password.casefold() if c.isalnum()) == "demo2562":
        raise UsageError("รหัสผ่านนี้เป็นรหัสผ่านของระบบสาธิตซึ่งเผยแพร่ไว้ ใช้ได้เฉพาะผู้ใช้สาธิต / this is the demo's "
                         "published password: only the demo's users may have it")
    # zxcvbn's cost grows with length; the first 100 characters decide any realistic password
    result = zxcvbn(password[:100], user_inputs=[u for u in (*user_inputs, *APP_WORDS, DEMO_PASSWORD) if u])
    if result["score"] < MIN_STRENGTH:
        hint = " ".join(filter(None, [result["feedback"].get("warning"), *result["feedback"].get("suggestions", [])]))
        raise UsageError(
            f"รหัสผ่านนี้เดาได้ง่ายเกินไป (ระดับ {result['score']}/4 ต้องได้อย่างน้อย {MIN_STRENGTH}) เพราะทุกการพิจารณา"
            "ข้อสังเกตถูกบันทึกในนามของผู้ใช้ ใช้วลีที่ยาวขึ้นจากคำที่ไม่เกี่ยวกัน / this password is too easy to guess "
            f"(strength {result['score']}/4, at least {MIN_STRENGTH} needed): every decision on a flag is recorded "
            f"under the user's name. Use a longer phrase of unrelated words. {hint}".strip())


def _check_agency(session: Session, role: str, agency_id: str | None) -> str | None:
    """The agency a user of ``role`` belongs to: none for roles that see all agencies; else one
    that exists in the store or in kb/agencies.yaml (so users can be set up before the data)."""
    from engine.kb.knowledge import load_agencies
    from engine.store.schema import AgencyRow

    if role not in ROLES:
        raise UsageError(f"unknown role '{role}'; use one of {', '.join(ROLES)}")
    if ROLES[role][0]:
        return None
    if not agency_id:
        raise UsageError(f"a {role} belongs to one agency: give --agency")
    if session.get(AgencyRow, agency_id) is None and agency_id not in {a.id for a in load_agencies()}:
        raise UsageError(f"ไม่มีหน่วยงาน '{agency_id}' / no agency '{agency_id}' in the store or in kb/agencies.yaml")
    return agency_id


def _user(session: Session, username: str) -> User:
    user = session.scalar(_by_name((username or "").strip()))
    if user is None:
        raise UsageError(f"no user '{username}'")
    return user


def _record(session: Session, scope: Scope, action: str, username: str, details: dict | None = None) -> None:
    from engine.store import audit
    from engine.store.schema import UserEvent

    audit.append(session, UserEvent, [{"actor": scope.username, "action": action, "username": username,
                                       "details": details}])


def add_user(session: Session, scope: Scope, username: str, password: str, role: str, agency_id: str | None,
             display_name: str | None = None, *, demo: bool = False) -> User:
    """A new account (administrators only); recorded in ``user_events``. ``demo``: one of the
    demo installation's users (``engine.demo.store``), who may have the published demo password."""
    scope.require(MANAGE_USERS)
    username = check_username(username)
    display_name = check_display_name(display_name)
    agency_id = _check_agency(session, role, agency_id)
    check_password(password, username, display_name, demo=demo)
    existing = session.scalar(_by_name(username))
    if existing:  # names differ by more than case (an older "Supervisor.Land" takes supervisor.land)
        raise UsageError(f"user '{existing.username}' exists already")
    user = User(username=username, display_name=display_name or username,
                password_hash=hash_password(password), role=role, agency_id=agency_id, active=True)
    session.add(user)
    session.flush()
    _record(session, scope, "added", username, {"role": role, "agency_id": agency_id,
                                                 "display_name": user.display_name})
    return user


def set_active(session: Session, scope: Scope, username: str, active: bool) -> User:
    """Allow or stop a user's logins (history is kept); disabling ends their open sessions."""
    scope.require(MANAGE_USERS)
    user = _user(session, username)
    if not active and user.username == scope.username:
        raise UsageError("you cannot disable your own account")
    if user.active != active:
        user.active = active
        if not active:
            user.sessions_valid_after = utcnow()
        _record(session, scope, "enabled" if active else "disabled", user.username)
    return user


def reset_password(session: Session, scope: Scope, username: str, password: str) -> User:
    """A new password (never recorded, only that it changed); ends the user's open sessions."""
    scope.require(MANAGE_USERS)
    user = _user(session, username)
    check_password(password, user.username, user.display_name)
    user.password_hash = hash_password(password)
    user.sessions_valid_after = utcnow()
    _record(session, scope, "password_reset", user.username)
    return user


def update_user(session: Session, scope: Scope, username: str, *, role: str | None = None,
                agency_id: str | None = None, display_name: str | None = None) -> User:
    """Change a user's role, agency or display name; a new role or agency ends their sessions."""
    scope.require(MANAGE_USERS)
    user = _user(session, username)
    new_role = role or user.role
    new_agency = _check_agency(session, new_role, agency_id or (None if ROLES.get(new_role, (True,))[0]
                                                                 else user.agency_id))
    changes: dict[str, list] = {}
    if new_role != user.role:
        changes["role"] = [user.role, new_role]
    if new_agency != user.agency_id:
        changes["agency_id"] = [user.agency_id, new_agency]
    name = check_display_name(display_name) or ""
    if name and name != user.display_name:
        changes["display_name"] = [user.display_name, name]
    if not changes:
        return user
    if user.username == scope.username and "role" in changes:
        raise UsageError("you cannot change your own role")
    if "agency_id" in changes and user.officer_id and new_agency is not None:
        _check_officer_agency(session, user.username, user.officer_id, new_agency)
    user.role, user.agency_id, user.display_name = new_role, new_agency, name or user.display_name
    if "role" in changes or "agency_id" in changes:  # what the user may see or do changed
        user.sessions_valid_after = utcnow()
    _record(session, scope, "updated", user.username, changes)
    return user


def _check_officer_agency(session: Session, username: str, officer_id: str, agency_id: str) -> None:
    from engine.store.schema import OfficerRow

    officer = session.get(OfficerRow, officer_id)
    if officer is not None and officer.agency_id != agency_id:
        raise UsageError(f"ผู้ใช้ {username} เชื่อมโยงกับเจ้าหน้าที่ {officer_id} ของหน่วยงาน {officer.agency_id} "
                         f"ไม่ใช่หน่วยงาน {agency_id}: ยกเลิกการเชื่อมโยงก่อน / {username} is linked to officer "
                         f"{officer_id} of agency {officer.agency_id}, not {agency_id}: unlink it first")


def link_officer(session: Session, scope: Scope, username: str, officer_id: str) -> User:
    """Link an account to the officer of the imported data it belongs to (administrators only):
    the officer must be in the store, of the user's agency (a user of every agency may be linked
    to any), and linked to no other account. Recorded as ``officer_linked``. From then on the
    user may not decide a flag about their own decision, review or report (conflicts.py)."""
    from engine.store.schema import OfficerRow

    scope.require(MANAGE_USERS)
    user = _user(session, username)
    officer_id = (officer_id or "").strip()
    officer = session.get(OfficerRow, officer_id) if officer_id else None
    if officer is None:
        raise UsageError(f"ไม่มีเจ้าหน้าที่รหัส '{officer_id}' ในข้อมูลที่นำเข้า / no officer '{officer_id}' in the "
                         "imported data")
    if user.agency_id and officer.agency_id != user.agency_id:
        raise UsageError(f"เจ้าหน้าที่ {officer_id} อยู่หน่วยงาน {officer.agency_id} แต่ผู้ใช้ {user.username} อยู่หน่วยงาน "
                         f"{user.agency_id} / officer {officer_id} is of agency {officer.agency_id}, but "
                         f"{user.username} is of agency {user.agency_id}")
    other = session.scalar(select(User.username).where(User.officer_id == officer_id, User.id != user.id))
    if other:
        raise UsageError(f"เจ้าหน้าที่ {officer_id} เชื่อมโยงกับผู้ใช้ {other} อยู่แล้ว: ยกเลิกการเชื่อมโยงนั้นก่อน / officer "
                         f"{officer_id} is linked to {other} already: unlink it first")
    if user.officer_id != officer_id:
        before, user.officer_id = user.officer_id, officer_id
        _record(session, scope, "officer_linked", user.username, {"officer_id": [before, officer_id]})
    return user


def unlink_officer(session: Session, scope: Scope, username: str) -> User:
    """The account belongs to no officer any more (``officer_unlinked``); nothing when it did not."""
    scope.require(MANAGE_USERS)
    user = _user(session, username)
    if user.officer_id is not None:
        before, user.officer_id = user.officer_id, None
        _record(session, scope, "officer_unlinked", user.username, {"officer_id": [before, None]})
    return user


def list_users(session: Session, scope: Scope) -> list[User]:
    """Every account, by name (administrators only)."""
    scope.require(MANAGE_USERS)
    return list(session.scalars(select(User).order_by(User.username)))


def people(session: Session, scope: Scope, usernames: list[str] | set[str]) -> dict[str, tuple[str, str, str | None]]:
    """The display name, role and position of each user named (as a flag's history names its
    actors), by user name: a decision reads as the person's, not as a login. The position is the
    linked officer's (``officers.position``), None for an account linked to none. A name an
    account had before it was renamed (migration 0019) reads as that account. Any user who may
    read sees them."""
    from engine.store.schema import OfficerRow, UserEvent

    scope.require(READ)
    names = sorted({u for u in usernames if u})
    if not names:
        return {}
    renamed = {e.details["from"]: e.username for e in session.scalars(
        select(UserEvent).where(UserEvent.action == "renamed")) if (e.details or {}).get("from") in names}
    wanted = set(names) | set(renamed.values())
    found = {u.username: (u.display_name or u.username, u.role, position)
             for u, position in session.execute(
                 select(User, OfficerRow.position).outerjoin(OfficerRow, OfficerRow.officer_id == User.officer_id)
                 .where(User.username.in_(sorted(wanted))))}
    out = {name: found[name] for name in names if name in found}
    out.update({old: found[new] for old, new in renamed.items() if old not in out and new in found})
    return out


def user_events(session: Session, scope: Scope, username: str | None = None) -> list:
    """Who changed which account, newest first (administrators only)."""
    from engine.store.schema import UserEvent

    scope.require(MANAGE_USERS)
    stmt = select(UserEvent).order_by(UserEvent.id.desc())
    if username:
        stmt = stmt.where(UserEvent.username == username)
    return list(session.scalars(stmt))


MAX_FAILURES = 5                       # failed logins for one name from one source within the window …
FAILURE_WINDOW = dt.timedelta(minutes=15)  # … lock that name for that source until the window has passed
MAX_SOURCE_FAILURES = 30               # failed logins from one source, whatever the names: that source waits
MAX_NAME_FAILURES = 20                 # failed logins for one name from all sources together: the name is
#                                        refused to sources that have not logged in as it lately
KNOWN_SOURCE_DAYS = dt.timedelta(days=30)  # "lately": a source's successful login as the name this recent
SOURCE_UNKNOWN = "unknown"             # no address known (the command line, a test, a bare script)
MAX_SOURCE = 64                        # the width of login_attempts.source


class TooManyAttempts(DiscretionReviewError):
    """Too many failed logins for this name from here, or from here at all, recently; try again later."""


def name_hash(name: str) -> str:
    """The keyed hash under which a login's name is counted and a failed login's name kept
    (HMAC-SHA256 with ``keys.login_name_key``): not the name, which may be a password typed in
    the wrong box, yet the same for the same name, so that failures can be counted."""
    from engine.store.keys import login_name_key

    # names are unique ignoring case, and a login ignores it: so do the counts of failures
    return hmac.new(login_name_key(), name.lower().encode("utf-8"), hashlib.sha256).hexdigest()


def _could_be_a_name(name: str) -> bool:
    """Whether an account could have this name (``check_username``'s rule): a NUL or another
    control character never reaches a query (PostgreSQL refuses NUL in text with an error)."""
    return 0 < len(name) <= MAX_USERNAME and not any(c.isspace() or not c.isprintable() for c in name)


def authenticate(session: Session, username: str, password: str, now: dt.datetime | None = None,
                 source: str | None = None) -> Scope | None:
    """The user's scope when the password is right and the account active; None otherwise.

    Every attempt at a name an account could have is recorded: a success with the user's name,
    a failure with the name's keyed hash only (``name_hash``), both with their ``source`` (the
    client's address; ``SOURCE_UNKNOWN`` when there is none). Guessing is slowed by source, so
    that nobody can lock another person out from elsewhere (``TooManyAttempts``, right password
    or not, until the failures leave ``FAILURE_WINDOW``):

    * ``MAX_FAILURES`` failures for a name from a source since its last success there: that
      name, from that source;
    * ``MAX_SOURCE_FAILURES`` failures from a source, whatever the names: that source;
    * ``MAX_NAME_FAILURES`` failures for a name from all sources (guessing spread over many
      addresses): the name, from every source that has not logged in as it within
      ``KNOWN_SOURCE_DAYS`` — its owner, at their usual desk, still gets in.
    """
    name = (username or "").strip()
    if not _could_be_a_name(name):
        return None  # no account can have this name: nothing to check, nothing to lock
    source = (source or SOURCE_UNKNOWN).strip()[:MAX_SOURCE] or SOURCE_UNKNOWN
    now = now or utcnow()
    key = name_hash(name)
    # Count, check and record as one step per name and source: concurrent guesses queue here, so
    # no more passwords are checked than the limits allow (SQLite: the write lock; PostgreSQL: a
    # lock per name, then one per source, always in that order; other names go on).
    begin_write(session, f"login:{key}")
    begin_write(session, f"login-source:{source}")
    recent = session.execute(select(LoginAttempt.success, LoginAttempt.name_hash, LoginAttempt.source).where(
        or_(LoginAttempt.name_hash == key, LoginAttempt.source == source), LoginAttempt.at > now - FAILURE_WINDOW)
        .order_by(LoginAttempt.id.desc())).all()
    here = 0
    for success, hashed, where in recent:  # this name from this source: consecutive failures since its last success
        if hashed == key and where == source:
            if success:
                break
            here += 1
    from_source = sum(1 for success, _, where in recent if where == source and not success)
    for_name = sum(1 for success, hashed, _ in recent if hashed == key and not success)
    minutes = int(FAILURE_WINDOW.total_seconds() // 60)
    if here >= MAX_FAILURES or (for_name >= MAX_NAME_FAILURES and not _known_source(session, key, source, now)):
        raise TooManyAttempts(f"too many failed logins for '{name}'; try again in {minutes} minutes")
    if from_source >= MAX_SOURCE_FAILURES:
        raise TooManyAttempts(f"too many failed logins from this address; try again in {minutes} minutes")
    scope = _check_password(session, name, password)
    session.add(LoginAttempt(username=scope.username if scope is not None else None, name_hash=key, source=source, at=now,
                             success=scope is not None))
    session.flush()
    return scope


def _known_source(session: Session, key: str, source: str, now: dt.datetime) -> bool:
    """Whether ``source`` logged in as the name hashed ``key`` within ``KNOWN_SOURCE_DAYS``."""
    return session.scalar(select(LoginAttempt.id).where(
        LoginAttempt.name_hash == key, LoginAttempt.source == source, LoginAttempt.success.is_(True),
        LoginAttempt.at > now - KNOWN_SOURCE_DAYS).limit(1)) is not None


def _check_password(session: Session, name: str, password: str) -> Scope | None:
    user = session.scalar(_by_name(name))  # "Supervisor.Land" typed on a phone is supervisor.land
    if user is None:
        HASHER.hash(password)  # same work either way: no timing hint that the name exists
        return None
    try:
        HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if not user.active:
        return None
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return Scope(user.username, user.role, user.agency_id)


def scope_of(session: Session, username: str, logged_in_at: dt.datetime | None = None) -> Scope:
    """The scope of an active user; with ``logged_in_at``, also refused when the login session
    began before the account was disabled, its password reset or its role changed."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise PermissionDenied(f"no active user '{username}'")
    if logged_in_at is not None and user.sessions_valid_after is not None and logged_in_at < user.sessions_valid_after:
        raise PermissionDenied(f"the session of '{username}' has ended; log in again")
    return Scope(user.username, user.role, user.agency_id)
