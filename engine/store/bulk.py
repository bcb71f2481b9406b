"""Bulk database writes: many rows in few statements, on SQLite and PostgreSQL.

``bulk_insert`` (executemany with statements made once per shape; PostgreSQL's binary COPY for
large batches), ``WriteBehind`` (the same, by a background thread while the caller builds the
next rows), ``bulk_update`` (one statement per batch) and ``refresh_statistics``. Bulk reads
are ``adbc.py``'s. Both are used by imports and runs only: every other write is an ORM one.
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    bindparam,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

# Below this many rows an executemany is as quick as COPY and simpler to follow in a log.
COPY_FROM = 500


class EncodedJSON:
    """A JSON column's value given already encoded: ``bulk_insert`` stores the text as it is
    (a run's flag evidence, which the evaluation wrote as JSON once already). Anywhere else
    SQLAlchemy refuses it (not JSON serialisable) rather than store it as a JSON string."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


def _json_processor(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def encode(value: Any) -> Any:
        return value.text if type(value) is EncodedJSON else process(value)
    return encode


def decoded_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` for SQLAlchemy's own executemany: an ``EncodedJSON`` value decoded again."""
    if not any(type(v) is EncodedJSON for row in rows for v in row.values()):
        return rows
    return [{k: json.loads(v.text) if type(v) is EncodedJSON else v for k, v in row.items()} for row in rows]


def _copy_value(column: Any) -> Callable[[Any], Any] | None:
    """How a column's value goes to COPY: JSON serialised the way SQLAlchemy's JSON type does
    (so None is the JSON ``null``, as an executemany stores it) unless given encoded; anything
    else as it is, psycopg adapts it (None: nothing to do)."""
    return _json_processor(json.dumps) if isinstance(column.type, JSON) else None


def _remembered(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A bind processor that converts each distinct value once: a run's 170,000 flags share a
    handful of dates and one time, and SQLAlchemy formats a date anew each time (1 s)."""
    seen: dict[Any, Any] = {}

    def once(value: Any) -> Any:
        out = seen.get(value, seen)
        if out is seen:
            out = seen[value] = process(value)
        return out
    return once


def _sqlite_processors(conn: Any, columns: list[Column]) -> list[Callable[[Any], Any] | None]:
    """Each column's own SQLAlchemy bind processor (dates, JSON, booleans stored exactly as
    SQLAlchemy stores them); a date's or a time's remembered per value."""
    out = []
    for c in columns:
        process = c.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        if process is not None and isinstance(c.type, (Date, DateTime)):
            process = _remembered(process)
        elif process is not None and isinstance(c.type, JSON):
            process = _json_processor(process)
        out.append(process)
    return out


def use_copy(conn: Any, rows: list[dict[str, Any]]) -> bool:
    return len(rows) >= COPY_FROM and conn.dialect.name == "postgresql"


def _defaults_in_database(table: Table, names: list[str]) -> bool:
    """No column left out of an insert needs a Python-side default (COPY knows only the database's)."""
    return all(c.name in names or c.default is None or c.server_default is not None for c in table.columns
               if c.computed is None)


def bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) in the session's transaction: PostgreSQL
    ``COPY … FROM STDIN`` (psycopg 3's ``cursor.copy``) for a large batch, SQLite statements of
    many rows each (``_sqlite_inserts``), else SQLAlchemy's executemany."""
    if rows:
        _insert(session, session.connection(), table, rows)()


def _insert(session: Session, conn: Any, table: Table, rows: list[dict[str, Any]]) -> Callable[[], None]:
    """``bulk_insert``'s writing of ``rows``, to be run: what can be made beforehand (SQLite's
    statements and their parameters) is made now, by the caller (``WriteBehind``: so that its
    thread only hands them over)."""
    names = list(rows[0])
    if not _defaults_in_database(table, names):
        return lambda: session.execute(table.insert(), decoded_rows(rows))
    if conn.dialect.name == "sqlite":
        statements = _sqlite_inserts(conn, table, rows)
        return lambda: _execute_sqlite(conn, statements)
    if not use_copy(conn, rows):
        return lambda: session.execute(table.insert(), decoded_rows(rows))
    return lambda: _copy_rows(conn, table, names, rows)


def _copy_rows(conn: Any, table: Table, names: list[str], rows: list[dict[str, Any]]) -> None:
    with CopyStream(conn, table, names) as stream:
        stream.write(rows)


# How each column type goes to COPY in binary form (psycopg's dumper for it; the server's
# reading of binary values is cheaper than of text: a run's 171,481 flags 4.8 → 4.2 s). A JSON
# value is given as its text (``_copy_value``), which is also its binary form (not JSONB's).
# Binary values are not parsed by the server: a model's type must be its column's exactly, and
# a value of another Python type is refused here (psycopg's integer dumpers would wrap an
# out-of-range number around, its boolean dumper store any text as true).
_COPY_BINARY = ((Boolean, "bool"), (Date, "date"), (DateTime, "timestamp"), (Double, "float8"),
                (SmallInteger, "int2"), (BigInteger, "int8"), (Integer, "int4"), (JSON, "text"),
                (LargeBinary, "bytea"), (String, "text"))
_INT_RANGE = {"int2": 2**15, "int4": 2**31, "int8": 2**63}


def copy_type(column: Any) -> str | None:
    if isinstance(column.type, DateTime) and column.type.timezone or isinstance(column.type, JSONB):
        return None
    return next((name for kind, name in _COPY_BINARY if isinstance(column.type, kind)), None)


def _checked(name: str, binary: str, process: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
    """``process`` (or nothing), refusing what the binary form would store wrong: a number out
    of its column's range, a yes/no that is not a boolean."""
    if binary in _INT_RANGE:
        limit = _INT_RANGE[binary]

        def number(value: Any) -> Any:
            if value is not None and not (type(value) is int and -limit <= value < limit):
                raise ValueError(f"column {name}: {value!r} is not a whole number that fits {binary}")
            return value
        return number
    if binary == "bool":
        def yes_no(value: Any) -> Any:
            if value is not None and type(value) is not bool:
                raise ValueError(f"column {name}: {value!r} is not true or false")
            return value
        return yes_no
    return process


class CopyStream:
    """One ``COPY table (names) FROM STDIN``, open while batches of rows are written into it;
    in binary form when every column's type has one here (``_COPY_BINARY``), else as text."""

    def __init__(self, conn: Any, table: Table, names: list[str]):
        self.key = (table.name, tuple(names))
        self._names = names
        self._procs = [_copy_value(table.c[n]) for n in names]
        types = [copy_type(table.c[n]) for n in names]
        self._types = None if None in types else types
        if self._types:
            self._procs = [_checked(n, t, p) for n, t, p in zip(names, self._types, self._procs)]
        quoted = ", ".join(f'"{n}"' for n in names)
        self._cursor = conn.connection.dbapi_connection.cursor()
        self._context = self._cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN'
                                          + (" (FORMAT BINARY)" if self._types else ""))

    def __enter__(self) -> CopyStream:
        try:
            self._copy = self._context.__enter__()
        except BaseException:
            self._cursor.close()
            raise
        if self._types:
            try:
                self._copy.set_types(self._types)
            except BaseException as exc:
                self.__exit__(type(exc), exc, exc.__traceback__)
                raise
        return self

    def write(self, rows: list[dict[str, Any]]) -> None:
        write_row, names, procs = self._copy.write_row, self._names, self._procs
        for row in rows:
            write_row([p(row[n]) if p else row[n] for n, p in zip(names, procs)])

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        try:  # with an exception, psycopg ends the COPY as failed: nothing of it is stored
            self._context.__exit__(kind, exc, tb)
        finally:
            self._cursor.close()


def _sqlite_inserts(conn: Any, table: Table, rows: list[dict[str, Any]]) -> list[tuple[str, list[Any]]]:
    """SQLite ``INSERT … VALUES (…), (…), …`` statements for ``rows`` (dicts with the same
    keys), as many rows each as SQLite takes parameters, with the parameters the columns' own
    bind processors make (dates, JSON, booleans stored exactly as SQLAlchemy stores them).

    A statement of many rows is one call into SQLite, which works without the GIL: per row,
    the DB-API's executemany went back to Python (and the GIL) twice."""
    names = list(rows[0])
    columns = [table.c[n] for n in names]
    procs = _sqlite_processors(conn, columns)
    limit = conn.connection.dbapi_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = max(1, min(500, limit // len(names)))
    quoted = ", ".join(f'"{n}"' for n in names)
    head = f'INSERT INTO "{table.name}" ({quoted}) VALUES '
    one = "(" + ",".join("?" * len(names)) + ")"
    out = []
    for start in range(0, len(rows), per):
        chunk = rows[start:start + per]
        values = [p(row[n]) if p else row[n] for row in chunk for n, p in zip(names, procs)]
        out.append((head + ",".join([one] * len(chunk)), values))
    return out


def _execute_sqlite(conn: Any, statements: list[tuple[str, list[Any]]]) -> None:
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        for sql, values in statements:
            cursor.execute(sql, values)
    finally:
        cursor.close()


class WriteBehind:
    """Bulk inserts run in order on the session's connection by one background thread while
    the caller builds the next rows: SQLite (``sqlite3_step``) and psycopg (COPY) let go of the
    GIL while the database works, so a large write uses the second core instead of waiting
    for it. Inside the caller's transaction, as ``bulk_insert`` is.

    Until the ``with`` block ends (which waits for every write, and raises the first one's
    error) the caller must not use the session: the thread is using its connection."""

    def __init__(self, session: Session, queued: int = 4):
        self._session = session
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=queued)
        self._error: BaseException | None = None
        self._streaming: tuple[str, tuple[str, ...]] | None = None  # the rows the open COPY takes
        self._cancelled = False
        self._thread = threading.Thread(target=self._work, name="write-behind", daemon=True)

    def __enter__(self) -> WriteBehind:
        self._conn = self._session.connection()  # taken here: the thread will be using the session
        # (a command doing only this shortens the interpreter's switch interval around it:
        # engine.gcpause.short_switch_interval; a server running other sessions does not)
        self._thread.start()
        return self

    def _work(self) -> None:
        stream: CopyStream | None = None  # a COPY left open for the next batch of the same rows

        def end(error: BaseException | None = None) -> None:
            """End the open COPY, if any: as written, or (``error``) as failed, nothing of it stored."""
            nonlocal stream
            done, stream = stream, None
            if done is None:
                return
            if error is None:
                done.__exit__(None, None, None)
            else:
                with suppress(BaseException):
                    done.__exit__(type(error), error, error.__traceback__)

        while (job := self._jobs.get()) is not None:
            if self._error is not None or self._cancelled:
                continue  # after a failure the rest are dropped: the transaction is lost anyway
            try:
                if isinstance(job, tuple):  # (table, names, rows) for PostgreSQL's COPY
                    table, names, rows = job
                    if stream is not None and stream.key != (table.name, tuple(names)):
                        end()
                    if stream is None:
                        stream = CopyStream(self._conn, table, names).__enter__()
                    stream.write(rows)
                else:
                    end()
                    job()
            except BaseException as exc:  # noqa: BLE001  (handed to the caller's thread)
                self._error = exc
                end(exc)
        try:
            end(RuntimeError("the caller's block failed") if self._cancelled else None)
        except BaseException as exc:  # noqa: BLE001  (handed to the caller's thread)
            self._error = exc

    def insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Queue ``rows`` for ``bulk_insert`` (waits while a few batches are queued already).
        On SQLite the statements and their parameters are made here, so that the thread only
        hands them to SQLite. On PostgreSQL consecutive batches of the same table and columns
        go into one COPY, kept open between them: the server takes in each row as it comes
        (a COPY per batch waited for the server at the end of each); a batch of another table
        ends it (a run's flags and their events alternate: the events name their flags)."""
        if self._error is not None:
            raise self._error
        if not rows:
            return
        names = list(rows[0])
        key = (table.name, tuple(names))
        if self._conn.dialect.name == "postgresql" and _defaults_in_database(table, names) \
                and (use_copy(self._conn, rows) or key == self._streaming):
            self._streaming = key
            self._jobs.put((table, names, rows))
        else:
            self._streaming = None
            self._jobs.put(_insert(self._session, self._conn, table, rows))

    def __exit__(self, kind: type[BaseException] | None, *_: Any) -> None:
        self._cancelled = kind is not None  # the transaction is lost: write no more of it
        self._jobs.put(None)
        self._thread.join()
        if self._error is not None and kind is None:
            raise self._error


def bulk_update(session: Session, table: Table, key: str, rows: list[dict[str, Any]],
                extra: dict[str, str] | None = None) -> None:
    """``UPDATE table SET <every other key of rows> WHERE key = row[key]`` for each row (dicts
    with the same keys), plus ``extra`` (column -> SQL over the old row, e.g. ``version + 1``).

    PostgreSQL, large batch: the rows are copied into a temporary table and applied by one
    ``UPDATE … FROM``; otherwise one executemany. Either way inside the caller's transaction,
    so the caller's locks hold throughout.
    """
    if not rows:
        return
    extra = extra or {}
    names = list(rows[0])
    if not use_copy(session.connection(), rows):
        values: dict[str, Any] = {n: bindparam(f"v_{n}") for n in names if n != key}
        values.update({c: text(sql) for c, sql in extra.items()})
        stmt = table.update().where(table.c[key] == bindparam(f"v_{key}")).values(**values)
        session.execute(stmt, [{f"v_{k}": v for k, v in row.items()} for row in rows])
        return
    conn = session.connection()
    temp = f"_bulk_{table.name}"
    quoted = ", ".join(f'"{n}"' for n in names)
    # the columns' own types, no constraints; gone at commit (or rollback)
    conn.exec_driver_sql(f'CREATE TEMP TABLE "{temp}" ON COMMIT DROP AS SELECT {quoted} FROM "{table.name}" WITH NO DATA')
    bulk_insert(session, Table(temp, MetaData(), *(Column(n, table.c[n].type) for n in names)), rows)
    sets = [f'"{n}" = t."{n}"' for n in names if n != key] + [f'"{c}" = {sql}' for c, sql in extra.items()]
    conn.exec_driver_sql(f'UPDATE "{table.name}" SET {", ".join(sets)} FROM "{temp}" t '
                         f'WHERE "{table.name}"."{key}" = t."{key}"')
    conn.exec_driver_sql(f'DROP TABLE "{temp}"')  # the next batch in this transaction makes its own


def refresh_statistics(session: Session, table: str) -> None:
    """PostgreSQL: ``VACUUM (ANALYZE)`` a table just rewritten in bulk, in a fresh ``session``
    (VACUUM runs outside a transaction). Until autovacuum gets to it the planner believes the
    table nearly empty and sorts the whole review queue for every page instead of walking the
    severity index, and with no visibility map every index walk also reads the rows: a far
    page of 100,000 flags takes hundreds of ms instead of about ten. SQLite plans well without."""
    if session.get_bind().dialect.name == "postgresql":
        conn = session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        owner = conn.exec_driver_sql(f"SELECT pg_has_role(relowner, 'USAGE') FROM pg_class "
                                     f"WHERE oid = '\"{table}\"'::regclass").scalar()
        if owner:
            conn.exec_driver_sql(f'VACUUM (ANALYZE) "{table}"')
        elif table == "flags":  # the app's role (data rights only, docs/audit.md) may not VACUUM: the
            conn.exec_driver_sql("SELECT discretion_analyze_flags()")  # owner's function analyzes (0017)
