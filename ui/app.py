"""discretion-review: the Streamlit app. This file only builds navigation.

    streamlit run ui/app.py      (DISCRETION_DB_URL selects the database; SQLite by default)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import streamlit as st

import appdata
from engine.store.access import ROLE_NAMES
from i18n import LANG_KEY, pick, t

VIEWS = Path(__file__).parent / "views"
AUTH_KEY = "auth.user"

st.set_page_config(page_title="ตรวจสอบการใช้ดุลพินิจ", page_icon=":material/balance:", layout="wide")

with st.sidebar:
    st.radio(t("lang.label"), ["th", "en"], key=LANG_KEY, horizontal=True,
             format_func=lambda code: "ไทย" if code == "th" else "English")

if st.query_params.get("flag"):  # a link to one flag (/?flag=F…): shown as soon as the user is in
    st.session_state["flag.selected"] = st.query_params["flag"]
    st.session_state["auth.goto_flag"] = True
user = st.session_state.get(AUTH_KEY)
if user is None:
    page = st.navigation([st.Page(VIEWS / "login.py", title=t("login.title"), icon=":material/login:")])
else:
    appdata.expire_waivers(dt.date.today())
    with st.sidebar:
        username, role, agency = user
        st.caption(f"**{username}** · {pick(ROLE_NAMES[role])}" + (f" · {agency}" if agency else ""))
        if st.button(t("logout"), key="auth.logout"):
            st.session_state.clear()
            st.rerun()
    flag_page = st.Page(VIEWS / "flag.py", title=t("nav.flag"), icon=":material/search:", url_path="flag")
    scope = appdata.scope_of(user)
    pages = [
        st.Page(VIEWS / "queue.py", title=t("nav.queue"), icon=":material/checklist:", url_path="queue",
                default=not scope.all_agencies or scope.role == "admin"),
        flag_page,
        st.Page(VIEWS / "risk.py", title=t("nav.risk"), icon=":material/monitoring:", url_path="risk"),
        st.Page(VIEWS / "assessment.py", title=t("nav.assessment"), icon=":material/fact_check:", url_path="assessment"),
        st.Page(VIEWS / "reports.py", title=t("nav.reports"), icon=":material/description:", url_path="reports"),
        st.Page(VIEWS / "upload.py", title=t("nav.data"), icon=":material/upload_file:", url_path="data"),
        st.Page(VIEWS / "rules.py", title=t("nav.rules"), icon=":material/menu_book:", url_path="rules"),
        st.Page(VIEWS / "days_off.py", title=t("nav.calendar"), icon=":material/event:", url_path="calendar"),
    ]
    if scope.all_agencies:
        pages.insert(0, st.Page(VIEWS / "dashboard.py", title=t("nav.dashboard"), icon=":material/dashboard:",
                                url_path="province", default=scope.role == "provincial"))
    page = st.navigation(pages)
    if st.session_state.pop("auth.goto_flag", False):
        st.switch_page(flag_page)
page.run()
