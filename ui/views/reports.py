"""The acknowledgement form and the O48 evidence pack, as PDF and XLSX."""

from __future__ import annotations

import datetime as dt

import appdata
import streamlit as st
from i18n import date, labelled, lang, t
from present import named

user = st.session_state["auth.user"]
st.title(t("reports.title"))
choices = appdata.agencies(user)
if not choices:
    st.info(t("agencies.none"))
    st.stop()
agency = st.selectbox(t("risk.agency"), [a for a, _ in choices], key="reports.agency",
                      format_func=lambda a: named(a, dict(choices)))
campaigns = appdata.campaigns()  # newest fiscal year first: the evidence pack opens with the latest campaign
campaign = st.selectbox(t("assess.campaign"), campaigns + [None], key="reports.campaign",
                        format_func=labelled(campaigns + [None], lambda c: t("reports.no_campaign") if c is None else
                                             f"{t('risk.fy')} {c['fiscal_year']} ({t('assess.due')} {date(c['due_date'])})"))
campaign_id, today = (campaign["id"] if campaign else None), dt.date.today()


def made_on_click(which: str):
    """The report is made when its button is clicked, so the page opens at once."""
    return lambda: appdata.report_file(user, agency, campaign_id, today, which, lang())


for title, stem in ((t("reports.ack"), "ack"), (t("reports.pack"), "pack")):
    st.subheader(title)
    st.caption(t(f"reports.{stem}_about"))
    c1, c2, _ = st.columns([1, 1, 4])
    # a download does not rerun the page: the other buttons keep their files (tables.downloads says why)
    c1.download_button("PDF", made_on_click(f"{stem}.pdf"), file_name=f"{stem}-{agency}.pdf", mime="application/pdf",
                       key=f"reports.{stem}.pdf", icon=":material/picture_as_pdf:", on_click="ignore")
    c2.download_button("Excel", made_on_click(f"{stem}.xlsx"), file_name=f"{stem}-{agency}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key=f"reports.{stem}.xlsx", icon=":material/download:", on_click="ignore")
