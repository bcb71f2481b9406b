"""The terms of an officer, and of an officer with one applicant, at ``as_of`` (SPEC §3).

An officer's parameters are their agency's (else the run's), as in force at as_of. The
examples build a small dataset (``engine.rules.terms.examples``): officer O1 of agency A1,
supervised by the head H1, in a rotation post since 1 October 2019, who acknowledged the code
of ethics on 10 January 2024 and decided discretionary case C1 on 20 May 2024 for applicant X1
(a person), seen at 28 June 2024.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

from engine.domain.calendar import add_years, days
from engine.domain.models import Case, Officer
from engine.rules.context import RunContext
from engine.rules.terms.registry import Subject, Terms

terms = Terms("officer")
term = terms.term
pair_terms = Terms("officer_applicant")
pair_term = pair_terms.term


class OfficerFacts(Subject):
    """An officer at ``as_of``: ``row`` is their record."""

    kind = "officer"
    terms = terms

    def __init__(self, run: RunContext, row: Officer):
        self.run, self.row, self.agency, self.id, self.as_of = run, row, row.agency_id, row.officer_id, run.as_of
        self.params, self.limits = run.parameters(row.agency_id)

    @property
    def link(self) -> tuple[None, str, None]:
        return None, self.row.officer_id, None


class OfficerApplicantFacts(Subject):
    """An officer's recent discretionary decisions for one applicant (a person)."""

    kind = "officer_applicant"
    terms = pair_terms
    given = ("applicant", "kind_of_applicant")

    def __init__(self, officer: OfficerFacts, applicant: str, kind: str, cases: list[Case]):
        self.run, self.row, self.agency, self.id, self.as_of = officer.run, officer.row, officer.agency, officer.id, \
            officer.as_of
        self.params, self.limits = officer.params, officer.limits
        self.applicant, self.kind_of_applicant, self.cases = applicant, kind, cases

    @property
    def link(self) -> tuple[None, str, None]:
        return None, self.row.officer_id, None


def subjects(run: RunContext, agency_id: str) -> Iterator[OfficerFacts | OfficerApplicantFacts]:
    """The agency's officers, in the dataset's order, each followed by their pairs with an applicant."""
    for o in run.officers_by_agency.get(agency_id, ()):
        officer = OfficerFacts(run, o)
        yield officer
        yield from officer.applicants


@term("ชื่อ", "name")
def name(o: OfficerFacts) -> str:
    """The officer's name.

    >>> officer().name
    'นายหนึ่ง ใจดี'
    """
    return o.row.name


@term("ตำแหน่ง", "position")
def position(o: OfficerFacts) -> str | None:
    """The officer's position, or None.

    >>> officer().position
    'นักวิชาการ'
    """
    return o.row.position


@term("เรื่องที่ใช้ดุลพินิจและพิจารณาแล้ว", "decided discretionary cases")
def decided_discretionary(o: OfficerFacts) -> list[Case]:
    """The officer's cases received and decided on or before as_of that used discretion.

    >>> [c.case_id for c in officer().decided_discretionary], officer(as_of="2024-05-19").decided_discretionary
    (['C1'], [])
    """
    as_of = o.as_of
    return [c for c in o.run.cases_by_officer.get(o.row.officer_id, ())
            if c.discretion_used and c.decided_on is not None and c.decided_on <= as_of and c.received_on <= as_of]


@term("เรื่องล่าสุด", "latest decision")
def last_decision(o: OfficerFacts) -> Case | None:
    """The officer's latest decided discretionary case; of several that day, the first by case id.

    >>> officer().last_decision.case_id
    'C1'
    """
    return min(o.decided_discretionary, key=lambda c: (-c.decided_on.toordinal(), c.case_id), default=None)


@term("เลขที่เรื่องล่าสุด", "latest case")
def last_case_id(o: OfficerFacts) -> str | None:
    """The id of the officer's latest decided discretionary case, or None.

    >>> officer().last_case_id
    'C1'
    """
    return o.last_decision.case_id if o.last_decision is not None else None


@term("วันที่พิจารณาล่าสุด", "latest decided on")
def last_decided_on(o: OfficerFacts) -> dt.date | None:
    """The day of the officer's latest decided discretionary case, or None.

    >>> officer().last_decided_on
    datetime.date(2024, 5, 20)
    """
    return o.last_decision.decided_on if o.last_decision is not None else None


@term("จำนวนวันนับจากพิจารณาเรื่องที่ใช้ดุลพินิจครั้งล่าสุด", "days since the latest discretionary decision")
def days_since_last_discretionary_decision(o: OfficerFacts) -> int | None:
    """days(decided_on, as_of) of the officer's latest decided case that used discretion; None without one.

    >>> officer().days_since_last_discretionary_decision, officer(as_of="2024-05-19").days_since_last_discretionary_decision
    (39, None)
    """
    return days(o.last_decided_on, o.as_of) if o.last_decision is not None else None


# -- measure 1.4: rotation ---------------------------------------------------------------------

