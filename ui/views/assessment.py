"""Self-assessment: each agency against 1.1–1.8 and 2.1–2.3; the head submits."""

from __future__ import annotations

import datetime as dt

import appdata
import pandas as pd
import streamlit as st
from dates import INVALID, date_field
from i18n import date, labelled, lang, pick, t, timestamp
from messages import say
from present import person, plain
from tables import show

from engine.domain.calendar import fiscal_year
from engine.domain.calendar import today as bangkok_today
from engine.domain.errors import DiscretionReviewError
from engine.kb.knowledge import load_kb
from engine.store.assessment import ITEM_STATUS_NAMES, ITEM_STATUSES, MAX_FILE
from engine.store.evidence_files import file_size, kind_of
from engine.store.review import StaleFlag

user = st.session_state["auth.user"]
scope = appdata.scope_of(user)
st.title(t("assess.title"))

if scope.all_agencies and scope.can("self_assess"):
    created = st.session_state.pop("assess.created", None)
    if created:
        st.success(created)
    with st.expander(t("assess.new")):
        c1, c2 = st.columns(2)
        fy = c1.number_input(t("risk.fy"), value=fiscal_year(bangkok_today()), step=1, key="assess.new_fy")
        with c2:
            due = date_field(t("assess.due"), "assess.new_due", default=bangkok_today() + dt.timedelta(days=60))
        if st.button(t("assess.create"), key="assess.create"):
            if due is INVALID or due is None:
                st.error(t("date.fix_first"))
            else:
                try:
                    appdata.create_campaign(user, int(fy), due)
                except DiscretionReviewError as exc:
                    st.error(plain(say(str(exc), lang())))
                else:
                    st.session_state.pop("assess.new_due", None)
                    st.session_state["assess.created"] = t("assess.created", fy=int(fy), due=date(due))
                    st.rerun()

campaigns = appdata.campaigns()
if not campaigns:
    st.info(t("assess.none"))
    st.stop()
c1, c2 = st.columns(2)
campaign = c1.selectbox(t("assess.campaign"), campaigns, key="assess.campaign",
                        format_func=labelled(campaigns, lambda c: f"{t('risk.fy')} {c['fiscal_year']} "
                                                                  f"({t('assess.due')} {date(c['due_date'])})"))
st.caption(appdata.ita_item(user, campaign["fiscal_year"]).label(lang()))  # the year's item, never O48 for all
if scope.all_agencies and scope.can("self_assess"):  # a wrong due date is corrected by a later entry
    with st.expander(t("assess.correct")):
        fixed = st.session_state.pop("assess.fixed", None)
        if fixed:
            st.success(fixed)
        d1, d2 = st.columns(2)
        with d1:
            new_due = date_field(t("assess.correct_due"), f"assess.fix_due.{campaign['id']}", default=campaign["due_date"])
        why = d2.text_input(t("assess.correct_reason"), key=f"assess.fix_reason.{campaign['id']}")
        if st.button(t("assess.correct_save"), key="assess.fix"):
            if new_due is INVALID or new_due is None:
                st.error(t("date.fix_first"))
            else:
                try:
                    appdata.correct_campaign(user, campaign["id"], new_due, why)
                except DiscretionReviewError as exc:
                    st.error(plain(say(str(exc), lang())))
                else:
                    st.session_state["assess.fixed"] = t("assess.corrected", fy=campaign["fiscal_year"], due=date(new_due))
                    st.rerun()
        history = [e for e in appdata.campaign_history(user) if e["campaign_id"] == campaign["id"]]
        st.markdown(f"**{t('assess.history')}**")
        show(pd.DataFrame([{t("assess.due"): date(e["due_date"]), t("cal.kind"): t(f"assess.action.{e['action']}"),
                            t("assess.fix_reason"): e["reason"] or "", t("cal.by"): e["actor"], t("cal.at"): timestamp(e["at"])}
                           for e in history]), "assess.history", f"campaign-{campaign['fiscal_year']}-history",
             empty=t("cal.none"))
choices = appdata.agencies(user)
if not choices:
    st.info(t("agencies.none"))
    st.stop()
agency = c2.selectbox(t("risk.agency"), [a for a, _ in choices], key="assess.agency", format_func=dict(choices).get)
kb = load_kb()
view = appdata.assessment_view(user, campaign["id"], agency)
locked = view["status"] == "submitted"
st.metric(t("assess.score"), "-" if view["score"] is None else f"{view['score']:.1f}")
if any(i["status"] == "no_data" or i["proposed_status"] == "no_data" for i in view["items"]):
    st.caption(t("assess.no_data_note"))
if locked:
    who = person(view["submitted_by"], appdata.people(user, (view["submitted_by"],)))  # the person, not the login
    st.success(t("assess.submitted", when=timestamp(view["submitted_at"]), who=plain(who)))

