"""The review queue: filter, sort, page through flags; open one, or act on a selection."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

import appdata
from engine.store.review import STATUS_NAMES, STATUSES
from i18n import date, pick, t
from tables import show
from views.forms import action_form

PAGE_SIZE = 50
user = st.session_state["auth.user"]
catalogue = appdata.catalogue()
facets = appdata.facets(user)

st.title(t("queue.title"))
counts = appdata.status_counts(user)
st.caption(" · ".join(f"{pick(STATUS_NAMES[s])} {counts.get(s, 0):,}" for s in STATUSES if counts.get(s)))

with st.expander(t("queue.filters"), expanded=True, icon=":material/filter_list:"):
    c1, c2, c3, c4 = st.columns(4)
    measures = c1.multiselect(t("queue.measure"), appdata.kb().measure_ids(), key="queue.measures",
                              placeholder=t("queue.any"))
    severities = c2.multiselect(t("queue.severity"), ["high", "medium", "low"], key="queue.severities",
                                format_func=lambda s: t(f"sev.{s}"), placeholder=t("queue.any"))
    statuses = c3.multiselect(t("queue.status"), list(STATUSES), default=["open", "needs_info"], key="queue.statuses",
                              format_func=lambda s: pick(STATUS_NAMES[s]), placeholder=t("queue.any"))
    sort = c4.selectbox(t("queue.sort"), ["severity", "date", "newest", "rule", "subject"], key="queue.sort",
                        format_func=lambda s: t(f"sort.{s}"))
    c5, c6, c7, c8, c9 = st.columns(5)
    every = {"format_func": lambda v: t("queue.all") if v is None else v}
    process = c5.selectbox(t("queue.process"), [None] + facets["process_id"], key="queue.process", **every)
    officer = c6.selectbox(t("queue.officer"), [None] + facets["officer_id"], key="queue.officer", **every)
    agency = c7.selectbox(t("queue.agency"), [None] + facets["agency_id"], key="queue.agency", **every)
    date_from = c8.date_input(t("queue.date_from"), value=None, key="queue.date_from", format="DD/MM/YYYY")
    date_to = c9.date_input(t("queue.date_to"), value=None, key="queue.date_to", format="DD/MM/YYYY")
    text = st.text_input(t("queue.text"), key="queue.text")

filters = (("measures", tuple(measures)), ("severities", tuple(severities)), ("statuses", tuple(statuses)),
           ("process_id", process), ("officer_id", officer), ("agency_id", agency), ("date_from", date_from),
           ("date_to", date_to), ("text", text or None))
if st.session_state.get("queue.last_filters") != (filters, sort):
    st.session_state["queue.last_filters"] = (filters, sort)
    st.session_state["queue.page"] = 1
page = st.session_state.get("queue.page", 1)
rows, total = appdata.queue_page(user, filters, sort, page, PAGE_SIZE)
pages = max(1, math.ceil(total / PAGE_SIZE))

nav1, nav2, nav3 = st.columns([1, 1, 6])
if nav1.button("◀", key="queue.prev", disabled=page <= 1):
    st.session_state["queue.page"] = page - 1
    st.rerun()
if nav2.button("▶", key="queue.next", disabled=page >= pages):
    st.session_state["queue.page"] = page + 1
    st.rerun()
nav3.write(t("queue.total", total=f"{total:,}", page=page, pages=pages))

if not rows:
    st.info(t("queue.empty"))
    st.stop()

lang_th = st.session_state.get("app.lang", "th") == "th"
table = pd.DataFrame([{
    t("col.severity"): t(f"sev.{r['severity']}"),
    t("col.rule"): r["rule_id"],
    t("col.subject"): f"{r['subject_id']}" + (f" · {r['applicant']}" if r["applicant"] else ""),
    t("col.agency"): r["agency_id"],
    t("col.status"): pick(STATUS_NAMES[r["status"]]),
    t("col.date"): date(r["event_date"]) if r["event_date"] else "",
    t("col.message"): r["message_th"] if lang_th else r["message_en"],
} for r in rows])
show(table, "queue.table", f"flags-page-{page}")
if st.button(t("queue.export_all", total=f"{total:,}"), key="queue.export"):
    everything, _ = appdata.queue_page(user, filters, sort, 1, max(total, 1))
    show(pd.DataFrame([{k: r[k] for k in ("flag_id", "rule_id", "measure", "severity", "subject_type", "subject_id",
                                          "applicant", "agency_id", "status", "event_date", "message_th", "message_en")}
                       for r in everything]), "queue.all", "flags")
labels = {r["flag_id"]: f"{r['rule_id']} · {r['subject_id']}" + (f" · {r['applicant']}" if r["applicant"] else "")
          for r in rows}
selected = st.multiselect(t("queue.select"), list(labels), format_func=labels.get, key=f"queue.selected.{page}",
                          placeholder=t("queue.select_hint"))
if len(selected) == 1 and st.button(t("queue.open"), key="queue.open", type="primary"):
    st.session_state["flag.selected"] = selected[0]
    st.switch_page("views/flag.py")
if selected and appdata.scope_of(user).can("act"):
    with st.expander(t("queue.bulk", n=len(selected))):
        action_form("queue.bulk", ["dismiss", "confirm", "waive", "request_info"],
                    lambda action, fields: appdata.bulk_act(user, selected, action, **fields))
