"""Every table in the app: shown, and downloadable as CSV and XLSX (formula injection neutralised)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st
from i18n import column, t
from present import plain


def reported(key: str) -> bool:
    """Whether the browser has reported the ticks of the grid ``key`` (``show(..., select=True)``)."""
    return f"{key}.grid" in st.session_state


def ticked_rows(key: str) -> list[int]:
    """The rows ticked in the grid ``key`` as the browser last reported them: positions in the
    rows that grid showed (read it before the grid is drawn in this run)."""
    state = st.session_state.get(f"{key}.grid")
    return list(state["selection"]["rows"]) if state else []

from engine.outputs.tables import to_csv, to_xlsx


def show(frame: pd.DataFrame, key: str, name: str, table: bool = False, empty: str | None = None,
         select: bool = False, column_config: dict[str, Any] | None = None, hidden: tuple[str, ...] = (),
         ticked: list[int] | None = None) -> list[int]:
    """``empty``: what to say instead of an empty table (and its downloads). ``select``: rows can
    be picked (the positions picked are returned); ``ticked``: the rows ticked when this grid is
    first drawn. ``hidden``: columns exported but not shown.
    A ``table`` shows every cell as the text it is (Streamlit reads its cells as Markdown)."""
    if empty is not None and frame.empty:
        st.info(empty)
        return []
    frame = frame.rename(columns={c: column(c) for c in frame.columns if isinstance(c, str)})
    picked: list[int] = []
    shown_frame = frame.astype(object).where(frame.notna(), "—")  # a missing value reads as a dash, not "None"
    if table:  # a small key–value or history table: plain HTML, readable by any browser or screen reader
        cells = shown_frame.map(plain)
        cells.columns = [plain(c) for c in cells.columns]
        st.table(cells.set_index(cells.columns[0]))
    else:
        config = {column(k): v for k, v in (column_config or {}).items()}
        shown = [c for c in frame.columns if c not in {column(h) for h in hidden}]
        if select:
            event = st.dataframe(shown_frame, hide_index=True, width="stretch", key=f"{key}.grid", column_config=config,
                                 column_order=shown, on_select="rerun", selection_mode="multi-row",
                                 selection_default={"selection": {"rows": ticked}} if ticked else None)
            picked = list(event.selection.rows)
        else:
            st.dataframe(shown_frame, hide_index=True, width="stretch", key=f"{key}.grid", column_config=config,
                         column_order=shown)
    columns = [str(c) for c in frame.columns]
    rows = frame.astype(object).where(frame.notna(), None).values.tolist()
    downloads(lambda: (columns, rows), key, name)
    return picked


def downloads(table: Callable[[], tuple[list[str], list[list[Any]]]], key: str, name: str) -> None:
    """CSV and XLSX buttons for ``table()`` (its column names and rows, as written: never the Markdown
    the screen shows). Each file is made when its button is clicked (Streamlit calls the function then),
    not on every run of the page; and a click does not rerun the page (``on_click="ignore"``): a rerun
    gives every button of the page a new file id, and a click that still holds the old one downloads
    nothing, so the second of two downloads needed a second click."""
    row = st.container(horizontal=True)
    row.download_button(t("download.csv"), lambda: to_csv(*table()), file_name=f"{name}.csv", mime="text/csv",
                        key=f"{key}.csv", icon=":material/download:", on_click="ignore")
    row.download_button(t("download.xlsx"), lambda: to_xlsx({name: table()}), file_name=f"{name}.xlsx",
                        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"{key}.xlsx",
                        icon=":material/download:", on_click="ignore")
