"""ใกล้ครบกำหนด: what the user must see to before its deadline, soonest first — the duties under the
rules that the latest run of each agency found due (each a flag the day after, if left undone), the
requests for information awaiting an answer, and the self-assessments due. A supervisor or head
sees their agency's (an account linked to an officer: that officer's team), the province every
agency's. Each line links to its case or flag."""

from __future__ import annotations

import appdata
import pandas as pd
import streamlit as st
from due_text import tx
from i18n import date, lang
from present import named, plain
from tables import show

from engine.domain.calendar import today

user = st.session_state["auth.user"]
scope = appdata.scope_of(user)
names = appdata.names(user)
th = lang() == "th"
on = today()
st.title(tx("due.title"))
st.caption(tx("due.about"))
found = appdata.due_items(user, on)
items, officer = found["items"], found["officer"]
if officer is not None and scope.role not in ("agency_head", "ethics_committee") and not scope.all_agencies:
    st.markdown(plain(tx("due.scope.team", officer=named(officer, names["officer"]))))
elif scope.all_agencies:
    st.markdown(plain(tx("due.scope.all")))
else:
    st.markdown(plain(tx("due.scope.agency", agency=named(scope.agency_id, names["agency"]))))
st.caption(tx("due.counted", day=date(on)))

kinds = ["duty", "request", "campaign"]
left, right = st.columns(2)
with left:
    chosen = st.multiselect(tx("due.kind"), kinds, default=kinds, key="due.kinds",
                            format_func=lambda k: tx(f"due.kind.{k}"))
agency = None
if scope.all_agencies:
    with right:
        agencies = sorted({i["agency_id"] for i in items if i["agency_id"]})
        agency = st.selectbox(tx("due.agency"), [None] + agencies, key="due.agency",
                              format_func=lambda a: tx("due.scope.all") if a is None else named(a, names["agency"]))
shown = [i for i in items if i["kind"] in chosen and (agency is None or i["agency_id"] == agency)]

a, b, c = st.columns(3)
a.metric(tx("due.total"), len(shown))
b.metric(tx("due.today"), sum(1 for i in shown if not i["late"] and i["working_days_left"] == 0))
c.metric(tx("due.late"), sum(1 for i in shown if i["late"]))


def left_text(i: dict) -> str:
    if i["late"]:
        return tx("due.left.late", n=i["working_days_left"])
    return tx("due.left.today") if i["working_days_left"] == 0 else str(i["working_days_left"])


def target(i: dict) -> str:
    """Where the line leads (a relative link: works under a sub-path): its case, else its flag;
    a self-assessment to its page; a duty of a process or an agency to the rules it is the duty of."""
    if i["case_id"]:
        return f"case?id={i['case_id']}"
    if i["flag_id"]:
        return f"flag?id={i['flag_id']}"
    return "./assessment" if i["kind"] == "campaign" else "./rules"


frame = pd.DataFrame([{
    tx("due.col.due"): date(i["due_on"]), tx("due.col.left"): left_text(i),
    tx("due.col.what"): i["message_th"] if th else i["message_en"], "link": target(i),
    tx("due.officer"): named(i["officer_id"], names["officer"]) if i["officer_id"] else "",
    tx("due.kind"): tx(f"due.kind.{i['kind']}"),
    tx("due.agency"): named(i["agency_id"], names["agency"]) if i["agency_id"] else "",
} for i in shown])
if not scope.all_agencies and not frame.empty:  # one agency: the column would repeat its name on every line
    frame = frame.drop(columns=[tx("due.agency")])
show(frame, "due.table", "due-soon", empty=tx("due.empty"), column_config={
    "link": st.column_config.LinkColumn(tx("due.col.open"), display_text=tx("due.open"), width="small"),
    tx("due.col.what"): st.column_config.TextColumn(width="large")})
