"""The audit trails' hash chains: every event row carries the hash of the event before it in
its table (``prev_hash``) and its own (``row_hash``), so a change, a deletion or an insertion
in the middle — even by someone who can switch the database's triggers off — shows up in
``discretion-review audit verify``.

The canonical form hashed is the same on SQLite and PostgreSQL: the table's name and its
content columns (never ``id``: it is assigned by the database after hashing) as JSON with
sorted keys, no ASCII escaping, datetimes as ISO text with microseconds, dates as ISO text,
JSON values normalised the same way. ``row_hash = HMAC-SHA256(key, prev_hash + "\n" + canonical)``
with the audit key whose id the event records in ``key_id`` (engine/store/keys.py: kept outside
the database, so whoever can only write to the database cannot make an event that verifies);
events written before keys existed (migration 0017) have ``key_id`` 0 and
``row_hash = sha256(prev_hash + "\n" + canonical)``. The first row's ``prev_hash`` is ``GENESIS``.
Events are only appended through ``append``, which holds the table's lock (``db.begin_write``)
until commit: two writers never fork the chain.

**Seals** (``audit_seals``, a keyed trail of its own): migration 0017 and every key rotation
record where each trail stood (its last event's id and hash) and the key id required after it.
So an unkeyed event after the upgrade, or an event keyed with an older key after a rotation,
is refused by ``verify`` (an old key, once replaced, cannot write again), and rewriting the
unkeyed events before the seal breaks the trail at the seal. ``verify`` also replays the flags'
and users' trails against their rows (engine/store/replay.py, whose ``verify_all`` is the
whole check) and checks anchors kept outside the store (engine/store/anchors.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, inspect, select
from sqlalchemy.orm import Session

from engine.store.bulk import bulk_insert
from engine.store.db import begin_write
from engine.store.keys import AuditKeyError, AuditKeys, audit_keys
from engine.store.schema import (
    AcknowledgementRoundRow,
    ApiTokenEvent,
    AssessmentEvent,
    AuditSeal,
    CalendarEntryRow,
    CampaignEntryRow,
    FlagEvent,
    ItaItemRow,
    IntakeEvent,
    UserEvent,
    utcnow,
)
from engine.store.scope import MANAGE_USERS, Scope

GENESIS = "0" * 64
# table -> the columns hashed, in the order they are shown when a link breaks
CHAINED: dict[str, tuple[str, ...]] = {
    "flag_events": ("flag_id", "at", "actor", "action", "from_status", "to_status", "reason", "details", "run_id"),
    "assessment_events": ("assessment_id", "at", "actor", "action", "measure_id", "details"),
    "user_events": ("at", "actor", "action", "username", "details"),
    "calendar_entries": ("at", "actor", "date", "kind", "name_th", "name_en", "source"),
    "acknowledgement_rounds": ("at", "actor", "fiscal_year", "deadline", "source",
                               "letter_number", "letter_date", "subject", "signatory"),
    "ita_items": ("at", "actor", "fiscal_year", "items", "indicator", "title_th", "source"),
    "campaign_entries": ("at", "actor", "campaign_id", "fiscal_year", "action", "due_date", "reason"),
    "audit_seals": ("at", "actor", "chain", "last_id", "last_hash"),
    # the intake API (migration 0020): its tokens' lives and uses, and every row a post stored
    "api_token_events": ("at", "actor", "action", "token_id", "agency_id", "details"),
    "intake_events": ("at", "actor", "agency_id", "import_id", "file", "row_key", "action", "details"),
}
# columns a migration added to a trail after events were hashed without them: hashed only when
# they hold a value, so the older events (where they are empty) keep their hashes (0018)
ADDED_LATER: dict[str, frozenset[str]] = {
    "acknowledgement_rounds": frozenset({"letter_number", "letter_date", "subject", "signatory"}),
}
MODELS = {"flag_events": FlagEvent, "assessment_events": AssessmentEvent, "user_events": UserEvent,
          "calendar_entries": CalendarEntryRow, "acknowledgement_rounds": AcknowledgementRoundRow,
          "ita_items": ItaItemRow, "campaign_entries": CampaignEntryRow, "audit_seals": AuditSeal,
          "api_token_events": ApiTokenEvent, "intake_events": IntakeEvent}
SEALED = tuple(t for t in CHAINED if t != "audit_seals")  # the trails the seals pin
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
    later = ADDED_LATER.get(table, ())
    return json.dumps({"table": table, **{c: _norm(row.get(c)) for c in CHAINED[table]
                                          if c not in later or row.get(c) is not None}},
                      sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def row_hash(prev_hash: str, table: str, row: dict[str, Any], key: bytes | None = None) -> str:
    return _linked(prev_hash, canonical(table, row), key)


def _linked(prev_hash: str, text: str, key: bytes | None = None) -> str:
    """The hash of an event whose canonical text is ``text``, after the event hashed ``prev_hash``:
    HMAC-SHA256 under ``key``, or (``None``: events from before keys, key id 0) SHA-256."""
    data = f"{prev_hash}\n{text}".encode()
    if key is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.digest(key, data, "sha256").hex()


MARK = "\x00the flag id\x00"  # JSON "\u0000the flag id\u0000": no other value of an event reads so


class FlagEventCanon:
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
            around = canonical("flag_events", {**row, "flag_id": MARK}).split(json.dumps(MARK), 1)
            self._around[key] = around
        flag_id = row["flag_id"]
        if type(flag_id) is str and flag_id.isprintable() and '"' not in flag_id and "\\" not in flag_id:
            return around[0] + '"' + flag_id + '"' + around[1]  # what json.dumps makes of it, without it
        return json.dumps(flag_id, ensure_ascii=False).join(around)


class Chain:
    """The tail of one table's hash chain, taken under the table's lock (``db.begin_write``,
    held until commit), and the events linked after it: ``link`` is pure computation, so the
    rows it returns can be written while the caller links the next ones (``bulk.WriteBehind``),
    as long as they are written in the order linked."""

    def __init__(self, session: Session, model: type, keys: AuditKeys | None = None):
        self.table = model.__table__
        begin_write(session, self.table.name)  # the chain's tail is ours until commit
        # the key read under the lock: a rotation's seal (which takes it too) comes before or after us
        keys = keys or audit_keys()
        self.key_id, self._key = keys.current
        _check_key(session, keys)
        self.prev = session.scalar(select(self.table.c.row_hash).order_by(self.table.c.id.desc()).limit(1)) or GENESIS
        self.now = utcnow()
        name = self.table.name
        self._columns = CHAINED[name]
        self._text_of = FlagEventCanon() if name == "flag_events" else (lambda row: canonical(name, row))

    def link(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``rows`` as they are to be stored, each with its place in the chain after the last."""
        out = []
        prev, text_of, now, key, key_id = self.prev, self._text_of, self.now, self._key, self.key_id
        for row in rows:
            row = {c: row.get(c) for c in self._columns}
            if row["at"] is None:
                row["at"] = now
            if row.get("details") is not None:  # stored as it will read back, so the hash matches
                row["details"] = json.loads(json.dumps(_norm(row["details"]), ensure_ascii=False))
            digest = hmac.digest(key, f"{prev}\n{text_of(row)}".encode(), "sha256").hex()  # _linked, inline
            row["prev_hash"], row["row_hash"], row["key_id"] = prev, digest, key_id
            out.append(row)
            prev = digest
        self.prev = prev
        return out