summary = pd.DataFrame([{
    t("assess.item"): f"{i['measure_id']} {pick((kb.measure(i['measure_id']).title_th, kb.measure(i['measure_id']).title_en))}", t("assess.item_status"): pick(ITEM_STATUS_NAMES[i["status"]]),
    t("assess.proposed"): pick(ITEM_STATUS_NAMES[i["proposed_status"]]), t("assess.reason"): i["override_reason"] or "",
    t("assess.url"): i["evidence_url"] or "", t("assess.file"): i["evidence_file_name"] or "",
} for i in view["items"]])
show(summary, "assess.summary", f"self-assessment-{agency}-{campaign['fiscal_year']}")

editable = scope.can("self_assess") and not locked
saved = st.session_state.pop("assess.saved", None)
if saved:  # what the last save kept (Markdown: its file name is quoted through present.plain)
    st.success(saved)
for item in view["items"]:
    m = kb.measure(item["measure_id"])
    with st.expander(f"{m.id} {pick((m.title_th, m.title_en))} — {pick(ITEM_STATUS_NAMES[item['status']])}"):
        basis = item["proposed_basis"] or ""
        english, _, thai = basis.partition(" / ")  # the store keeps "English / Thai"
        st.caption(f"{t('assess.proposed')}: {pick(ITEM_STATUS_NAMES[item['proposed_status']])} · "
                   f"{t('assess.basis')}: {plain(pick((thai or basis, english or basis)))}")
        if item["evidence_file_name"]:
            stored = appdata.evidence_file(user, item["id"])
            st.download_button(f"{t('assess.file')}: {plain(stored[0])}", stored[1], file_name=stored[0],
                               key=f"assess.{item['id']}.download", icon=":material/attach_file:", on_click="ignore")
        if not editable:
            st.text(item["evidence_note"] or "")  # as written: no Markdown
            continue
        key = f"assess.{view['id']}.{m.id}"
        with st.form(key, clear_on_submit=False):
            status = st.selectbox(t("assess.item_status"), ITEM_STATUSES, index=ITEM_STATUSES.index(item["status"]),
                                  format_func=labelled(list(ITEM_STATUSES), lambda s: pick(ITEM_STATUS_NAMES[s])),
                                  key=f"{key}.status")
            reason = st.text_area(t("assess.reason"), value=item["override_reason"] or "", key=f"{key}.reason")
            url = st.text_input(t("assess.url"), value=item["evidence_url"] or "", key=f"{key}.url")
            note = st.text_area(t("assess.note"), value=item["evidence_note"] or "", key=f"{key}.note")
            upload = st.file_uploader(t("assess.file"), key=f"{key}.file", max_upload_size=MAX_FILE // 2**20,
                                      help=t("assess.file_kinds", mb=MAX_FILE // 2**20))
            if st.form_submit_button(t("assess.save"), key=f"{key}.save"):
                try:
                    appdata.update_item(user, item["id"], status=status, override_reason=reason, evidence_url=url,
                                        evidence_note=note, expected_version=item["version"],
                                        evidence_file=(upload.name, upload.getvalue()) if upload else None)
                except StaleFlag:
                    st.error(t("error.stale"))
                except DiscretionReviewError as exc:
                    st.error(plain(say(str(exc), lang())))
                else:
                    said = t("assess.saved", item=m.id)
                    if upload:
                        said += " " + t("assess.file_saved", name=plain(upload.name),
                                        kind=kind_of(upload.getvalue()).name, size=file_size(len(upload.getvalue())))
                    st.session_state["assess.saved"] = said
                    st.rerun()


def _stop_confirming() -> None:
    st.session_state.pop("assess.confirming", None)


@st.dialog(t("assess.confirm_title"), on_dismiss=_stop_confirming)
def confirm_submit(assessment_id: int, score: float | None) -> None:
    """Submitting locks the assessment for good: the head confirms it in a dialog first."""
    st.write(t("assess.confirm_text", score="-" if score is None else f"{score:.1f}"))
    yes, no = st.columns(2)
    if yes.button(t("assess.confirm_yes"), key="assess.confirm_yes", type="primary"):
        try:
            appdata.submit_assessment(user, assessment_id)
        except DiscretionReviewError as exc:
            st.error(plain(say(str(exc), lang())))
        else:
            _stop_confirming()
            st.rerun()
    if no.button(t("assess.confirm_no"), key="assess.confirm_no"):
        _stop_confirming()
        st.rerun()


if editable and scope.role in ("agency_head", "admin"):
    if st.button(t("assess.submit"), key="assess.submit", type="primary"):
        st.session_state["assess.confirming"] = view["id"]
    if st.session_state.get("assess.confirming") == view["id"]:  # open until confirmed, cancelled or closed
        confirm_submit(view["id"], view["score"])
elif not editable and not locked:
    st.info(t("assess.readonly"))
