"""The action forms shared by the flag page and the queue's bulk actions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import streamlit as st

from engine.store.review import ACTION_NAMES, ACTIONS, ReviewError, StaleFlag
from engine.store.access import PermissionDenied
from i18n import pick, t

FIELD_LABEL = {"reason": "form.reason", "corrective_action": "form.corrective_action", "due_date": "form.due_date",
               "approver": "form.approver", "expires_on": "form.expires_on"}


def action_form(prefix: str, actions: list[str], submit: Callable[[str, dict[str, Any]], Any]) -> None:
    """One tab per action, each a form with its required fields. Values stay after an error."""
    if not actions:
        st.info(t("flag.no_actions"))
        return
    tabs = st.tabs([pick(ACTION_NAMES[a]) for a in actions])
    for tab, action in zip(tabs, actions):
        with tab, st.form(f"{prefix}.{action}", clear_on_submit=False):
            fields: dict[str, Any] = {}
            needed = ACTIONS[action].required
            for name in needed:
                key = f"{prefix}.{action}.{name}"
                label = t(FIELD_LABEL[name]) + " *"
                if name in ("due_date", "expires_on"):
                    fields[name] = st.date_input(label, value=dt.date.today() + dt.timedelta(days=30), key=key,
                                                 format="DD/MM/YYYY")
                elif name == "reason":
                    fields[name] = st.text_area(label if action != "request_info" else t("form.question") + " *", key=key)
                else:
                    fields[name] = st.text_input(label, key=key)
            if "reason" not in needed:
                fields["reason"] = st.text_area(t("form.reason"), key=f"{prefix}.{action}.reason")
            if st.form_submit_button(t("form.submit"), type="primary", key=f"{prefix}.{action}.submit"):
                try:
                    submit(action, fields)
                except StaleFlag:
                    st.error(t("error.stale"))
                except (ReviewError, PermissionDenied) as exc:
                    st.error(str(exc))
                else:  # saved: empty the form; after an error its text stays for another try
                    for name in list(fields):
                        st.session_state.pop(f"{prefix}.{action}.{name}", None)
                    st.session_state[f"{prefix}.saved"] = pick(ACTION_NAMES[action])
                    st.rerun()
    saved = st.session_state.pop(f"{prefix}.saved", None)
    if saved:
        st.success(f"{t('flag.saved')}: {saved}")
