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
from engine.domain.calendar import today as bangkok_today
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
today = bangkok_today()
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
missing = t("cal.not_recorded")
st.markdown(f"**{t('cal.rounds_in_force')}**")
show(pd.DataFrame([{
    t("cal.fy"): str(y), t("cal.deadline"): date(r.deadline),
    t("cal.letter"): (f"{r.letter.number} ({date(r.letter.date)})" if r.letter else missing),
    t("cal.signatory"): r.letter.signatory if r.letter else missing,
    t("cal.subject"): (r.letter.subject or missing) if r.letter else missing,
    t("cal.origin"): t(f"cal.origin_round.{r.origin}"), t("cal.source"): r.source,
} for y, r in sorted(rounds["in_force"].items(), reverse=True)]), "cal.rounds_in_force", "rounds-in-force")
st.markdown(f"**{t('cal.rounds_stored')}**")
show(pd.DataFrame([{t("cal.fy"): str(r["fiscal_year"]), t("cal.deadline"): date(r["deadline"]),
                    t("cal.letter"): f"{r['letter_number']} ({date(r['letter_date'])})" if r["letter_number"] else missing,
                    t("cal.signatory"): r["signatory"] or missing, t("cal.subject"): r["subject"] or missing,
                    t("cal.source"): r["source"], t("cal.by"): person(r["actor"], people), t("cal.at"): timestamp(r["at"])}
                   for r in rounds["history"]]), "cal.rounds_stored", "rounds-opened", empty=t("cal.none"))

if admin:
    with st.form("cal.round", clear_on_submit=False):
        st.markdown(f"**{t('cal.round_open')}**")
        c1, c2 = st.columns(2)
        fy = c1.number_input(t("cal.fy"), value=fiscal_year(today), min_value=2500, max_value=2700, step=1,
                             key="cal.round.fy")
        deadline = date_field(t("cal.deadline"), "cal.round.deadline", today + dt.timedelta(days=60), container=c2)
        c3, c4 = st.columns(2)
        number = c3.text_input(t("cal.letter_number"), key="cal.round.letter_number")
        letter_date = date_field(t("cal.letter_date"), "cal.round.letter_date", None, container=c4)
        signatory = st.text_input(t("cal.signatory_hint"), key="cal.round.signatory")
        subject = st.text_input(t("cal.subject_hint"), key="cal.round.subject")
        letter = st.text_input(t("cal.round_source"), key="cal.round.source")
        # an invalid or empty date has said so under its field: nothing is saved
        if st.form_submit_button(t("cal.save"), key="cal.round.submit") and deadline and letter_date:
            try:
                appdata.open_round(user, int(fy), deadline, letter, number, letter_date, signatory, subject)
            except (UsageError, PermissionDenied) as exc:
                st.error(plain(say(str(exc), lang())))
            else:
                st.session_state["cal.flash"] = t("cal.round_saved", fy=int(fy))
                st.rerun()

# --- the ITA item(s) of each fiscal year (kb/ita.yaml, and what the administrator records) ----
st.subheader(t("ita.title"))
st.caption(t("ita.note"))
view_ita = appdata.ita_view(user)
show(pd.DataFrame([{
    t("cal.fy"): str(y), t("ita.items"): m.items, t("ita.indicator"): m.indicator or "",
    t("ita.item_title"): m.title_th or "", t("cal.source"): m.source or "", t("ita.origin"): t(f"ita.origin.{m.origin}"),
} for y, m in sorted(view_ita["mapped"].items(), reverse=True)]), "ita.mapped", "ita-items")
if view_ita["history"]:
    st.markdown(f"**{t('ita.history')}**")
    show(pd.DataFrame([{t("cal.fy"): str(e["fiscal_year"]), t("ita.items"): e["items"],
                        t("ita.indicator"): e["indicator"] or "", t("cal.source"): e["source"], t("cal.by"): e["actor"],
                        t("cal.at"): timestamp(e["at"])} for e in view_ita["history"]]), "ita.history", "ita-entries")
if admin:
    with st.form("ita.add", clear_on_submit=False):
        st.markdown(f"**{t('ita.add')}**")
        c1, c2, c3 = st.columns(3)
        ita_fy = c1.number_input(t("cal.fy"), value=fiscal_year(today), min_value=2500, max_value=2700, step=1,
                                 key="ita.add.fy")
        items = c2.text_input(t("ita.items_hint"), key="ita.add.items")
        indicator = c3.text_input(t("ita.indicator_hint"), key="ita.add.indicator")
        item_title = st.text_input(t("ita.title_hint"), key="ita.add.title")
        ita_source = st.text_input(t("ita.source_hint"), key="ita.add.source")
        if st.form_submit_button(t("cal.save"), key="ita.add.submit"):
            try:
                appdata.record_ita(user, int(ita_fy), items, ita_source, indicator, item_title)
            except (UsageError, PermissionDenied) as exc:
                st.error(plain(say(str(exc), lang())))
            else:
                st.session_state["cal.flash"] = t("ita.saved", fy=int(ita_fy))
                st.rerun()
