"""The province at a glance: the 33 agencies' acknowledgement, open flags and self-assessment."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

import appdata
from engine.store.assessment import ASSESSMENT_STATUS_NAMES
from i18n import date, pick, t
from tables import show

user = st.session_state["auth.user"]
st.title(t("dash.title"))
campaigns = appdata.campaigns()
campaign = st.selectbox(t("assess.campaign"), [None] + campaigns, key="dash.campaign",
                        index=1 if campaigns else 0,
                        format_func=lambda c: "-" if c is None else str(c["fiscal_year"]))
rows = appdata.province(user, campaign["id"] if campaign else None)
frame = pd.DataFrame(rows)
ack_names = {"on_time": t("dash.ack_ok"), "late": t("dash.ack_late"), "none": t("dash.ack_none")}
c1, c2, c3 = st.columns(3)
for col, key in zip((c1, c2, c3), ("on_time", "late", "none")):
    col.metric(ack_names[key], int((frame["acknowledgement"] == key).sum()) if not frame.empty else 0)
if frame.empty:
    st.stop()
flags = frame.melt(id_vars=["agency_id"], value_vars=["high", "medium", "low"], var_name="severity", value_name="flags")
st.altair_chart(alt.Chart(flags).mark_bar().encode(
    x=alt.X("agency_id:N", sort="-y", title=t("queue.agency")), y=alt.Y("flags:Q", title=t("nav.queue")),
    color=alt.Color("severity:N", scale=alt.Scale(domain=["high", "medium", "low"],
                                                  range=["#c0392b", "#e67e22", "#f1c40f"])),
    tooltip=["agency_id", "severity", "flags"]), width="stretch")
table = pd.DataFrame([{
    t("queue.agency"): r["name"], "id": r["agency_id"], "2.3": ack_names[r["acknowledgement"]],
    t("col.date"): date(r["reported_on"]) if r["reported_on"] else "", t("sev.high"): r["high"],
    t("sev.medium"): r["medium"], t("sev.low"): r["low"], t("assess.status"): pick(ASSESSMENT_STATUS_NAMES[r["status"]]),
    t("assess.score"): r["score"],
} for r in rows])
show(table, "dash.table", "province-overview")
