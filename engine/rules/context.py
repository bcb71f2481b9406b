"""What the terms of every subject read: the dataset's look-ups, built once per run, with the
run's settings — ``as_of``, the parameters (``ParameterResolver``), the government calendar,
and the store's per-agency inputs (``corrective``)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import islice
from operator import attrgetter, le
from typing import Any, NamedTuple

from engine.domain.calendar import GovernmentCalendar
from engine.domain.models import Case, Dataset, DelayNotice, Escalation, Officer, Process
from engine.kb.knowledge import ParameterResolver, ParamValue, default_calendar, load_kb


class CorrectiveAction(NamedTuple):
    """A confirmed flag's corrective action (the review workflow's; store runs only): the flag,
    what it is about, and the day the action is due."""

    flag_id: str
    due_date: dt.date
    rule_id: str
    subject_type: str
    subject_id: str


def corrective_action_late(action: CorrectiveAction, as_of: dt.date) -> bool:
    """SPEC §3 1.8-corrective-action-overdue: a confirmed flag's corrective action is late when its
    due date < as_of. The one definition: the rule counts these, the warning lists the others."""
    return action.due_date < as_of


def overdue_corrective_actions(actions: dict[str, list[CorrectiveAction]], as_of: dt.date
                               ) -> dict[str, tuple[int, dt.date]]:
    """Per agency: its late corrective actions (``corrective_action_late``) and the oldest due
    date among them (agencies with none are left out)."""
    out: dict[str, tuple[int, dt.date]] = {}
    for agency, listed in actions.items():
        late = [a.due_date for a in listed if corrective_action_late(a, as_of)]
        if late:
            out[agency] = (len(late), min(late))
    return out


def ascending(values: list[Any]) -> bool:
    """Whether ``values`` are in order already, each at most the next (then no sort is needed)."""
    return all(map(le, values, islice(values, 1, None)))


@dataclass
class RunContext:
    """Look-ups over a validated dataset at ``as_of``, shared by every part of a run.

    ``corrective`` (store runs only): agency -> (confirmed flags whose corrective action is
    overdue, the oldest due date); None in ``check``, where rule 1.8-corrective-action-overdue
    cannot be evaluated. ``corrective_actions`` (store runs): agency -> its confirmed flags'
    corrective actions, from which ``corrective`` is counted and the warnings before they are
    due are listed."""

    dataset: Dataset
    as_of: dt.date
    processes: dict[str, Process]
    officers: dict[str, Officer]
    processes_by_agency: dict[str, list[Process]]
    officers_by_agency: dict[str, list[Officer]]
    cases_by_officer: dict[str, list[Case]]
    cases_by_process: dict[str, list[Case]]
    escalations_by_case: dict[str, list[Escalation]]
    notices_by_case: dict[str, list[DelayNotice]]
    by_agency: dict[str, dict[str, list[Any]]]  # agency -> risk_analyses, monitoring_reports, acknowledgements
    agency_names: dict[str, str]
    resolver: ParameterResolver
    calendar: GovernmentCalendar
    corrective: dict[str, tuple[int, dt.date]] | None = None
    corrective_actions: dict[str, list[CorrectiveAction]] | None = None
    # each agency's cases in case-id order (a run's parts slice them: a slice's flags of a rule
    # then all come before the next slice's, in the order flags are written)
    cases_by_id: dict[str, list[Case]] = field(default_factory=dict)
    # runs of consecutive cases of one agency in the dataset's order, in which they were made
    # and lie in memory (the columnar reader makes them agency by agency): ``workers.waves``
    agency_runs: int = 0
    _chains: dict[str, list[str]] = field(default_factory=dict)
    # (agency, process, day) -> ``parameters``: a run asks once per case, of a few hundred days
    _parameters: dict[tuple[str, str | None, dt.date], tuple[dict[str, ParamValue], dict[str, Any]]] = \
        field(default_factory=dict)

    @classmethod
    def build(cls, ds: Dataset, as_of: dt.date, params: dict[str, Any] | None = None,
              calendar: GovernmentCalendar | None = None, corrective: dict[str, tuple[int, dt.date]] | None = None,
              stored: dict[str, ParamValue] | None = None,
              corrective_actions: dict[str, list[CorrectiveAction]] | None = None) -> RunContext:
        """``params``: the run's values (KB defaults with ``--set``); ``stored``: values an
        administrator recorded in the store, with their sources; ``corrective_actions`` (store
        runs): the confirmed flags' corrective actions per agency (``corrective`` is counted from
        them when not given)."""
        kb = load_kb()
        processes = {p.process_id: p for p in ds.processes}
        officers = {o.officer_id: o for o in ds.officers}
        processes_by_agency: dict[str, list[Process]] = defaultdict(list)
        for p in ds.processes:
            processes_by_agency[p.agency_id].append(p)
        officers_by_agency: dict[str, list[Officer]] = defaultdict(list)
        for o in ds.officers:
            officers_by_agency[o.agency_id].append(o)
        cases_by_agency: dict[str, list[Case]] = defaultdict(list)
        cases_by_officer: dict[str, list[Case]] = defaultdict(list)
        cases_by_process: dict[str, list[Case]] = defaultdict(list)
        runs, last = 0, None
        for c in ds.cases:
            agency = processes[c.process_id].agency_id
            if agency != last:
                runs, last = runs + 1, agency
            cases_by_agency[agency].append(c)
            cases_by_officer[c.officer_id].append(c)
            cases_by_process[c.process_id].append(c)
        escalations_by_case: dict[str, list[Escalation]] = defaultdict(list)
        for e in ds.escalations:
            escalations_by_case[e.case_id].append(e)
        notices_by_case: dict[str, list[DelayNotice]] = defaultdict(list)
        for n in ds.delay_notices:
            notices_by_case[n.case_id].append(n)
        by_agency: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for name in ("risk_analyses", "monitoring_reports", "acknowledgements"):
            for item in getattr(ds, name):
                by_agency[item.agency_id][name].append(item)
        resolver = ParameterResolver(kb, params if params is not None else kb.defaults(), ds.parameters, stored)
        case_id = attrgetter("case_id")
        cases_by_id = {agency: cases if ascending(list(map(case_id, cases))) else sorted(cases, key=case_id)
                       for agency, cases in cases_by_agency.items()}
        if corrective is None and corrective_actions is not None:
            corrective = overdue_corrective_actions(corrective_actions, as_of)
        return cls(ds, as_of, processes, officers, processes_by_agency, officers_by_agency, cases_by_officer,
                   cases_by_process, escalations_by_case, notices_by_case, by_agency,
                   {a.agency_id: a.name for a in ds.agencies}, resolver, calendar or default_calendar(), corrective,
                   corrective_actions, cases_by_id, runs)

    def agency_ids(self) -> list[str]:
        return [a.agency_id for a in self.dataset.agencies]

    def parameters(self, agency_id: str, process_id: str | None = None, on: dt.date | None = None
                   ) -> tuple[dict[str, ParamValue], dict[str, Any]]:
        """The parameters of an agency (and a process) in force on ``on`` (default: ``as_of``),
        with their sources and as plain values (SPEC §3 "Parameters")."""
        key = (agency_id, process_id, self.as_of if on is None else on)
        out = self._parameters.get(key)
        if out is None:
            params = self.resolver.values(*key)
            out = self._parameters[key] = (params, self.resolver.plain(params))
        return out

    def chain(self, officer_id: str) -> list[str]:
        """The officer's chain: supervisor, their supervisor, … (cycle-free by validation)."""
        out = self._chains.get(officer_id)
        if out is None:
            out = []
            boss = self.officers[officer_id].supervisor_id
            while boss is not None and boss not in out:
                out.append(boss)
                boss = self.officers[boss].supervisor_id
            self._chains[officer_id] = out
        return out