_SEAL = AuditSeal.__table__
_LAST_SEAL = (select(_SEAL.c.prev_hash, _SEAL.c.row_hash, _SEAL.c.key_id, *(_SEAL.c[c] for c in CHAINED["audit_seals"]))
              .order_by(_SEAL.c.id.desc()).limit(1))
_SEALS_CHECKED: set[tuple[str, bytes]] = set()  # (seal's hash, key) found to match: each writer asks


def _check_key(session: Session, keys: AuditKeys) -> None:
    """Refuse to key events with a key file this store was not sealed with (a new file made in
    the wrong folder, an old copy): its events would never verify. The latest seal, keyed with
    the key id it requires, is checked with that id's key from the file."""
    last = session.execute(_LAST_SEAL).first()
    if last is None:
        return  # the upgrade that seals the trails (0017), or a store before it
    key_id = last.key_id
    if key_id > keys.current[0]:
        raise AuditKeyError(
            f"ไฟล์กุญแจ {keys.path} มีกุญแจถึงเลข {keys.current[0]} แต่ฐานข้อมูลถูกปิดตราด้วยกุญแจเลข {key_id}: ไฟล์นี้เป็นสำเนาเก่า "
            f"นำไฟล์ปัจจุบันกลับมา / the audit key file {keys.path} holds keys up to id {keys.current[0]}, but the store "
            f"was sealed with key id {key_id}: the file is an old copy; restore the current one (docs/audit.md)")
    key = keys.get(key_id)
    if key is not None and (last.row_hash, key) in _SEALS_CHECKED:
        return
    content = {c: getattr(last, c) for c in CHAINED["audit_seals"]}
    if key is not None and row_hash(last.prev_hash, "audit_seals", content, key) == last.row_hash:
        _SEALS_CHECKED.add((last.row_hash, key))
    else:
        raise AuditKeyError(
            f"กุญแจเลข {key_id} ในไฟล์ {keys.path} ไม่ใช่กุญแจที่ฐานข้อมูลนี้ใช้ (อาจเป็นไฟล์ใหม่ที่สร้างผิดที่): นำไฟล์กุญแจที่ถูกต้อง"
            f"กลับมา หรือกำหนด DISCRETION_AUDIT_KEY_FILE / key id {key_id} in the audit key file {keys.path} is not the "
            "key this store was sealed with (perhaps a new file made in another folder): nothing was written; point "
            "DISCRETION_AUDIT_KEY_FILE at the store's key file (docs/audit.md)")


