"""The action forms shared by the flag page and the queue's bulk actions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import streamlit as st
from dates import INVALID, date_field, typed
from i18n import lang, pick, t
from messages import say
from present import plain

from engine.domain.calendar import today as bangkok_today
from views.request_fields import MISSING, request_fields

from engine.domain.errors import DiscretionReviewError
from engine.store.review import ACTION_NAMES, ACTIONS, StaleFlag

FIELD_LABEL = {"reason": "form.reason", "corrective_action": "form.corrective_action", "due_date": "form.due_date",
               "approver": "form.approver", "expires_on": "form.expires_on"}
REASON_LABEL = {"request_info": "form.question", "answer": "form.answer"}
DATES = ("due_date", "expires_on")


def _default_day() -> dt.date:
    return bangkok_today() + dt.timedelta(days=30)


def _field_keys(prefix: str) -> list[str]:
    """The session keys of every field of every action's form under ``prefix`` (not the buttons)."""
    return [f"{prefix}.{action}.{name}" for action, spec in ACTIONS.items()
            for name in dict.fromkeys((*spec.required, "reason"))]


def touched(prefix: str) -> bool:
    """Whether the user has typed anything in the forms under ``prefix``: a text, or a date other
    than the one the field was filled with."""
    for key in _field_keys(prefix):
        value = st.session_state.get(key)
        if isinstance(value, str) and value.strip() and \
                not (key.endswith(DATES) and value.strip() == typed(_default_day())):
            return True
    return False


def keep_typed(prefix: str, drawn: list[str]) -> None:
    """Keep what was typed in the forms under ``prefix`` of the actions not ``drawn`` in this run
    (the flag's new status does not allow them): Streamlit forgets the value of a widget that is
    not drawn, and the text must be there when its form is drawn again."""
    for key in _field_keys(prefix):
        if key in st.session_state and key.split(".")[-2] not in drawn:
            st.session_state[key] = st.session_state[key]


def action_form(prefix: str, actions: list[str], submit: Callable[[str, dict[str, Any]], Any],
                confirm: Callable[[str], str] | None = None,
                on_stale: Callable[[StaleFlag], None] | None = None,
                agency_id: str | None = None) -> None:
    """One tab per action with its required fields and a save button. Dates are typed as Thai
    people write them (dates.py); an invalid one blocks saving. Text stays after an error;
    after a save the fields empty and ``confirm(action)`` (or "saved") is shown. A decision
    refused because someone else changed a flag meanwhile goes to ``on_stale``, which says who
    did what (the form's text stays). A request for information names the officer who must
    answer (of ``agency_id``, else of the user's agencies) and the working days to answer in,
    with the reply-by date they give (views/request_fields.py)."""
    if not actions:
        st.info(t("flag.no_actions"))
        return
    saved = st.session_state.pop(f"{prefix}.saved", None)
    if saved:  # Markdown: ``confirm`` escapes what it quotes of data (present.plain)
        st.success(saved)
    tabs = st.tabs([pick(ACTION_NAMES[a]) for a in actions])
    for tab, action in zip(tabs, actions):
        with tab, st.container(border=True):
            fields: dict[str, Any] = {}
            needed = ACTIONS[action].required
            for name in needed:
                key = f"{prefix}.{action}.{name}"
                if name in DATES:
                    fields[name] = date_field(t(FIELD_LABEL[name]), key, default=_default_day())
                elif name == "reason":
                    fields[name] = st.text_area(t(REASON_LABEL.get(action, "form.reason")) + " *", key=key)
                else:
                    fields[name] = st.text_input(t(FIELD_LABEL[name]) + " *", key=key)
            if "reason" not in needed:
                fields["reason"] = st.text_area(t("form.reason"), key=f"{prefix}.{action}.reason")
            if action == "request_info":
                fields.update(request_fields(f"{prefix}.{action}", agency_id))
            if st.button(t("form.submit"), type="primary", key=f"{prefix}.{action}.submit"):
                if fields.get("officer_id") is MISSING:  # nobody of the agency to ask: said above the fields
                    continue
                if any(v is INVALID for v in fields.values()):
                    st.error(t("date.fix_first"))
                    continue
                try:
                    submit(action, fields)
                except StaleFlag as exc:
                    if on_stale is None:
                        st.error(t("error.stale"))
                    else:
                        on_stale(exc)
                except DiscretionReviewError as exc:  # refused: say why in the reader's language
                    st.error(plain(say(str(exc), lang())))
                else:  # saved: empty the form; after an error its text stays for another try
                    for name in list(fields):
                        st.session_state.pop(f"{prefix}.{action}.{name}", None)
                    st.session_state[f"{prefix}.saved"] = confirm(action) if confirm else \
                        f"{t('flag.saved')}: {pick(ACTION_NAMES[action])}"
                    st.rerun()
