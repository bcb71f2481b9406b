"""Government days off and acknowledgement rounds: what every later evaluation run uses.
Everybody reads; only administrators record (engine/store/province.py enforces it)."""

from __future__ import annotations

import datetime as dt

import appdata
import pandas as pd
import streamlit as st
from dates import date_field
from i18n import date, lang, pick, t, timestamp
from messages import say
from present import person, plain
from tables import show

from engine.domain.calendar import fiscal_year
from engine.domain.errors import UsageError
from engine.store.scope import PermissionDenied

user = st.session_state["auth.user"]
scope = appdata.scope_of(user)
admin = scope.role == "admin"
st.title(t("nav.calendar"))
if not admin:
    st.info(t("cal.readonly"))
flash = st.session_state.pop("cal.flash", None)
if flash:  # what the last save did, shown above the tables it changed
    st.success(flash)

# --- days off ---------------------------------------------------------------------------
st.subheader(t("cal.days"))
today = dt.date.today()
year_be = st.number_input(t("cal.year"), value=today.year + 543, min_value=2500, max_value=2700, step=1,
                          key="cal.year")
view = appdata.calendar_view(user, int(year_be) - 543)
people = appdata.people(user, tuple(sorted({e["actor"] for e in view["history"]} |
                                           {r["actor"] for r in appdata.rounds_view(user)["history"]})))
# which years' days off were checked against the cabinet's announcements (kb/calendar.yaml), and that
# the others were not: a deadline counted through such a year may be a day off
checked = {c["year"]: c["source"] for c in view["checked"]}
if int(year_be) in checked:
    st.success(t("cal.checked_year", year=int(year_be), source=plain(checked[int(year_be)])))
else:
    st.warning(t("cal.unchecked_year", year=int(year_be)))
show(pd.DataFrame([{
    t("cal.date"): date(d["date"]),
    t("cal.kind"): t("cal.kind.add") if d["day_off"] else t("cal.kind.remove"),
    t("cal.name"): pick((d["name_th"] or "", d["name_en"] or "")),
    t("cal.origin"): t(f"cal.origin.{d['origin']}"),
    t("cal.source"): d["source"] or pick(appdata.KB_CALENDAR_SOURCE),
} for d in view["days"]]), "cal.days", f"government-days-off-{int(year_be)}", empty=t("cal.none"),
     column_config={t(c): st.column_config.Column(width=w) for c, w in (  # the page's width at 1280 px
         ("cal.date", 110), ("cal.kind", 120), ("cal.name", 230), ("cal.origin", 170), ("cal.source", 180))})

with st.expander(t("cal.checked", years=", ".join(str(y) for y in sorted(checked)) or "—")):
    st.caption(t("cal.checked_about"))
    show(pd.DataFrame([{t("cal.year"): y, t("cal.source"): checked[y]} for y in sorted(checked)]),
         "cal.checked", "checked-years", empty=t("cal.none"))

st.markdown(f"**{t('cal.history')}**")
show(pd.DataFrame([{
    t("cal.date"): date(e["date"]), t("cal.kind"): t(f"cal.kind.{e['kind']}"),
    t("cal.name"): pick((e["name_th"], e["name_en"])), t("cal.source"): e["source"],
    t("cal.by"): person(e["actor"], people), t("cal.at"): timestamp(e["at"]),
} for e in view["history"]]), "cal.history", "calendar-entries", empty=t("cal.none"))

if admin:
    with st.form("cal.add", clear_on_submit=False):
        st.markdown(f"**{t('cal.add')}**")
        c1, c2 = st.columns(2)
        day = date_field(t("cal.date"), "cal.add.date", today, container=c1)
        kind = c2.selectbox(t("cal.kind"), ["add", "remove"], key="cal.add.kind",
                            format_func=lambda k: t(f"cal.kind.{k}"))
        name_th = st.text_input(t("cal.name_th"), key="cal.add.name_th")
        name_en = st.text_input(t("cal.name_en"), key="cal.add.name_en")
        source = st.text_input(t("cal.source_hint"), key="cal.add.source")
        # an invalid or empty date has said so under its field: nothing is saved
        if st.form_submit_button(t("cal.save"), key="cal.add.submit") and day:
            try:
                appdata.add_calendar_entry(user, day, kind, name_th, name_en, source)
            except (UsageError, PermissionDenied) as exc:  # a missing field or no right: nothing was stored
                st.error(plain(say(str(exc), lang())))
            else:
                st.session_state["cal.flash"] = t("cal.saved")
                st.rerun()

# --- acknowledgement rounds -------------------------------------------------------------
st.subheader(t("cal.rounds"))
rounds = appdata.rounds_view(user)
st.markdown(f"**{t('cal.rounds_kb')}**")
show(pd.DataFrame([{t("cal.fy"): r["fiscal_year"], t("cal.deadline"): date(r["deadline"]),
                    t("cal.source"): pick(r["source"])} for r in rounds["kb"]]), "cal.rounds_kb", "rounds-kb")
st.markdown(f"**{t('cal.rounds_stored')}**")
show(pd.DataFrame([{t("cal.fy"): r["fiscal_year"], t("cal.deadline"): date(r["deadline"]),
                    t("cal.source"): r["source"], t("cal.by"): person(r["actor"], people),
                    t("cal.at"): timestamp(r["at"])}
                   for r in rounds["history"]]), "cal.rounds_stored", "rounds-opened", empty=t("cal.none"))

if admin:
    with st.form("cal.round", clear_on_submit=False):
        st.markdown(f"**{t('cal.round_open')}**")
        c1, c2 = st.columns(2)
        fy = c1.number_input(t("cal.fy"), value=fiscal_year(today), min_value=2500, max_value=2700, step=1,
                             key="cal.round.fy")
        deadline = date_field(t("cal.deadline"), "cal.round.deadline", today + dt.timedelta(days=60), container=c2)
        letter = st.text_input(t("cal.round_source"), key="cal.round.source")
        if st.form_submit_button(t("cal.save"), key="cal.round.submit") and deadline:
            try:
                appdata.open_round(user, int(fy), deadline, letter)
            except (UsageError, PermissionDenied) as exc:
                st.error(plain(say(str(exc), lang())))
            else:
                st.session_state["cal.flash"] = t("cal.round_saved", fy=int(fy))
                st.rerun()