def append(session: Session, model: type, rows: list[dict[str, Any]], keys: AuditKeys | None = None) -> None:
    """Append events to ``model``'s table with their place in its hash chain."""
    if not rows:
        return
    chain = Chain(session, model, keys)
    bulk_insert(session, chain.table, chain.link(rows))  # COPY on PostgreSQL when there are many


def seal(session: Session, scope: Scope, keys: AuditKeys | None = None, trails: tuple[str, ...] = SEALED) -> int:
    """Seal every trail (or ``trails``: those a migration creates) under the current key (see the
    module's docstring): each trail's lock is taken first, in one order, so no writer appends
    between its head being read and the seal; returns the key id. In the caller's transaction.
    Administrators only."""
    scope.require(MANAGE_USERS)
    actor = scope.username
    keys = keys or audit_keys()
    rows = []
    present = set(inspect(session.connection()).get_table_names())
    for table in trails:
        if table not in present:  # a trail a later migration creates (and seals then)
            continue
        t = MODELS[table].__table__
        begin_write(session, table)
        head = session.execute(select(t.c.id, t.c.row_hash).order_by(t.c.id.desc()).limit(1)).first()
        rows.append({"actor": actor, "chain": table, "last_id": head[0] if head else None,
                     "last_hash": head[1] if head else GENESIS})
    chain = Chain(session, AuditSeal, keys)
    bulk_insert(session, chain.table, chain.link(rows))
    return chain.key_id


def chain_rows(conn: Connection | Session, table: str, with_key: bool = False,
               columns: tuple[str, ...] | None = None):
    """(id, prev_hash, row_hash, content) of every row of a chained table, in id order;
    ``with_key``: (id, prev_hash, row_hash, key_id, content) (a store since migration 0017).
    ``columns``: the content columns to read (a store before a migration that added some)."""
    t = MODELS[table].__table__
    names = columns or CHAINED[table]
    head = [t.c.id, t.c.prev_hash, t.c.row_hash] + ([t.c.key_id] if with_key else [])
    cols = head + [t.c[c] for c in names]
    n = len(head)
    for r in conn.execute(select(*cols).order_by(t.c.id)).yield_per(5000):
        yield (*r[:n], dict(zip(names, r[n:])))


def rehash_all(conn: Connection) -> None:
    """Give every existing row of each chained table its hashes (the migration that added them)."""
    insp = inspect(conn)
    present = set(insp.get_table_names())
    for table in CHAINED:
        if table not in present:  # a trail a later migration creates (empty then, nothing to hash)
            continue
        t = MODELS[table].__table__
        stored = {c["name"] for c in insp.get_columns(table)}
        columns = tuple(c for c in CHAINED[table] if c in stored)  # a column a later migration adds: empty
        prev = GENESIS
        for row_id, _, _, content in list(chain_rows(conn, table, columns=columns)):
            digest = row_hash(prev, table, content)
            conn.execute(t.update().where(t.c.id == row_id).values(prev_hash=prev, row_hash=digest))
            prev = digest


