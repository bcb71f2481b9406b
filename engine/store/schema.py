"""Tables. The dataset tables mirror the exchange format (engine/models.py) column for column."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from engine.domain.models import ID_MAX_LENGTH, USER_NAME_MAX_LENGTH

NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


Id = String(ID_MAX_LENGTH)  # the loader refuses longer ids (engine/models.py)
SEVERITY_RANK = "CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END"


class DatasetImport(Base):
    __tablename__ = "dataset_imports"
    id: Mapped[int] = mapped_column(primary_key=True)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    agencies: Mapped[list[Any]] = mapped_column(JSON)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)


class AgencyRow(Base):
    __tablename__ = "agencies"
    agency_id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    serves_public: Mapped[bool] = mapped_column(Boolean)
    name_en: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(Text)


class ProcessRow(Base):
    __tablename__ = "processes"
    process_id: Mapped[str] = mapped_column(Id, primary_key=True)
    agency_id: Mapped[str] = mapped_column(Id, index=True)
    name: Mapped[str] = mapped_column(Text)
    discretionary: Mapped[bool] = mapped_column(Boolean)
    public_service: Mapped[bool] = mapped_column(Boolean)
    work_manual: Mapped[str | None] = mapped_column(Text)
    work_manual_reviewed_on: Mapped[dt.date | None] = mapped_column(Date)
    citizen_manual_url: Mapped[str | None] = mapped_column(Text)
    citizen_manual_at_office: Mapped[bool | None] = mapped_column(Boolean)
    standard_days: Mapped[int | None] = mapped_column(Integer)
    day_basis: Mapped[str | None] = mapped_column(String(16))
    it_system: Mapped[str | None] = mapped_column(Text)
    licensing: Mapped[bool | None] = mapped_column(Boolean)
    review_sample_percent: Mapped[int | None] = mapped_column(Integer)
    it_exempt_reason: Mapped[str | None] = mapped_column(Text)
    affects_others: Mapped[bool | None] = mapped_column(Boolean)


class OfficerRow(Base):
    __tablename__ = "officers"
    officer_id: Mapped[str] = mapped_column(Id, primary_key=True)
    agency_id: Mapped[str] = mapped_column(Id, index=True)
    name: Mapped[str] = mapped_column(Text)
    position: Mapped[str | None] = mapped_column(Text)
    supervisor_id: Mapped[str | None] = mapped_column(Id)
    in_position_since: Mapped[dt.date | None] = mapped_column(Date)
    ethics_acknowledged_on: Mapped[dt.date | None] = mapped_column(Date)
    rotation_post: Mapped[bool | None] = mapped_column(Boolean)


class CaseRow(Base):
    __tablename__ = "cases"
    case_id: Mapped[str] = mapped_column(Id, primary_key=True)
    agency_id: Mapped[str] = mapped_column(Id, index=True)  # the process's agency, for scoping
    process_id: Mapped[str] = mapped_column(Id)
    officer_id: Mapped[str] = mapped_column(Id)
    received_on: Mapped[dt.date] = mapped_column(Date)
    discretion_used: Mapped[bool] = mapped_column(Boolean)
    applicant_id: Mapped[str | None] = mapped_column(Id)
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(Text)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(Id)
    reviewed_on: Mapped[dt.date | None] = mapped_column(Date)
    deviation: Mapped[str | None] = mapped_column(Text)
    via_it_system: Mapped[bool | None] = mapped_column(Boolean)
    override_reason: Mapped[str | None] = mapped_column(Text)
    applicant_related: Mapped[bool | None] = mapped_column(Boolean)
    coi_declared: Mapped[bool | None] = mapped_column(Boolean)
    complete_on: Mapped[dt.date | None] = mapped_column(Date)
    applicant_kind: Mapped[str | None] = mapped_column(String(16))
    coi_permitted_by: Mapped[str | None] = mapped_column(Id)
    coi_ground: Mapped[str | None] = mapped_column(String(8))
    coi_exception: Mapped[str | None] = mapped_column(Text)
    # an officer may decide another agency's cases: a post evaluates its agency's officers with
    # those too (engine/store/intake.py), found by this index (migration 0020)
    __table_args__ = (Index("ix_cases_officer_agency", "officer_id", "agency_id"),)


class EscalationRow(Base):
    __tablename__ = "escalations"
    report_id: Mapped[str] = mapped_column(Id, primary_key=True)
    agency_id: Mapped[str] = mapped_column(Id, index=True)
    case_id: Mapped[str] = mapped_column(Id, index=True)
    reported_by: Mapped[str] = mapped_column(Id)
    reported_to: Mapped[str] = mapped_column(Id)
    reported_on: Mapped[dt.date] = mapped_column(Date)
    investigated_on: Mapped[dt.date | None] = mapped_column(Date)
    finding: Mapped[str | None] = mapped_column(Text)
    corrective_action: Mapped[str | None] = mapped_column(Text)


class RiskAnalysisRow(Base):
    __tablename__ = "risk_analyses"
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[str] = mapped_column(Id, index=True)
    analysed_on: Mapped[dt.date] = mapped_column(Date)
    ethics_committee: Mapped[bool] = mapped_column(Boolean)
    rotation_considered: Mapped[bool | None] = mapped_column(Boolean)
    notes: Mapped[str | None] = mapped_column(Text)
    # an analysis recorded in the app (source "app") survives re-imports of the agency's data
    source: Mapped[str] = mapped_column(String(8), default="import", server_default="import")
    participants: Mapped[str | None] = mapped_column(Text)
    risks: Mapped[str | None] = mapped_column(Text)
    rotation_plan: Mapped[str | None] = mapped_column(Text)
    controls: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str | None] = mapped_column(String(64))


class MonitoringReportRow(Base):
    __tablename__ = "monitoring_reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[str] = mapped_column(Id, index=True)
    reported_on: Mapped[dt.date] = mapped_column(Date)
    by: Mapped[str | None] = mapped_column(Id)


class AcknowledgementRow(Base):
    __tablename__ = "acknowledgements"
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[str] = mapped_column(Id, index=True)
    staff_total: Mapped[int] = mapped_column(Integer)
    staff_acknowledged: Mapped[int] = mapped_column(Integer)
    published_url: Mapped[str | None] = mapped_column(Text)
    reported_on: Mapped[dt.date | None] = mapped_column(Date)
    fiscal_year: Mapped[int | None] = mapped_column(Integer)


class DelayNoticeRow(Base):
    __tablename__ = "delay_notices"
    notice_id: Mapped[str] = mapped_column(Id, primary_key=True)
    agency_id: Mapped[str] = mapped_column(Id, index=True)  # the case's agency, for scoping
    case_id: Mapped[str] = mapped_column(Id, index=True)
    notified_on: Mapped[dt.date] = mapped_column(Date)
    opdc_copied: Mapped[bool | None] = mapped_column(Boolean)


class ParameterOverrideRow(Base):
    __tablename__ = "parameter_overrides"
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[str] = mapped_column(Id, index=True)
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    process_id: Mapped[str | None] = mapped_column(Id)
    effective_from: Mapped[dt.date | None] = mapped_column(Date)


DATASET_ROWS: dict[str, type[Base]] = {
    "agencies": AgencyRow, "processes": ProcessRow, "officers": OfficerRow, "cases": CaseRow,
    "escalations": EscalationRow, "risk_analyses": RiskAnalysisRow, "monitoring_reports": MonitoringReportRow,
    "acknowledgements": AcknowledgementRow, "delay_notices": DelayNoticeRow, "parameters": ParameterOverrideRow,
}


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(USER_NAME_MAX_LENGTH), unique=True)
    display_name: Mapped[str] = mapped_column(Text)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(32))
    agency_id: Mapped[str | None] = mapped_column(Id)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # a login session that began before this moment is over (set on disable, password reset
    # and role or agency change); the app checks it on every page
    sessions_valid_after: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # the officer of the imported data this account belongs to (migration 0019): a linked user may
    # not decide a flag about their own decision, review or report (engine/store/conflicts.py)
    officer_id: Mapped[str | None] = mapped_column(Id)
    # no two names differ only in case (migration 0019 refuses a store where two do)
    __table_args__ = (Index("uq_users_username_lower", func.lower(username), unique=True),)


class UserEvent(Base):
    """Who changed which user account, how: appended only, hash-chained (engine/store/audit.py)."""

    __tablename__ = "user_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    username: Mapped[str] = mapped_column(String(64), index=True)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")  # 0: before keys (0017)


class LoginAttempt(Base):
    """Every login attempt, kept for audit and to slow down password guessing (migration 0013:
    by source and by name; a failed attempt's name only as a keyed hash, ``access.name_hash``)."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str | None] = mapped_column(String(64), index=True)  # successful logins only
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    success: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str | None] = mapped_column(String(64), index=True)  # the client's address, as the app sees it
    name_hash: Mapped[str | None] = mapped_column(String(64), index=True)


