"""The province at a glance: the 33 agencies' acknowledgement, open flags and self-assessment."""

from __future__ import annotations

import altair as alt
import appdata
import pandas as pd
import streamlit as st
from i18n import date, labelled, pick, t
from tables import show

from engine.store.assessment import ASSESSMENT_STATUS_NAMES

user = st.session_state["auth.user"]
st.title(t("dash.title"))
campaigns = appdata.campaigns()
campaign = st.selectbox(t("assess.campaign"), campaigns + [None], key="dash.campaign",
                        format_func=labelled(campaigns + [None], lambda c: t("reports.no_campaign") if c is None
                                             else f"{t('risk.fy')} {c['fiscal_year']}"))
rows = appdata.province(user, campaign["id"] if campaign else None)
frame = pd.DataFrame(rows)
ack_names = {"on_time": t("dash.ack_ok"), "late": t("dash.ack_late"), "none": t("dash.ack_none")}
c1, c2, c3 = st.columns(3)
for col, key in zip((c1, c2, c3), ("on_time", "late", "none")):
    col.metric(ack_names[key], int((frame["acknowledgement"] == key).sum()) if not frame.empty else 0)
if frame.empty:
    st.stop()
severities = [t("sev.high"), t("sev.medium"), t("sev.low")]
flags = frame.assign(agency=frame["name"]).rename(
    columns={"high": severities[0], "medium": severities[1], "low": severities[2]}).melt(
    id_vars=["agency", "agency_id"], value_vars=severities, var_name="severity", value_name="flags")
st.altair_chart(alt.Chart(flags).mark_bar().encode(
    x=alt.X("agency:N", sort="-y", title=t("queue.agency"), axis=alt.Axis(labelLimit=220, labelAngle=-60)),
    y=alt.Y("flags:Q", title=t("dash.open_flags")),
    color=alt.Color("severity:N", title=t("dash.severity"),
                    scale=alt.Scale(domain=severities, range=["#c0392b", "#e67e22", "#f1c40f"])),
    tooltip=[alt.Tooltip("agency:N", title=t("queue.agency")), alt.Tooltip("severity:N", title=t("dash.severity")),
             alt.Tooltip("flags:Q", title=t("dash.open_flags"))]), width="stretch")
table = pd.DataFrame([{
    t("queue.agency"): r["name"], t("col.agency_id"): r["agency_id"], t("dash.ack"): ack_names[r["acknowledgement"]],
    t("col.date"): date(r["reported_on"]) if r["reported_on"] else "", t("sev.high"): r["high"],
    t("sev.medium"): r["medium"], t("sev.low"): r["low"], t("assess.status"): pick(ASSESSMENT_STATUS_NAMES[r["status"]]),
    t("assess.score"): "-" if r["score"] is None else f"{r['score']:.1f}",
} for r in rows])
show(table, "dash.table", "province-overview")