@dataclass
class Broken:
    """Something ``verify`` found wrong: in a trail (``table`` a chained table, ``event_id`` the
    event), or a row whose state is not what its trail says (``table`` ``flags`` or ``users``,
    ``event_id`` the row's id). ``what`` says it in Thai and English."""

    table: str
    event_id: int | str | None
    what: str

    def __str__(self) -> str:
        where = f"event #{self.event_id}" if self.table in CHAINED else str(self.event_id)
        return f"{self.table} {where}: {self.what}"


@dataclass
class Report:
    """What ``walk`` walked and found."""

    counts: dict[str, int] = field(default_factory=dict)  # events per trail
    broken: list[Broken] = field(default_factory=list)
    replayed: dict[str, int] = field(default_factory=dict)  # rows compared with their trails: flags, users
    anchors: int = 0  # anchors checked
    key_ids: set[int] = field(default_factory=set)  # key ids of the events (0: before keys)


def walk(session: Session, scope: Scope, replays: dict[str, list[Any]], anchors: list | None = None,
         keys: AuditKeys | None = None) -> Report:
    """Walk every trail (the seals' first), feeding each event to the ``replays`` of its trail
    (trail -> objects with ``feed(event id, content)``, then ``mismatches(session)``: the rows
    that differ from what their trail says); with ``anchors`` (``anchors.read``), check that
    each trail still passes through them. Per trail, the first broken link; every seal and
    anchor it no longer passes through; every row whose state differs from its trail.
    ``replay.verify_all`` gives the replays of every trail: call that."""
    scope.require(MANAGE_USERS)
    keys = keys or audit_keys(create=False)
    report = Report()
    wanted: dict[str, dict[int | None, list]] = {}
    for a in anchors or []:
        wanted.setdefault(a.chain, {}).setdefault(a.last_id, []).append(a)
        report.anchors += 1
    seals: dict[str, list[tuple[int | None, str, int, Any]]] = {}  # trail -> (last id, hash, key id, when)
    for table in ("audit_seals", *SEALED):
        pins = sorted(seals.get(table, []), key=lambda p: p[0] or 0)
        pinned: dict[int, list] = {}
        for pin in pins:
            if pin[0] is not None:
                pinned.setdefault(pin[0], []).append(pin)
        anchored = wanted.get(table, {})
        feeds = [kind.feed for kind in replays.get(table, ())]
        required, since = (1, None) if table == "audit_seals" else (0, None)  # the seals are keyed from the first
        next_pin = 0
        prev, n, last_key, first_break = GENESIS, 0, 0, None
        for row_id, stored_prev, stored_hash, key_id, content in chain_rows(session, table, with_key=True):
            n += 1
            report.key_ids.add(key_id)
            for feed in feeds:
                feed(row_id, content)
            if table == "audit_seals":
                seals.setdefault(content["chain"], []).append((content["last_id"], content["last_hash"], key_id,
                                                               content["at"]))
            while next_pin < len(pins) and (pins[next_pin][0] or 0) < row_id:
                if pins[next_pin][2] > required:
                    required, since = pins[next_pin][2], pins[next_pin][3]
                next_pin += 1
            for _, last_hash, _, at in pinned.pop(row_id, ()):
                if stored_hash != last_hash:
                    report.broken.append(Broken(table, row_id, _off_seal(at, last_hash, stored_hash)))
            for a in anchored.pop(row_id, ()):
                if stored_hash != a.row_hash:
                    report.broken.append(Broken(table, row_id, _off_anchor(a, stored_hash)))
            if first_break is None:
                first_break = _link_broken(table, prev, stored_prev, stored_hash, key_id, last_key, required, since,
                                           content, keys)
                if first_break:
                    report.broken.append(Broken(table, row_id, first_break))
                prev, last_key = stored_hash, max(last_key, key_id)
        report.counts[table] = n
        for last_id, pins_left in sorted(pinned.items()):
            for _, _, _, at in pins_left:
                report.broken.append(Broken(table, last_id, _seal_gone(at, last_id, n)))
        for last_id, left in anchored.items():
            for a in left:
                if last_id is not None:
                    report.broken.append(Broken(table, last_id, _anchor_gone(a, n)))
        if table != "audit_seals" and not pins:
            report.broken.append(Broken(table, None, "ไม่มีตราปิดของบันทึกนี้ใน audit_seals (ถูกลบ) / the trail has no "
                                                     "seal in audit_seals: the seal made at the upgrade (0017) is gone"))
    for kinds in replays.values():
        for kind in kinds:
            problems, compared = kind.mismatches(session)  # (table, row id, what)
            report.broken += [Broken(*p) for p in problems]
            report.replayed[kind.rows] = compared
    return report


