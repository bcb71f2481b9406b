"""Risk analysis for the head and the ethics committee (measure 1.4)."""

from __future__ import annotations


import altair as alt
import appdata
import pandas as pd
import streamlit as st
from dates import INVALID, date_field
from i18n import column, lang, pick, t
from messages import say
from present import field_value, named, person, plain
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


# Each table fits the page at 1280 px (about 820 px beside the menu): names get a set width (a long one
# ends in … and shows whole on hover), numbers a narrow one under a short heading whose help says it in
# full. The files keep every heading in full. An agency's own user sees one agency: no column for it.
one_agency = not scope.all_agencies
NAME, AGENCY = 240, 145


def widths(**columns: int | tuple[int, str]) -> dict:
    """Column settings by column name: a width, or a width and a short heading (the full one is its help)."""
    out = {}
    for name, spec in columns.items():
        width, short = spec if isinstance(spec, tuple) else (spec, None)
        out[name] = st.column_config.Column(short or column(name), width=width, help=column(name) if short else None)
    return out


def without_agency(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["agency_id"]) if one_agency and "agency_id" in frame.columns else frame


heat = pd.DataFrame(data["heatmap"])
st.subheader(t("risk.heatmap"))
case_level = heat[heat["level"] == "case"] if not heat.empty else heat
if case_level.empty:
    st.info(t("risk.none_heatmap"))
else:
    case_level = case_level.assign(agency=case_level["agency_id"].map(agency))
    st.altair_chart(alt.Chart(case_level).mark_rect().encode(
        x=alt.X("measure:N", title=t("queue.measure"), axis=alt.Axis(labelAngle=0)),
        # Thai agency names are long: shown whole, without an axis title that would overlap them
        y=alt.Y("agency:N", title=None, axis=alt.Axis(labelLimit=480)),
        color=alt.Color("per_100_cases:Q", title=t("risk.per_100"), scale=alt.Scale(scheme="reds"),
                        legend=alt.Legend(format=".2f")),  # a rate, not 4.260000
        tooltip=[alt.Tooltip("agency:N", title=t("queue.agency")), alt.Tooltip("measure:N", title=t("queue.measure")),
                 alt.Tooltip("flags:Q", title=t("risk.flags")), alt.Tooltip("cases:Q", title=t("risk.cases")),
                 alt.Tooltip("per_100_cases:Q", title=t("risk.per_100"), format=".2f")]), width="stretch")
    show(case_level.assign(measure=case_level["measure"].map(measure_name))[
        ["agency", "measure", "flags", "cases", "per_100_cases"]], "risk.heat", "flag-rates",
         column_config=widths(agency=310, measure=230, flags=80, cases=80, per_100_cases=(95, t("risk.per_100"))))
other = heat[heat["level"] == "other"] if not heat.empty else heat
if not other.empty:
    st.caption(t("risk.other_levels"))
    show(other.assign(agency=other["agency_id"].map(agency), measure=other["measure"].map(measure_name))[
        ["agency", "measure", "flags"]],
         "risk.heat_other", "flag-counts", column_config=widths(agency=310, measure=400, flags=80))

st.subheader(t("risk.trend"))
st.selectbox(t("risk.fy"), data["years"], key="risk.fy")
trend = pd.DataFrame(data["trend"])
if trend.empty:
    st.info(t("risk.none_trend"))
else:
    today = bangkok_today()
    future = {i for i, (y, m) in enumerate(fiscal_months(data["fy"])) if (y, m) > (today.year, today.month)}
    trend["flags"] = trend["flags"].astype("Float64").where(~trend["order"].isin(future))  # not yet: no point
    st.altair_chart(alt.Chart(trend).mark_line(point=True).encode(
        x=alt.X("month:N", sort=alt.SortField("order"), title=f"{t('risk.fy')} {data['fy']}"),
        y=alt.Y("flags:Q", title=t("risk.flags"), axis=alt.Axis(format="d", tickMinStep=1)), color=alt.Color("measure:N", title=t("queue.measure")),
        tooltip=[alt.Tooltip("month:N", title=t("risk.month")), alt.Tooltip("measure:N", title=t("queue.measure")),
                 alt.Tooltip("flags:Q", title=t("risk.flags"))]), width="stretch")
    show(trend[~trend["order"].isin(future)].drop(columns=["order"]), "risk.trend", f"trend-fy{data['fy']}",
         column_config=widths(month=150, measure=150, flags=100))

