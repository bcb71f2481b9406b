"""Users, for the admin: add, disable or enable, reset a password, change role or agency.

The checks are the command line's (engine.store.access), and the store records every change
in the audit trail; a disabled user or one whose password was reset is logged out at once."""

from __future__ import annotations

from typing import Any

import appdata
import pandas as pd
import streamlit as st
from i18n import labelled, lang, pick, t, timestamp
from messages import say
from present import named, plain
from tables import show

from engine.domain.errors import DiscretionReviewError
from engine.store.access import MAX_DISPLAY_NAME, MAX_USERNAME
from engine.store.scope import ROLE_NAMES, ROLES

user = st.session_state["auth.user"]
st.title(t("users.title"))
agencies = dict(appdata.agencies(user))
done = st.session_state.pop("users.done", None)
for cleared in st.session_state.pop("users.clear", ()):
    st.session_state[cleared] = ""
if done:
    st.success(done)


def attempt(fn, done_message: str, clear: tuple[str, ...] = (), **kwargs: Any) -> None:
    """Run one change; on success say what was done and empty the fields, else say why in Thai."""
    try:
        fn(user, **kwargs)
    except DiscretionReviewError as exc:
        st.error(plain(say(str(exc), lang())))
    else:  # the boxes are emptied at the start of the next run, before they are drawn (the browser
        # keeps what a box showed unless the app sets it; forgetting the key is not enough)
        st.session_state["users.clear"] = clear
        st.session_state["users.done"] = done_message
        st.rerun()


def agency_choice(label: str, key: str, current: str | None = None) -> str | None:
    options = [None] + list(agencies)
    return st.selectbox(label, options, key=key, placeholder=t("users.no_agency"), index=options.index(current) if current in options else 0,
                        format_func=labelled(options, lambda a: t("users.no_agency") if a is None else named(a, agencies)))


role_name = labelled(list(ROLES), lambda r: pick(ROLE_NAMES[r]))
rows = appdata.users(user)
show(pd.DataFrame([{
    "username": u["username"], "display_name": u.get("display_name") or "", "role": pick(ROLE_NAMES[u["role"]]),
    "agency_id": named(u["agency_id"], agencies) if u.get("agency_id") else t("users.all_agencies"),
    "active": t("users.active") if u["active"] else t("users.disabled"),
    "officer": u.get("officer_id") or "", "created_at": timestamp(u.get("created_at"))} for u in rows]),
    "users.table", "users")

add, change = st.tabs([t("users.add"), t("users.change")])
with add, st.form("users.new", border=False):
    # a form: what is in every box when the button is pressed is what is added — a password typed and
    # left with Tab (never "committed" by the browser before the click) included
    c1, c2 = st.columns(2)  # a row at a time: Tab goes from box to box as they are read
    username = c1.text_input(t("login.username") + " *", key="users.new.username", max_chars=MAX_USERNAME,
                             help=t("users.name_rule"))
    display = c2.text_input(t("users.display_name"), key="users.new.display", max_chars=MAX_DISPLAY_NAME)
    c1, c2 = st.columns(2)
    role = c1.selectbox(t("users.role"), list(ROLES), key="users.new.role", format_func=role_name)
    with c2:
        agency = agency_choice(t("queue.agency"), "users.new.agency")
    c1, _ = st.columns(2)
    password = c1.text_input(t("login.password") + " *", type="password", key="users.new.password")
    if st.form_submit_button(t("users.add"), key="users.new.submit", type="primary"):
        attempt(appdata.add_user, t("users.added", name=plain(username.strip())),
                ("users.new.username", "users.new.display", "users.new.password"), username=username.strip(),
                password=password, role=role, agency_id=agency, display_name=display.strip() or None)
with change:
    if not rows:
        st.info(t("risk.none"))
    else:
        by_name = {u["username"]: u for u in rows}
        who = st.selectbox(t("users.pick"), list(by_name), key="users.pick",
                           format_func=labelled(list(by_name), lambda n: f"{n} · {by_name[n].get('display_name') or ''}"
                                                                         f" · {pick(ROLE_NAMES[by_name[n]['role']])}"))
        u = by_name[who]
        c1, c2 = st.columns(2)
        with c1, st.container(border=True):
            new_role = st.selectbox(t("users.role"), list(ROLES), index=list(ROLES).index(u["role"]),
                                    key=f"users.{who}.role", format_func=role_name)
            new_agency = agency_choice(t("queue.agency"), f"users.{who}.agency", u.get("agency_id"))
            new_display = st.text_input(t("users.display_name"), value=u.get("display_name") or "",
                                        key=f"users.{who}.display", max_chars=MAX_DISPLAY_NAME)
            if st.button(t("users.save"), key=f"users.{who}.save"):
                attempt(appdata.update_user, t("users.updated", name=plain(who)), username=who, role=new_role,
                        agency_id=new_agency, display_name=new_display.strip() or None)
        with c2, st.container(border=True):
            new_password = st.text_input(t("users.new_password") + " *", type="password", key=f"users.{who}.password")
            if st.button(t("users.reset"), key=f"users.{who}.reset"):
                attempt(appdata.reset_password, t("users.was_reset", name=plain(who)), (f"users.{who}.password",),
                        username=who, password=new_password)
            if u["active"]:
                if st.button(t("users.disable"), key=f"users.{who}.disable"):
                    attempt(appdata.set_active, t("users.was_disabled", name=plain(who)), username=who, active=False)
            elif st.button(t("users.enable"), key=f"users.{who}.enable"):
                attempt(appdata.set_active, t("users.was_enabled", name=plain(who)), username=who, active=True)
        with st.container(border=True):  # the officer of the data this user is (conflicts of interest)
            choices = appdata.officers(user, u.get("agency_id"))
            ids = [None] + [o["officer_id"] for o in choices]
            shown = {o["officer_id"]: " · ".join(filter(None, (o["name"], o["position"], o["agency_id"])))
                     for o in choices}
            current = u.get("officer_id")
            officer = st.selectbox(t("users.officer"), ids, index=ids.index(current) if current in ids else 0,
                                   key=f"users.{who}.officer", help=t("users.officer_help"),
                                   format_func=labelled(ids, lambda o: t("users.officer_none") if o is None
                                                        else f"{o} · {shown[o]}"))
            l1, l2 = st.columns(2)
            if l1.button(t("users.link"), key=f"users.{who}.link", disabled=officer is None or officer == current):
                attempt(appdata.link_officer, t("users.linked", name=plain(who), officer=plain(officer or "")),
                        username=who, officer_id=officer)
            if l2.button(t("users.unlink"), key=f"users.{who}.unlink", disabled=current is None):
                attempt(appdata.unlink_officer, t("users.unlinked", name=plain(who)), username=who)
