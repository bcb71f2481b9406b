"""Self-assessment campaigns: for a fiscal year each agency checks itself against measures
1.1–1.8 and guidelines 2.1–2.3. Each item's status is proposed from the flags and their
review, can be overridden only with a reason, carries evidence (a URL, a file or a note),
and the head's submission locks it. Every change is appended to ``assessment_events``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.domain.errors import UsageError
from engine.domain.thai import format_date
from engine.kb.knowledge import load_kb
from engine.store import audit
from engine.store.evidence_files import check_evidence_file
from engine.store.review import StaleFlag
from engine.store.schema import (
    AgencyRow,
    Assessment,
    AssessmentEvent,
    AssessmentItem,
    Campaign,
    CampaignEntryRow,
    EvaluationRun,
    FlagRow,
    ProcessRow,
    RunAgencyRuleStat,
    utcnow,
)
from engine.store.scope import READ, SELF_ASSESS, NotFound, PermissionDenied, Scope

ITEM_STATUSES = ("compliant", "partial", "non_compliant", "not_applicable", "no_data")
ITEM_STATUS_NAMES = {"compliant": ("เป็นไปตามมาตรการ", "Compliant"), "partial": ("เป็นไปตามบางส่วน", "Partial"),
                     "non_compliant": ("ไม่เป็นไปตามมาตรการ", "Non-compliant"),
                     "not_applicable": ("ไม่เกี่ยวข้อง", "Not applicable"),
                     "no_data": ("ยังไม่ได้ประเมิน — ไม่มีข้อมูล", "Not assessed — no data")}
# statuses the score leaves out: not applicable, and not assessed for want of data
NOT_SCORED = ("not_applicable", "no_data")
ASSESSED_RUN = ("succeeded", "partial")  # a partial run evaluated every agency it has rows for
ASSESSMENT_STATUS_NAMES = {"not_started": ("ยังไม่เริ่ม", "Not started"), "draft": ("ร่าง", "Draft"),
                           "submitted": ("ส่งแล้ว", "Submitted")}
ACTIVE = ("open", "needs_info", "confirmed")
MAX_FILE = 10 * 1024 * 1024


def _may_open(scope: Scope) -> None:
    if not scope.all_agencies or not scope.can(SELF_ASSESS):
        raise PermissionDenied(f"{scope.username} may not open a campaign")


def create_campaign(session: Session, scope: Scope, fiscal_year: int, due_date: dt.date) -> Campaign:
    """Open the self-assessment campaign of a fiscal year; its opening is the first entry of the
    campaign's trail (``campaign_entries``). Years and dates outside the data's years ±2 are
    refused (``province.check_date``): a slip of the keyboard would stay for good."""
    from engine.store.province import check_date, check_fiscal_year

    _may_open(scope)
    check_fiscal_year(session, scope, fiscal_year)
    check_date(session, scope, due_date, "กำหนดส่ง", "the due date")
    if session.scalar(select(Campaign).where(Campaign.fiscal_year == fiscal_year)):
        raise UsageError(f"มีรอบการประเมินของปีงบประมาณ {fiscal_year} อยู่แล้ว หากกำหนดส่งผิด ให้แก้ไขกำหนดส่งของรอบนั้น / "
                         f"a campaign for fiscal year {fiscal_year} exists already: correct its due date instead")
    campaign = Campaign(fiscal_year=fiscal_year, due_date=due_date, created_by=scope.username)
    session.add(campaign)
    session.flush()
    audit.append(session, CampaignEntryRow, [{"actor": scope.username, "campaign_id": campaign.id,
                                              "fiscal_year": fiscal_year, "action": "opened", "due_date": due_date}])
    return campaign


def correct_campaign(session: Session, scope: Scope, campaign_id: int, due_date: dt.date, reason: str) -> Campaign:
    """Correct a campaign's due date by a later entry that supersedes the earlier (its trail keeps
    every entry: who, when, the date before and why)."""
    from engine.store.province import check_date

    _may_open(scope)
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"no campaign {campaign_id}")
    check_date(session, scope, due_date, "กำหนดส่ง", "the due date")
    why = (reason or "").strip()
    if not why:
        raise UsageError("ต้องระบุเหตุผลของการแก้ไข / a reason for the correction is required")
    if due_date == campaign.due_date:
        raise UsageError(f"กำหนดส่งเป็น {format_date(due_date)} อยู่แล้ว ไม่มีสิ่งที่ต้องแก้ไข / the campaign is due "
                         f"{due_date.isoformat()} already: nothing to correct")
    campaign.due_date = due_date
    session.flush()
    audit.append(session, CampaignEntryRow, [{"actor": scope.username, "campaign_id": campaign.id,
                                              "fiscal_year": campaign.fiscal_year, "action": "corrected",
                                              "due_date": due_date, "reason": why}])
    return campaign


def campaign_history(session: Session, scope: Scope, campaign_id: int | None = None) -> list[CampaignEntryRow]:
    """The campaigns' entries (one campaign's with ``campaign_id``), oldest first."""
    scope.require(READ)
    stmt = select(CampaignEntryRow).order_by(CampaignEntryRow.id)
    if campaign_id is not None:
        stmt = stmt.where(CampaignEntryRow.campaign_id == campaign_id)
    return list(session.scalars(stmt))


def campaigns(session: Session, scope: Scope) -> list[Campaign]:
    """Every campaign (they belong to the province, not to an agency)."""
    scope.require(READ)
    return list(session.scalars(select(Campaign).order_by(Campaign.fiscal_year.desc())))


def evaluated_subjects(session: Session, scope: Scope, agency_id: str) -> tuple[EvaluationRun, dict[str, int]] | None:
    """The latest succeeded run that evaluated the agency, and per measure the subjects its
    rules evaluated there (``RunAgencyRuleStat``); None when no run evaluated the agency."""
    scope.require(READ)
    if not scope.sees(agency_id):
        raise NotFound(f"no agency {agency_id}")
    run_id = session.scalar(select(func.max(RunAgencyRuleStat.run_id))
                            .join(EvaluationRun, EvaluationRun.id == RunAgencyRuleStat.run_id)
                            .where(RunAgencyRuleStat.agency_id == agency_id, EvaluationRun.status.in_(ASSESSED_RUN)))
    if run_id is None:
        return None
    by_measure: dict[str, int] = {}
    for rule_id, n in session.execute(select(RunAgencyRuleStat.rule_id, RunAgencyRuleStat.evaluated).where(
            RunAgencyRuleStat.run_id == run_id, RunAgencyRuleStat.agency_id == agency_id)):
        measure = rule_id.split("-", 1)[0]  # a rule id starts with its measure (rules.py checks it)
        by_measure[measure] = by_measure.get(measure, 0) + n
    return session.get(EvaluationRun, run_id), by_measure


def propose(session: Session, scope: Scope, agency_id: str) -> dict[str, tuple[str, str]]:
    """measure -> (proposed status, why), from the agency's flags and their review.

    A measure whose rules evaluated no subject of the agency in the latest run that evaluated
    it (or with no such run) and that has no open flag is ``no_data``, never compliant: no
    flag there means nothing was looked at, not that all is well."""
    scope.require(READ)
    if not scope.sees(agency_id):
        raise NotFound(f"no agency {agency_id}")
    evaluated = evaluated_subjects(session, scope, agency_id)
    counts: dict[str, dict[str, int]] = {}
    for measure, status, severity in session.execute(
            select(FlagRow.measure, FlagRow.status, FlagRow.severity).where(FlagRow.agency_id == agency_id)):
        c = counts.setdefault(measure, {"active_high": 0, "active": 0, "reviewed": 0})
        if status in ACTIVE:
            c["active"] += 1
            c["active_high"] += severity == "high"
        elif status != "cleared_by_data":
            c["reviewed"] += 1
    serves_public = session.scalar(select(ProcessRow.process_id).where(
        ProcessRow.agency_id == agency_id, ProcessRow.public_service.is_(True)).limit(1)) is not None
    out = {}
    for m in load_kb().measures:
        c = counts.get(m.id, {"active_high": 0, "active": 0, "reviewed": 0})
        if m.id == "1.6" and not serves_public:
            out[m.id] = ("not_applicable", "no public-service process / ไม่มีกระบวนงานบริการประชาชน")
        elif c["active_high"]:
            out[m.id] = ("non_compliant", f"{c['active']} open flags, {c['active_high']} high / "
                                          f"ข้อสังเกตที่ยังไม่ยุติ {c['active']} รายการ ระดับสูง {c['active_high']}")
        elif c["active"]:
            out[m.id] = ("partial", f"{c['active']} open flags, none high / ข้อสังเกตที่ยังไม่ยุติ {c['active']} รายการ")
        elif evaluated is None:
            out[m.id] = ("no_data", "no evaluation run has evaluated this agency / ยังไม่มีการประมวลผลข้อมูลของหน่วยงานนี้")
        elif not evaluated[1].get(m.id):
            run = evaluated[0]
            out[m.id] = ("no_data", f"run {run.id} (as of {run.as_of.isoformat()}) evaluated no subject of this measure "
                                    f"/ การประมวลผลครั้งที่ {run.id} (ณ วันที่ {format_date(run.as_of)}) "
                                    "ไม่มีข้อมูลของหน่วยงานที่ต้องตรวจสอบตามมาตรการข้อนี้")
        else:
            out[m.id] = ("compliant", f"no open flags ({c['reviewed']} reviewed) / ไม่มีข้อสังเกตค้าง "
                                      f"(พิจารณาแล้ว {c['reviewed']})")
    return out


def assessment(session: Session, scope: Scope, campaign_id: int, agency_id: str) -> Assessment:
    """The agency's assessment in the campaign. The first open by someone who may fill it in
    creates it with the proposed items; anyone else (a provincial officer, the ethics
    committee) gets an unsaved ``not_started`` view of the proposals: viewing writes nothing."""
    scope.require(READ)
    if not scope.sees(agency_id):
        raise NotFound(f"no assessment of {agency_id}")
    found = session.scalar(select(Assessment).where(Assessment.campaign_id == campaign_id,
                                                    Assessment.agency_id == agency_id))
    if found:
        return found
    if session.get(Campaign, campaign_id) is None:
        raise NotFound(f"no campaign {campaign_id}")
    if not scope.can(SELF_ASSESS):
        return Assessment(id=None, campaign_id=campaign_id, agency_id=agency_id, status="not_started")
    found = Assessment(campaign_id=campaign_id, agency_id=agency_id, status="draft")
    session.add(found)
    session.flush()
    for measure, (status, why) in propose(session, scope, agency_id).items():
        session.add(AssessmentItem(assessment_id=found.id, measure_id=measure, proposed_status=status,
                                   proposed_basis=why, status=status))
    audit.append(session, AssessmentEvent, [{"assessment_id": found.id, "actor": scope.username, "action": "created"}])
    session.flush()
    return found


def items(session: Session, scope: Scope, assessment: int | Assessment) -> list[AssessmentItem]:
    """The items of an assessment (by id, or as returned by ``assessment``), in measure order;
    for an unsaved view, the proposals (not saved either)."""
    scope.require(READ)
    order = {m: i for i, m in enumerate(load_kb().measure_ids())}
    if isinstance(assessment, Assessment) and assessment.id is None:
        return [AssessmentItem(measure_id=m, proposed_status=st, proposed_basis=why, status=st, version=1)
                for m, (st, why) in propose(session, scope, assessment.agency_id).items()]
    assessment_id = assessment.id if isinstance(assessment, Assessment) else assessment
    owner = session.get(Assessment, assessment_id)
    if owner is None or not scope.sees(owner.agency_id):
        raise NotFound(f"no assessment {assessment_id}")
    rows = session.scalars(select(AssessmentItem).where(AssessmentItem.assessment_id == assessment_id)).all()
    return sorted(rows, key=lambda r: order[r.measure_id])


def score(rows: list[AssessmentItem]) -> float | None:
    """Compliant 1, partial ½, non-compliant 0, over the applicable items, as a percentage.
    Not applicable and "not assessed — no data" items are not applicable here: they count
    neither for nor against the agency."""
    applicable = [r for r in rows if r.status not in NOT_SCORED]
    if not applicable:
        return None
    points = sum(1.0 if r.status == "compliant" else 0.5 if r.status == "partial" else 0.0 for r in applicable)
    return round(100 * points / len(applicable), 1)


def _editable(session: Session, scope: Scope, item_id: int) -> tuple[AssessmentItem, Assessment]:
    item = session.get(AssessmentItem, item_id)
    if item is None:
        raise NotFound(f"no assessment item {item_id}")
    owner = session.get(Assessment, item.assessment_id)
    if not scope.sees(owner.agency_id):
        raise NotFound(f"no assessment item {item_id}")
    scope.require(SELF_ASSESS, owner.agency_id)
    if owner.status == "submitted":
        raise UsageError("this self-assessment was submitted and is locked")
    return item, owner


def evidence_file(session: Session, scope: Scope, item_id: int) -> tuple[str, bytes] | None:
    item = session.get(AssessmentItem, item_id)
    owner = session.get(Assessment, item.assessment_id) if item else None
    if owner is None or not scope.sees(owner.agency_id):
        raise NotFound(f"no assessment item {item_id}")
    return (item.evidence_file_name, item.evidence_file) if item.evidence_file_name else None


def update_item(session: Session, scope: Scope, item_id: int, status: str, override_reason: str | None = None,
                evidence_url: str | None = None, evidence_note: str | None = None,
                evidence_file: tuple[str, bytes] | None = None, expected_version: int | None = None) -> AssessmentItem:
    item, owner = _editable(session, scope, item_id)
    if status not in ITEM_STATUSES:
        raise UsageError(f"status must be one of {', '.join(ITEM_STATUSES)}")
    reason = (override_reason or "").strip() or None
    if status != item.proposed_status and not reason:
        raise UsageError(f"{item.measure_id}: changing the proposed status ({item.proposed_status}) needs a reason")
    if evidence_file and len(evidence_file[1]) > MAX_FILE:
        raise UsageError(f"an evidence file is at most {MAX_FILE // 2**20} MB")
    if evidence_file:  # PDF, PNG, JPEG, DOCX or XLSX by what it holds, never by its name
        check_evidence_file(*evidence_file)
    if expected_version is not None and item.version != expected_version:
        raise StaleFlag(f"{item.measure_id} was changed by someone else; your entries are kept in the form")
    before = {"status": item.status}
    item.status, item.override_reason = status, reason if status != item.proposed_status else None
    item.evidence_url = (evidence_url or "").strip() or item.evidence_url
    item.evidence_note = (evidence_note or "").strip() or item.evidence_note
    if evidence_file:
        item.evidence_file_name, item.evidence_file = evidence_file
    item.updated_by, item.updated_at = scope.username, utcnow()
    try:
        session.flush()
    except StaleDataError:
        raise StaleFlag(f"{item.measure_id} was changed by someone else; your entries are kept in the form") from None
    audit.append(session, AssessmentEvent, [{
        "assessment_id": owner.id, "actor": scope.username, "action": "item_updated", "measure_id": item.measure_id,
        "details": {"from": before["status"], "to": status, "reason": item.override_reason,
                    "evidence_url": item.evidence_url, "evidence_file": item.evidence_file_name}}])
    return item


def submit(session: Session, scope: Scope, assessment_id: int) -> Assessment:
    owner = session.get(Assessment, assessment_id)
    if owner is None or not scope.sees(owner.agency_id):
        raise NotFound(f"no assessment {assessment_id}")
    if scope.role not in ("agency_head", "admin"):
        raise PermissionDenied("only the head of the agency submits the self-assessment")
    scope.require(SELF_ASSESS, owner.agency_id)
    if owner.status == "submitted":
        raise UsageError("already submitted")
    rows = items(session, scope, assessment_id)
    owner.score = score(rows)
    owner.status, owner.submitted_at, owner.submitted_by = "submitted", utcnow(), scope.username
    session.flush()
    audit.append(session, AssessmentEvent, [{"assessment_id": owner.id, "actor": scope.username, "action": "submitted",
                                             "details": {"score": owner.score,
                                                         "items": {r.measure_id: r.status for r in rows}}}])
    return owner


def overview(session: Session, scope: Scope, campaign_id: int | None) -> list[dict[str, Any]]:
    """Per agency the user sees: the assessment status and score in a campaign (the provincial view)."""
    scope.require(READ)
    found = {} if campaign_id is None else {a.agency_id: a for a in session.scalars(
        select(Assessment).where(Assessment.campaign_id == campaign_id))}
    out = []
    for agency in session.scalars(select(AgencyRow).order_by(AgencyRow.agency_id)):
        if not scope.sees(agency.agency_id):
            continue
        a = found.get(agency.agency_id)
        rows = items(session, scope, a.id) if a else []
        out.append({"agency_id": agency.agency_id, "name": agency.name,
                    "status": a.status if a else "not_started",
                    "score": a.score if a and a.status == "submitted" else score(rows) if rows else None,
                    "submitted_at": a.submitted_at if a else None})
    return out
