"""Thai citizen IDs a store holds as applicants (Personal Data Protection Act B.E. 2562).

Since 0.3.0 a citizen ID as ``applicant_id`` is refused where data enters (validate, import,
the app's upload, the intake API: ``engine/domain/pdpa.py``). A store that took data before
then may hold some. ``citizen_ids`` finds them wherever an applicant is stored: the cases as
imported, the flags that name an applicant (1.4-repeat-applicant; their messages and evidence
quote it, and their ids are made from it) and the duties due soon. Only the last three digits
are ever shown (``pdpa.masked``).

What an agency does about them is in docs/operations.md ("Personal data in an older store").
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.domain.pdpa import citizen_id_digits, is_citizen_id, masked
from engine.store.schema import CaseRow, DutyRow, FlagRow
from engine.store.scope import READ, Scope

# where an applicant is stored: (table, its agency column, its applicant column)
PLACES = (("cases", CaseRow.agency_id, CaseRow.applicant_id),
          ("flags", FlagRow.agency_id, FlagRow.applicant),
          ("duties", DutyRow.agency_id, DutyRow.applicant))
EXAMPLES = 3  # masked values shown per table and agency


@dataclass(frozen=True)
class Found:
    """The rows of one table and agency whose applicant is a citizen ID."""

    table: str
    agency_id: str
    rows: int
    values: int  # distinct citizen IDs among them (however each is written)
    examples: tuple[str, ...]  # a few of them, masked


def citizen_ids(session: Session, scope: Scope) -> list[Found]:
    """Every table and agency within ``scope`` holding applicants that are Thai citizen IDs, in
    table order then agency order. Reads each distinct applicant of 13 to 17 characters (a
    citizen ID written plain or grouped) once; nothing else is read."""
    scope.require(READ)
    out: list[Found] = []
    for table, agency, applicant in PLACES:
        by_agency: dict[str, list[tuple[str, int]]] = {}
        where = [applicant.is_not(None), func.length(applicant).between(13, 17)]
        if scope.agency_filter():
            where.append(agency == scope.agency_filter())
        rows = session.execute(select(agency, applicant, func.count()).where(*where).group_by(agency, applicant))
        for agency_id, value, n in rows:
            if is_citizen_id(value):
                by_agency.setdefault(agency_id, []).append((value, n))
        for agency_id in sorted(by_agency):
            found = by_agency[agency_id]
            ids = sorted({citizen_id_digits(value) or value for value, _ in found})  # one ID however written
            out.append(Found(table, agency_id, sum(n for _, n in found), len(ids),
                             tuple(masked(digits) for digits in ids[:EXAMPLES])))
    return out


def report(found: list[Found]) -> str:
    """What ``db personal-data`` prints: a line per table and agency, in Thai and English."""
    if not found:
        return ("ไม่พบเลขประจำตัวประชาชนในรหัสผู้ยื่นคำขอที่เก็บไว้ / "
                "no applicant stored in the cases, flags or duties is a Thai citizen ID")
    lines = [f"พบเลขประจำตัวประชาชนเป็นรหัสผู้ยื่นคำขอ {sum(f.rows for f in found):,} แถว / "
             f"{sum(f.rows for f in found):,} stored rows name a Thai citizen ID as their applicant "
             "(PDPA B.E. 2562; docs/operations.md, \"Personal data in an older store\"):"]
    for f in found:
        lines.append(f"  {f.table:7} {f.agency_id:24} {f.rows:>8,} row{'s' if f.rows != 1 else ''}, "
                     f"{f.values:,} ID{'s' if f.values != 1 else ''} (e.g. {', '.join(f.examples)})")
    return "\n".join(lines)