@term("ตำแหน่งที่กำหนดให้หมุนเวียน", "rotation post")
def rotation_post(o: OfficerFacts) -> bool:
    """The post is designated for rotation (empty: no).

    >>> officer().rotation_post, officer(rotation_post=None).rotation_post
    (True, False)
    """
    return bool(o.row.rotation_post)


@term("ดำรงตำแหน่งตั้งแต่", "in position since")
def in_position_since(o: OfficerFacts) -> dt.date | None:
    """in_position_since, as recorded, or None.

    >>> officer().in_position_since
    datetime.date(2019, 10, 1)
    """
    return o.row.in_position_since


@term("ครบรอบหมุนเวียนเมื่อ", "due for rotation on")
def rotation_due_on(o: OfficerFacts) -> dt.date | None:
    """in_position_since + rotation_years (calendar years; 29 February becomes 28 February), or None.

    >>> officer().rotation_due_on
    datetime.date(2023, 10, 1)
    """
    if o.row.in_position_since is None:
        return None
    return add_years(o.row.in_position_since, o.params["rotation_years"].value)


@term("ดำรงตำแหน่งครบรอบหมุนเวียน", "rotation years reached")
def rotation_years_reached(o: OfficerFacts) -> bool:
    """in_position_since + rotation_years (calendar years) is on or before as_of.

    >>> officer(as_of="2023-09-30").rotation_years_reached, officer(as_of="2023-10-01").rotation_years_reached
    (False, True)
    """
    return o.row.in_position_since is not None and o.rotation_due_on <= o.as_of


@term("เรื่องที่พิจารณาในช่วงเวลา", "recent decisions")
def recent_decisions(o: OfficerFacts) -> list[Case]:
    """The officer's decided discretionary cases with 0 ≤ days(decided_on, as_of) <
    active_officer_window_days: the officer still uses discretion.

    >>> len(officer().recent_decisions), len(officer(as_of="2025-05-20").recent_decisions)
    (1, 0)
    """
    window, as_of = o.limits["active_officer_window_days"], o.as_of
    return [c for c in o.decided_discretionary if days(c.decided_on, as_of) < window]


@term("ยังพิจารณาเรื่องที่ใช้ดุลพินิจในช่วงเวลา", "decides with discretion")
def has_recent_decisions(o: OfficerFacts) -> bool:
    """The officer decided a discretionary case in the window (``recent_decisions``).

    >>> officer().has_recent_decisions, officer(as_of="2025-05-20").has_recent_decisions
    (True, False)
    """
    return bool(o.recent_decisions)


# -- measure 1.5: the code of ethics ---------------------------------------------------------------

@term("วันที่รับทราบประมวลจริยธรรม", "ethics acknowledged on")
def ethics_acknowledged_on(o: OfficerFacts) -> dt.date | None:
    """The officer's ethics_acknowledged_on, when it is on or before as_of.

    >>> officer().ethics_acknowledged_on, officer(as_of="2024-01-09", case={"decided_on": None, "reviewed_on": None, \
"reviewed_by": None}).ethics_acknowledged_on
    (datetime.date(2024, 1, 10), None)
    """
    ack = o.row.ethics_acknowledged_on
    return ack if ack is not None and ack <= o.as_of else None


@term("เรื่องที่พิจารณาโดยไม่ได้รับทราบประมวลจริยธรรมที่ยังมีผล", "decisions without a valid acknowledgement")
def unacknowledged_decisions(o: OfficerFacts) -> list[Case]:
    """Of the officer's recent decisions (``recent_decisions``), those made while not acknowledged:
    ethics_acknowledged_on empty, after decided_on, or days(it, decided_on) > ethics_ack_valid_days.

    >>> officer().unacknowledged_decisions
    []
    >>> [c.case_id for c in officer(ethics_acknowledged_on="2024-05-21").unacknowledged_decisions]
    ['C1']
    >>> [c.case_id for c in officer(ethics_acknowledged_on="2023-05-20").unacknowledged_decisions]
    ['C1']
    """
    ack, valid = o.ethics_acknowledged_on, o.limits["ethics_ack_valid_days"]
    return [c for c in o.recent_decisions
            if ack is None or ack > c.decided_on or days(ack, c.decided_on) > valid]


@term("จำนวนเรื่องที่พิจารณาโดยไม่ได้รับทราบประมวลจริยธรรมที่ยังมีผล", "decisions without a valid acknowledgement")
def unacknowledged_decision_count(o: OfficerFacts) -> int:
    """How many of the officer's recent decisions were made while not acknowledged.

    >>> officer(ethics_acknowledged_on=None).unacknowledged_decision_count
    1
    """
    return len(o.unacknowledged_decisions)


@term("เรื่องล่าสุดที่ไม่ได้รับทราบ", "latest such cases")
def unacknowledged_case_ids(o: OfficerFacts) -> list[str]:
    """The ids of the 5 latest of those decisions (latest decision first; a tie by id).

    >>> officer(ethics_acknowledged_on=None).unacknowledged_case_ids
    ['C1']
    """
    latest = sorted(o.unacknowledged_decisions, key=lambda c: (-c.decided_on.toordinal(), c.case_id))[:5]
    return [c.case_id for c in latest]


