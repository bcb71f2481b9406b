"""Risk analysis for the head and the ethics committee (measure 1.4)."""

from __future__ import annotations


import altair as alt
import appdata
import pandas as pd
import streamlit as st
from dates import INVALID, date_field
from i18n import lang, pick, t
from messages import say
from present import field_value, named, plain
from tables import show

from engine.domain.calendar import today as bangkok_today
from engine.domain.errors import DiscretionReviewError
from engine.store.analytics import fiscal_months
from engine.store.review import STATUS_NAMES

user = st.session_state["auth.user"]
scope = appdata.scope_of(user)
names = appdata.names(user)
st.title(t("risk.title"))

fy = st.session_state.get("risk.fy")
data = appdata.risk_overview(user, fy)


def agency(code: str) -> str:
    return named(code, names["agency"])


def measure_name(m: str) -> str:
    measure = appdata.kb().measure(m)
    return f"{m} {pick((measure.title_th, measure.title_en))}"


def pct(value: float | None) -> float | None:
    """A share (0–1) as a percentage with one decimal."""
    return None if value is None else round(100 * value, 1)


heat = pd.DataFrame(data["heatmap"])
st.subheader(t("risk.heatmap"))
case_level = heat[heat["level"] == "case"] if not heat.empty else heat
if case_level.empty:
    st.info(t("risk.none"))
else:
    case_level = case_level.assign(agency=case_level["agency_id"].map(agency))
    st.altair_chart(alt.Chart(case_level).mark_rect().encode(
        x=alt.X("measure:N", title=t("queue.measure"), axis=alt.Axis(labelAngle=0)),
        # Thai agency names are long: shown whole, without an axis title that would overlap them
        y=alt.Y("agency:N", title=None, axis=alt.Axis(labelLimit=320)),
        color=alt.Color("per_100_cases:Q", title=t("risk.per_100"), scale=alt.Scale(scheme="reds"),
                        legend=alt.Legend(format=".2f")),  # a rate, not 4.260000
        tooltip=[alt.Tooltip("agency:N", title=t("queue.agency")), alt.Tooltip("measure:N", title=t("queue.measure")),
                 alt.Tooltip("flags:Q", title=t("risk.flags")), alt.Tooltip("cases:Q", title=t("risk.cases")),
                 alt.Tooltip("per_100_cases:Q", title=t("risk.per_100"), format=".2f")]), width="stretch")
    show(case_level.assign(measure=case_level["measure"].map(measure_name))[
        ["agency", "measure", "flags", "cases", "per_100_cases"]], "risk.heat", "flag-rates")
other = heat[heat["level"] == "other"] if not heat.empty else heat
if not other.empty:
    st.caption(t("risk.other_levels"))
    show(other.assign(agency=other["agency_id"].map(agency), measure=other["measure"].map(measure_name))[
        ["agency", "measure", "flags"]],
         "risk.heat_other", "flag-counts")

st.subheader(t("risk.trend"))
st.selectbox(t("risk.fy"), data["years"], key="risk.fy")
trend = pd.DataFrame(data["trend"])
if trend.empty:
    st.info(t("risk.none"))
else:
    today = bangkok_today()
    future = {i for i, (y, m) in enumerate(fiscal_months(data["fy"])) if (y, m) > (today.year, today.month)}
    trend["flags"] = trend["flags"].astype("Float64").where(~trend["order"].isin(future))  # not yet: no point
    st.altair_chart(alt.Chart(trend).mark_line(point=True).encode(
        x=alt.X("month:N", sort=alt.SortField("order"), title=f"{t('risk.fy')} {data['fy']}"),
        y=alt.Y("flags:Q", title=t("risk.flags"), axis=alt.Axis(format="d", tickMinStep=1)), color=alt.Color("measure:N", title=t("queue.measure")),
        tooltip=[alt.Tooltip("month:N", title=t("risk.month")), alt.Tooltip("measure:N", title=t("queue.measure")),
                 alt.Tooltip("flags:Q", title=t("risk.flags"))]), width="stretch")
    show(trend[~trend["order"].isin(future)].drop(columns=["order"]), "risk.trend", f"trend-fy{data['fy']}")

signals = appdata.risk_signals(user, bangkok_today())
st.subheader(t("risk.processes"))
show(pd.DataFrame([{"process_id": named(p["process_id"], names["process"]), "agency_id": agency(p["agency_id"]),
                    "cases": p["cases"], "deviating": p["deviating"], "deviation_pct": pct(p["deviation_rate"]),
                    "overdue": p["overdue"], "overdue_pct": pct(p["overdue_rate"])} for p in signals["processes"]]),
     "risk.processes", "processes", empty=t("risk.none"))

