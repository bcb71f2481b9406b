"""Users, passwords and what each role may see and do. Scope is enforced here, in the data
layer: every query of engine.store.review filters by it, and every action checks it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import DiscretionReviewError, UsageError
from .schema import LoginAttempt, User, utcnow

READ, ACT, IMPORT, RISK, SELF_ASSESS, MANAGE_USERS = "read", "act", "import", "risk", "self_assess", "manage_users"

ROLES: dict[str, tuple[bool, frozenset[str]]] = {  # role -> (all agencies?, permissions)
    "supervisor": (False, frozenset({READ, ACT, IMPORT})),
    "ethics_committee": (False, frozenset({READ, RISK})),
    "agency_head": (False, frozenset({READ, ACT, IMPORT, RISK, SELF_ASSESS})),
    "provincial": (True, frozenset({READ})),
    "admin": (True, frozenset({READ, ACT, IMPORT, RISK, SELF_ASSESS, MANAGE_USERS})),
}
ROLE_NAMES = {
    "supervisor": ("ผู้บังคับบัญชา", "Supervisor"), "ethics_committee": ("คณะกรรมการจริยธรรม", "Ethics committee"),
    "agency_head": ("หัวหน้าหน่วยงาน", "Agency head"), "provincial": ("เจ้าหน้าที่จังหวัด", "Provincial officer"),
    "admin": ("ผู้ดูแลระบบ", "Administrator"),
}

_HASHER = PasswordHasher()


class PermissionDenied(DiscretionReviewError):
    """The user's role or agency does not allow this."""


class NotFound(DiscretionReviewError):
    """No such record within the user's scope (records outside it are not found either)."""


@dataclass(frozen=True)
class Scope:
    """Who is asking: the data layer filters and checks everything by this."""

    username: str
    role: str
    agency_id: str | None

    @property
    def all_agencies(self) -> bool:
        return ROLES[self.role][0]

    def can(self, permission: str) -> bool:
        return permission in ROLES[self.role][1]

    def require(self, permission: str, agency_id: str | None = None) -> None:
        if not self.can(permission):
            raise PermissionDenied(f"{self.username} ({self.role}) may not {permission.replace('_', ' ')}")
        if agency_id is not None and not self.sees(agency_id):
            raise PermissionDenied(f"{self.username} may not {permission.replace('_', ' ')} for agency {agency_id}")

    def sees(self, agency_id: str) -> bool:
        return self.all_agencies or agency_id == self.agency_id

    def agency_filter(self) -> str | None:
        """The one agency this user is limited to, or None for all."""
        return None if self.all_agencies else self.agency_id


SYSTEM = Scope("system", "admin", None)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def add_user(session: Session, username: str, password: str, role: str, agency_id: str | None,
             display_name: str | None = None) -> User:
    if role not in ROLES:
        raise UsageError(f"unknown role '{role}'; use one of {', '.join(ROLES)}")
    if not ROLES[role][0] and not agency_id:
        raise UsageError(f"a {role} belongs to one agency: give --agency")
    if len(password) < 8:
        raise UsageError("a password has at least 8 characters")
    if session.scalar(select(User).where(User.username == username)):
        raise UsageError(f"user '{username}' exists already")
    user = User(username=username, display_name=display_name or username, password_hash=hash_password(password),
                role=role, agency_id=None if ROLES[role][0] else agency_id, active=True)
    session.add(user)
    session.flush()
    return user


def set_active(session: Session, username: str, active: bool) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UsageError(f"no user '{username}'")
    user.active = active
    return user


MAX_FAILURES = 5                       # failed logins for one name within the window …
FAILURE_WINDOW = dt.timedelta(minutes=15)  # … lock that name until the window has passed


class TooManyAttempts(DiscretionReviewError):
    """Too many failed logins for this name recently; try again later."""


def authenticate(session: Session, username: str, password: str, now: dt.datetime | None = None) -> Scope | None:
    """The user's scope when the password is right and the account active; None otherwise.

    Every attempt is recorded. After ``MAX_FAILURES`` failures within ``FAILURE_WINDOW`` the
    name is refused (``TooManyAttempts``) until the window has passed, right password or not.
    """
    name = username.strip()
    now = now or utcnow()
    recent = session.scalars(select(LoginAttempt.success).where(
        LoginAttempt.username == name, LoginAttempt.at > now - FAILURE_WINDOW).order_by(LoginAttempt.id.desc())).all()
    failures = 0
    for success in recent:  # consecutive failures since the last success
        if success:
            break
        failures += 1
    if failures >= MAX_FAILURES:
        raise TooManyAttempts(f"too many failed logins for '{name}'; try again in "
                              f"{int(FAILURE_WINDOW.total_seconds() // 60)} minutes")
    scope = _check_password(session, name, password)
    session.add(LoginAttempt(username=name[:64], at=now, success=scope is not None))
    return scope


def _check_password(session: Session, name: str, password: str) -> Scope | None:
    user = session.scalar(select(User).where(User.username == name))
    if user is None:
        _HASHER.hash(password)  # same work either way: no timing hint that the name exists
        return None
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if not user.active:
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return Scope(user.username, user.role, user.agency_id)


def scope_of(session: Session, username: str) -> Scope:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise PermissionDenied(f"no active user '{username}'")
    return Scope(user.username, user.role, user.agency_id)
