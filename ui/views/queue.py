"""The review queue: filter, sort, page through flags; click a row to see it and open it, pick
several rows to act on them at once."""

from __future__ import annotations

import hashlib
import math

import appdata
import pandas as pd
import streamlit as st
from dates import INVALID, date_field
from i18n import column, date, labelled, lang, pick, t
from present import change_sentence, named, plain
import tables

from engine.store.review import ACTION_NAMES, STATUS_NAMES, STATUSES, StaleFlag, search_text
from views.forms import action_form, keep_typed

PAGE_SIZE = 50
BULK_ACTIONS = ["dismiss", "confirm", "waive", "request_info"]
# What was typed in the bulk form stays while it is not drawn (every ticked flag refused, another page,
# no row ticked, an empty list): Streamlit forgets a widget that a run does not draw, so its text is
# kept as plain state here, before anything draws it, and is there again when rows are ticked.
keep_typed("queue.bulk", [])
SORT_KEYS = ("severity", "date", "newest", "rule", "subject")
EXPORT_COLUMNS = ("flag_id", "rule_id", "rule", "measure", "severity", "subject_id", "applicant", "agency_code",
                  "agency", "status", "event_date", "message")
user = st.session_state["auth.user"]
catalogue, kb = appdata.catalogue(), appdata.kb()
facets, names = appdata.facets(user), appdata.names(user)
th = lang() == "th"


def rule_title(rule_id: str) -> str:
    rule = catalogue.by_id.get(rule_id)
    return f"{rule.title_th if th else rule.title_en} ({rule_id})" if rule else rule_id


st.title(t("queue.title"))
counts = appdata.status_counts(user)
st.caption(" · ".join(f"{pick(STATUS_NAMES[s])} {counts.get(s, 0):,}" for s in STATUSES if counts.get(s)))
# On a phone the columns stack and the filters fill the first screens: the list comes first there (the
# filters' box moves to the end of the page); a wider screen keeps them above the list.
st.html("<style>@media (max-width: 640px) { .st-key-queue-filters, "
        "[data-testid='stVerticalBlock'] > div:has(> .st-key-queue-filters) { order: 99; } }</style>")

STATUS_DEFAULT = ["open", "needs_info"]
st.session_state.setdefault("queue.statuses", list(STATUS_DEFAULT))


def searched() -> None:
    """A search looks through every status, unless the reader chose statuses: a flag id from a link or
    an officer's name finds a dismissed or resolved flag too (the status filter then shows ทั้งหมด)."""
    text = (st.session_state.get("queue.text") or "").strip()
    if text and st.session_state.get("queue.statuses") == STATUS_DEFAULT:
        st.session_state["queue.statuses"] = []
        st.session_state["queue.widened"] = True
    elif not text and st.session_state.pop("queue.widened", False) and not st.session_state.get("queue.statuses"):
        st.session_state["queue.statuses"] = list(STATUS_DEFAULT)


def statuses_chosen() -> None:
    st.session_state.pop("queue.widened", None)  # the reader's own choice stays, search or not


with st.container(key="queue-filters"), st.expander(t("queue.filters"), expanded=True, icon=":material/filter_list:"):
    c1, c2, c3, c4 = st.columns(4)
    measures = c1.multiselect(t("queue.measure"), kb.measure_ids(), key="queue.measures", placeholder=t("queue.any"),
                              format_func=lambda m: f"{m} {kb.measure(m).title_th if th else kb.measure(m).title_en}",
                              select_all=False)
    severities = c2.multiselect(t("queue.severity"), ["high", "medium", "low"], key="queue.severities",
                                format_func=labelled(["high", "medium", "low"], lambda s: t(f"sev.{s}")), placeholder=t("queue.any"), select_all=False)
    statuses = c3.multiselect(t("queue.status"), list(STATUSES), key="queue.statuses", on_change=statuses_chosen,
                              format_func=labelled(list(STATUSES), lambda s: pick(STATUS_NAMES[s])), placeholder=t("queue.any"), select_all=False)
    sort = c4.selectbox(t("queue.sort"), list(SORT_KEYS), key="queue.sort",
                        format_func=labelled(list(SORT_KEYS), lambda s: t(f"sort.{s}")))
    rule_ids = st.multiselect(t("queue.rule"), facets["rule_id"], key="queue.rules", placeholder=t("queue.any"),
                              format_func=rule_title, select_all=False)
    c5, c6, c7, c8, c9 = st.columns(5)

    def every(kind: str) -> dict:
        return {"placeholder": t("queue.all"), "format_func": labelled([None] + facets[f"{kind}_id"],
                                        lambda v: t("queue.all") if v is None else named(v, names[kind]))}
    process = c5.selectbox(t("queue.process"), [None] + facets["process_id"], key="queue.process", **every("process"))
    officer = c6.selectbox(t("queue.officer"), [None] + facets["officer_id"], key="queue.officer", **every("officer"))
    agency = c7.selectbox(t("queue.agency"), [None] + facets["agency_id"], key="queue.agency", **every("agency"))
    date_from = date_field(t("queue.date_from"), "queue.date_from", required=False, container=c8)
    date_to = date_field(t("queue.date_to"), "queue.date_to", required=False, container=c9)
    text = st.text_input(t("queue.text"), key="queue.text", on_change=searched, placeholder=t("queue.text_hint"))
    if st.session_state.get("queue.widened"):
        st.caption(t("queue.all_statuses"))
