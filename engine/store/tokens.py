"""Tokens of the intake API (engine/api): with one, another system posts one agency's records.

An administrator makes a token for an agency (``add_token``: the command line's ``tokens add``,
the app's page of tokens); the token is shown once and the store keeps only its SHA-256 — a
token is 256 random bits, so a fast hash is as safe as a slow one (nobody can guess their way
back from it) and costs nothing per request. A token is revoked, never deleted
(``revoke_token``). Everything that happens to a token is appended to ``api_token_events``,
hash-chained and keyed like the other trails: its making and revoking, and every use
(``record_use``) — the posts it made and those refused (wrong agency, too large, too many, bad
records), and every token presented that the store does not know.

``audit verify`` replays the tokens' trail against their rows (``TokenReplay``): a token
revoked and then let in again by SQL, moved to another agency, or given another token's hash
(so that someone who knows a token of theirs posts as another agency) is found there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.domain.errors import UsageError
from engine.store import audit
from engine.store.schema import AgencyRow, ApiToken, ApiTokenEvent, utcnow
from engine.store.scope import MANAGE_USERS, Scope

PREFIX = "drt_"  # says what the token is where it turns up (a log, a configuration file)
MAX_LABEL = 200
UNKNOWN = "(unknown token)"  # the actor of a use whose token the store does not know


def token_hash(token: str) -> str:
    """The SHA-256 (hex) under which a token is kept and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


ACTOR = "token #"  # how a token is named as the actor of its posts: no user name has a space


def actor(token: ApiToken) -> str:
    """How a token's uses, imports and runs name who did them: not a user name (a user name has
    no spaces), so never taken for a person's."""
    return f"{ACTOR}{token.id}"


def scope_of(token: ApiToken) -> Scope:
    """What a token may do: read and import its agency's data, as a supervisor of it may."""
    return Scope(actor(token), "supervisor", token.agency_id)


def _check_agency(session: Session, agency_id: str) -> str:
    """An agency in the store or in kb/agencies.yaml (tokens can be made before the first post)."""
    from engine.kb.knowledge import load_agencies

    agency_id = (agency_id or "").strip()
    if not agency_id or (session.get(AgencyRow, agency_id) is None
                         and agency_id not in {a.id for a in load_agencies()}):
        raise UsageError(f"ไม่มีหน่วยงาน '{agency_id}' / no agency '{agency_id}' in the store or in kb/agencies.yaml")
    return agency_id


def _record(session: Session, who: str, action: str, token_id: int | None, agency_id: str | None,
            details: dict[str, Any] | None) -> None:
    audit.append(session, ApiTokenEvent, [{"actor": who, "action": action, "token_id": token_id,
                                           "agency_id": agency_id, "details": details}])


def add_token(session: Session, scope: Scope, agency_id: str, label: str = "") -> tuple[ApiToken, str]:
    """A new token for ``agency_id`` (administrators only): (its row, the token). The token is
    returned this once; the store keeps its hash. Recorded in ``api_token_events``."""
    scope.require(MANAGE_USERS)
    agency_id = _check_agency(session, agency_id)
    label = " ".join((label or "").split())
    if len(label) > MAX_LABEL:
        raise UsageError(f"ชื่อเรียกโทเคนยาวได้ไม่เกิน {MAX_LABEL} ตัวอักษร / a token's label has at most {MAX_LABEL} "
                         "characters")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(agency_id=agency_id, label=label, token_hash=token_hash(token), created_by=scope.username,
                   created_at=utcnow())
    session.add(row)
    session.flush()
    _record(session, scope.username, "created", row.id, agency_id, {"label": label, "token_hash": row.token_hash})
    return row, token


def revoke_token(session: Session, scope: Scope, token_id: int) -> ApiToken:
    """Stop a token from being used (administrators only); its row and trail stay."""
    scope.require(MANAGE_USERS)
    row = session.get(ApiToken, token_id)
    if row is None:
        raise UsageError(f"ไม่มีโทเคนหมายเลข {token_id} / no token #{token_id}")
    if row.revoked_at is not None:
        raise UsageError(f"โทเคนหมายเลข {token_id} ถูกเพิกถอนแล้วเมื่อ {row.revoked_at:%Y-%m-%d %H:%M} UTC / token "
                         f"#{token_id} was revoked already ({row.revoked_at:%Y-%m-%d %H:%M} UTC)")
    row.revoked_at, row.revoked_by = utcnow(), scope.username
    _record(session, scope.username, "revoked", row.id, row.agency_id, None)
    return row


