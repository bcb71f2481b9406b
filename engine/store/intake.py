"""An agency's records posted as they happen (the intake API, engine/api): checked, stored, evaluated.

``post_records`` takes a JSON object of files and rows (engine/ingest/records.py) for one agency
and, in one transaction that holds the runs' lock from its first read to its commit:

1. reads the agency's stored rows and puts the posted ones over them (a row with the id of a
   stored one replaces it; a file without ids matches its rows by their natural key,
   ``NATURAL_KEYS``), and checks the result as an import of the agency's data would be
   checked — the loader's checks across rows and files (``loader.check_dataset``: references,
   cycles, dates out of order, parameters) and the store's (``data.store_problems``: ids another
   agency holds, officers nobody has). Any problem refuses the whole post (``IntakeRefused``,
   every problem, a stored row's named by its id) and nothing is written;
2. writes the posted rows (inserted, updated, or left as they were when nothing differs), an
   ``intake_events`` event each (hash-chained and keyed, engine/store/audit.py) and a
   ``dataset_imports`` record of the post;
3. evaluates the agency — only it; of its cases only those posted, when nothing else their flags
   rest on changed since the agency was last evaluated whole (``cases_alone``) — as a store run
   would (its stored parameters, the rounds and days off an administrator recorded, 1.8's
   corrective actions), and brings its flags in step
   with ``sync.sync_flags``, the runs' own: a reviewer's decision is kept while the facts it
   rests on stand, and the flag reopens, with an event, only when they change. The post is
   recorded as a run of that agency.

Why everything under the runs' lock (``db.begin_write("flag_events")``): reviewers' decisions
and runs queue behind a post as they queue behind a run, so a decision is either committed
before the post compares (and kept) or fails its version check after it (and is retyped by
nobody: the reviewer is told). The post also takes ``"dataset_imports"``'s lock, under which
imports number their record: an import commits wholly before or after the post's reading, and
a run that read the store before a post committed leaves that agency's flags as the post made
them (``runs.posted_since``). On SQLite the first lock is the database's one write lock.

An officer of the agency who decided another agency's cases is evaluated with those cases too
(a run sees every case); an officer of another agency who decided this agency's cases keeps
the officer flags of the last run until the next one, which evaluates every agency.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from itertools import count
from operator import attrgetter
from typing import Any

from pydantic_core import ArgsKwargs
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from engine.domain.calendar import today
from engine.domain.errors import EvaluationError, InputError, InputProblem
from engine.domain.models import TABLE_BY_NAME, TABLES, Dataset
from engine.evaluation.run import evaluated_subjects, iter_partitions
from engine.ingest.limits import ReadLimits
from engine.ingest.loader import check_dataset
from engine.ingest.records import read_records
from engine.kb.knowledge import ParameterResolver, government_calendar
from engine.rules.catalogue import RuleCatalogue, default_catalogue
from engine.store import audit, province
from engine.store.data import OFFICER_REFERENCES, read_rows, existing_ids, store_problems
from engine.store.bulk import bulk_insert, bulk_update
from engine.store.db import begin_write
from engine.store.review import expire_waivers
from engine.store import duties
from engine.store.runs import CATALOGUE_VERSION, run_parameters, rules_version
from engine.store.sync import sync_flags
from engine.store.schema import (
    DATASET_ROWS,
    CaseRow,
    DatasetImport,
    EvaluationRun,
    FlagRow,
    IntakeEvent,
    OfficerRow,
    ProcessRow,
    RunAgencyRuleStat,
    RunRuleStat,
    utcnow,
)
from engine.store.scope import IMPORT, PermissionDenied, Scope
from engine.store.tokens import ACTOR

# The files whose rows have no id: a posted row replaces the stored rows of its agency with the
# same values in these columns (an acknowledgement is its agency's row for a round: fiscal_year,
# empty = 2562; a parameter is set once per process, name and effective date, SPEC §2 v3).
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "risk_analyses": ("analysed_on",), "monitoring_reports": ("reported_on",),
    "acknowledgements": ("fiscal_year",), "parameters": ("process_id", "name", "effective_from"),
}
# files whose rows name their agency in a column (the others belong to their case's agency)
AGENCY_COLUMN = ("agencies", "processes", "officers", "risk_analyses", "monitoring_reports", "acknowledgements",
                 "parameters")
FLAG_FIELDS = ("flag_id", "rule_id", "measure", "severity", "subject_type", "subject_id", "status",
               "message_th", "message_en")


class IntakeRefused(InputError):
    """A post with problems: nothing of it was stored (``problems``: every one found)."""


class OtherAgency(PermissionDenied):
    """A post whose rows name another agency than the one it is posted for (``problems``)."""

    def __init__(self, message: str, problems: list[InputProblem]):
        super().__init__(message)
        self.problems = problems


@dataclass
class Posted:
    """What a post stored and what its evaluation changed."""

    import_id: int
    run_id: int
    as_of: dt.date
    stored: dict[str, dict[str, int]]  # file -> inserted / updated / unchanged
    flags: dict[str, list[dict[str, Any]]]  # opened / reopened / cleared: each flag's FLAG_FIELDS
    current: list[dict[str, Any]]  # the flags of the posted cases, processes, officers and agency now
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StoredRowProblem(InputProblem):
    """A problem of a stored row (not one of the post's: a posted row that made it one names
    another row, say): ``file`` names the file and the row, ``table`` and ``key`` say them apart."""

    table: str = ""
    key: str = ""


def _stored_problem(table: str, key: str, column: str | None, value: str | None, reason: str) -> StoredRowProblem:
    return StoredRowProblem(f"{table} ({key}: ข้อมูลที่บันทึกไว้แล้ว / stored)", None, column, value, reason, table, key)


def post_records(session_factory: Callable[[], Session], scope: Scope, agency_id: str, records: Mapping[str, Any],
                 as_of: dt.date | None = None, *, catalogue: RuleCatalogue | None = None, jobs: int | None = None,
                 limits: ReadLimits | None = None, source: str = "",
                 before_commit: Callable[[Session, Posted], None] | None = None) -> Posted:
    """Store ``records`` (file -> rows, JSON values) for ``agency_id``, evaluate the agency at
    ``as_of`` (default today, Bangkok) and sync its flags: see the module's doc. Raises
    ``PermissionDenied`` (the scope may not import for the agency), ``OtherAgency``,
    ``IntakeRefused`` or ``EvaluationError``, having stored nothing. ``before_commit`` is called
    in the transaction, last (the API records the token's use there)."""
    scope.require(IMPORT, agency_id)
    posted, problems, warnings, refused = read_records(records, limits)
    if not problems and not any(getattr(posted, t.name) for t in TABLES):
        raise IntakeRefused([InputProblem(
            "records", None, None, None, "ไม่มีแถวข้อมูลให้บันทึก: ส่งออบเจกต์ที่มีรายการแถวของไฟล์อย่างน้อยหนึ่งไฟล์ เช่น "
            "{\"cases\": [...]} / nothing to store: post an object with the rows of at least one file, e.g. "
            "{\"cases\": [...]}")], warnings)
    problems += _repeated_keys(posted)
    others = _other_agency_rows(posted, agency_id)
    if others:
        raise OtherAgency(f"{scope.username} may post for agency {agency_id} only: rows name another agency", others)
    catalogue = catalogue or default_catalogue()
    as_of = as_of or today()
    with session_factory() as session, session.begin():
        if not problems:  # it may write: the runs' lock, to commit (the module's doc); imports commit
            begin_write(session, "flag_events")  # before this reads, or after this commits
            begin_write(session, "dataset_imports")
        stored, keys = _read_agency(session, agency_id)
        merged, origin, plan = _merge(stored, keys, posted, agency_id)
        problems += [_placed(p, origin, merged) for p in check_dataset(
            merged, lambda table, ids: existing_ids(session, scope, table, ids), _renumbered(refused, origin))]
        if not problems:
            problems = [_placed_view(p, posted) for p in store_problems(session, scope, _view(merged, origin, posted))]
        if problems:
            raise IntakeRefused(sorted(problems, key=_problem_order), warnings)
        record = DatasetImport(imported_by=scope.username, source=source or f"intake API: /v1/agencies/{agency_id}",
                               agencies=[agency_id], counts=posted.counts())
        session.add(record)
        session.flush()
        counts = _write(session, scope, agency_id, record.id, plan)
        run, outcome = _evaluate(session, scope, agency_id, merged, posted, as_of, catalogue, jobs, record.id)
        result = Posted(record.id, run.id, as_of, counts, _flags(session, outcome),
                        _current(session, agency_id, posted), warnings)
        if before_commit is not None:
            before_commit(session, result)
    return result


def _renumbered(refused: dict[str, list[tuple[int, dict[str, Any]]]], origin: dict[str, list[int | None]],
                ) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    """The post's refused rows numbered after the merged rows of their file (``origin`` then says
    which row of the post each is), for ``check_dataset``: their references are checked too."""
    out: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for table, rows in refused.items():
        if table in origin:
            out[table] = []
            for n, values in rows:
                origin[table].append(n)
                out[table].append((len(origin[table]), values))
    return out


_FILE_ORDER = {t.name: i for i, t in enumerate(TABLES)}


def _problem_order(p: InputProblem) -> tuple[int, int, int]:
    """The post's problems by file and row, a stored row's after its file's, then the others."""
    table = p.table if isinstance(p, StoredRowProblem) else p.file
    return (_FILE_ORDER.get(table, len(_FILE_ORDER)), 0 if p.row is not None else 1, p.row or 0)


def _other_agency_rows(posted: Dataset, agency_id: str) -> list[InputProblem]:
    """The posted rows whose ``agency_id`` is not the agency posted for."""
    out = []
    for table in AGENCY_COLUMN:
        for item, n in zip(getattr(posted, table), posted.row_numbers.get(table, ())):
            if item.agency_id != agency_id:
                out.append(InputProblem(table, n, "agency_id", item.agency_id,
                                        f"แถวนี้เป็นของหน่วยงาน {item.agency_id} แต่ส่งมาในนามหน่วยงาน {agency_id}: โทเคนหนึ่งส่งข้อมูล"
                                        f"ได้เฉพาะของหน่วยงานของตน / this row is agency {item.agency_id}'s, posted for "
                                        f"agency {agency_id}: a token posts its own agency's rows only"))
    return out


def _repeated_keys(posted: Dataset) -> list[InputProblem]:
    """Rows of one post that a file without ids would store in one place (the same natural key);
    ``parameters`` are the loader's (set twice for the same process, name and date)."""
    out = []
    for table in ("risk_analyses", "monitoring_reports", "acknowledgements"):
        first: dict[tuple[Any, ...], int] = {}
        for item, n in zip(getattr(posted, table), posted.row_numbers.get(table, ())):
            at = first.setdefault(_natural_key(table, item), n)
            if at != n:
                out.append(InputProblem(table, n, NATURAL_KEYS[table][0], _key_text(table, item).split("=", 1)[1],
                                        f"ซ้ำกับแถวที่ {at} ของข้อมูลที่ส่งมา (แถวของไฟล์นี้ระบุด้วย {', '.join(NATURAL_KEYS[table])}) / "
                                        f"the same as row {at} of this post (a row of this file is identified by "
                                        f"{', '.join(NATURAL_KEYS[table])})"))
    return out


def _natural_key(table: str, item: Any) -> tuple[Any, ...]:
    if table == "acknowledgements":
        return (item.round,)
    return tuple(getattr(item, c) for c in NATURAL_KEYS[table])


def _key_text(table: str, item: Any) -> str:
    """A row's id, or its natural key as ``column=value; …``, as events and problems name it."""
    id_column = TABLE_BY_NAME[table].id_column
    if id_column:
        return f"{id_column} {getattr(item, id_column)}"
    shown = []
    for column, value in zip(NATURAL_KEYS[table], _natural_key(table, item)):
        shown.append(f"{column}={'' if value is None else value.isoformat() if isinstance(value, dt.date) else value}")
    return "; ".join(shown)


def _read_agency(session: Session, agency_id: str) -> tuple[Dataset, dict[str, list[tuple[int, str]]]]:
    """The agency's stored rows as models, in id order, and for each file without ids each row's
    primary key and origin (``risk_analyses.source``: an analysis recorded in the app is never
    replaced by a post)."""
    conn = session.connection()
    ds = Dataset(source="database")
    keys: dict[str, list[tuple[int, str]]] = {}
    for table in TABLES:
        row = DATASET_ROWS[table.name]
        columns = [getattr(row, f.name) for f in fields(table.model)]
        validate = table.model.__pydantic_validator__.validate_python
        if table.id_column is not None:
            stmt = select(row.agency_id, *columns).where(row.agency_id == agency_id).order_by(getattr(row, table.id_column))
            setattr(ds, table.name, read_rows(conn, stmt, validate)[1])
            continue
        analyses = table.name == "risk_analyses"
        items, table_keys = [], []
        for r in conn.execute(select(row.id, row.source if analyses else row.agency_id, *columns)
                              .where(row.agency_id == agency_id).order_by(row.id)):
            table_keys.append((r[0], r[1] if analyses else "import"))
            items.append(validate(ArgsKwargs(tuple(r[2:]))))
        setattr(ds, table.name, items)
        keys[table.name] = table_keys
    return ds, keys


@dataclass
class _Plan:
    """What a post writes, per file: rows to insert, to update (id files) and stored rows to delete
    (primary keys, natural-key files), and each posted row's event."""

    inserts: dict[str, list[Any]] = field(default_factory=dict)
    updates: dict[str, list[Any]] = field(default_factory=dict)
    deletes: dict[str, list[int]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, Counter] = field(default_factory=dict)


def _merge(stored: Dataset, keys: dict[str, list[tuple[int, str]]], posted: Dataset, agency_id: str,
           ) -> tuple[Dataset, dict[str, list[int | None]], _Plan]:
    """The agency's data once the post is in (``merged``), where each of its rows comes from
    (``origin``, per file: the post's row number, or None for a stored row), and what to write."""
    merged = Dataset(source="records")
    origin: dict[str, list[int | None]] = {}
    plan = _Plan()
    for table in TABLES:
        name, id_column = table.name, table.id_column
        items = list(getattr(stored, name))
        where: list[int | None] = [None] * len(items)  # a stored row: named by its id when a problem does
        new = getattr(posted, name)
        counts = plan.counts.setdefault(name, Counter()) if new else Counter()
        if id_column is not None:
            at = dict(zip(map(attrgetter(id_column), items), count())) if new else {}
            for item, n in zip(new, posted.row_numbers.get(name, ())):
                i = at.get(getattr(item, id_column))
                if i is None:
                    at[getattr(item, id_column)] = len(items)
                    items.append(item)
                    where.append(n)
                    plan.inserts.setdefault(name, []).append(item)
                    _event(plan, counts, name, item, "inserted", None)
                    continue
                before = items[i]
                items[i], where[i] = item, n
                if before == item:
                    _event(plan, counts, name, item, "unchanged", None)
                else:
                    plan.updates.setdefault(name, []).append(item)
                    _event(plan, counts, name, item, "updated", before)
        elif new:
            table_keys = keys.get(name, [])
            kept_items, kept_where, kept_keys = [], [], []
            by_key: dict[tuple[Any, ...], list[int]] = {}
            for i, item in enumerate(items):
                if table_keys[i][1] == "import":  # an analysis recorded in the app stays whatever is posted
                    by_key.setdefault(_natural_key(name, item), []).append(i)
            replaced: set[int] = set()
            fresh: list[tuple[Any, int]] = []
            for item, n in zip(new, posted.row_numbers.get(name, ())):
                matches = by_key.get(_natural_key(name, item), [])
                if len(matches) == 1 and items[matches[0]] == item:
                    _event(plan, counts, name, item, "unchanged", None)
                    where[matches[0]] = n
                    continue
                replaced.update(matches)
                plan.deletes.setdefault(name, []).extend(table_keys[i][0] for i in matches)
                plan.inserts.setdefault(name, []).append(item)
                fresh.append((item, n))
                _event(plan, counts, name, item, "updated" if matches else "inserted",
                       items[matches[0]] if len(matches) == 1 else None, replaced=len(matches))
            for i, item in enumerate(items):
                if i not in replaced:
                    kept_items.append(item)
                    kept_where.append(where[i])
                    kept_keys.append(table_keys[i])
            items = kept_items + [item for item, _ in fresh]
            where = kept_where + [n for _, n in fresh]
        setattr(merged, name, items)
        origin[name] = where
    return merged, origin, plan


def _values(item: Any) -> dict[str, Any]:
    return {f.name: getattr(item, f.name) for f in fields(item) if getattr(item, f.name) is not None}


def _event(plan: _Plan, counts: Counter, table: str, item: Any, action: str, before: Any, replaced: int = 0) -> None:
    """A posted row's event: what it did, and the values (an update: each changed column's before
    and after; a row replacing several stored ones without ids: how many)."""
    counts[action] += 1
    details: dict[str, Any] | None = None
    if action == "inserted":
        details = {"values": _values(item)}
        if replaced:
            details["replaced"] = replaced
    elif action == "updated":
        if before is None:
            details = {"values": _values(item), "replaced": replaced}
        else:
            details = {"changed": {f.name: [getattr(before, f.name), getattr(item, f.name)] for f in fields(item)
                                   if getattr(before, f.name) != getattr(item, f.name)}}
    plan.events.append({"file": table, "row_key": _key_text(table, item), "action": action, "details": details})


def _placed(problem: InputProblem, origin: dict[str, list[int | None]], merged: Dataset) -> InputProblem:
    """A problem of the merged data (its row: a position in ``merged``) as the post's row it is,
    or as the stored row it is (no row number; the file says which row, by its id or key)."""
    if problem.row is None or problem.file not in origin:
        return problem
    where = origin[problem.file][problem.row - 1]
    if where is not None:
        return InputProblem(problem.file, where, problem.column, problem.value, problem.reason)
    key = _key_text(problem.file, getattr(merged, problem.file)[problem.row - 1])
    return _stored_problem(problem.file, key, problem.column, problem.value, problem.reason)


def _view(merged: Dataset, origin: dict[str, list[int | None]], posted: Dataset) -> Dataset:
    """What ``data.store_problems`` is asked about: the posted rows, with the agency's row and every
    officer of it once the post is in (no officer is removed by a post). Row numbers are the post's;
    a stored officer's is 0."""
    from array import array

    view = Dataset(source="")
    for table in TABLES:
        setattr(view, table.name, list(getattr(posted, table.name)))
        view.row_numbers[table.name] = array("I", posted.row_numbers.get(table.name, ()))
    for name in ("agencies", "officers"):
        setattr(view, name, list(getattr(merged, name)))
        view.row_numbers[name] = array("I", (w or 0 for w in origin[name]))
    return view


def _placed_view(problem: InputProblem, posted: Dataset) -> InputProblem:
    """A problem ``data.store_problems`` found, named as the post's: ``cases.csv`` is ``cases``;
    a stored officer's row (0) has no row number."""
    file = problem.file.removesuffix(".csv") if problem.file.endswith(".csv") else problem.file
    return InputProblem(file, problem.row or None, problem.column, problem.value, problem.reason)


def _write(session: Session, scope: Scope, agency_id: str, import_id: int, plan: _Plan) -> dict[str, dict[str, int]]:
    """Write what ``_merge`` planned, with an ``intake_events`` event per posted row."""
    for name, pks in plan.deletes.items():
        row = DATASET_ROWS[name]
        session.execute(delete(row).where(row.id.in_(pks), row.agency_id == agency_id))
    for name in [t.name for t in TABLES]:  # in the files' order: a foreign key never points ahead
        table = TABLE_BY_NAME[name]
        target = DATASET_ROWS[name].__table__
        names = [f.name for f in fields(table.model)]
        extra = {} if name in AGENCY_COLUMN else {"agency_id": agency_id}
        if name == "risk_analyses":
            extra = {"source": "import"}
        rows = [{**{n: getattr(item, n) for n in names}, **extra} for item in plan.inserts.get(name, ())]
        bulk_insert(session, target, rows)
        updates = [{**{n: getattr(item, n) for n in names}, **extra} for item in plan.updates.get(name, ())]
        if updates:
            bulk_update(session, target, table.id_column, updates)
    audit.append(session, IntakeEvent, [{"actor": scope.username, "agency_id": agency_id, "import_id": import_id,
                                         **e} for e in plan.events])
    return {name: {a: counts.get(a, 0) for a in ("inserted", "updated", "unchanged")}
            for name, counts in plan.counts.items()}


def _evaluation_dataset(session: Session, merged: Dataset, agency_id: str) -> Dataset:
    """The agency's data with what its evaluation reads of other agencies', as a run has it: the
    officers its rows name (and their supervisors, up each chain), and the cases its officers
    decided for other agencies (with those cases' processes, which say whose they are)."""
    conn = session.connection()
    ds = Dataset(source=merged.source, **{t.name: list(getattr(merged, t.name)) for t in TABLES})
    officer = TABLE_BY_NAME["officers"]
    validate = officer.model.__pydantic_validator__.validate_python
    columns = [getattr(OfficerRow, f.name) for f in fields(officer.model)]
    own = {o.officer_id for o in ds.officers}
    theirs = _other_cases(conn, own, agency_id)
    have = set(own)
    wanted: set[str | None] = set()
    for table, column in OFFICER_REFERENCES:
        wanted.update(map(attrgetter(column), getattr(ds, table)))
    wanted -= have | {None}
    while wanted:
        found = read_rows(conn, select(OfficerRow.agency_id, *columns).where(OfficerRow.officer_id.in_(sorted(wanted))),
                      validate)[1]
        ds.officers.extend(found)
        have |= wanted
        wanted = {o.supervisor_id for o in found} - have - {None}
    if theirs:
        process = TABLE_BY_NAME["processes"]
        known = {p.process_id for p in ds.processes}
        needed = sorted({c.process_id for c in theirs} - known)
        ds.processes.extend(read_rows(conn, select(ProcessRow.agency_id, *(getattr(ProcessRow, f.name) for f in
                                                                        fields(process.model)))
                                  .where(ProcessRow.process_id.in_(needed)),
                                  process.model.__pydantic_validator__.validate_python)[1])
        ds.cases.extend(theirs)
    return ds


def _other_cases(conn: Any, officers: set[str], agency_id: str) -> list[Any]:
    """The cases of other agencies that the agency's officers decided (``ix_cases_officer_agency``)."""
    if not officers:
        return []
    case = TABLE_BY_NAME["cases"]
    columns = [getattr(CaseRow, f.name) for f in fields(case.model)]
    asked = sorted(officers)
    out: list[Any] = []
    for i in range(0, len(asked), 5000):
        out += read_rows(conn, select(CaseRow.agency_id, *columns).where(CaseRow.officer_id.in_(asked[i:i + 5000]),
                                                                      CaseRow.agency_id != agency_id)
                     .order_by(CaseRow.case_id), case.model.__pydantic_validator__.validate_python)[1]
    return out


# a post of at most this many cases (with their escalations and notices) evaluates them alone when it may
# (``cases_alone``): for more, evaluating the agency whole costs about as much
ALONE_AT_MOST = 1000
CASE_FILES = ("cases", "escalations", "delay_notices")


def cases_alone(session: Session, agency_id: str, posted: Dataset, run: EvaluationRun,
                 import_id: int) -> set[str] | None:
    """The cases a post may evaluate alone, or None: evaluate the agency whole.

    A case's flags rest on the case, its process, its escalations and notices, the officers in
    the chains they name, the agency's parameters, and the run's date, parameters, days off,
    knowledge base and rules. So when a post changes only cases, escalations and notices, and the
    agency's last whole evaluation (the latest run with its per-rule counts) was made on the same
    date with the same of everything else, and since it nothing changed but posts to this agency
    of those files and posts to other agencies without officers (any import, or any other change
    of officers, and it is evaluated whole), the other cases' flags are those a whole evaluation
    would find again: only the cases posted (and those of the escalations and notices posted) are
    evaluated, with the agency, its processes and officers, whose rules read every case.
    ``tests/test_api.py`` holds the two to the same flags."""
    if any(getattr(posted, t.name) for t in TABLES if t.name not in CASE_FILES):
        return None
    cases = {c.case_id for c in posted.cases} | {e.case_id for e in posted.escalations} | \
        {n.case_id for n in posted.delay_notices}
    if len(cases) > ALONE_AT_MOST:
        return None
    whole = session.scalar(select(func.max(RunAgencyRuleStat.run_id)).where(RunAgencyRuleStat.agency_id == agency_id))
    base = session.get(EvaluationRun, whole) if whole is not None else None
    if base is None or base.status not in ("succeeded", "partial") or (base.as_of, base.catalogue, base.kb_version,
                                                                        base.rules_version) != \
            (run.as_of, run.catalogue, run.kb_version, run.rules_version):
        return None
    if any((base.parameters or {}).get(k) != run.parameters.get(k) for k in ("values", "calendar")):
        return None
    since = session.execute(select(DatasetImport.imported_by, DatasetImport.agencies, DatasetImport.counts).where(
        DatasetImport.id > (base.dataset_import_id or 0), DatasetImport.id != import_id))
    for by, agencies, counted in since:
        if not by.startswith(ACTOR):
            return None  # an import
        if agencies == [agency_id]:
            if any(n for f, n in (counted or {}).items() if f not in CASE_FILES):
                return None  # (it would have been evaluated whole, and be the base)
        elif (counted or {}).get("officers"):
            return None  # another agency's officers, whom this agency's chains may pass through
    return cases


def _evaluate(session: Session, scope: Scope, agency_id: str, merged: Dataset, posted: Dataset, as_of: dt.date,
              catalogue: RuleCatalogue, jobs: int | None, import_id: int) -> tuple[EvaluationRun, dict[str, list[str]]]:
    """Evaluate the agency (only it; of its cases, only those posted when ``cases_alone`` says
    they may be) and sync its flags, recorded as a run of that agency."""
    kb = catalogue.kb
    stored = province.stored_parameters(session, scope, kb)
    params = kb.resolve_parameters({}, base={n: v.value for n, v in stored.items()})
    days_off = province.calendar_in_force(session, scope)
    calendar = government_calendar(extra=days_off)
    ds = _evaluation_dataset(session, merged, agency_id)
    run = EvaluationRun(as_of=as_of, parameters=run_parameters(ParameterResolver(kb, params, ds.parameters, stored=stored),
                                                        days_off),
                        catalogue=CATALOGUE_VERSION, kb_version=kb.version, rules_version=rules_version(),
                        dataset_import_id=import_id, agencies=[agency_id], triggered_by=scope.username,
                        status="running", pid=os.getpid(), host=socket.gethostname(), flags_total=0, flags_new=0,
                        flags_reopened=0, flags_cleared=0)
    alone = cases_alone(session, agency_id, posted, run, import_id)
    if alone is not None:  # recorded: a run with no counts of its own, which evaluated these cases
        run.parameters = {**run.parameters, "cases_alone": sorted(alone)}
    session.add(run)
    session.flush()
    expire_waivers(session)  # a waiver past its expiry is open again before the flags are compared
    # the confirmed flags' corrective actions, as a run reads them (duties.confirmed_rows): rule 1.8
    corrective = duties.corrective_actions(session.execute(duties.confirmed_rows(scope)))
    failed: dict[str, str] = {}
    years: set[int] = set()
    flagged: Counter = Counter()
    kinds: Counter = Counter()

    def evaluated():
        for agency, lines, counted in iter_partitions(ds, as_of, params, catalogue, jobs, calendar=calendar,
                                                      corrective_actions=corrective, stored=stored, keyed=True,
                                                      failed=failed, calendar_years=years, only_cases=alone):
            if agency == agency_id:
                flagged.update(r[2] for r in lines)
                kinds.update(counted)
                yield lines

    outcome: dict[str, list[str]] = {}
    with contextlib.closing(evaluated()) as partitions:
        sync_flags(session, run, partitions, {agency_id}, failed, outcome, alone)
    if failed:
        raise EvaluationError(f"agency {agency_id}: {failed.get(agency_id) or next(iter(failed.values()))}; "
                              "nothing of the post was stored")
    unchecked = calendar.unchecked(years)
    if unchecked:
        run.parameters = {**run.parameters, "calendar_unchecked_years": unchecked}
    run.status, run.finished_at = "succeeded", utcnow()
    if alone is not None:  # no counts: the agency's whole evaluation stays the one that counted its subjects
        return run, outcome
    session.execute(insert(RunRuleStat.__table__), [
        {"run_id": run.id, "rule_id": r.rule_id, "evaluated": evaluated_subjects(r, kinds),
         "flagged": flagged[r.rule_id]} for r in catalogue])
    session.execute(insert(RunAgencyRuleStat.__table__), [
        {"run_id": run.id, "agency_id": agency_id, "rule_id": r.rule_id, "evaluated": evaluated_subjects(r, kinds)}
        for r in catalogue])
    return run, outcome


def _flag_rows(session: Session, where: Any) -> list[dict[str, Any]]:
    columns = [getattr(FlagRow, f) for f in FLAG_FIELDS]
    return [dict(zip(FLAG_FIELDS, r)) for r in session.execute(select(*columns).where(where)
                                                               .order_by(FlagRow.flag_id))]


def _flags(session: Session, outcome: dict[str, list[str]]) -> dict[str, list[dict[str, Any]]]:
    """The flags the post opened, reopened and cleared, each as ``FLAG_FIELDS``."""
    ids = sorted({i for listed in outcome.values() for i in listed})
    rows: dict[str, dict[str, Any]] = {}
    for i in range(0, len(ids), 5000):
        rows.update((r["flag_id"], r) for r in _flag_rows(session, FlagRow.flag_id.in_(ids[i:i + 5000])))
    return {what: [rows[i] for i in sorted(listed)] for what, listed in outcome.items()}


def _current(session: Session, agency_id: str, posted: Dataset) -> list[dict[str, Any]]:
    """The flags of the posted cases, processes, officers and agency, as they stand (any status but
    cleared by data): what a system that posts a decision wants to know of it."""
    subjects = {("case", c.case_id) for c in posted.cases} | {("process", p.process_id) for p in posted.processes}
    subjects |= {("officer", o.officer_id) for o in posted.officers} | {("agency", a.agency_id) for a in posted.agencies}
    subjects |= {("case", e.case_id) for e in posted.escalations} | {("case", d.case_id) for d in posted.delay_notices}
    if not subjects:
        return []
    ids = sorted({s for _, s in subjects})
    out = []
    for i in range(0, len(ids), 5000):
        out += [r for r in _flag_rows(session, (FlagRow.agency_id == agency_id) & FlagRow.subject_id.in_(ids[i:i + 5000])
                                      & (FlagRow.status != "cleared_by_data"))
                if (r["subject_type"], r["subject_id"]) in subjects]
    return out

