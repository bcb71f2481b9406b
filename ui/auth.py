"""Staying logged in across a refresh (F5) for a working day.

After a login the browser keeps a signed session cookie (itsdangerous: an HMAC over the
user name and the time of issue, with a server-side secret); each new connection reads it
back (``st.context.cookies``, Streamlit's own) and, if its signature holds and it is younger
than a working day, asks the store whether it still stands: the account must be active and
the session issued after ``users.sessions_valid_after`` (moved forward on logout, on a
password reset and when an account is disabled). The cookie is written and removed in the
browser by ``extra-streamlit-components``' CookieManager. The secret is
``engine.store.keys``'s: at least 32 bytes, or the app does not start.
"""

from __future__ import annotations

import time

import streamlit as st
from itsdangerous import BadSignature, URLSafeTimedSerializer

from engine.store.keys import SecretKeyError, session_secret

COOKIE = "discretion_review_session"
WORKING_DAY = 10 * 3600  # seconds a login lasts: one working day, then the user logs in again
ISSUED_KEY = "auth.issued"        # when this session's login was issued (epoch seconds)
PENDING_KEY = "auth.cookie"       # a cookie to write ("set", token) or remove ("delete", None)
LOGGED_OUT_KEY = "auth.logged_out"  # this connection still carries the old cookie: ignore it
CLOCK_SKEW = 5  # seconds a time of issue may lie ahead of this server's clock (servers sharing a key)


def _secret() -> str:
    """The server's secret key (``engine.store.keys``); ``SecretKeyError`` if it is unfit."""
    return session_secret()


def refusal() -> str | None:
    """Why the app must not start — its secret key is unfit (Thai and English) — or None."""
    try:
        _secret()
    except SecretKeyError as exc:
        return str(exc)
    return None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_secret(), salt="discretion-review.session")


def issue(username: str, now: float | None = None) -> tuple[str, float]:
    """A signed token for the user, and the time it was issued."""
    issued = time.time() if now is None else now
    return _serializer().dumps({"u": username, "t": issued}), issued


def verify(token: str | None, max_age: int = WORKING_DAY, now: float | None = None) -> tuple[str, float] | None:
    """(user name, issued at) of a token signed here, issued no later than now and younger than
    ``max_age``; else None. (A time of issue ahead of now would outlive a logout: a session
    stands while it was issued after the user's ``sessions_valid_after``.)"""
    if not token:
        return None
    serializer = _serializer()  # an unfit secret raises SecretKeyError: no login at all
    try:
        claims = serializer.loads(token, max_age=max_age)
        user, issued = str(claims["u"]), float(claims["t"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    now = time.time() if now is None else now
    if not now - max_age <= issued <= now + CLOCK_SKEW:
        return None
    return user, issued


def client_source() -> str:
    """Where this connection comes from, for login throttling (``access.authenticate``): the
    client's address as Streamlit's server (uvicorn) reports it — the TCP peer, or, when the peer
    is a proxy it trusts (``FORWARDED_ALLOW_IPS``, by default this machine: 127.0.0.1 and ::1),
    the address that proxy put in X-Forwarded-For. "local" for a connection from this machine
    without one (Streamlit gives no address for it)."""
    try:
        address = st.context.ip_address
    except Exception:  # no browser connection (e.g. a bare script run)
        return "local"
    return address if isinstance(address, str) and address else "local"


def cookie_token() -> str | None:
    """The session cookie this connection brought, unless the user logged out on it."""
    if st.session_state.get(LOGGED_OUT_KEY):
        return None
    try:
        return st.context.cookies.get(COOKIE)
    except Exception:  # no browser connection (e.g. a bare script run)
        return None


def served_over_https() -> bool:
    """Whether the user's browser reached the app over HTTPS: the address in its bar
    (``st.context.url``), or the proxy's ``X-Forwarded-Proto`` (nginx in front, docs/operations.md)."""
    try:
        url = st.context.url or ""
        proto = st.context.headers.get("X-Forwarded-Proto", "")
    except Exception:  # no browser connection (e.g. a bare script run)
        return False
    return url.startswith("https://") or proto.split(",")[0].strip().lower() == "https"


@st.fragment  # the component's answers rerun this fragment only, not the whole page
def write_pending_cookie() -> None:
    """Write or remove the cookie in the browser after a login or a logout.

    The component is rendered on every run until the browser reports that it has done it
    (its value, kept under its key, turns true); a rerun in between cannot lose it.
    """
    pending = st.session_state.get(PENDING_KEY)
    if not pending:
        return
    import extra_streamlit_components as stx

    kind, token = pending
    done_key = f"auth.cookie_{kind}"
    if st.session_state.get(done_key) is True:
        st.session_state.pop(PENDING_KEY)
        return
    manager = stx.CookieManager(key="auth.cookie_manager")
    if kind == "set":  # Secure over HTTPS: the browser then never sends it over plain HTTP
        manager.set(COOKIE, token, key=done_key, max_age=WORKING_DAY, same_site="strict", secure=served_over_https())
    else:  # CookieManager.delete needs the cookie in its own copy, which may not have arrived yet
        manager.cookie_manager(method="delete", cookie=COOKIE, key=done_key, default=False)
