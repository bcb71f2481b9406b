"""Risk analysis for the head and the ethics committee (measure 1.4)."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

import appdata
from i18n import date, t
from tables import show

user = st.session_state["auth.user"]
scope = appdata.scope_of(user)
st.title(t("risk.title"))

fy = st.session_state.get("risk.fy")
data = appdata.risk_overview(user, fy)

st.subheader(t("risk.heatmap"))
heat = pd.DataFrame(data["heatmap"])
if heat.empty:
    st.info(t("risk.none"))
else:
    st.altair_chart(alt.Chart(heat).mark_rect().encode(
        x=alt.X("measure:N", title=t("queue.measure")), y=alt.Y("agency_id:N", title=t("queue.agency")),
        color=alt.Color("per_100_cases:Q", title="/100", scale=alt.Scale(scheme="reds")),
        tooltip=["agency_id", "measure", "flags", "cases", "per_100_cases"]), width="stretch")
    show(heat, "risk.heat", "flag-rates")

st.subheader(t("risk.trend"))
st.selectbox(t("risk.fy"), data["years"], key="risk.fy")
trend = pd.DataFrame(data["trend"])
if trend.empty:
    st.info(t("risk.none"))
else:
    st.altair_chart(alt.Chart(trend).mark_line(point=True).encode(
        x=alt.X("month:N", sort=alt.SortField("order"), title=f"{t('risk.fy')} {data['fy']}"),
        y=alt.Y("flags:Q"), color="measure:N", tooltip=["month", "measure", "flags"]), width="stretch")
    show(trend.drop(columns=["order"]), "risk.trend", f"trend-fy{data['fy']}")

signals = appdata.risk_signals(user, dt.date.today())
st.subheader(t("risk.processes"))
show(pd.DataFrame(signals["processes"]), "risk.processes", "processes")

st.subheader(t("risk.outliers"))
st.caption(t("risk.outliers_help"))
show(pd.DataFrame(signals["outliers"]), "risk.outliers", "approval-outliers", empty=t("risk.none"))

left, right = st.columns(2)
with left:
    st.subheader(t("risk.rotation"))
    rotation = pd.DataFrame([{"agency_id": r["agency_id"], "officer_id": r["officer_id"], "status": r["status"],
                              "since": date(r["evidence"].get("in_position_since")),
                              "years": r["evidence"].get("years_in_position")} for r in data["rotation"]])
    show(rotation, "risk.rotation", "rotation-due", empty=t("risk.none"))
with right:
    st.subheader(t("risk.repeat"))
    repeat = pd.DataFrame([{"agency_id": r["agency_id"], "officer_id": r["officer_id"], "applicant": r["applicant"],
                            "decisions": r["evidence"].get("recent_discretionary_decisions"), "status": r["status"]}
                           for r in data["repeat"]])
    show(repeat, "risk.repeat", "repeat-applicants", empty=t("risk.none"))

st.subheader(t("risk.record"))
if scope.can("risk"):
    choices = appdata.agencies(user)
    with st.form("risk.form", clear_on_submit=False):
        agency = st.selectbox(t("risk.agency"), [a for a, _ in choices], key="risk.agency",
                              format_func=dict(choices).get)
        analysed_on = st.date_input(t("risk.date"), value=dt.date.today(), key="risk.date", format="DD/MM/YYYY")
        committee = st.checkbox(t("risk.committee"), value=True, key="risk.committee")
        participants = st.text_area(t("risk.participants") + " *", key="risk.participants")
        risks = st.text_area(t("risk.risks") + " *", key="risk.risks")
        rotation_plan = st.text_area(t("risk.rotation_plan"), key="risk.rotation_plan")
        controls = st.text_area(t("risk.controls"), key="risk.controls")
        if st.form_submit_button(t("form.submit"), type="primary", key="risk.submit"):
            try:
                appdata.record_analysis(user, agency_id=agency, analysed_on=analysed_on, ethics_committee=committee,
                                        participants=participants, risks=risks, rotation_plan=rotation_plan,
                                        controls=controls)
            except Exception as exc:  # a usage or permission problem; the text stays in the form
                st.error(str(exc))
            else:
                st.success(t("risk.saved"))
else:
    st.info(t("assess.readonly"))

st.subheader(t("risk.history"))
show(pd.DataFrame(data["analyses"]), "risk.history", "risk-analyses", empty=t("risk.none"))
