"""An address the app has no page for, said in the reader's language as a page of its own.

Streamlit answers an address that ``st.navigation`` does not know (``/xyz``, ``/province`` for a
supervisor, and ``/queue`` wherever the queue is the home page, whose address is ``/``) with an English
"Page not found" box over the home page. ``install`` has ``st.navigation`` note the address instead of
sending that box; ``app.py`` then shows ``show``'s Thai page (or, for the home page's own name, the home
page itself). Streamlit's own function is replaced by name in its module, where ``st.navigation`` looks
it up; tests/test_browser.py checks in Chromium that no English box appears, so a Streamlit that
changes this is caught.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
import streamlit.commands.navigation as _navigation
from i18n import t
from present import plain

KEY = "app.page_not_found"


def install() -> None:
    """Make ``st.navigation`` record an unknown address (``KEY`` in the session) instead of telling the
    browser to show Streamlit's English box. Idempotent."""
    if getattr(_navigation.send_page_not_found, "_discretion_review", False):
        return

    def note(ctx: Any) -> None:
        name = ctx.pages_manager.intended_page_name or ""
        ctx.session_state[KEY] = name.strip("/")

    note._discretion_review = True  # type: ignore[attr-defined]
    _navigation.send_page_not_found = note


def missing() -> str | None:
    """The address this run asked for that no page answers (``None``: the page was found)."""
    return st.session_state.pop(KEY, None)


def show(address: str, home: Any) -> None:
    """The Thai (or English) page for an address no page of this user answers: what was asked for, why
    it may be so, and the way to the home page."""
    st.title(t("missing.title"))
    st.write(t("missing.text", address=plain(f"/{address}") if address else "/"))
    st.page_link(home, label=t("missing.home"), icon=":material/home:")