signals = appdata.risk_signals(user, bangkok_today())
st.subheader(t("risk.processes"))
show(without_agency(pd.DataFrame([{
    "process_id": named(p["process_id"], names["process"]), "cases": p["cases"], "deviating": p["deviating"],
    "deviation_pct": pct(p["deviation_rate"]), "overdue": p["overdue"], "overdue_pct": pct(p["overdue_rate"]),
    "agency_id": agency(p["agency_id"])} for p in signals["processes"]])),
     "risk.processes", "processes", empty=t("risk.none_processes"),
     column_config=widths(process_id=230 + 130 * one_agency, cases=(70, t("risk.short.cases")),
                          deviating=(90, t("risk.short.deviating")), deviation_pct=(110, t("risk.short.deviating_pct")),
                          overdue=(85, t("risk.short.overdue")), overdue_pct=(100, t("risk.short.overdue_pct")),
                          agency_id=130))

st.subheader(t("risk.outliers"))
st.caption(t("risk.outliers_help"))
show(without_agency(pd.DataFrame([{
    "officer_id": named(o["officer_id"], names["officer"]), "process_id": named(o["process_id"], names["process"]),
    "approval_pct": pct(o["approval_rate"]), "direction": t(f"risk.direction.{o['direction']}"),
    "fence_low_pct": pct(o["fence_low"]), "fence_high_pct": pct(o["fence_high"]), "decisions": o["decisions"],
    "approved": o["approved"], "peers": o["peers"], "q1_pct": pct(o["q1"]), "q3_pct": pct(o["q3"]),
    "agency_id": agency(o["agency_id"])} for o in signals["outliers"]])),
     "risk.outliers", "approval-outliers", empty=t("risk.none_outliers"),
     hidden=("approved", "q1_pct", "q3_pct"),  # in the file; the fences drawn from them are shown
     column_config=widths(officer_id=140 + 65 * one_agency, process_id=145 + 65 * one_agency,
                          approval_pct=(70, t("risk.short.approval_pct")), direction=85,
                          fence_low_pct=(65, t("risk.short.fence_low")), fence_high_pct=(60, t("risk.short.fence_high")),
                          decisions=(55, t("risk.short.decisions")), peers=(55, t("risk.short.peers")), agency_id=130))

# one after the other, each the page's width: side by side, neither had room for its columns
st.subheader(t("risk.rotation"))
rotation = pd.DataFrame([{"officer_id": named(r["officer_id"], names["officer"]),
                          "since": field_value("in_position_since", r["evidence"].get("in_position_since")),
                          "rotation_due_on": field_value("rotation_due_on", r["evidence"].get("rotation_due_on")),
                          "status": pick(STATUS_NAMES[r["status"]]),
                          "agency_id": agency(r["agency_id"])} for r in data["rotation"]])
show(without_agency(rotation), "risk.rotation", "rotation-due", empty=t("risk.none_rotation"),
     column_config=widths(officer_id=NAME, since=150, rotation_due_on=150, status=130, agency_id=AGENCY))
st.subheader(t("risk.repeat"))
repeat = pd.DataFrame([{"officer_id": named(r["officer_id"], names["officer"]),
                        "applicant": r["applicant"], "decisions": r["evidence"].get("recent_discretionary_decisions"),
                        "status": pick(STATUS_NAMES[r["status"]]), "agency_id": agency(r["agency_id"])}
                       for r in data["repeat"]])
show(without_agency(repeat), "risk.repeat", "repeat-applicants", empty=t("risk.none_repeat"),
     column_config=widths(officer_id=NAME, applicant=140, decisions=(60, t("risk.short.decisions")), status=180,
                          agency_id=AGENCY))

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
recorders = appdata.people(user, tuple(sorted({a["recorded_by"] for a in data["analyses"] if a["recorded_by"]})))
# free text: the columns that fit are shown (a long text ends in … and shows whole on hover); the file has them all
if data["analyses"]:
    st.caption(t("risk.history_about"))
show(pd.DataFrame([{
    "analysed_on": field_value("analysed_on", a["analysed_on"]), "agency_id": agency(a["agency_id"]),
    "ethics_committee": field_value("", a["ethics_committee"]), "participants": a["participants"] or "",
    "risks": a["risks"] or "", "rotation_plan": a["rotation_plan"] or "",
    "rotation_considered": field_value("", a["rotation_considered"]), "controls": a["controls"] or "",
    "notes": a["notes"] or "", "recorded_by": person(a["recorded_by"], recorders) if a["recorded_by"] else t("risk.from_import")} for a in data["analyses"]]),
     "risk.history", "risk-analyses", empty=t("risk.none_analyses"),
     hidden=("rotation_considered", "controls", "notes") + (("agency_id",) if one_agency else ("participants",)),
     column_config=widths(analysed_on=95, agency_id=AGENCY, ethics_committee=(70, t("risk.short.committee")),
                          participants=AGENCY, risks=200, rotation_plan=150, recorded_by=120))
