"""Data: what is stored, upload a dataset (problems shown as a table), run an evaluation."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

import appdata
from i18n import date, t, timestamp
from tables import show

user = st.session_state["auth.user"]
scope = appdata.scope_of(user)
st.title(t("data.title"))

st.subheader(t("data.stored"))
show(pd.DataFrame([appdata.counts(user)]), "data.counts", "stored-data")

if not scope.can("import"):
    st.info(t("data.readonly"))
else:
    st.subheader(t("data.upload"))
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
        ds, problems, warnings, names = checked
        for w in warnings:
            st.warning(w)
        if problems:
            st.error(t("data.problems", n=len(problems)))
            show(pd.DataFrame(problems), "data.problems", "dataset-problems")
        else:
            st.success(t("data.valid", counts=", ".join(f"{k} {v}" for k, v in ds.counts().items())))
            if st.button(t("data.import"), key="data.import", type="primary"):
                try:
                    import_id = appdata.import_upload(user, ds, names)
                except Exception as exc:  # permission or database: nothing was stored
                    st.error(str(exc))
                else:
                    st.session_state.pop("data.checked", None)
                    st.success(t("data.imported", id=import_id))

    st.subheader(t("data.run"))
    as_of = st.date_input(t("data.as_of"), value=dt.date.today(), key="data.as_of", format="DD/MM/YYYY")
    if st.button(t("data.run"), key="data.run", type="primary"):
        bar = st.progress(0.0)

        def progress(fraction: float, agency: str) -> None:
            bar.progress(min(1.0, fraction), text=agency)

        try:
            run = appdata.evaluate(user, as_of, progress)
        except Exception as exc:  # the run is recorded as failed with this message
            st.error(str(exc))
        else:
            st.success(t("data.run_done", id=run["id"], total=run["flags_total"], new=run["flags_new"],
                         reopened=run["flags_reopened"], cleared=run["flags_cleared"]))

st.subheader(t("data.runs"))
runs = appdata.runs(user)
if runs:
    show(pd.DataFrame([{
        "#": r["id"], "as_of": date(r["as_of"]), "start": timestamp(r["started_at"]), "status": r["status"],
        "by": r["triggered_by"], "flags": r["flags_total"], "new": r["flags_new"], "reopened": r["flags_reopened"],
        "cleared": r["flags_cleared"], "rules": r["rules_version"], "kb": r["kb_version"], "error": r["error"] or "",
    } for r in runs]), "data.runs", "evaluation-runs")
