"""Self-assessment: each agency against 1.1–1.8 and 2.1–2.3; the head submits."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

import appdata
from engine.kb import load_kb
from engine.store.assessment import ITEM_STATUS_NAMES, ITEM_STATUSES
from engine.store.analytics import fiscal_year
from engine.store.review import StaleFlag
from i18n import date, pick, t, timestamp
from tables import show

user = st.session_state["auth.user"]
scope = appdata.scope_of(user)
st.title(t("assess.title"))

if scope.all_agencies and scope.can("self_assess"):
    with st.expander(t("assess.new")):
        c1, c2, c3 = st.columns(3)
        fy = c1.number_input(t("risk.fy"), value=fiscal_year(dt.date.today()), step=1, key="assess.new_fy")
        due = c2.date_input(t("assess.due"), value=dt.date.today() + dt.timedelta(days=60), key="assess.new_due",
                            format="DD/MM/YYYY")
        if c3.button(t("assess.create"), key="assess.create"):
            try:
                appdata.create_campaign(user, int(fy), due)
            except Exception as exc:
                st.error(str(exc))

campaigns = appdata.campaigns()
if not campaigns:
    st.info(t("assess.none"))
    st.stop()
c1, c2 = st.columns(2)
campaign = c1.selectbox(t("assess.campaign"), campaigns, key="assess.campaign",
                        format_func=lambda c: f"{c['fiscal_year']} ({t('assess.due')} {date(c['due_date'])})")
choices = appdata.agencies(user)
if not choices:
    st.info(t("risk.none"))
    st.stop()
agency = c2.selectbox(t("risk.agency"), [a for a, _ in choices], key="assess.agency", format_func=dict(choices).get)
view = appdata.assessment_view(user, campaign["id"], agency)
locked = view["status"] == "submitted"
st.metric(t("assess.score"), "-" if view["score"] is None else f"{view['score']:.1f}")
if any(i["status"] == "no_data" or i["proposed_status"] == "no_data" for i in view["items"]):
    st.caption(t("assess.no_data_note"))
if locked:
    st.success(t("assess.submitted", when=timestamp(view["submitted_at"]), who=view["submitted_by"]))

kb = load_kb()
summary = pd.DataFrame([{
    "ข้อ": i["measure_id"], t("assess.item_status"): pick(ITEM_STATUS_NAMES[i["status"]]),
    t("assess.proposed"): pick(ITEM_STATUS_NAMES[i["proposed_status"]]), t("assess.reason"): i["override_reason"] or "",
    t("assess.url"): i["evidence_url"] or "", t("assess.file"): i["evidence_file_name"] or "",
} for i in view["items"]])
show(summary, "assess.summary", f"self-assessment-{agency}-{campaign['fiscal_year']}")

editable = scope.can("self_assess") and not locked
for item in view["items"]:
    m = kb.measure(item["measure_id"])
    with st.expander(f"{m.id} {m.title_th} — {pick(ITEM_STATUS_NAMES[item['status']])}"):
        st.caption(f"{t('assess.proposed')}: {pick(ITEM_STATUS_NAMES[item['proposed_status']])} · "
                   f"{t('assess.basis')}: {item['proposed_basis']}")
        if item["evidence_file_name"]:
            stored = appdata.evidence_file(user, item["id"])
            st.download_button(f"{t('assess.file')}: {stored[0]}", stored[1], file_name=stored[0],
                               key=f"assess.{item['id']}.download", icon=":material/attach_file:")
        if not editable:
            st.write(item["evidence_note"] or "")
            continue
        key = f"assess.{view['id']}.{m.id}"
        with st.form(key, clear_on_submit=False):
            status = st.selectbox(t("assess.item_status"), ITEM_STATUSES, index=ITEM_STATUSES.index(item["status"]),
                                  format_func=lambda s: pick(ITEM_STATUS_NAMES[s]), key=f"{key}.status")
            reason = st.text_area(t("assess.reason"), value=item["override_reason"] or "", key=f"{key}.reason")
            url = st.text_input(t("assess.url"), value=item["evidence_url"] or "", key=f"{key}.url")
            note = st.text_area(t("assess.note"), value=item["evidence_note"] or "", key=f"{key}.note")
            upload = st.file_uploader(t("assess.file"), key=f"{key}.file")
            if st.form_submit_button(t("assess.save"), key=f"{key}.save"):
                try:
                    appdata.update_item(user, item["id"], status=status, override_reason=reason, evidence_url=url,
                                        evidence_note=note, expected_version=item["version"],
                                        evidence_file=(upload.name, upload.getvalue()) if upload else None)
                except StaleFlag:
                    st.error(t("error.stale"))
                except Exception as exc:
                    st.error(str(exc))
                else:
                    st.rerun()
if editable and scope.role in ("agency_head", "admin"):
    if st.button(t("assess.submit"), key="assess.submit", type="primary"):
        try:
            appdata.submit_assessment(user, view["id"])
        except Exception as exc:
            st.error(str(exc))
        else:
            st.rerun()
elif not editable and not locked:
    st.info(t("assess.readonly"))
