"""The queue's search (issue 20 item 13): a flag id, a case number, an officer's, process's or
agency's name, or words of the explanation; case-insensitive; `%` and `_` are themselves; invisible
characters copied from the screen are ignored; nothing outside the reader's scope. On SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from engine.demo.store import setup_demo
from engine.store.db import transaction
from engine.store.review import QueueFilter, act, queue, search_text
from engine.store.schema import AgencyRow, FlagRow, OfficerRow, ProcessRow
from engine.store.scope import SYSTEM, Scope

SUP_A1 = Scope("supervisor.land", "supervisor", "kk-land")
EVERY_STATUS: list[str] = []


@pytest.fixture
def store(db_url):
    """The demo's 33 agencies, 300 cases, evaluated: the land office's supervisor searches."""
    list(setup_demo(db_url, cases=300, as_of=dt.date(2026, 11, 25)))
    return db_url


def found(url: str, text: str, scope: Scope = SUP_A1, statuses: list[str] = EVERY_STATUS) -> set[str]:
    with transaction(url) as s:
        rows, total = queue(s, scope, QueueFilter(statuses=statuses, text=text), "severity", 1, 1000)
        assert total == len(rows)
        return {r.flag_id for r in rows}


def test_search_finds_a_flag_by_its_id_case_number_officer_process_and_agency(store):
    with transaction(store) as s:
        flag = s.scalars(select(FlagRow).where(FlagRow.subject_type == "case", FlagRow.officer_id.is_not(None),
                                               FlagRow.agency_id == "kk-land", FlagRow.status == "open")
                         .order_by(FlagRow.flag_id)).first()
        flag_id, case_id, officer_id, process_id = flag.flag_id, flag.subject_id, flag.officer_id, flag.process_id
        officer = s.get(OfficerRow, officer_id).name
        process = s.get(ProcessRow, process_id).name
        agency = s.get(AgencyRow, "kk-land").name
        of_officer = set(s.scalars(select(FlagRow.flag_id).where(FlagRow.officer_id == officer_id)))
        of_process = set(s.scalars(select(FlagRow.flag_id).where(FlagRow.process_id == process_id)))
        every = set(s.scalars(select(FlagRow.flag_id).where(FlagRow.agency_id == "kk-land")))
        act(s, SUP_A1, flag_id, "dismiss", reason="ชี้แจงได้")  # no longer open: a search still finds it
    assert found(store, flag_id) == {flag_id}
    assert found(store, flag_id.lower()) == {flag_id}  # ids are typed in any case
    assert flag_id in found(store, case_id)
    assert found(store, officer) >= of_officer and flag_id in found(store, officer)
    assert found(store, process) >= of_process
    assert found(store, agency) == every
    assert flag_id not in found(store, flag_id, statuses=["open", "needs_info"])  # a filter chosen still holds


def test_search_text_is_what_the_reader_meant(store):
    with transaction(store) as s:
        flag_id = s.scalar(select(FlagRow.flag_id).where(FlagRow.agency_id == "kk-land").order_by(FlagRow.flag_id))
    # a word joiner, a zero-width space and a byte-order mark copied with the id are nothing
    assert found(store, f" {flag_id[:6]}\u2060{flag_id[6:]}\u200b\ufeff ") == {flag_id}
    # LIKE's wildcards are themselves: an id with a character in place of % or _ matches nothing
    assert found(store, flag_id[:5] + "%" + flag_id[-3:]) == set() and found(store, flag_id[:-1] + "_") == set()
    assert search_text("\u2060 \u200b") == ""


def test_search_stays_within_the_readers_agency(store):
    other = Scope("sup.b9", "supervisor", "B9")
    with transaction(store) as s:
        flag = s.scalars(select(FlagRow).where(FlagRow.officer_id.is_not(None), FlagRow.agency_id == "kk-land")
                         .order_by(FlagRow.flag_id)).first()
        officer = s.get(OfficerRow, flag.officer_id).name
    assert found(store, flag.flag_id, scope=SYSTEM) == {flag.flag_id}
    assert found(store, flag.flag_id, scope=other) == set() and found(store, officer, scope=other) == set()