if date_from is INVALID or date_to is INVALID:  # said under the field; the list waits for a date it can read
    st.stop()

filters = (("measures", tuple(measures)), ("severities", tuple(severities)), ("statuses", tuple(statuses)),
           ("rule_ids", tuple(rule_ids)), ("process_id", process), ("officer_id", officer), ("agency_id", agency),
           ("date_from", date_from), ("date_to", date_to), ("text", text or None))
if st.session_state.get("queue.last_filters") != (filters, sort):
    st.session_state["queue.last_filters"] = (filters, sort)
    st.session_state["queue.page"] = 1
page = st.session_state.get("queue.page", 1)
rows, total = appdata.queue_page(user, filters, sort, page, PAGE_SIZE)
pages = max(1, math.ceil(total / PAGE_SIZE))

nav = st.container(horizontal=True, vertical_alignment="center")  # one row, on a phone too
if nav.button("◀", key="queue.prev", disabled=page <= 1):
    st.session_state["queue.page"] = page - 1
    st.rerun()
if nav.button("▶", key="queue.next", disabled=page >= pages):
    st.session_state["queue.page"] = page + 1
    st.rerun()
nav.write(t("queue.total", total=f"{total:,}", page=page, pages=pages))

done = st.session_state.pop("queue.bulk.saved", None)
if done:
    st.success(done)
if not rows:
    st.info(t("queue.none_found") if search_text(text) else t("queue.empty"))
    st.stop()


def subject(r: dict) -> str:
    kind = {"officer": names["officer"], "process": names["process"], "agency": names["agency"]}.get(r["subject_type"], {})
    return named(r["subject_id"], kind) + (f" · {r['applicant']}" if r["applicant"] else "")


table = pd.DataFrame([{
    "link": f"flag?id={r['flag_id']}",  # relative: it opens under whatever path the app is served at
    t("col.severity"): t(f"sev.{r['severity']}"),
    t("col.rule"): rule_title(r["rule_id"]),
    t("col.subject"): subject(r),
    t("queue.officer"): named(r["officer_id"], names["officer"]) if r["officer_id"] else "",
    t("col.agency"): named(r["agency_id"], names["agency"]),
    t("col.status"): pick(STATUS_NAMES[r["status"]]),
    t("col.date"): date(r["event_date"]) if r["event_date"] else "",
    t("col.message"): r["message_th"] if th else r["message_en"],
} for r in rows])
st.caption(t("queue.select_hint"))
# A new grid (nothing ticked) after a bulk action and for other filters, sort or page.
grid = st.session_state.setdefault("queue.grid", 0)
view = hashlib.sha1(repr((filters, sort, page)).encode()).hexdigest()[:10]
TICKED_FIELDS = ("flag_id", "version", "rule_id", "subject_type", "subject_id", "applicant", "message_th", "message_en")


def ticks(rows: list[dict]) -> tuple[str, dict[str, dict], list[int]]:
    """The grid to draw for ``rows``, the flags ticked (by id, each as it was shown when its box
    was ticked, its version too) and where they are among ``rows``.

    The grid reports a tick as a row position, so each grid is named after the flags and versions
    it shows, position by position: what the browser reports for a grid is read through the rows
    that grid showed (kept here), never through rows read later, where someone else's decision
    may have moved another flag into that position. When the rows change, a new grid is drawn
    with the same flags ticked; a ticked flag that left the list stays ticked, and saving refuses
    it (nothing saved) and names it."""
    scope = f"queue.table.{grid}.{view}"
    state = st.session_state.get("queue.ticks")
    if not state or state["scope"] != scope:
        state = {"scope": scope, "fresh": 0, "grids": [], "ticked": {}}
    shown = [{k: r[k] for k in TICKED_FIELDS} for r in rows]
    digest = hashlib.sha1(repr([(r["flag_id"], r["version"]) for r in rows]).encode()).hexdigest()[:10]
    key = f"{scope}.{state['fresh']}.{digest}"
    grids = [g for g in state["grids"] if g[0] != key] + [(key, shown)]
    ticked = dict(state["ticked"])
    for grid_key, seen in grids:  # the older grids first: the latest report wins
        if not tables.reported(grid_key):
            continue
        picked = {seen[p]["flag_id"]: seen[p] for p in tables.ticked_rows(grid_key) if p < len(seen)}
        for row in seen:
            if row["flag_id"] in picked:
                ticked.setdefault(row["flag_id"], row)  # the version seen when it was ticked, not a later one
            else:
                ticked.pop(row["flag_id"], None)
    if tables.reported(key):
        grids = grids[-1:]  # the browser shows this grid now: earlier ones are done with
    st.session_state["queue.ticks"] = {**state, "grids": grids[-3:], "ticked": ticked}
    return key, ticked, [i for i, r in enumerate(rows) if r["flag_id"] in ticked]