st.subheader(t("risk.outliers"))
st.caption(t("risk.outliers_help"))
show(pd.DataFrame([{
    "process_id": named(o["process_id"], names["process"]), "agency_id": agency(o["agency_id"]),
    "officer_id": named(o["officer_id"], names["officer"]), "decisions": o["decisions"], "approved": o["approved"],
    "approval_pct": pct(o["approval_rate"]), "direction": t(f"risk.direction.{o['direction']}"), "peers": o["peers"],
    "q1_pct": pct(o["q1"]), "q3_pct": pct(o["q3"]), "fence_low_pct": pct(o["fence_low"]),
    "fence_high_pct": pct(o["fence_high"])} for o in signals["outliers"]]),
     "risk.outliers", "approval-outliers", empty=t("risk.none"))

left, right = st.columns(2)
with left:
    st.subheader(t("risk.rotation"))
    rotation = pd.DataFrame([{"agency_id": agency(r["agency_id"]), "officer_id": named(r["officer_id"], names["officer"]),
                              "status": pick(STATUS_NAMES[r["status"]]),
                              "since": field_value("in_position_since", r["evidence"].get("in_position_since")),
                              "years": r["evidence"].get("years_in_position")} for r in data["rotation"]])
    show(rotation, "risk.rotation", "rotation-due", empty=t("risk.none"))
with right:
    st.subheader(t("risk.repeat"))
    repeat = pd.DataFrame([{"agency_id": agency(r["agency_id"]), "officer_id": named(r["officer_id"], names["officer"]),
                            "applicant": r["applicant"], "decisions": r["evidence"].get("recent_discretionary_decisions"),
                            "status": pick(STATUS_NAMES[r["status"]])} for r in data["repeat"]])
    show(repeat, "risk.repeat", "repeat-applicants", empty=t("risk.none"))

st.subheader(t("risk.record"))
saved = st.session_state.pop("risk.saved", None)
if saved:
    st.success(saved)
FIELDS = ("risk.participants", "risk.risks", "risk.rotation_plan", "risk.controls", "risk.date")
if scope.can("risk"):
    choices = appdata.agencies(user)
    with st.container(border=True):
        agency_id = st.selectbox(t("risk.agency"), [a for a, _ in choices], key="risk.agency",
                                 format_func=lambda a: named(a, dict(choices)))
        analysed_on = date_field(t("risk.date"), "risk.date", default=bangkok_today())
        committee = st.checkbox(t("risk.committee"), value=True, key="risk.committee")
        participants = st.text_area(t("risk.participants") + " *", key="risk.participants")
        risks = st.text_area(t("risk.risks") + " *", key="risk.risks")
        rotation_plan = st.text_area(t("risk.rotation_plan"), key="risk.rotation_plan")
        controls = st.text_area(t("risk.controls"), key="risk.controls")
        if st.button(t("form.submit"), type="primary", key="risk.submit"):
            if analysed_on is INVALID or analysed_on is None:
                st.error(t("date.fix_first"))
            else:
                try:
                    appdata.record_analysis(user, agency_id=agency_id, analysed_on=analysed_on,
                                            ethics_committee=committee, participants=participants, risks=risks,
                                            rotation_plan=rotation_plan, controls=controls)
                except DiscretionReviewError as exc:  # a usage or permission problem; the text stays
                    st.error(plain(say(str(exc), lang())))
                else:  # listed below at once; the form empties so it is not recorded twice
                    for key in FIELDS:
                        st.session_state.pop(key, None)
                    st.session_state["risk.saved"] = t("risk.saved_detail", agency=plain(agency(agency_id)),
                                                       day=field_value("analysed_on", analysed_on))
                    st.rerun()
else:
    st.info(t("assess.readonly"))

st.subheader(t("risk.history"))
show(pd.DataFrame([{
    "analysed_on": field_value("analysed_on", a["analysed_on"]), "agency_id": agency(a["agency_id"]),
    "ethics_committee": field_value("", a["ethics_committee"]), "participants": a["participants"] or "",
    "risks": a["risks"] or "", "rotation_plan": a["rotation_plan"] or "",
    "rotation_considered": field_value("", a["rotation_considered"]), "controls": a["controls"] or "",
    "notes": a["notes"] or "", "recorded_by": a["recorded_by"] or t("risk.from_import")} for a in data["analyses"]]),
     "risk.history", "risk-analyses", empty=t("risk.none"))
