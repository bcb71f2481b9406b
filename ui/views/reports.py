"""The acknowledgement form of a fiscal year's round and the ITA evidence pack of a fiscal year, as
PDF and XLSX (``discretion-review report acknowledgement|pack`` makes the same files). Each has its
own year: the form opens on the current round, the pack on the latest self-assessment campaign."""

from __future__ import annotations

import appdata
import streamlit as st
from i18n import lang, t
from present import named

from engine.domain.calendar import fiscal_year, today

user = st.session_state["auth.user"]
st.title(t("reports.title"))
choices = appdata.agencies(user)
if not choices:
    st.info(t("agencies.none"))
    st.stop()
agency = st.selectbox(t("risk.agency"), [a for a, _ in choices], key="reports.agency",
                      format_func=lambda a: named(a, dict(choices)))
now = today()
years = appdata.fiscal_years(user) or [fiscal_year(now)]  # newest first
rounds = [y for y in years if y in appdata.rounds_view(user)["in_force"]]
campaign_years = [c["fiscal_year"] for c in appdata.campaigns()]  # newest first
defaults = {"ack": next((y for y in rounds if y <= fiscal_year(now)), years[0]),  # the current round
            "pack": campaign_years[0] if campaign_years else years[0]}  # the latest campaign, with its evidence


def made_on_click(which: str, fy: int):
    """The report is made when its button is clicked, so the page opens at once."""
    return lambda: appdata.report_file(user, agency, fy, now, which, lang())


for title, stem in ((t("reports.ack"), "ack"), (t("reports.pack"), "pack")):
    st.subheader(title)
    c1, c2 = st.columns([1, 3])
    fy = c1.selectbox(t("reports.fy"), years, index=years.index(defaults[stem]), key=f"reports.{stem}_fy")
    c2.caption(t(f"reports.{stem}_about") + (" " + t("reports.ack_round", fy=fy) if stem == "ack" else ""))
    c2.caption(appdata.ita_item(user, fy).label(lang()))  # the year's item, or that nobody has mapped it
    b1, b2, _ = st.columns([1, 1, 4])
    # a download does not rerun the page: the other buttons keep their files (tables.downloads says why)
    b1.download_button("PDF", made_on_click(f"{stem}.pdf", fy), file_name=f"{stem}-{agency}-{fy}.pdf",
                       mime="application/pdf", key=f"reports.{stem}.pdf", icon=":material/picture_as_pdf:",
                       on_click="ignore")
    b2.download_button("Excel", made_on_click(f"{stem}.xlsx", fy), file_name=f"{stem}-{agency}-{fy}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key=f"reports.{stem}.xlsx", icon=":material/download:", on_click="ignore")