def _link_broken(table: str, prev: str, stored_prev: str, stored_hash: str, key_id: int, last_key: int,
                 required: int, since: Any, content: dict[str, Any], keys: AuditKeys) -> str | None:
    """Why an event does not link where it stands (Thai / English), or None."""
    if stored_prev != prev:
        return (f"prev_hash ไม่ใช่ค่าแฮชของเหตุการณ์ก่อนหน้า: มีเหตุการณ์ก่อนหน้านี้ถูกลบ แก้ไข หรือแทรก / "
                f"prev_hash {stored_prev} is not the previous event's hash {prev}: an event before it was removed, "
                "changed or inserted")
    if key_id < required:
        when = f" ({since})" if since else ""
        return (f"เขียนด้วยกุญแจเลข {key_id} หลังจากบันทึกถูกปิดตราให้ใช้กุญแจเลข {required} ขึ้นไป{when}: ผู้เขียนไม่มีกุญแจปัจจุบัน "
                f"(เช่น เพิ่มด้วยคำสั่ง SQL) / keyed with key id {key_id} ({'none' if key_id == 0 else 'an older key'}) "
                f"after the trail was sealed for key id {required} or later{when}: written by someone without the "
                "current key (e.g. inserted by SQL)")
    if key_id < last_key:
        return (f"เขียนด้วยกุญแจเลข {key_id} หลังเหตุการณ์ที่ใช้กุญแจเลข {last_key} / keyed with key id {key_id} after an "
                f"event keyed with key id {last_key}: an older key cannot write after a newer one")
    key = keys.get(key_id) if key_id else None
    if key_id and key is None:
        return (f"ไม่มีกุญแจเลข {key_id} ในไฟล์กุญแจ {keys.path} (นำไฟล์กุญแจกลับมาจากสำรอง) / key id {key_id} is not in "
                f"the audit key file {keys.path}: restore the file from its backup (docs/audit.md)")
    if stored_hash != row_hash(prev, table, content, key):
        return ("เนื้อหาไม่ตรงกับค่าแฮชแล้ว: ถูกแก้ไขหลังจากบันทึก หรือเขียนโดยผู้ที่ไม่มีกุญแจ / its content no longer matches "
                f"its hash: it was changed after it was written, or written without the key (now {canonical(table, content)})")
    return None


def _off_seal(at: Any, sealed: str, now: str) -> str:
    return (f"ไม่ผ่านตราปิดที่บันทึกไว้เมื่อ {at} แล้ว: เหตุการณ์นี้หรือก่อนหน้าถูกเขียนใหม่ / the trail no longer passes through "
            f"its seal of {at}: this event's hash was {sealed}, now {now} (it, or an event before it, was rewritten)")


def _seal_gone(at: Any, last_id: int, n: int) -> str:
    return (f"เหตุการณ์ที่ตราปิดเมื่อ {at} อ้างถึงไม่มีแล้ว (บันทึกมี {n} เหตุการณ์): บันทึกถูกตัดหรือลบ / the event the seal of "
            f"{at} pins is gone (the trail has {n} events): the trail was cut short or events were deleted")


def _off_anchor(a: Any, now: str) -> str:
    return (f"ไม่ตรงกับหมุดยึดบรรทัด {a.line} ({a.at}): ค่าแฮชเดิม {a.row_hash} ตอนนี้ {now} บันทึกถูกเขียนใหม่ / no longer "
            f"extends its anchor (line {a.line}, {a.at}): this event's hash was {a.row_hash}, now {now}: the trail "
            "was rewritten")


def _anchor_gone(a: Any, n: int) -> str:
    return (f"เหตุการณ์ที่หมุดยึดบรรทัด {a.line} ({a.at}) อ้างถึงไม่มีแล้ว (บันทึกมี {n} เหตุการณ์): บันทึกถูกตัดหรือลบ / "
            f"the event anchored at line {a.line} ({a.at}) is gone (the trail has {n} events): the trail was cut "
            "short or events were deleted")