class EvaluationRun(Base):
    __tablename__ = "evaluation_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    as_of: Mapped[dt.date] = mapped_column(Date)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    kb_version: Mapped[str] = mapped_column(String(64))
    rules_version: Mapped[str] = mapped_column(String(64))
    # the rule catalogue's version (SPEC §3): runs before catalogue v2 are "1"
    catalogue: Mapped[str] = mapped_column(String(16), default="2", server_default="1")
    dataset_import_id: Mapped[int | None] = mapped_column(ForeignKey("dataset_imports.id"))
    agencies: Mapped[list[Any]] = mapped_column(JSON)
    triggered_by: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="running")
    error: Mapped[str | None] = mapped_column(Text)
    flags_total: Mapped[int] = mapped_column(Integer, default=0)
    flags_new: Mapped[int] = mapped_column(Integer, default=0)
    flags_reopened: Mapped[int] = mapped_column(Integer, default=0)
    flags_cleared: Mapped[int] = mapped_column(Integer, default=0)
    # the process running it: a run left "running" by a process that is gone is marked failed
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))


class RunRuleStat(Base):
    __tablename__ = "run_rule_stats"
    run_id: Mapped[int] = mapped_column(ForeignKey("evaluation_runs.id"), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    evaluated: Mapped[int] = mapped_column(Integer)
    flagged: Mapped[int] = mapped_column(Integer)


class RunAgencyRuleStat(Base):
    """Per run, agency and rule: the subjects the rule evaluated in the agency's partition (the
    facts of its kind to which it applies, see ``applies_to`` in rules/*.yaml). An agency with
    no row in a run was not evaluated by it; zero means evaluated and nothing to evaluate."""

    __tablename__ = "run_agency_rule_stats"
    run_id: Mapped[int] = mapped_column(ForeignKey("evaluation_runs.id"), primary_key=True)
    agency_id: Mapped[str] = mapped_column(Id, primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    evaluated: Mapped[int] = mapped_column(Integer)
    __table_args__ = (Index("ix_run_agency_rule_stats_agency", "agency_id", "run_id"),)


class CalendarEntryRow(Base):
    """A correction of the government calendar recorded by an administrator (e.g. a day off the
    cabinet declared): appended only and hash-chained (engine/store/audit.py). The latest
    entry for a date wins, so a mistaken entry is undone by a new one, never by an edit."""

    __tablename__ = "calendar_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(8))  # add (a day off) | remove (a working day)
    name_th: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")  # 0: before keys (0017)


class AcknowledgementRoundRow(Base):
    """An acknowledgement round (guidelines 2.1–2.3) an administrator opened: the fiscal year's
    deadline and the letter that sets it. Appended only and hash-chained; the latest entry for
    a fiscal year wins (a corrected deadline is a new entry)."""

    __tablename__ = "acknowledgement_rounds"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    fiscal_year: Mapped[int] = mapped_column(Integer, index=True)  # Buddhist Era
    deadline: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")  # 0: before keys (0017)
    # the province's letter that opened the round (migration 0018; empty in rounds opened before):
    # the acknowledgement form is addressed to its signatory and cites it (SPEC §5)
    letter_number: Mapped[str | None] = mapped_column(Text)
    letter_date: Mapped[dt.date | None] = mapped_column(Date)
    subject: Mapped[str | None] = mapped_column(Text)
    signatory: Mapped[str | None] = mapped_column(Text)


class ItaItemRow(Base):
    """The ITA item(s) an administrator recorded for a fiscal year (the NACC renumbers its items
    every year; ``kb/ita.yaml`` holds the ones known when the release was made). Appended only
    and hash-chained; the latest entry for a fiscal year is in force (migration 0018)."""

    __tablename__ = "ita_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    fiscal_year: Mapped[int] = mapped_column(Integer, index=True)  # Buddhist Era
    items: Mapped[str] = mapped_column(Text)  # as the NACC's manual numbers them, e.g. "O39, O40"
    indicator: Mapped[str | None] = mapped_column(Text)  # e.g. "10.2", when the year's manual has one
    title_th: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")


class CampaignEntryRow(Base):
    """A self-assessment campaign opened or corrected (its due date): appended only and
    hash-chained; the latest entry for a campaign is in force and ``campaigns.due_date`` follows
    it (migration 0018: the campaigns opened before have their opening recorded)."""

    __tablename__ = "campaign_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # opened | corrected
    due_date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")


class AuditSeal(Base):
    """Where each audit trail stood when it was sealed under a key (migration 0017, and each
    ``audit rotate-key``): from the event after ``last_id`` on, every event of ``chain`` is
    keyed with ``key_id`` or a later key, and the trail must still pass through ``last_hash``
    at ``last_id``. A trail of its own: appended only, hash-chained and keyed (engine/store/audit.py)."""

    __tablename__ = "audit_seals"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    chain: Mapped[str] = mapped_column(String(64))
    last_id: Mapped[int | None] = mapped_column(Integer)  # none: the trail was empty
    last_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")


FLAGS_FILLFACTOR = 60


class FlagRow(Base):
    __tablename__ = "flags"
    flag_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(64), index=True)
    measure: Mapped[str] = mapped_column(String(8), index=True)
    severity: Mapped[str] = mapped_column(String(8))
    # 0 high, 1 medium, 2 low: computed by the database from severity (never written, never
    # out of step), so the queue's severity sort walks an index (migration 0007)
    severity_rank: Mapped[int | None] = mapped_column(SmallInteger, Computed(SEVERITY_RANK))
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(Id)
    agency_id: Mapped[str] = mapped_column(Id)
    applicant: Mapped[str | None] = mapped_column(Id)
    process_id: Mapped[str | None] = mapped_column(Id, index=True)
    officer_id: Mapped[str | None] = mapped_column(Id, index=True)
    event_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16))
    message_th: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    evidence_key: Mapped[str] = mapped_column(String(64))
    # a digest of everything a run writes into the flag but the run's own bookkeeping (as_of,
    # last_run_id, updated_at): a re-run rewrites only the flags whose digest moved (migration 0009)
    content_key: Mapped[str | None] = mapped_column(String(32))
    previous_evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    changed_fields: Mapped[list[Any] | None] = mapped_column(JSON)
    as_of: Mapped[dt.date] = mapped_column(Date)
    first_run_id: Mapped[int] = mapped_column(ForeignKey("evaluation_runs.id"))
    last_run_id: Mapped[int] = mapped_column(ForeignKey("evaluation_runs.id"))
    corrective_action: Mapped[str | None] = mapped_column(Text)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    waiver_approver: Mapped[str | None] = mapped_column(Text)
    waiver_expires_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic locking: no silent overwrite

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_flags_queue", "agency_id", "status", "severity"),
                      Index("ix_flags_severity_order", "severity_rank", text("event_date DESC"), "flag_id", "status"),
                      Index("ix_flags_agency_severity_order", "agency_id", "severity_rank", text("event_date DESC"),
                            "flag_id", "status"),
                      # the waivers a run must first expire: a handful, found without reading every flag
                      Index("ix_flags_waiver_expiry", "waiver_expires_on"),
                      # PostgreSQL: pages 60 % full, so that a run's new as_of, run id and time fit
                      # beside the old row on its page (a HOT update: no index touched); full pages
                      # made that update 4× slower (migration 0009)
                      {"postgresql_with": {"fillfactor": FLAGS_FILLFACTOR}})


