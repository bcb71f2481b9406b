"""The fields a request for information adds to its form (issue 23 item 4): the officer who must
answer, and the working days they answer in, with the reply-by date those give on the government
calendar in force — shown before saving, as the store will count it."""

from __future__ import annotations

from typing import Any

import appdata
import streamlit as st
from due_text import tx
from i18n import date

from engine.domain.calendar import today

MISSING = object()  # no officer of the agency is stored: nobody to ask yet


def request_fields(prefix: str, agency_id: str | None) -> dict[str, Any]:
    """Draw the fields under ``prefix`` and return them (``officer_id`` None until one is picked)."""
    user = st.session_state["auth.user"]
    officers = appdata.officer_choices(user, agency_id)
    if not officers:
        st.warning(tx("form.no_officers"))
        return {"officer_id": MISSING}
    names = dict(officers)
    officer = st.selectbox(tx("form.officer_id") + " *", list(names), index=None, key=f"{prefix}.officer_id",
                           format_func=lambda o: f"{names[o]} ({o})", placeholder="—")
    days = st.number_input(tx("form.reply_within_days") + " *", min_value=1, max_value=60, step=1,
                           value=appdata.default_reply_days(), key=f"{prefix}.reply_within_days")
    st.caption(tx("form.reply_by", day=date(appdata.reply_by(user, int(days), today()))))
    return {"officer_id": officer, "reply_within_days": int(days)}


def show_requests(flag: dict[str, Any]) -> None:
    """The flag's requests for information: to whom, by when, by whom, the question and the answer
    (as typed: plain text), and whether each awaits its answer."""
    user = st.session_state["auth.user"]
    rows = appdata.flag_requests(user, flag["flag_id"])
    if not rows:
        return
    from present import named, person, plain

    names, people = appdata.names(user)["officer"], appdata.people(user, tuple({r["asked_by"] for r in rows}))
    st.subheader(tx("req.title"))
    latest = rows[-1]["id"]
    for r in reversed(rows):
        if r["answer"] is not None:
            status = tx("req.answered")
        elif r["id"] == latest and flag["status"] == "needs_info":
            status = tx("req.awaiting")
        else:
            status = tx("req.closed")
        who = named(r["officer_id"], names) if r["officer_id"] else tx("req.nobody")
        by = f" · {tx('req.by')} {date(r['reply_by'])}" if r["reply_by"] else ""
        with st.container(border=True):
            st.markdown(f"**{plain(tx('req.to'))}** {plain(who)}{plain(by)} · **{plain(status)}**  \n"
                        f"{plain(tx('req.asked_by'))} {plain(person(r['asked_by'], people))}")
            st.text(f"{tx('req.question')}: {r['question']}")
            if r["answer"] is not None:
                st.text(f"{tx('req.answer')}: {r['answer']}")
