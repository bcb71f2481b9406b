"""The province at a glance, per acknowledgement round: each agency's report against the selected
fiscal year's deadline (worst first, coloured), its open flags, and its self-assessment in that
year's campaign; the year's ITA item. The same overview as ``discretion-review report province``."""

from __future__ import annotations

import altair as alt
import appdata
import pandas as pd
import streamlit as st
from i18n import date, lang, pick, t
from present import plain

from engine.domain.calendar import fiscal_year, today
from engine.store.assessment import ASSESSMENT_STATUS_NAMES
from engine.store.reports import ACK_STATE_NAMES, ACK_STATES

# worst first: red, orange, grey (not yet due), green; no round: grey
STATE_COLOURS = {"overdue": "#f5b7b1", "late": "#fad7a0", "due": "#e5e7e9", "on_time": "#abebc6", "no_round": "#e5e7e9"}

user = st.session_state["auth.user"]
st.title(t("dash.title"))
now = today()
years = appdata.fiscal_years(user) or [fiscal_year(now)]
current = fiscal_year(now)
default = next((y for y in years if y <= current), years[0])  # the latest round not in the future
fy = st.selectbox(t("dash.fy"), years, index=years.index(default), key="dash.fy")
data = appdata.province(user, fy, now)
st.caption(appdata.ita_item(user, fy).label(lang()))
rnd = data["round"]
if rnd is None:
    st.warning(t("dash.no_round", fy=fy))
elif rnd.letter is not None:
    st.caption(t("dash.round", deadline=date(rnd.deadline), number=plain(rnd.letter.number), date=date(rnd.letter.date))
               + " · " + t("dash.as_of", today=date(now)))
else:
    st.caption(t("dash.round_no_letter", deadline=date(rnd.deadline), source=plain(rnd.source))
               + " · " + t("dash.as_of", today=date(now)))

rows = data["agencies"]
if rnd is not None:
    shown = [s for s in ACK_STATES if s != "no_round"]
    for col, state in zip(st.columns(len(shown)), shown):
        col.metric(pick(ACK_STATE_NAMES[state]), data["counts"].get(state, 0))
if not rows:
    st.stop()

st.subheader(t("dash.ack_table"))
assessment = t("dash.assessment_col")
if not data["campaign"]:
    st.caption(f"{t('dash.assessment', fy=fy)}: {t('dash.no_campaign')}")
table = pd.DataFrame([{
    t("queue.agency"): r["name"], t("dash.ack"): pick(ACK_STATE_NAMES[r["state"]]),
    t("dash.reported_on"): date(r["reported_on"]) if r["reported_on"] else "",
    t("dash.days_late"): "" if r["days_late"] is None else str(r["days_late"]),
    assessment: pick(ASSESSMENT_STATUS_NAMES[r["assessment"]]) if data["campaign"] else "—",
    t("assess.score"): "" if r["score"] is None else f"{r['score']:.1f}",
} for r in rows])
colours = [STATE_COLOURS[r["state"]] for r in rows]
styled = table.style.apply(lambda column: [f"background-color: {c}" for c in colours], subset=[t("dash.ack")])
# every agency on screen at once (no inner scrolling), each name whole (the open flags: in the chart below)
st.dataframe(styled, hide_index=True, width="stretch", height=36 * (len(rows) + 1) + 3, key="dash.table.grid",
             column_config={t("queue.agency"): st.column_config.TextColumn(width=420)})
files = st.container(horizontal=True)
files.download_button(t("dash.pdf"), lambda: appdata.province_file(user, fy, now, "pdf"),
                      file_name=f"province-{fy}.pdf", mime="application/pdf", key="dash.pdf",
                      icon=":material/picture_as_pdf:")
files.download_button(t("dash.xlsx"), lambda: appdata.province_file(user, fy, now, "xlsx", lang()),
                      file_name=f"province-{fy}.xlsx", key="dash.xlsx", icon=":material/download:",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

st.subheader(t("dash.flags_chart"))
severities = [t("sev.high"), t("sev.medium"), t("sev.low")]
flags = pd.DataFrame([{"agency": r["name"], "severity": label, "flags": r[key], "total": r["high"] + r["medium"] + r["low"]}
                      for r in rows for key, label in zip(("high", "medium", "low"), severities)])
order = [r["name"] for r in sorted(rows, key=lambda r: (-(r["high"] + r["medium"] + r["low"]), r["name"]))]
st.altair_chart(alt.Chart(flags).mark_bar().encode(
    # names on the vertical axis, whole: 33 agencies read down the page, not slanted and cut
    y=alt.Y("agency:N", sort=order, title=None, axis=alt.Axis(labelLimit=0, labelFontSize=13)),
    x=alt.X("flags:Q", title=t("dash.open_flags")),
    color=alt.Color("severity:N", title=t("dash.severity"),
                    scale=alt.Scale(domain=severities, range=["#c0392b", "#e67e22", "#f1c40f"])),
    order=alt.Order("severity:N", sort="descending"),
    tooltip=[alt.Tooltip("agency:N", title=t("queue.agency")), alt.Tooltip("severity:N", title=t("dash.severity")),
             alt.Tooltip("flags:Q", title=t("dash.open_flags"))]).properties(height=24 * len(rows) + 40),
    width="stretch")
