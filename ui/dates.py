"""The one date field of the app: a text box that reads a date as Thai people write it.

Streamlit's own date picker cannot show Buddhist-Era years, so every date a user enters
(waiver expiry, due dates, the risk-analysis date, "as of", the queue's date filter) is a
text input read by the engine's own parser (``engine.domain.thai.parse_date``): ``31/12/2569``,
``31/12/2026``, ``2569-12-31``, Thai digits too. Below it, a caption says what was
understood in one convention (``31 ธ.ค. 2569``); an entry that is not a date is an error
in Thai, and the caller must not save (``InvalidDate``), never a silent default.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st
from i18n import date as show_date
from i18n import t
from present import plain

from engine.domain.thai import BE_OFFSET, check_date_range, parse_date


class InvalidDate:
    """What ``date_field`` returns for an entry that is not a date: saving must stop."""

    def __bool__(self) -> bool:
        return False


INVALID = InvalidDate()


def typed(day: dt.date) -> str:
    """How a date is written into the box: ``31/12/2569`` (Buddhist Era)."""
    return f"{day.day}/{day.month}/{day.year + BE_OFFSET}"


def date_field(label: str, key: str, default: dt.date | None = None, required: bool = True,
               container=st) -> dt.date | InvalidDate | None:
    """A date typed as Thai people write it; the date, None (left empty), or ``INVALID``.

    ``default`` fills the box the first time only; what the user typed is kept after an error.
    """
    if key not in st.session_state:
        st.session_state[key] = typed(default) if default else ""
    text = container.text_input(label + (" *" if required else ""), key=key, placeholder=t("date.placeholder"))
    text = (text or "").strip()
    if not text:
        if required:
            container.caption(t("date.hint"))
        return None
    try:
        day = check_date_range(parse_date(text))  # 1900–2200, as the loader: a far year is a slip of the keyboard
    except ValueError:
        container.error(t("date.invalid", text=plain(text)))  # what was typed, as typed
        return INVALID
    container.caption(t("date.understood", day=show_date(day)))
    return day
