"""The action forms shared by the flag page and the queue's bulk actions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import streamlit as st
from dates import INVALID, date_field
from i18n import lang, pick, t
from messages import say

from engine.domain.errors import DiscretionReviewError
from engine.store.review import ACTION_NAMES, ACTIONS, StaleFlag

FIELD_LABEL = {"reason": "form.reason", "corrective_action": "form.corrective_action", "due_date": "form.due_date",
               "approver": "form.approver", "expires_on": "form.expires_on"}
REASON_LABEL = {"request_info": "form.question", "answer": "form.answer"}


def action_form(prefix: str, actions: list[str], submit: Callable[[str, dict[str, Any]], Any],
                confirm: Callable[[str], str] | None = None) -> None:
    """One tab per action with its required fields and a save button. Dates are typed as Thai
    people write them (dates.py); an invalid one blocks saving. Text stays after an error;
    after a save the fields empty and ``confirm(action)`` (or "saved") is shown."""
    if not actions:
        st.info(t("flag.no_actions"))
        return
    saved = st.session_state.pop(f"{prefix}.saved", None)
    if saved:
        st.success(saved)
    tabs = st.tabs([pick(ACTION_NAMES[a]) for a in actions])
    for tab, action in zip(tabs, actions):
        with tab, st.container(border=True):
            fields: dict[str, Any] = {}
            needed = ACTIONS[action].required
            for name in needed:
                key = f"{prefix}.{action}.{name}"
                if name in ("due_date", "expires_on"):
                    fields[name] = date_field(t(FIELD_LABEL[name]), key, default=dt.date.today() + dt.timedelta(days=30))
                elif name == "reason":
                    fields[name] = st.text_area(t(REASON_LABEL.get(action, "form.reason")) + " *", key=key)
                else:
                    fields[name] = st.text_input(t(FIELD_LABEL[name]) + " *", key=key)
            if "reason" not in needed:
                fields["reason"] = st.text_area(t("form.reason"), key=f"{prefix}.{action}.reason")
            if st.button(t("form.submit"), type="primary", key=f"{prefix}.{action}.submit"):
                if any(v is INVALID for v in fields.values()):
                    st.error(t("date.fix_first"))
                    continue
                try:
                    submit(action, fields)
                except StaleFlag:
                    st.error(t("error.stale"))
                except DiscretionReviewError as exc:  # refused: say why in the reader's language
                    st.error(say(str(exc), lang()))
                else:  # saved: empty the form; after an error its text stays for another try
                    for name in list(fields):
                        st.session_state.pop(f"{prefix}.{action}.{name}", None)
                    st.session_state[f"{prefix}.saved"] = confirm(action) if confirm else \
                        f"{t('flag.saved')}: {pick(ACTION_NAMES[action])}"
                    st.rerun()
