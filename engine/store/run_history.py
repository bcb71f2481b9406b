"""The evaluation runs as each user may see them (the data page's list of runs).

A run over every agency (an administrator's, or the system's) is listed for everybody, and its
``error`` speaks of every agency: a partial run names, per agency left out, the rows that broke
it (``runs.run_evaluation``: one line ``"<agency> ไม่ได้ประเมิน / not evaluated: …"`` each); a
failed run holds the exception's words. A user of one agency sees the lines of their own agency
only, and of a failed run that was not theirs only that it failed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.schema import EvaluationRun
from engine.store.scope import READ, Scope

NOT_EVALUATED = " ไม่ได้ประเมิน / not evaluated: "  # how runs.run_evaluation begins an agency's line
_PAGE = 200  # runs read at a time
NOT_YOURS = ("การประมวลผลครั้งนี้ไม่สำเร็จ ผู้ดูแลระบบดูสาเหตุได้ / this run failed; an administrator can see why")


def visible_runs(session: Session, scope: Scope, limit: int = 20) -> list[dict[str, Any]]:
    """The latest runs the user may see (their agency's, and those over every agency), newest
    first, each as a dict of its columns with ``error`` as the user may read it."""
    scope.require(READ)
    visible: list[EvaluationRun] = []
    before = None  # read newest first, a page at a time, until ``limit`` are visible: other agencies'
    while len(visible) < limit:  # runs (each post to the intake API is one) never hide this user's
        stmt = select(EvaluationRun).order_by(EvaluationRun.id.desc()).limit(_PAGE)
        rows = session.scalars(stmt if before is None else stmt.where(EvaluationRun.id < before)).all()
        visible += [r for r in rows if scope.all_agencies or not r.agencies or scope.agency_id in r.agencies]
        if len(rows) < _PAGE:
            break
        before = rows[-1].id
    out = []
    for r in visible[:limit]:
        run = {c.name: getattr(r, c.name) for c in EvaluationRun.__table__.columns}
        run["error"] = error_for(scope, r.error, r.agencies)
        out.append(run)
    return out


def error_for(scope: Scope, error: str | None, agencies: list[str] | None) -> str | None:
    """A run's ``error`` as ``scope`` may read it (see the module's doc)."""
    if not error or scope.all_agencies or agencies == [scope.agency_id]:
        return error
    own = f"{scope.agency_id}{NOT_EVALUATED}"
    kept, other = [], False
    for line in error.splitlines():
        if line.startswith(own):
            kept.append(line)
        elif NOT_EVALUATED not in line:  # not an agency's line: a failure's words
            other = True
    if other:
        kept.append(NOT_YOURS)
    return "\n".join(kept) or None