grid_key, ticked, where = ticks(rows)
tables.show(table, grid_key, f"flags-page-{page}", select=True, ticked=where, column_config={
    "link": st.column_config.LinkColumn(t("queue.open"), display_text=t("queue.open_link"), width="small"),
    t("col.message"): st.column_config.TextColumn(width="large", help=t("queue.message_help"))})
selected = list(ticked.values())
listed = {r["flag_id"] for r in rows}
refused = st.session_state.pop("queue.bulk.refused", None)
if refused:
    st.error(refused)


def message(r: dict) -> str:
    return r["message_th"] if th else r["message_en"]


if len(selected) == 1:
    r = selected[0]
    with st.container(border=True):
        st.markdown(f"**{plain(rule_title(r['rule_id']))}** · {plain(subject(r))}")
        st.text(message(r))
        if st.button(t("queue.open"), key="queue.open", type="primary"):
            st.session_state["flag.selected"] = r["flag_id"]
            st.switch_page("views/flag.py", query_params={"id": r["flag_id"]})
elif selected:
    with st.expander(t("queue.selected_explanations", n=len(selected))):
        for r in selected:
            gone = "" if r["flag_id"] in listed else f" ({t('queue.ticked_gone')})"
            st.markdown(f"**{plain(rule_title(r['rule_id']))}** · {plain(subject(r))}{gone}")
            st.text(message(r))

if selected and appdata.scope_of(user).can("act"):
    versions = {r["flag_id"]: r["version"] for r in selected}  # as seen when ticked: a changed one is refused

    def bulk(action: str, fields: dict) -> None:
        appdata.bulk_act(user, list(versions), action, expected_versions=versions, **fields)
        st.session_state["queue.grid"] = grid + 1

    def stale(exc: StaleFlag) -> None:
        """Nothing was saved: say which ticked flags someone else changed, and untick them."""
        changed = [c.flag_id for c in exc.changes]
        people = appdata.people(user, tuple(sorted({c.actor for c in exc.changes if c.actor})))
        rest = [f for f in versions if f not in changed]
        lines = [t("bulk.refused", n=len(changed))] + [
            "• " + change_sentence(c, people, rule_title(c.rule_id) if c.rule_id else None, names)
            for c in exc.changes] + \
            [t("bulk.refused_rest") if rest else t("bulk.refused_none")]
        st.session_state["queue.bulk.refused"] = plain("\n".join(lines))
        state = st.session_state["queue.ticks"]  # untick them: a new grid, ticked as what is left
        state.update(ticked={f: r for f, r in state["ticked"].items() if f not in changed}, grids=[],
                     fresh=state["fresh"] + 1)
        appdata.forget_reads()  # the list as it is now
        st.rerun()

    with st.expander(t("queue.bulk", n=len(selected)), expanded=True):
        action_form("queue.bulk", BULK_ACTIONS, bulk, on_stale=stale,
                    confirm=lambda action: t("queue.bulk_done", action=pick(ACTION_NAMES[action]), n=len(versions),
                                             ids=plain(", ".join(versions))))

# Every matching flag as a file, made when a button is clicked: one click downloads it (a download does
# not rerun the page, so the other button still holds a file the server has)
labels = {k: column(k) for k in EXPORT_COLUMNS}
severity_names = {s_: t(f"sev.{s_}") for s_ in ("high", "medium", "low")}
status_names = {s_: pick(STATUS_NAMES[s_]) for s_ in STATUSES}
rule_titles = {r: rule_title(r) for r in facets["rule_id"]}
agency_names = dict(names["agency"])


def export_rows() -> tuple[list[str], list[list]]:
    """Every flag the filters match, as the page names them (worked out when the button is clicked, in
    the server's download thread: it reads nothing of the page's session)."""
    everything, _ = appdata.queue_page(user, filters, sort, 1, max(total, 1))
    return list(labels.values()), [[
        r["flag_id"], r["rule_id"], rule_titles.get(r["rule_id"], r["rule_id"]), r["measure"],
        severity_names[r["severity"]], r["subject_id"], r["applicant"], r["agency_id"],
        agency_names.get(r["agency_id"], ""), status_names[r["status"]], r["event_date"],
        r["message_th"] if th else r["message_en"]] for r in everything]


st.caption(t("queue.export_all", total=f"{total:,}"))
tables.downloads(export_rows, "queue.export", "flags")
