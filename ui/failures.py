"""What a person sees when the app fails: never a traceback.

Every page runs under ``shown``: an exception no page expected is logged on the server with a
reference, and the page says in the reader's language that the app failed, that nothing unsaved
was saved, and the reference to give the administrator. A traceback would show the app's code,
its queries and the data they carried (an import's IntegrityError named another agency's rows).
Developers see Streamlit's own traceback when ``client.showErrorDetails`` is ``full`` (or
``stacktrace``); the app's setting is ``none`` (``.streamlit/config.toml`` and
``discretion-review app``).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

import streamlit as st
from i18n import t

from engine import logs

_LOG = logging.getLogger("discretion_review.app")  # the traceback, for the operator
_DETAILS = {"full", "stacktrace", "true", "True", True}


def details_shown() -> bool:
    """Whether Streamlit is set to show an error's details (a developer's setting)."""
    return st.get_option("client.showErrorDetails") in _DETAILS


def shown(run: Callable[[], object], user: str | None = None) -> None:
    """``run()``; an exception from it is logged (a JSON line, ``engine.logs``) with a reference
    and said in the reader's language. ``st.stop``, ``st.rerun`` and ``st.switch_page`` are not
    ``Exception``s: they pass."""
    try:
        run()
    except Exception as exc:
        reference = secrets.token_hex(4)
        logs.error("app", exc, user=user, reference=reference)
        _LOG.error("page failed (reference %s)", reference, exc_info=exc)
        if details_shown():
            raise
        st.error(t("app.failed", ref=reference))
