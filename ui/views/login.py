"""Log in. A signed session cookie keeps the login across a refresh for a working day (auth.py)."""

import appdata
import auth
import streamlit as st
from i18n import t

from engine.store.access import TooManyAttempts

st.title(t("app.title"))
st.caption(t("app.subtitle"))
with st.form("login.form"):
    username = st.text_input(t("login.username"), key="login.username")
    password = st.text_input(t("login.password"), type="password", key="login.password")
    submitted = st.form_submit_button(t("login.submit"), type="primary")
st.markdown(f"[{t('privacy.link')}](privacy)")  # relative: works under a sub-path too
if submitted:
    try:
        user = appdata.login(username, password, auth.client_source())
    except TooManyAttempts:
        st.error(t("login.locked"))
        st.stop()
    if user is None:
        st.error(t("login.failed"))
    else:
        token, issued = auth.issue(user[0])
        st.session_state.pop(auth.LOGGED_OUT_KEY, None)
        st.session_state.update({"auth.user": user, auth.ISSUED_KEY: issued, auth.PENDING_KEY: ("set", token)})
        st.rerun()