# -- measure 1.4: repeated applicants --------------------------------------------------------------

@term("ผู้ยื่นคำขอที่พิจารณาให้ในช่วงเวลา", "recent applicants")
def applicants(o: OfficerFacts) -> list[OfficerApplicantFacts]:
    """One pair per applicant of the officer's decided discretionary cases with days(decided_on,
    as_of) < repeat_window_days, counted per applicant_id and applicant_kind (empty: person), in
    order of first decision. An applicant recorded as both kinds is counted as a person (the
    lower threshold), so that one officer and applicant make at most one flag.

    >>> [(a.applicant, a.kind_of_applicant, a.recent_discretionary_decisions) for a in officer().applicants]
    [('X1', 'person', 1)]
    """
    window = o.limits["repeat_window_days"]
    recent: dict[str, list[Case]] = defaultdict(list)
    kinds: dict[str, set[str]] = defaultdict(set)
    for c in o.decided_discretionary:
        if c.applicant_id is not None and days(c.decided_on, o.as_of) < window:
            recent[c.applicant_id].append(c)
            kinds[c.applicant_id].add(c.applicant_kind or "person")
    return [OfficerApplicantFacts(o, applicant, "juristic" if kinds[applicant] == {"juristic"} else "person", cases)
            for applicant, cases in recent.items()]


# -- an officer and one applicant ----------------------------------------------------------------

@pair_term("ชื่อ", "name", name="name")
def officer_name(a: OfficerApplicantFacts) -> str:
    """The officer's name.

    >>> officer().applicants[0].name
    'นายหนึ่ง ใจดี'
    """
    return a.row.name


@pair_term("เรื่อง", "cases")
def case_ids(a: OfficerApplicantFacts) -> list[str]:
    """The ids of the pair's recent discretionary decisions, in id order.

    >>> officer().applicants[0].case_ids
    ['C1']
    """
    return sorted(c.case_id for c in a.cases)


@pair_term("จำนวนผลการพิจารณาให้ผู้ยื่นคำขอรายนี้ในช่วงเวลา", "recent decisions for the applicant")
def recent_discretionary_decisions(a: OfficerApplicantFacts) -> int:
    """Decided discretionary cases for this applicant with days(decided_on, as_of) < repeat_window_days.

    >>> officer().applicants[0].recent_discretionary_decisions
    1
    """
    return len(a.cases)


@pair_term("เกณฑ์คำขอซ้ำ", "repeat threshold")
def repeat_threshold(a: OfficerApplicantFacts) -> int:
    """repeat_applicant_threshold for a person, repeat_applicant_threshold_juristic for a juristic
    person (who files often by nature).

    >>> officer().applicants[0].repeat_threshold, officer(case={"applicant_kind": "juristic"}).applicants[0].repeat_threshold
    (5, 15)
    """
    return a.limits["repeat_applicant_threshold_juristic" if a.kind_of_applicant == "juristic"
                    else "repeat_applicant_threshold"]


@pair_term("ถึงเกณฑ์คำขอซ้ำ", "repeat threshold reached")
def repeat_threshold_reached(a: OfficerApplicantFacts) -> bool:
    """recent_discretionary_decisions ≥ the threshold of the applicant's kind.

    >>> officer(parameters={"repeat_applicant_threshold": 1}).applicants[0].repeat_threshold_reached
    True
    >>> officer(parameters={"repeat_applicant_threshold": 1}, case={"applicant_kind": "juristic"}).applicants[0]\
.repeat_threshold_reached
    False
    """
    return len(a.cases) >= a.repeat_threshold


@pair_term("ประเภทผู้ยื่นคำขอ", "kind of applicant")
def applicant_kind(a: OfficerApplicantFacts) -> str:
    """The applicant's kind: ``person`` or ``juristic`` (cases.applicant_kind; empty: person).

    >>> officer(case={"applicant_kind": "juristic"}).applicants[0].applicant_kind
    'juristic'
    """
    return a.kind_of_applicant


@pair_term("ประเภทผู้ยื่นคำขอ", "kind of applicant")
def applicant_kind_th(a: OfficerApplicantFacts) -> str:
    """The applicant's kind in Thai words.

    >>> officer(case={"applicant_kind": "juristic"}).applicants[0].applicant_kind_th
    'นิติบุคคล'
    """
    return "นิติบุคคล" if a.kind_of_applicant == "juristic" else "บุคคลธรรมดา"


@pair_term("kind of applicant", "kind of applicant")
def applicant_kind_en(a: OfficerApplicantFacts) -> str:
    """The applicant's kind in English words.

    >>> officer().applicants[0].applicant_kind_en
    'a natural person'
    """
    return "a juristic person" if a.kind_of_applicant == "juristic" else "a natural person"