def list_tokens(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """Every token, newest first, with its last use and how many posts it made (administrators
    only); never the token, which the store does not have."""
    scope.require(MANAGE_USERS)
    uses = {token_id: (n, last) for token_id, n, last in session.execute(
        select(ApiTokenEvent.token_id, func.count(), func.max(ApiTokenEvent.at))
        .where(ApiTokenEvent.action == "used").group_by(ApiTokenEvent.token_id))}
    out = []
    for row in session.scalars(select(ApiToken).order_by(ApiToken.id.desc())):
        n, last = uses.get(row.id, (0, None))
        out.append({"id": row.id, "agency_id": row.agency_id, "label": row.label, "created_at": row.created_at,
                    "created_by": row.created_by, "revoked_at": row.revoked_at, "revoked_by": row.revoked_by,
                    "posts": n, "last_used_at": last})
    return out


def authenticate(session: Session, token: str) -> ApiToken | None:
    """The stored token that ``token`` is (revoked or not: the caller says which), or None."""
    token = (token or "").strip()
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    digest = token_hash(token)
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    # the index found it; compared once more in constant time, as any secret is
    return row if row is not None and hmac.compare_digest(row.token_hash, digest) else None


def record_use(session: Session, token: ApiToken | None, agency_id: str | None, status: int,
               details: dict[str, Any] | None = None, presented: str | None = None) -> None:
    """Append one use of the API to the tokens' trail: ``used`` when it stored records, else
    ``refused``; ``status`` is the HTTP status answered. ``token`` None: a token the store does
    not know (``presented``: the token given, of which only a short digest is kept, to tell
    repeated attempts apart; never the token, which may be another system's mistyped secret)."""
    details = {"status": status, **(details or {})}
    if token is None and presented:
        details["presented"] = token_hash(presented)[:16]
    _record(session, actor(token) if token is not None else UNKNOWN, "used" if status < 300 else "refused",
            token.id if token is not None else None, agency_id, details)


class TokenReplay:
    """Each token's agency, hash and revocation as the tokens' trail says (``audit verify``)."""

    rows = "api_tokens"

    def __init__(self) -> None:
        self.state: dict[int, list[Any]] = {}  # token id -> [agency, hash, revoked, last event id]

    def feed(self, event_id: int, e: dict[str, Any]) -> None:
        token_id, action = e["token_id"], e["action"]
        if action == "created":
            details = e["details"] or {}
            self.state[token_id] = [e["agency_id"], details.get("token_hash"), False, event_id]
        elif action == "revoked" and token_id in self.state:
            self.state[token_id][2:] = [True, event_id]

    def mismatches(self, session: Session) -> tuple[list[tuple[str, int, str]], int]:
        out, seen = [], set()
        for token_id, agency_id, digest, revoked_at in session.execute(
                select(ApiToken.id, ApiToken.agency_id, ApiToken.token_hash, ApiToken.revoked_at).order_by(ApiToken.id)):
            seen.add(token_id)
            said = self.state.get(token_id)
            if said is None:
                out.append(("api_tokens", token_id, "ไม่มีเหตุการณ์การสร้างโทเคนนี้ในประวัติ: ถูกเพิ่มโดยไม่ผ่านระบบ / "
                                                         "no event made this token: it was added without the trail"))
                continue
            stored = (agency_id, digest, revoked_at is not None)
            names = ("agency_id", "token_hash", "revoked")
            diff = [f"{n}: {_shown(s)} (ประวัติ/trail: {_shown(r)})" for n, s, r in zip(names, stored, said) if s != r]
            if diff:
                out.append(("api_tokens", token_id,
                            f"โทเคนไม่ตรงกับประวัติ (เหตุการณ์ล่าสุด #{said[3]}): ถูกแก้ไขโดยไม่ผ่านระบบ / the token differs "
                            f"from its trail (last event #{said[3]}), changed without it: " + "; ".join(diff)))
        for token_id in sorted(set(self.state) - seen):
            out.append(("api_tokens", token_id, f"ประวัติบอกว่ามีโทเคนนี้ (เหตุการณ์ล่าสุด #{self.state[token_id][3]}) "
                                                "แต่ไม่มีในตาราง api_tokens: ถูกลบ / its events say the token exists "
                                                "but there is no such row in api_tokens: it was deleted"))
        return out, len(seen)


def _shown(value: Any) -> str:
    if isinstance(value, str) and len(value) == 64:
        return value[:12] + "…"  # a hash: enough to tell two apart
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    return str(value)
