"""The audit trails' hash chains: every event row carries the hash of the event before it in
its table (``prev_hash``) and its own (``row_hash``), so a change, a deletion or an insertion
in the middle — even by someone who can switch the database's triggers off — shows up in
``discretion-review audit verify``.

The canonical form hashed is the same on SQLite and PostgreSQL: the table's name and its
content columns (never ``id``: it is assigned by the database after hashing) as JSON with
sorted keys, no ASCII escaping, datetimes as ISO text with microseconds, dates as ISO text,
JSON values normalised the same way. ``row_hash = sha256(prev_hash + "\\n" + canonical)``;
the first row's ``prev_hash`` is ``GENESIS``. Events are only appended through ``append``,
which holds the table's lock (``db.begin_write``) until commit: two writers never fork the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, inspect, select
from sqlalchemy.orm import Session

from engine.store.db import begin_write, bulk_insert
from engine.store.schema import AcknowledgementRoundRow, AssessmentEvent, CalendarEntryRow, FlagEvent, UserEvent, utcnow
from engine.store.scope import MANAGE_USERS, Scope

GENESIS = "0" * 64
# table -> the columns hashed, in the order they are shown when a link breaks
CHAINED: dict[str, tuple[str, ...]] = {
    "flag_events": ("flag_id", "at", "actor", "action", "from_status", "to_status", "reason", "details", "run_id"),
    "assessment_events": ("assessment_id", "at", "actor", "action", "measure_id", "details"),
    "user_events": ("at", "actor", "action", "username", "details"),
    "calendar_entries": ("at", "actor", "date", "kind", "name_th", "name_en", "source"),
    "acknowledgement_rounds": ("at", "actor", "fiscal_year", "deadline", "source"),
}
MODELS = {"flag_events": FlagEvent, "assessment_events": AssessmentEvent, "user_events": UserEvent,
          "calendar_entries": CalendarEntryRow, "acknowledgement_rounds": AcknowledgementRoundRow}
# tables whose rows may only be appended (the chained ones, and every login attempt)
APPEND_ONLY = (*CHAINED, "login_attempts")


_PLAIN = (str, int, float, bool, type(None))


def _norm(value: Any) -> Any:
    if type(value) in _PLAIN:  # most of every event: checked first, exactly (a subclass goes on)
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _norm(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_norm(v) for v in value]
    return value


def canonical(table: str, row: dict[str, Any]) -> str:
    """The text hashed for one event row (see the module's docstring)."""
    return json.dumps({"table": table, **{c: _norm(row.get(c)) for c in CHAINED[table]}},
                      sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def row_hash(prev_hash: str, table: str, row: dict[str, Any]) -> str:
    return _linked(prev_hash, canonical(table, row))


def _linked(prev_hash: str, text: str) -> str:
    """The hash of an event whose canonical text is ``text``, after the event hashed ``prev_hash``."""
    return hashlib.sha256(f"{prev_hash}\n{text}".encode()).hexdigest()


_MARK = "\x00the flag id\x00"  # JSON "\u0000the flag id\u0000": no other value of an event reads so


class _FlagEventCanon:
    """``canonical("flag_events", row)`` for many rows at once: a run's thousands of events
    differ only in their flag ids (every ``created`` one has the same time, action and run),
    so the text around the flag id is encoded once per kind of event and the id put in its
    place — the same text, a seventh of the time (tests/test_store_audit.py compares them)."""

    def __init__(self) -> None:
        self._around: dict[tuple[Any, ...], list[str]] = {}

    def __call__(self, row: dict[str, Any]) -> str:
        if row["details"] is not None:
            return canonical("flag_events", row)
        key = tuple(row[c] for c in CHAINED["flag_events"] if c != "flag_id")
        around = self._around.get(key)
        if around is None:
            around = canonical("flag_events", {**row, "flag_id": _MARK}).split(json.dumps(_MARK), 1)
            self._around[key] = around
        flag_id = row["flag_id"]
        if type(flag_id) is str and flag_id.isprintable() and '"' not in flag_id and "\\" not in flag_id:
            return around[0] + '"' + flag_id + '"' + around[1]  # what json.dumps makes of it, without it
        return json.dumps(flag_id, ensure_ascii=False).join(around)


class Chain:
    """The tail of one table's hash chain, taken under the table's lock (``db.begin_write``,
    held until commit), and the events linked after it: ``link`` is pure computation, so the
    rows it returns can be written while the caller links the next ones (``db.WriteBehind``),
    as long as they are written in the order linked."""

    def __init__(self, session: Session, model: type):
        self.table = model.__table__
        begin_write(session, self.table.name)  # the chain's tail is ours until commit
        self.prev = session.scalar(select(self.table.c.row_hash).order_by(self.table.c.id.desc()).limit(1)) or GENESIS
        self.now = utcnow()
        name = self.table.name
        self._columns = CHAINED[name]
        self._text_of = _FlagEventCanon() if name == "flag_events" else (lambda row: canonical(name, row))

    def link(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``rows`` as they are to be stored, each with its place in the chain after the last."""
        out = []
        prev, text_of, now = self.prev, self._text_of, self.now
        for row in rows:
            row = {c: row.get(c) for c in self._columns}
            if row["at"] is None:
                row["at"] = now
            if row.get("details") is not None:  # stored as it will read back, so the hash matches
                row["details"] = json.loads(json.dumps(_norm(row["details"]), ensure_ascii=False))
            digest = _linked(prev, text_of(row))
            row["prev_hash"], row["row_hash"] = prev, digest
            out.append(row)
            prev = digest
        self.prev = prev
        return out


def append(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    """Append events to ``model``'s table with their place in its hash chain."""
    if not rows:
        return
    chain = Chain(session, model)
    bulk_insert(session, chain.table, chain.link(rows))  # COPY on PostgreSQL when there are many


def chain_rows(conn: Connection | Session, table: str):
    """(id, prev_hash, row_hash, content) of every row of a chained table, in id order."""
    t = MODELS[table].__table__
    cols = [t.c.id, t.c.prev_hash, t.c.row_hash] + [t.c[c] for c in CHAINED[table]]
    for r in conn.execute(select(*cols).order_by(t.c.id)).yield_per(5000):
        yield r[0], r[1], r[2], dict(zip(CHAINED[table], r[3:]))


def rehash_all(conn: Connection) -> None:
    """Give every existing row of each chained table its hashes (the migration that added them)."""
    present = set(inspect(conn).get_table_names())
    for table in CHAINED:
        if table not in present:  # a trail a later migration creates (empty then, nothing to hash)
            continue
        t = MODELS[table].__table__
        prev = GENESIS
        for row_id, _, _, content in list(chain_rows(conn, table)):
            digest = row_hash(prev, table, content)
            conn.execute(t.update().where(t.c.id == row_id).values(prev_hash=prev, row_hash=digest))
            prev = digest


@dataclass
class Broken:
    table: str
    event_id: int
    what: str

    def __str__(self) -> str:
        return f"{self.table} event #{self.event_id}: {self.what}"


def verify(session: Session, scope: Scope) -> tuple[dict[str, int], list[Broken]]:
    """Walk every chain: (rows per table, the first broken link of each broken table)."""
    scope.require(MANAGE_USERS)
    counts, broken = {}, []
    for table in CHAINED:
        prev, n = GENESIS, 0
        for row_id, stored_prev, stored_hash, content in chain_rows(session, table):
            n += 1
            if broken and broken[-1].table == table:
                continue  # count the rest; the first break is the one to look at
            if stored_prev != prev:
                broken.append(Broken(table, row_id, f"prev_hash {stored_prev} is not the previous event's hash "
                                                    f"{prev}: an event before it was removed, changed or inserted"))
            elif stored_hash != row_hash(prev, table, content):
                broken.append(Broken(table, row_id, "its content no longer matches its hash: it was changed "
                                                    f"after it was written (now {canonical(table, content)})"))
            prev = stored_hash
        counts[table] = n
    return counts, broken
