"""One flag: why it fired (Thai and English), the evidence, the case, the measure, history, actions.

Its address is /flag?id=F…: shareable, and it opens after login."""

from __future__ import annotations

import appdata
import pandas as pd
import streamlit as st
from i18n import date, lang, pick, t, timestamp
from present import event_sentence, field_label, field_value, history_sentence, named, person, plain
from tables import show
from views.forms import action_form, keep_typed, touched
from views.request_fields import show_requests

from engine.rules.catalogue import describe_condition
from engine.store.review import ACTION_NAMES, ACTIONS, STATUS_NAMES, StaleFlag

user = st.session_state["auth.user"]


def flag_params(row: dict) -> dict:
    """The parameter values the flag was evaluated with (its evidence), else the KB defaults."""
    values = dict(appdata.kb().defaults())
    for name, value in row["evidence"].items():
        if name in values and isinstance(value, int) and not isinstance(value, bool):
            values[name] = value
    return values


flag_id = st.query_params.get("id") or st.query_params.get("flag") or st.session_state.get("flag.selected")
if not flag_id:
    st.info(t("flag.none"))
    st.stop()
flag = appdata.flag_detail(user, flag_id)
if flag is None:  # another agency's flag, or none at all: the same answer either way
    st.error(t("flag.denied"))
    st.stop()
st.session_state["flag.selected"] = flag_id
if st.query_params.get("id") != flag_id:
    st.query_params["id"] = flag_id  # the address bar names this flag: a link to share

catalogue, kb, names = appdata.catalogue(), appdata.kb(), appdata.names(user)
rule = catalogue.by_id[flag["rule_id"]]
measure = kb.measure(flag["measure"])
th = lang() == "th"
prefix = f"flag.{flag_id}"

# What the form showed when the user started typing: a save is checked against that version, so a
# decision someone else made meanwhile is refused and said beside the form (who, what, when),
# never overwritten; every field typed stays, dates as typed, through a reload.
seen_key, refused_key = f"{prefix}.seen", f"{prefix}.refused"
if not touched(prefix) or seen_key not in st.session_state:
    st.session_state[seen_key] = (flag["version"], flag["status"], len(flag["history"]))
seen_version, seen_status, seen_events = st.session_state[seen_key]
possible = [a for a, spec in ACTIONS.items() if seen_status in spec.from_statuses] \
    if appdata.scope_of(user).can("act") and not flag["conflict"] else []
keep_typed(prefix, possible)
people = flag["people"]

st.title(f"{rule.title_th if th else rule.title_en}")
subject_names = {"case": {}, "officer": names["officer"], "process": names["process"], "agency": names["agency"]}
st.markdown(f"**{t('flag.id')}** `{flag['flag_id']}` · **{t('queue.status')}** {pick(STATUS_NAMES[flag['status']])} · "
            f"**{t('queue.severity')}** {t('sev.' + flag['severity'])} · {t('subject.' + flag['subject_type'])} "
            f"{plain(named(flag['subject_id'], subject_names.get(flag['subject_type'], {})))}"
            + ("" if flag["subject_type"] == "agency" else  # the subject is the agency: named once
               f" · {t('col.agency')} {plain(named(flag['agency_id'], names['agency']))}"))
if flag["status"] == "confirmed" and flag["corrective_action"]:
    st.warning(f"{t('flag.corrective')}: {plain(flag['corrective_action'])} — {t('flag.due')} {date(flag['due_date'])}")
if flag["status"] == "waived":
    st.info(t("flag.waiver", who=plain(flag["waiver_approver"] or "—"), until=date(flag["waiver_expires_on"])))
if flag["changed_fields"]:
    st.warning(t("flag.changed", fields=", ".join(field_label(f, kb.parameters) for f in flag["changed_fields"])))


def stale(exc: StaleFlag) -> None:
    """Refused: someone else changed the flag. Read it again and say so beside the form."""
    st.session_state[refused_key] = True
    appdata.forget_reads()
    st.rerun()


def conflict() -> None:
    """Who changed the flag since the form showed it, what and when, and a reload that keeps
    every field as typed (the save then checks the version shown after the reload)."""
    since = flag["history"][seen_events:] or flag["history"][-1:]
    lines = [event_sentence(e["actor"], e["action"], e["reason"], e["at"], people) for e in since]
    lines.append(t("flag.conflict_now", status=pick(STATUS_NAMES[flag["status"]])))
    heading = t("flag.conflict_refused") if st.session_state.get(refused_key) else t("flag.conflict")
    with st.container(border=True, key="flag-conflict"):
        st.error(f"**{heading}**  \n" + plain("\n".join(lines)))
        st.caption(t("flag.conflict_kept"))
        if st.button(t("flag.reload"), key=f"{prefix}.reload", type="primary", icon=":material/refresh:"):
            st.session_state[seen_key] = (flag["version"], flag["status"], len(flag["history"]))
            st.session_state.pop(refused_key, None)
            st.rerun()


