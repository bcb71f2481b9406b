"""Anchors: each audit trail's head (its last event's id, hash and key id, and the time) kept
outside the store — appended to a file the province keeps, or printed for it — so that a trail
cut short or rewritten whole is found even by someone who holds the database's owner rights
and the audit key: ``audit verify --anchors FILE`` fails on a trail that no longer passes
through every anchor in the file (engine/store/replay.py ``verify_all``).

One JSON object a line: ``{"at": …, "chain": "flag_events", "last_id": 171481, "row_hash": …,
"key_id": 1}`` (``last_id`` null and ``row_hash`` the genesis hash for an empty trail). A file
holds the anchors of one store. ``DISCRETION_AUDIT_ANCHORS=FILE`` makes every evaluation run
append its anchors to FILE after it commits (``after_run``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.domain.errors import DiscretionReviewError
from engine.store.audit import CHAINED, GENESIS, MODELS
from engine.store.db import begin_read
from engine.store.scope import MANAGE_USERS, SYSTEM, Scope

ENV = "DISCRETION_AUDIT_ANCHORS"


class AnchorError(DiscretionReviewError):
    """An anchors file that cannot be read or written."""


@dataclass(frozen=True)
class Anchor:
    chain: str
    last_id: int | None
    row_hash: str
    key_id: int
    at: str
    line: int = 0  # in the file it was read from

    def text(self) -> str:
        return json.dumps({"at": self.at, "chain": self.chain, "last_id": self.last_id, "row_hash": self.row_hash,
                           "key_id": self.key_id}, ensure_ascii=False, separators=(", ", ": "))


def heads(session: Session, scope: Scope) -> list[Anchor]:
    """Every trail's head now, read in the session's transaction (call ``begin_read`` first
    for one instant of all of them). Administrators only (``audit verify``'s right)."""
    scope.require(MANAGE_USERS)
    at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    out = []
    for chain in CHAINED:
        t = MODELS[chain].__table__
        head = session.execute(select(t.c.id, t.c.row_hash, t.c.key_id).order_by(t.c.id.desc()).limit(1)).first()
        out.append(Anchor(chain, head[0], head[1], head[2], at) if head else Anchor(chain, None, GENESIS, 0, at))
    return out


def current(session_factory: Callable[[], Session], scope: Scope) -> list[Anchor]:
    """Every trail's head, all of one instant of the store."""
    with session_factory() as session:
        begin_read(session)
        return heads(session, scope)


def append(path: Path, anchors: list[Anchor]) -> None:
    """Append ``anchors`` to ``path`` (made if missing), one line each, flushed to the disk."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write("".join(a.text() + "\n" for a in anchors))  # one write: whole lines
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise AnchorError(f"เขียนหมุดยึดลงไฟล์ {path} ไม่ได้ ({exc}) / could not append the anchors to {path} "
                          f"({exc})") from exc


def read(path: Path) -> list[Anchor]:
    """Every anchor in ``path``; ``AnchorError`` naming the line of anything else."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise AnchorError(f"อ่านไฟล์หมุดยึด {path} ไม่ได้ ({exc}) / could not read the anchors file {path} "
                          f"({exc})") from exc
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            anchor = Anchor(d["chain"], d["last_id"], d["row_hash"], d["key_id"], d["at"], n)
            good = (anchor.chain in CHAINED and (anchor.last_id is None or type(anchor.last_id) is int)
                    and isinstance(anchor.row_hash, str) and len(anchor.row_hash) == 64 and type(anchor.key_id) is int)
        except (ValueError, KeyError, TypeError):
            good = False
        if not good:
            raise AnchorError(
                f"ไฟล์หมุดยึด {path} บรรทัด {n}: ไม่ใช่หมุดยึด (ต้องเป็น JSON ที่มี chain, last_id, row_hash, key_id, at) / "
                f"anchors file {path}, line {n}: not an anchor (a JSON object with chain — one of "
                f"{', '.join(CHAINED)} — last_id, row_hash, key_id and at): {line[:120]!r}")
        out.append(anchor)
    if not out:
        raise AnchorError(f"ไฟล์หมุดยึด {path} ไม่มีหมุดยึด / the anchors file {path} holds no anchor")
    return out


def after_run(session_factory: Callable[[], Session], run_id: int) -> None:
    """With ``DISCRETION_AUDIT_ANCHORS`` set: append every trail's head to that file (after a
    run has committed). ``AnchorError`` says the run was saved and the anchors were not."""
    target = os.environ.get(ENV)
    if not target:
        return
    try:
        append(Path(target), current(session_factory, SYSTEM))  # upkeep after a run, as the upgrade's seal is
    except AnchorError as exc:
        why = exc.__cause__ or exc
        raise AnchorError(f"บันทึกผลการประมวลผลครั้งที่ {run_id} แล้ว แต่เขียนหมุดยึดลงไฟล์ {target} ไม่ได้ ({why}) / "
                          f"run #{run_id} was saved, but its anchors could not be appended to {target} ({why})") from exc
