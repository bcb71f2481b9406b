"""One case: its record, its flags and what is due for it. Its address is /case?id=C…: the due-soon
list and the daily digest link here, and it opens after login."""

from __future__ import annotations

import appdata
import pandas as pd
import streamlit as st
from due_text import tx
from i18n import date, lang, pick, t
from present import field_label, field_value, plain
from tables import show

from engine.domain.calendar import today
from engine.store.review import STATUS_NAMES

user = st.session_state["auth.user"]
th = lang() == "th"
case_id = st.query_params.get("id") or st.session_state.get("case.selected")
if not case_id:
    st.info(tx("case.none"))
    st.stop()
view = appdata.case_view(user, case_id, today())
if view is None:  # another agency's case, or none at all: the same answer either way
    st.error(tx("case.denied"))
    st.stop()
st.session_state["case.selected"] = case_id
if st.query_params.get("id") != case_id:
    st.query_params["id"] = case_id  # the address names this case: a link to share
names, catalogue = appdata.names(user), appdata.catalogue()
st.title(tx("case.title", id=case_id))

left, right = st.columns(2)
with left:
    st.subheader(tx("case.record"))
    record = {k: v for k, v in view["record"].items() if k not in ("escalations", "delay_notices")}
    show(pd.DataFrame([{t("col.item"): field_label(k), t("col.value"): field_value(k, v, names)}
                       for k, v in record.items()]), "case.record", f"case-{case_id}", table=True)
    if view["record"]["escalations"]:
        st.caption(t("flag.escalations"))
        show(pd.DataFrame([{field_label(k): field_value(k, v, names) for k, v in e.items()
                            if k not in ("agency_id", "case_id")} for e in view["record"]["escalations"]]),
             "case.escalations", f"escalations-{case_id}")
with right:
    st.subheader(tx("case.due"))
    for i in view["due"]:
        late = tx("due.left.late", n=i["working_days_left"]) if i["late"] else \
            tx("due.left.today") if i["working_days_left"] == 0 else f"{tx('due.col.left')} {i['working_days_left']}"
        st.markdown(f"**{plain(date(i['due_on']))}** · {plain(late)}")
        st.text(i["message_th"] if th else i["message_en"])
    if not view["due"]:
        st.info(tx("due.empty"))
    st.subheader(tx("case.flags"))

    def title(rule_id: str) -> str:
        rule = catalogue.by_id.get(rule_id)
        return f"{(rule.title_th if th else rule.title_en) if rule else rule_id} ({rule_id})"

    show(pd.DataFrame([{
        "link": f"flag?id={f['flag_id']}", t("col.severity"): t("sev." + f["severity"]),
        t("col.status"): pick(STATUS_NAMES[f["status"]]), t("col.rule"): title(f["rule_id"]),
    } for f in view["flags"]]), "case.flags", f"case-{case_id}-flags", empty=tx("case.no_flags"), column_config={
        "link": st.column_config.LinkColumn(tx("due.col.open"), display_text=t("queue.open_link"), width="small")})