def own_conflict() -> None:
    """The user's own decision, review or report is what the flag is about: they may not decide it
    (the store refuses it too, engine/store/conflicts.py); say why, and who may decide it instead."""
    with st.container(border=True, key="flag-own-conflict"):
        st.warning(t("flag.own_conflict", what=plain(pick((flag["conflict"]["th"], flag["conflict"]["en"])))))
        deciders = [person(d["username"], {d["username"]: (d["display_name"], d["role"], d["position"])})
                    for d in flag["deciders"]]
        st.markdown(f"**{t('flag.may_decide')}**  \n" + (plain("\n".join(deciders)) if deciders
                                                         else t("flag.may_decide_none")))


explanation, actions = st.columns(2, gap="large")
with explanation:
    st.subheader(t("flag.explanation"))
    st.text(flag["message_th"] if th else flag["message_en"])  # the other language: the sidebar's switch
with actions:
    st.subheader(t("flag.actions"))
    if flag["conflict"] and appdata.scope_of(user).can("act"):
        own_conflict()
    else:
        if seen_version != flag["version"] or st.session_state.get(refused_key):
            conflict()
        action_form(prefix, possible, on_stale=stale, agency_id=flag["agency_id"],
                    submit=lambda action, fields: appdata.act(user, flag_id, action, expected_version=seen_version,
                                                              **fields))
    show_requests(flag)  # to whom, by when, and the answer

left, right = st.columns(2)
with left:
    st.subheader(t("flag.evidence"))
    rows = []
    for k, v in flag["evidence"].items():
        before = (flag["previous_evidence"] or {}).get(k) if flag["changed_fields"] and k in flag["changed_fields"] else None
        shown = field_value(k, v, names)
        if before is not None:
            shown += f"  ({t('flag.was')} {field_value(k, before, names)})"
        rows.append({t("col.item"): field_label(k, kb.parameters), t("col.value"): shown})
    show(pd.DataFrame(rows), "flag.evidence", f"evidence-{flag_id}", table=True)
    if flag["case"]:
        st.subheader(t("flag.case"))
        case = {k: v for k, v in flag["case"].items() if k != "escalations"}
        show(pd.DataFrame([{t("col.item"): field_label(k), t("col.value"): field_value(k, v, names)}
                           for k, v in case.items()]), "flag.case", f"case-{flag['subject_id']}", table=True)
        if flag["case"]["escalations"]:
            st.caption(t("flag.escalations"))
            show(pd.DataFrame([{field_label(k): field_value(k, v, names) for k, v in e.items()
                                if k not in ("agency_id", "case_id")} for e in flag["case"]["escalations"]]),
                 "flag.escalations", f"escalations-{flag['subject_id']}")
with right:
    st.subheader(t("flag.measure"))
    st.markdown(f"**{'มาตรการข้อ' if measure.kind == 'measure' else 'แนวทางข้อ'} {measure.id}** {measure.title_th}")
    st.markdown(f"> {measure.text_th}")
    if not th:
        st.markdown(f"> {measure.text_en}")
    st.subheader(t("flag.rule"))
    st.markdown(f"`{rule.rule_id}` — {rule.title_th if th else rule.title_en}")
    st.markdown(f"**{t('rules.condition')}:** {describe_condition(rule.when, lang(), flag_params(flag))}")
    if rule.legal_references:
        refs = {r.id: r for r in kb.legal_references}
        for ref in rule.legal_references:
            st.caption(f"{refs[ref].title_th} — {refs[ref].sections if th else refs[ref].sections_en}")

st.subheader(t("flag.history"))
show(pd.DataFrame([{
    t("hist.at"): timestamp(e["at"]), t("hist.actor"): person(e["actor"], people),
    t("hist.action"): pick(ACTION_NAMES.get(e["action"], (e["action"], e["action"]))),
    t("hist.from"): pick(STATUS_NAMES[e["from_status"]]) if e["from_status"] else "",
    t("hist.to"): pick(STATUS_NAMES[e["to_status"]]), t("hist.reason"): e["reason"] or "",
    t("hist.details"): history_sentence(e, names),
} for e in flag["history"]]), "flag.history", f"history-{flag_id}", table=True)
