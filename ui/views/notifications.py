"""การแจ้งเตือน: the user's own daily digest by e-mail — the address, its language, on or off. Each
change is recorded in the audit trail (engine/store/notify.py)."""

from __future__ import annotations

import appdata
import streamlit as st
from due_text import tx
from i18n import lang
from messages import say
from present import plain

from engine.domain.errors import DiscretionReviewError

user = st.session_state["auth.user"]
st.title(tx("note.title"))
st.caption(tx("note.about"))
saved = st.session_state.pop("note.saved", False)
if saved:
    st.success(tx("note.saved"))
current = appdata.notification_settings(user)
with st.form("note.form"):
    email = st.text_input(tx("note.email"), value=current["email"] or "", placeholder=tx("note.email_help"),
                          key="note.email")
    language = st.radio(tx("note.lang"), ["th", "en"], index=0 if current["lang"] == "th" else 1, horizontal=True,
                        format_func=lambda code: "ไทย" if code == "th" else "English", key="note.lang")
    digest = st.checkbox(tx("note.digest"), value=current["digest"], key="note.digest")
    submitted = st.form_submit_button(tx("note.save"), type="primary", key="note.submit")
if submitted:
    try:
        appdata.save_notification_settings(user, email, language, digest)
    except DiscretionReviewError as exc:  # an address that is not one: said in the reader's language
        st.error(plain(say(str(exc), lang())))
    else:
        st.session_state["note.saved"] = True
        st.rerun()
if not current["email"]:
    st.info(tx("note.no_email"))
elif not current["digest"]:
    st.info(tx("note.off"))
