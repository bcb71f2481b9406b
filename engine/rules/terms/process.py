"""The terms of a process — a kind of work in which decisions are made — at ``as_of`` (SPEC §3).

Its parameters are its own ``parameters`` rows, else its agency's, else the run's.

The examples build a small dataset (``engine.rules.terms.examples``): process P1 of agency A1,
a discretionary public service with work manual "คู่มือ P1" reviewed on 1 January 2024, its
citizen manual on the web and at the office, IT system "e-Service", and one decided
discretionary case C1 (20 May 2024), seen at 28 June 2024.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from engine.domain.calendar import days
from engine.domain.models import Process
from engine.domain.thai import format_date
from engine.rules.context import RunContext
from engine.rules.terms.registry import Subject, Terms

terms = Terms("process")
term = terms.term


class ProcessFacts(Subject):
    """A process at ``as_of``: ``row`` is its record."""

    kind = "process"
    terms = terms

    def __init__(self, run: RunContext, row: Process, agency: str):
        self.run, self.row, self.agency, self.id, self.as_of = run, row, agency, row.process_id, run.as_of
        self.params, self.limits = run.parameters(agency, row.process_id)

    @property
    def link(self) -> tuple[str, None, None]:
        return self.row.process_id, None, None


def subjects(run: RunContext, agency_id: str) -> Iterator[ProcessFacts]:
    """The agency's processes, in the dataset's order."""
    for p in run.processes_by_agency.get(agency_id, ()):
        yield ProcessFacts(run, p, agency_id)


@term("ชื่อกระบวนงาน", "name")
def name(p: ProcessFacts) -> str:
    """The process's name.

    >>> process().name
    'ขออนุญาตก่อสร้างอาคาร'
    """
    return p.row.name


@term("กระบวนงานใช้ดุลพินิจ", "discretionary")
def discretionary(p: ProcessFacts) -> bool:
    """Decisions in the process involve officials' discretion.

    >>> process().discretionary
    True
    """
    return p.row.discretionary


@term("เรื่องที่ใช้ดุลพินิจและพิจารณาแล้ว", "decided discretionary cases")
def decided_discretionary(p: ProcessFacts) -> list:
    """Its cases received and decided on or before as_of that used discretion.

    >>> [c.case_id for c in process().decided_discretionary]
    ['C1']
    """
    as_of = p.as_of
    return [c for c in p.run.cases_by_process.get(p.row.process_id, ())
            if c.discretion_used and c.decided_on is not None and c.decided_on <= as_of and c.received_on <= as_of]


@term("จำนวนเรื่องที่ใช้ดุลพินิจและพิจารณาแล้ว", "decided discretionary cases")
def discretionary_decided_cases(p: ProcessFacts) -> int:
    """How many of its cases used discretion and are decided.

    >>> process().discretionary_decided_cases, process(as_of="2024-05-19").discretionary_decided_cases
    (1, 0)
    """
    return len(p.decided_discretionary)


@term("เรื่องล่าสุด", "latest cases")
def latest_case_ids(p: ProcessFacts) -> list[str]:
    """The ids of its 5 latest decided discretionary cases (latest decision first; a tie by id, descending).

    >>> process().latest_case_ids
    ['C1']
    """
    latest = sorted(p.decided_discretionary, key=lambda c: (c.decided_on, c.case_id), reverse=True)[:5]
    return [c.case_id for c in latest]


# -- measure 1.2: work manuals -----------------------------------------------------------------

@term("คู่มือการปฏิบัติงาน", "work manual")
def work_manual(p: ProcessFacts) -> str | None:
    """The title or id of the work manual; None: there is none.

    >>> process().work_manual
    'คู่มือ P1'
    """
    return p.row.work_manual


@term("มีคู่มือการปฏิบัติงาน", "has a work manual")
def has_manual(p: ProcessFacts) -> bool:
    """work_manual is not empty.

    >>> process().has_manual, process(work_manual=None).has_manual
    (True, False)
    """
    return p.row.work_manual is not None


@term("วันที่สอบทานคู่มือ", "manual reviewed on")
def manual_reviewed_on(p: ProcessFacts) -> dt.date | None:
    """work_manual_reviewed_on, when it is on or before as_of (None: no date recorded, or a later one).

    >>> process().manual_reviewed_on, process(as_of="2023-12-31").manual_reviewed_on
    (datetime.date(2024, 1, 1), None)
    """
    reviewed = p.row.work_manual_reviewed_on
    return reviewed if reviewed is not None and reviewed <= p.as_of else None


@term("อายุคู่มือนับจากการสอบทาน", "days since the manual's review")
def manual_age_days(p: ProcessFacts) -> int | None:
    """days(work_manual_reviewed_on, as_of), or None without a review on or before as_of.

    >>> process().manual_age_days
    179
    """
    return days(p.manual_reviewed_on, p.as_of) if p.manual_reviewed_on is not None else None


@term("คู่มือไม่ได้สอบทานตามกำหนด", "manual outdated")
def manual_outdated(p: ProcessFacts) -> bool:
    """work_manual set, and work_manual_reviewed_on empty (or after as_of) or days(it, as_of) >
    manual_max_age_days.

    >>> process(as_of="2025-12-31").manual_outdated, process(as_of="2026-01-01").manual_outdated
    (False, True)
    >>> process(work_manual_reviewed_on=None).manual_outdated
    True
    """
    return p.row.work_manual is not None and (
        p.manual_reviewed_on is None or days(p.manual_reviewed_on, p.as_of) > p.limits["manual_max_age_days"])


@term("ต้องสอบทานคู่มือภายใน", "manual review due by")
def manual_review_due(p: ProcessFacts) -> dt.date | None:
    """For a work manual reviewed on or before as_of and not yet outdated: the last day it is
    within manual_max_age_days, work_manual_reviewed_on + manual_max_age_days; else None. The duty
    1.2-manual-outdated flags the day after.

    >>> process().manual_review_due, process(as_of="2026-01-01").manual_review_due
    (datetime.date(2025, 12, 31), None)
    """
    if p.row.work_manual is None or p.manual_reviewed_on is None or p.manual_outdated:
        return None
    return p.manual_reviewed_on + dt.timedelta(days=p.limits["manual_max_age_days"])


@term("การสอบทานคู่มือ", "manual review")
def manual_review_th(p: ProcessFacts) -> str:
    """The manual's last review, in Thai words.

    >>> process(work_manual_reviewed_on=None).manual_review_th
    'ไม่มีวันที่สอบทานคู่มือ'
    >>> process(as_of="2026-01-01").manual_review_th
    'สอบทานล่าสุดเมื่อ 1 ม.ค. 2567 ซึ่งเกินรอบการสอบทาน'
    """
    if p.manual_reviewed_on is None:  # a date not recorded, not a manual never reviewed
        return "ไม่มีวันที่สอบทานคู่มือ"
    return f"สอบทานล่าสุดเมื่อ {format_date(p.manual_reviewed_on, 'th')} ซึ่งเกินรอบการสอบทาน"


@term("manual review", "manual review")
def manual_review_en(p: ProcessFacts) -> str:
    """The manual's last review, in English words.

    >>> process().manual_review_en
    'was last reviewed on 2024-01-01, longer ago than allowed'
    """
    if p.manual_reviewed_on is None:
        return "has no review date on record"
    return f"was last reviewed on {format_date(p.manual_reviewed_on, 'en')}, longer ago than allowed"


# -- measure 1.1: sampled review ---------------------------------------------------------------

@term("สอบทานแบบสุ่มตัวอย่าง", "sampled checks")
def review_sampled(p: ProcessFacts) -> bool:
    """review_sample_percent is set: the agency's order reviews a sample of its decisions.

    >>> process(review_sample_percent=20).review_sampled
    True
    """
    return p.row.review_sample_percent is not None


@term("ร้อยละที่กำหนดให้สอบทาน", "sample share")
def sample_percent(p: ProcessFacts) -> int | None:
    """review_sample_percent, or None.

    >>> process(review_sample_percent=20).sample_percent
    20
    """
    return p.row.review_sample_percent


@term("เรื่องในช่วงที่วัด", "decisions in the window")
def sample(p: ProcessFacts) -> list | None:
    """W: its supervised, decided, discretionary cases with days(decided_on, as_of) ≤
    review_sample_window_days and as_of > deadline(decided_on, review_within_days); None unless sampled.

    >>> [c.case_id for c in process(review_sample_percent=20).sample]
    ['C1']
    """
    if p.row.review_sample_percent is None:
        return None
    calendar, as_of = p.run.calendar, p.as_of
    within, window = p.limits["review_within_days"], p.limits["review_sample_window_days"]
    officers = p.run.officers
    return [c for c in p.decided_discretionary if officers[c.officer_id].supervisor_id is not None
            and days(c.decided_on, as_of) <= window and as_of > calendar.deadline(c.decided_on, within, "working")]


@term("จำนวนเรื่องในช่วงที่วัด", "decisions in the window")
def sample_size(p: ProcessFacts) -> int | None:
    """|W|, or None unless sampled.

    >>> process(review_sample_percent=20).sample_size
    1
    """
    return len(p.sample) if p.sample is not None else None


@term("จำนวนเรื่องที่สอบทานแล้ว", "checked in the window")
def sample_reviewed(p: ProcessFacts) -> int | None:
    """How many cases of W were reviewed on or before as_of, or None unless sampled.

    >>> process(review_sample_percent=20).sample_reviewed
    1
    """
    if p.sample is None:
        return None
    return sum(1 for c in p.sample if c.reviewed_on is not None and c.reviewed_on <= p.as_of)


@term("สอบทานน้อยกว่าสัดส่วนที่กำหนด", "sample short")
def review_sample_short(p: ProcessFacts) -> bool:
    """W not empty and 100 × (reviewed cases in W) < review_sample_percent × |W|.

    >>> process(review_sample_percent=20).review_sample_short
    False
    >>> process(review_sample_percent=20, case={"reviewed_on": None, "reviewed_by": None}).review_sample_short
    True
    """
    if p.sample is None:
        return False
    return bool(p.sample) and 100 * p.sample_reviewed < p.row.review_sample_percent * len(p.sample)


# -- measure 1.6: the citizen manual -----------------------------------------------------------

@term("เป็นงานบริการประชาชน", "public service")
def public_service(p: ProcessFacts) -> bool:
    """The public applies for it.

    >>> process().public_service
    True
    """
    return p.row.public_service


@term("เว็บไซต์คู่มือสำหรับประชาชน", "citizen manual URL")
def citizen_manual_url(p: ProcessFacts) -> str | None:
    """Where the citizen service manual is on the web, or None.

    >>> process().citizen_manual_url
    'https://a1.go.th/p1'
    """
    return p.row.citizen_manual_url


@term("เผยแพร่คู่มือสำหรับประชาชนบนเว็บไซต์", "citizen manual on the web")
def has_citizen_manual_url(p: ProcessFacts) -> bool:
    """citizen_manual_url is not empty.

    >>> process(citizen_manual_url=None).has_citizen_manual_url
    False
    """
    return p.row.citizen_manual_url is not None


@term("ปิดประกาศคู่มือสำหรับประชาชน ณ ที่ทำการ", "citizen manual at the office")
def citizen_manual_at_office(p: ProcessFacts) -> bool:
    """The citizen manual is displayed at the office (empty: no).

    >>> process().citizen_manual_at_office, process(citizen_manual_at_office=None).citizen_manual_at_office
    (True, False)
    """
    return bool(p.row.citizen_manual_at_office)


@term("สิ่งที่ยังไม่ได้ทำ", "what is missing")
def published_th(p: ProcessFacts) -> str:
    """What the citizen manual lacks, in Thai words.

    >>> process(citizen_manual_url=None, citizen_manual_at_office=False).published_th
    'ไม่ได้เผยแพร่บนเว็บไซต์ และไม่ได้ปิดประกาศ ณ ที่ทำการ'
    """
    missing = ([] if p.has_citizen_manual_url else ["ไม่ได้เผยแพร่บนเว็บไซต์"]) + (
        [] if p.citizen_manual_at_office else ["ไม่ได้ปิดประกาศ ณ ที่ทำการ"])
    return " และ".join(missing)


@term("what is missing", "what is missing")
def published_en(p: ProcessFacts) -> str:
    """What the citizen manual lacks, in English words.

    >>> process(citizen_manual_at_office=False).published_en
    'is not posted at the office'
    """
    missing = ([] if p.has_citizen_manual_url else ["is not published on the website"]) + (
        [] if p.citizen_manual_at_office else ["is not posted at the office"])
    return " and ".join(missing)


# -- measure 1.7: information technology -------------------------------------------------------

@term("ระบบสารสนเทศ", "IT system")
def it_system(p: ProcessFacts) -> str | None:
    """The IT system that carries the process, or None.

    >>> process().it_system
    'e-Service'
    """
    return p.row.it_system


@term("มีระบบสารสนเทศ", "has an IT system")
def has_it_system(p: ProcessFacts) -> bool:
    """it_system is not empty.

    >>> process(it_system=None).has_it_system
    False
    """
    return p.row.it_system is not None


@term("ระบุเหตุที่ใช้ระบบสารสนเทศแทนไม่ได้", "IT exemption given")
def has_it_exempt_reason(p: ProcessFacts) -> bool:
    """it_exempt_reason is not empty (why IT cannot replace the discretionary steps).

    >>> process(it_exempt_reason="ดุลพินิจตามกฎหมายของเจ้าพนักงาน").has_it_exempt_reason
    True
    """
    return p.row.it_exempt_reason is not None