class FlagEvent(Base):
    """The audit trail: appended, never updated or deleted (a database trigger refuses both)."""

    __tablename__ = "flag_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[str] = mapped_column(ForeignKey("flags.flag_id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_runs.id"))
    prev_hash: Mapped[str | None] = mapped_column(String(64))  # the hash chain: engine/store/audit.py
    row_hash: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")  # 0: before keys (0017)


class Campaign(Base):
    """A self-assessment round for one fiscal year."""

    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer, unique=True)  # Buddhist Era, e.g. 2569
    due_date: Mapped[dt.date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Assessment(Base):
    __tablename__ = "assessments"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    agency_id: Mapped[str] = mapped_column(Id, index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | submitted
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    submitted_by: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[float | None] = mapped_column()
    __table_args__ = (UniqueConstraint("campaign_id", "agency_id", name="uq_assessments_campaign_agency"),)


class AssessmentItem(Base):
    __tablename__ = "assessment_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    measure_id: Mapped[str] = mapped_column(String(8))
    proposed_status: Mapped[str] = mapped_column(String(16))
    proposed_basis: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    override_reason: Mapped[str | None] = mapped_column(Text)
    evidence_url: Mapped[str | None] = mapped_column(Text)
    evidence_note: Mapped[str | None] = mapped_column(Text)
    evidence_file_name: Mapped[str | None] = mapped_column(Text)
    evidence_file: Mapped[bytes | None] = mapped_column(LargeBinary)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}


class AssessmentEvent(Base):
    """What happened to a self-assessment, appended only (a trigger refuses change)."""

    __tablename__ = "assessment_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    measure_id: Mapped[str | None] = mapped_column(String(8))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str | None] = mapped_column(String(64))  # the hash chain: engine/store/audit.py
    row_hash: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")  # 0: before keys (0017)


class StoreRelease(Base):
    """Which release moved the store's schema to which revision (migration 0014): a release that
    finds a revision it does not know names the release the store needs (``engine.store.health``)."""

    __tablename__ = "store_releases"
    id: Mapped[int] = mapped_column(primary_key=True)
    release: Mapped[str] = mapped_column(String(32))
    revision: Mapped[str] = mapped_column(String(32))
    upgraded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ApiToken(Base):
    """A token with which another system posts one agency's records to the intake API (engine/api):
    made by an administrator, kept only as its SHA-256 (``token_hash``; the token itself is shown
    once), revocable. What happened to it — made, revoked, every use — is in ``api_token_events``."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[str] = mapped_column(Id, index=True)
    label: Mapped[str] = mapped_column(Text)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(64))


class ApiTokenEvent(Base):
    """What happened to the API's tokens: made, revoked, and every use (with its outcome and the
    client's address), refused ones and unknown tokens included. Appended only, hash-chained and
    keyed (engine/store/audit.py)."""

    __tablename__ = "api_token_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # created | revoked | used | refused
    token_id: Mapped[int | None] = mapped_column(Integer, index=True)  # none: a token the store does not know
    agency_id: Mapped[str | None] = mapped_column(Id)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")


class IntakeEvent(Base):
    """One row a post to the intake API stored (engine/store/intake.py): which file and row, what
    it did (inserted, updated, unchanged) and the row's values (an update also the values it
    replaced). Appended only, hash-chained and keyed (engine/store/audit.py)."""

    __tablename__ = "intake_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    agency_id: Mapped[str] = mapped_column(Id, index=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("dataset_imports.id"))  # the post
    file: Mapped[str] = mapped_column(String(32))
    row_key: Mapped[str] = mapped_column(Text)  # the row's id, or its natural key for a file without ids
    action: Mapped[str] = mapped_column(String(16))  # inserted | updated | unchanged
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")


class DutyRow(Base):
    """A duty due soon, as the latest run that evaluated its agency found it (issue 23: what a rule
    would flag if it is left undone, ``FlagRenderer.duty``): a run replaces its agencies' rows in
    the transaction that syncs their flags (migration 0021)."""

    __tablename__ = "duties"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("evaluation_runs.id"))
    agency_id: Mapped[str] = mapped_column(Id)
    rule_id: Mapped[str] = mapped_column(String(64))
    measure: Mapped[str] = mapped_column(String(8))
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(Id)
    applicant: Mapped[str | None] = mapped_column(Id)
    process_id: Mapped[str | None] = mapped_column(Id)
    officer_id: Mapped[str | None] = mapped_column(Id, index=True)
    flag_id: Mapped[str | None] = mapped_column(String(32))  # a confirmed flag's corrective action
    due_on: Mapped[dt.date] = mapped_column(Date)
    working_days_left: Mapped[int] = mapped_column(Integer)  # from the run's as_of
    message_th: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    __table_args__ = (Index("ix_duties_agency_due", "agency_id", "due_on"),)


class InformationRequest(Base):
    """A request for information on a flag, to a named officer, with a reply-by date counted in
    working days on the government calendar (migration 0021). Its asking and its answer are the
    flag's ``request_info`` and ``answer`` events (``details.request_id``), which ``audit verify``
    replays against this row (engine/store/replay.py)."""

    __tablename__ = "information_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[str] = mapped_column(ForeignKey("flags.flag_id"), index=True)
    agency_id: Mapped[str] = mapped_column(Id)
    officer_id: Mapped[str | None] = mapped_column(Id, index=True)  # none: a request made before 0021's form
    question: Mapped[str] = mapped_column(Text)
    asked_by: Mapped[str] = mapped_column(String(64))
    asked_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    reply_within_days: Mapped[int | None] = mapped_column(Integer)  # working days
    reply_by: Mapped[dt.date | None] = mapped_column(Date)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    __table_args__ = (Index("ix_information_requests_agency_reply", "agency_id", "reply_by"),)


class NotificationSetting(Base):
    """How a user is told (migration 0021): the e-mail address the daily digest goes to, its
    language, and whether the user wants it. Set by the user in the app; each change is a
    ``notification_settings`` event in ``user_events``, replayed by ``audit verify``."""

    __tablename__ = "notification_settings"
    username: Mapped[str] = mapped_column(String(USER_NAME_MAX_LENGTH), ForeignKey("users.username"), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))
    lang: Mapped[str] = mapped_column(String(2), default="th", server_default="th")
    digest: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class DigestSent(Base):
    """What ``discretion-review notify`` sent (migration 0021): to whom, for which day, when, how
    many items of each kind, and the message's Message-ID — never its body. One row per user and
    day: a digest is claimed (``sending``) before it is handed to the mail server, so it is never
    sent twice for a day; ``failed`` (the server refused it) may be tried again."""

    __tablename__ = "digests_sent"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(USER_NAME_MAX_LENGTH))
    day: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # sending | sent | failed
    claimed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # new flags are those created after the previous digest's cut-off, up to this one's
    flags_until: Mapped[dt.datetime] = mapped_column(DateTime)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    message_id: Mapped[str] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (UniqueConstraint("username", "day", name="uq_digests_sent_username_day"),)


__all__ = [name for name in dir() if name[0].isupper()] + ["utcnow", "UniqueConstraint"]
