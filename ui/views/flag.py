"""One flag: why it fired (Thai and English), the evidence, the case, the measure, history, actions."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

import appdata
from engine.rules import describe_condition
from engine.store.review import ACTION_NAMES, ACTIONS, STATUS_NAMES
from i18n import date, lang, pick, t, timestamp
from tables import show
from views.forms import action_form

user = st.session_state["auth.user"]


def flag_params(row: dict) -> dict:
    """The parameter values the flag was evaluated with (its evidence), else the KB defaults."""
    values = dict(appdata.kb().defaults())
    for name, value in row["evidence"].items():
        if name in values and isinstance(value, int) and not isinstance(value, bool):
            values[name] = value
    return values


flag_id = st.query_params.get("flag") or st.session_state.get("flag.selected")
flag = appdata.flag_detail(user, flag_id) if flag_id else None
if flag is None:
    st.info(t("flag.none"))
    st.stop()
st.session_state["flag.selected"] = flag_id

catalogue, kb = appdata.catalogue(), appdata.kb()
rule = catalogue.by_id[flag["rule_id"]]
measure = kb.measure(flag["measure"])
th = lang() == "th"

st.title(f"{rule.title_th if th else rule.title_en}")
st.markdown(f"**{t('flag.id')}** `{flag['flag_id']}` · **{t('queue.status')}** {pick(STATUS_NAMES[flag['status']])} · "
            f"**{t('queue.severity')}** {t('sev.' + flag['severity'])} · {flag['subject_type']} `{flag['subject_id']}` · "
            f"{t('col.agency')} `{flag['agency_id']}`")
if flag["status"] == "confirmed" and flag["corrective_action"]:
    st.warning(f"{t('flag.corrective')}: {flag['corrective_action']} — {t('flag.due')} {date(flag['due_date'])}")
if flag["status"] == "waived":
    st.info(t("flag.waiver", who=flag["waiver_approver"], until=date(flag["waiver_expires_on"])))
if flag["changed_fields"]:
    st.warning(t("flag.changed", fields=", ".join(flag["changed_fields"])))

st.subheader(t("flag.explanation"))
st.markdown(f"**ไทย** — {flag['message_th']}")
st.markdown(f"**English** — {flag['message_en']}")

left, right = st.columns(2)
with left:
    st.subheader(t("flag.evidence"))
    rows = []
    for k, v in flag["evidence"].items():
        before = (flag["previous_evidence"] or {}).get(k) if flag["changed_fields"] and k in flag["changed_fields"] else None
        shown = json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else ("—" if v is None else str(v))
        rows.append({t("col.item"): k, t("col.value"): shown + (f"  (เดิม/was: {before})" if before is not None else "")})
    show(pd.DataFrame(rows), "flag.evidence", f"evidence-{flag_id}", table=True)
    if flag["case"]:
        st.subheader(t("flag.case"))
        case = {k: v for k, v in flag["case"].items() if k != "escalations"}
        show(pd.DataFrame([{t("col.item"): k,
                            t("col.value"): date(v) if hasattr(v, "isoformat") else ("—" if v in (None, "") else str(v))}
                           for k, v in case.items()]), "flag.case", f"case-{flag['subject_id']}", table=True)
        if flag["case"]["escalations"]:
            st.caption(t("flag.escalations"))
            show(pd.DataFrame(flag["case"]["escalations"]), "flag.escalations", f"escalations-{flag['subject_id']}")
with right:
    st.subheader(t("flag.measure"))
    st.markdown(f"**{'มาตรการข้อ' if measure.kind == 'measure' else 'แนวทางข้อ'} {measure.id}** {measure.title_th}")
    st.markdown(f"> {measure.text_th}")
    if not th:
        st.markdown(f"> {measure.text_en}")
    st.subheader(t("flag.rule"))
    st.markdown(f"`{rule.rule_id}` — {rule.title_th} / {rule.title_en}")
    st.markdown(f"**{t('rules.condition')}:** {describe_condition(rule.when, lang(), flag_params(flag))}")
    if rule.legal_references:
        refs = {r.id: r for r in kb.legal_references}
        for ref in rule.legal_references:
            st.caption(f"{refs[ref].title_th} — {refs[ref].sections if th else refs[ref].sections_en}")

st.subheader(t("flag.history"))
show(pd.DataFrame([{
    t("hist.at"): timestamp(e["at"]), t("hist.actor"): e["actor"],
    t("hist.action"): pick(ACTION_NAMES.get(e["action"], (e["action"], e["action"]))),
    t("hist.from"): pick(STATUS_NAMES[e["from_status"]]) if e["from_status"] else "",
    t("hist.to"): pick(STATUS_NAMES[e["to_status"]]), t("hist.reason"): e["reason"] or "",
    t("hist.details"): json.dumps(e["details"], ensure_ascii=False) if e["details"] else "",
} for e in flag["history"]]), "flag.history", f"history-{flag_id}", table=True)

st.subheader(t("flag.actions"))
possible = [a for a, spec in ACTIONS.items() if flag["status"] in spec.from_statuses]
if not appdata.scope_of(user).can("act"):
    possible = []
action_form(f"flag.{flag_id}", possible,
            lambda action, fields: appdata.act(user, flag_id, action, expected_version=flag["version"], **fields))
