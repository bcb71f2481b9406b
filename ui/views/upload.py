"""Data: what is stored, upload a dataset (problems shown as a table), run an evaluation."""

from __future__ import annotations

from dataclasses import asdict

import appdata
import pandas as pd
import streamlit as st
from dates import INVALID, date_field
from i18n import date, lang, pick, t, table_name, timestamp
from messages import say
from present import named, person, plain
from tables import show

from engine.domain.calendar import today as bangkok_today
from engine.domain.errors import DiscretionReviewError, InputError

RUN_STATUS = {"running": ("กำลังประมวลผล", "running"), "succeeded": ("สำเร็จ", "succeeded"),
              "partial": ("สำเร็จบางส่วน", "partial"), "failed": ("ไม่สำเร็จ", "failed")}
user = st.session_state["auth.user"]
scope = appdata.scope_of(user)
names = appdata.names(user)
st.title(t("data.title"))

st.subheader(t("data.stored"))
show(pd.DataFrame([appdata.counts(user)]), "data.counts", "stored-data")

if not scope.can("import"):
    st.info(t("data.readonly"))
else:
    st.subheader(t("data.upload"))
    st.caption(t("data.upload_help"))
    files = st.file_uploader(t("data.upload"), type=["csv", "xlsx"], accept_multiple_files=True,
                             key="data.files", label_visibility="collapsed")
    if st.button(t("data.validate"), key="data.check"):
        if not files:
            st.warning(t("data.no_files"))
        else:
            ds, problems, warnings = appdata.check_upload([(f.name, f.getvalue()) for f in files], user)
            st.session_state["data.checked"] = (ds, problems, warnings, ", ".join(f.name for f in files))
    checked = st.session_state.get("data.checked")
    if checked:
        ds, problems, warnings, names_of_files = checked
        for w in warnings:
            st.warning(plain(say(w, lang())))
        if problems:
            st.error(t("data.problems", n=len(problems)))
            show(pd.DataFrame([{**p, "reason": say(p["reason"], lang())} for p in problems]),
                 "data.problems", "dataset-problems")
        else:
            st.success(t("data.valid", counts=", ".join(f"{table_name(k)} {v:,}" for k, v in ds.counts().items())))
            if st.button(t("data.import"), key="data.import", type="primary"):
                try:
                    import_id = appdata.import_upload(user, ds, names_of_files)
                except InputError as exc:  # the store refused it since the check (another import meanwhile)
                    st.session_state["data.checked"] = (None, [asdict(p) for p in exc.problems], exc.warnings,
                                                        names_of_files)
                    st.rerun()
                except DiscretionReviewError as exc:  # permission or database: nothing was stored
                    st.error(plain(say(str(exc), lang())))
                else:
                    st.session_state.pop("data.checked", None)
                    st.success(t("data.imported", id=import_id))

    st.subheader(t("data.run"))
    as_of = date_field(t("data.as_of"), "data.as_of", default=bangkok_today())
    if st.button(t("data.run"), key="data.run", type="primary"):
        if as_of is INVALID or as_of is None:
            st.error(t("date.fix_first"))
            st.stop()
        bar = st.progress(0.0)

        def progress(fraction: float, agency: str) -> None:
            text = t("data.progress_done") if agency == "done" else t("data.progress_agency",
                                                                       agency=plain(named(agency, names["agency"])))
            bar.progress(min(1.0, fraction), text=text)

        try:
            run = appdata.evaluate(user, as_of, progress)
        except DiscretionReviewError as exc:  # the run is recorded as failed with this message
            st.error(plain(say(str(exc), lang())))
        else:
            st.success(t("data.run_done", id=run["id"], total=run["flags_total"], new=run["flags_new"],
                         reopened=run["flags_reopened"], cleared=run["flags_cleared"]))
            unchecked = (run.get("parameters") or {}).get("calendar_unchecked_years")
            if unchecked:  # SPEC §3 "Checked years": said once per year, with the run
                st.warning(t("data.unchecked_years", years=", ".join(str(y) for y in unchecked)))

st.subheader(t("data.runs"))
runs = appdata.runs(user)
if runs:
    people = appdata.people(user, tuple(sorted({r["triggered_by"] for r in runs if r["triggered_by"]})))
    show(pd.DataFrame([{
        "run": r["id"], "as_of": date(r["as_of"]), "start": timestamp(r["started_at"]),
        "run_status": pick(RUN_STATUS.get(r["status"], (r["status"], r["status"]))),
        "by": person(r["triggered_by"], people), "flags": r["flags_total"], "new": r["flags_new"], "reopened": r["flags_reopened"],
        "cleared": r["flags_cleared"], "rules": r["rules_version"], "kb": r["kb_version"],
        "unchecked_years": ", ".join(str(y) for y in (r.get("parameters") or {}).get("calendar_unchecked_years") or []),
        "error": say(r["error"], lang()) if r["error"] else "",
    } for r in runs]), "data.runs", "evaluation-runs")
