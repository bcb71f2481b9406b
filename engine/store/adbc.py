"""Whole stored tables read as columns through ADBC, Apache Arrow's database connectivity (its
SQLite and PostgreSQL drivers), for the evaluation run, which reads every stored case.

Through the DB-API each cell of a result becomes a Python object as it is fetched (a million
cases: twenty million of them, 3 s) and SQLAlchemy's rows and types cost about as much again.
Through ADBC the cells stay in Arrow's memory; each column's distinct values become Python
objects once, converted by the column's own SQLAlchemy type exactly as SQLAlchemy converts
them, and equal values are one object, as the CSV reader has them (the evaluation's forked
workers then share their pages).

Only reading, on connections of its own — on SQLite read-only and in a forked process (see
``query_all``) — which see only what is committed (``data.load_all`` asks only for a session
that has written nothing). Several statements (``read_tables``: a run's ten tables and what
else it reads) are read in one snapshot of the store, as if at one instant: on SQLite the
forked process reads them all in one read transaction on one connection; on PostgreSQL the
caller's transaction (``db.begin_read``: REPEATABLE READ) exports its snapshot and the reading
connection imports it (``SET TRANSACTION SNAPSHOT``) and reads them all, so the caller's own
reads see the same state too. It reads only what it can read exactly as SQLAlchemy would; for anything else
— no driver installed, a database in memory, a column type or an Arrow type it does not know,
a value that fails to convert, a driver error, a failed or hung reading process — it answers
False and the caller reads everything through SQLAlchemy (in its own transaction: one
snapshot too).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import quote

from sqlalchemy import Boolean, Connection, Date, Integer, Select, String, func, select

log = logging.getLogger(__name__)

# what the driver may hand over for a column of each SQLAlchemy type (a column of nulls only
# may come as anything: SQLite's driver calls it int64)
_ARROW_TYPES: dict[type, dict[str, frozenset[str]]] = {
    String: {"sqlite": frozenset({"string"}), "postgresql": frozenset({"string"})},
    Integer: {"sqlite": frozenset({"int64"}), "postgresql": frozenset({"int16", "int32", "int64"})},
    Boolean: {"sqlite": frozenset({"int64"}), "postgresql": frozenset({"bool"})},
    Date: {"sqlite": frozenset({"string"}), "postgresql": frozenset({"date32[day]"})},
}


def _sqlite_count(stmt: Select, dialect: Any) -> str:
    """The SQL that counts ``stmt``'s rows: the reading process sets the driver's rows per batch
    to all of them, counted in its transaction (``read_sqlite``). The driver infers a column's type from a batch's values: a
    column whose first thousand values are NULL is typed int64 and its first text refused, so one
    batch holds them all. Not more: the driver reserves memory for as many rows as a batch may hold."""
    return _sql(select(func.count()).select_from(stmt.order_by(None).subquery()), dialect)


def _sql(stmt: Select, dialect: Any) -> str:
    """``stmt`` as SQL with its values written in (a reading connection takes no parameters)."""
    return str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def read_batches(conn: Connection, stmt: Select, each: Callable[[list[list[Any]]], None]) -> bool:
    """``read_tables`` for one statement: ``each`` gets its columns batch by batch."""
    return read_tables(conn, [stmt], lambda _, columns: each(columns))


def read_tables(conn: Connection, stmts: Sequence[Select], each: Callable[[int, list[list[Any]]], None]) -> bool:
    """Hand ``each(i, columns)`` the columns each of ``stmts`` selects, statement after statement,
    batch after batch in row order, as the Python values SQLAlchemy would return (equal values of
    a column one object, across batches too: ``_python_values``), every statement read in one
    snapshot of the store (on PostgreSQL the one ``conn``'s transaction sees: ``db.begin_read``).

    False when this cannot be done exactly: the caller then drops all that ``each`` was handed
    and reads through SQLAlchemy. An error ``each`` raises is the caller's: it is raised, once the
    reading has stopped. On PostgreSQL a thread of its own fetches the next batches (the driver
    lets go of the GIL) while ``each`` works on this one: a million cases 3.9 → 3.1 s."""
    dialect = conn.dialect
    kinds: list[list[type]] = []
    for stmt in stmts:
        kinds.append([])
        for column in stmt.selected_columns:
            kind = next((k for k in _ARROW_TYPES if isinstance(column.type, k)), None)
            if kind is None or dialect.name not in _ARROW_TYPES[kind]:
                return False
            kinds[-1].append(kind)
    try:
        reading = query_all(conn, stmts)
    except Exception as exc:  # noqa: BLE001  (no driver, no server, a failed reading process: the other way)
        _unread(conn, exc)
        return False
    if reading is None:
        return False
    with reading as sources:  # PostgreSQL: its connection is closed at the end, whatever happens
        for i, (stmt, stmt_kinds, source) in enumerate(zip(stmts, kinds, sources)):
            processes = [column.type._cached_result_processor(dialect, None) for column in stmt.selected_columns]
            seen: list[dict[Any, Any]] = [{} for _ in stmt_kinds]  # per column: value as read -> as converted
            with source() as opened:  # stops the fetching thread, if any, whatever happens
                while True:
                    try:
                        batch = opened.next()
                        if batch is None:
                            break
                        if batch.num_columns != len(stmt_kinds):
                            return False
                        columns = []
                        for column, kind, values, process, cache in zip(stmt.selected_columns, stmt_kinds,
                                                                        batch.columns, processes, seen):
                            if str(values.type) not in _ARROW_TYPES[kind][dialect.name] \
                                    and values.null_count < len(values):
                                log.info("column %s came as %s: reading through SQLAlchemy", column.name, values.type)
                                return False
                            columns.append(_python_values(values, process, cache))
                    except Exception as exc:  # noqa: BLE001  (any failure of the driver or of a value: the other way)
                        _unread(conn, exc)
                        return False
                    each(i, columns)
    return True


def _unread(conn: Connection, exc: Exception) -> None:
    """Log why the rows are read through SQLAlchemy, without the password."""
    message = f"{type(exc).__name__}: {exc}"
    password = conn.engine.url.password
    if password:  # a driver may quote the connection string it was given
        message = message.replace(str(password), "***").replace(quote(str(password), safe=""), "***")
    log.info("reading through ADBC failed, reading through SQLAlchemy: %s", message)


def libpq_uri(url: Any) -> str:
    """A SQLAlchemy PostgreSQL URL as libpq's URI, every part percent-encoded (libpq refuses a
    raw space, and would quote the password in its error), text asked for in UTF-8 whatever
    the database's encoding (Arrow takes text as UTF-8; psycopg asks so too)."""
    auth = ""
    if url.username:
        auth = quote(url.username, safe="")
        if url.password:
            auth += ":" + quote(str(url.password), safe="")
        auth += "@"
    host = quote(url.host or "", safe="")
    port = f":{url.port}" if url.port else ""
    query = {k: v for k, v in url.query.items() if k != "client_encoding"}
    params = "&".join(f"{quote(k, safe='')}={quote(v if isinstance(v, str) else v[-1], safe='')}"
                      for k, v in query.items())
    return f"postgresql://{auth}{host}{port}/{quote(url.database or '', safe='')}?" + \
        (params + "&" if params else "") + "client_encoding=UTF8"


def query_all(conn: Connection, stmts: Sequence[Select],
             ) -> contextlib.AbstractContextManager[list[Callable[[], _Batches | Fetched]]] | None:
    """Each statement's result, opened when called, batch by batch — all of one snapshot — while
    the context lasts; or None when there is no driver for them."""
    url = conn.engine.url
    backend = url.get_backend_name()
    try:
        import adbc_driver_manager  # noqa: F401
        import pyarrow  # noqa: F401
        if backend == "sqlite":
            import adbc_driver_sqlite  # noqa: F401
        elif backend == "postgresql":
            import adbc_driver_postgresql  # noqa: F401
        else:
            return None
    except ImportError:
        return None
    sqls = [_sql(stmt, conn.dialect) for stmt in stmts]
    if backend == "postgresql":
        # One statement is one snapshot already; several are read on one connection in the
        # caller's (its transaction stays open, and the snapshot with it, until the caller is
        # done with the results): what the caller reads itself is of the same instant.
        return _postgres_sources(libpq_uri(url), sqls, _exported_snapshot(conn) if len(sqls) > 1 else None)
    if not url.database or url.database == ":memory:" or url.database.startswith("file:") \
            or not hasattr(os, "memfd_create"):
        return None
    # The driver has its own copy of SQLite inside. Two copies of SQLite in one process each
    # hold POSIX locks on the file, and closing one's descriptor drops the other's locks: a
    # way to corrupt a database (sqlite.org/howtocorrupt.html, 2.2.1; here a committed run
    # vanished). So SQLite is read by a forked process, which hands the tables back (in_child),
    # all read in one read transaction there.
    queries = [(sql, _sqlite_count(stmt, conn.dialect)) for sql, stmt in zip(sqls, stmts)]
    tables = in_child(lambda: read_sqlite("file:" + quote(url.database) + "?mode=ro", queries))
    if len(tables) != len(stmts):
        raise RuntimeError(f"the reading process handed over {len(tables)} results for {len(stmts)} statements")
    return contextlib.nullcontext([lambda table=table: _Batches(table.to_batches()) for table in tables])


_SNAPSHOT_ID = re.compile(r"[0-9A-Fa-f-]+")


def _exported_snapshot(conn: Connection) -> str:
    """The snapshot of ``conn``'s transaction, for other connections to read in (PostgreSQL)."""
    snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
    if not isinstance(snapshot, str) or not _SNAPSHOT_ID.fullmatch(snapshot):
        raise RuntimeError(f"unexpected snapshot id {snapshot!r}")
    return snapshot


def _execute(connection: Any, sql: str) -> None:
    """A statement that returns no rows, on an ADBC connection."""
    import adbc_driver_manager

    with adbc_driver_manager.AdbcStatement(connection) as statement:
        statement.set_sql_query(sql)
        statement.execute_update()


def fetch_result(connection: Any, sql: str, options: dict[str, str] | None = None,
            put: Callable[[Any], bool] | None = None) -> Any:
    """The result of ``sql`` on an ADBC connection as one Arrow table; or, with ``put``, each
    batch handed to ``put`` as it comes, until ``put`` answers False."""
    import adbc_driver_manager
    import pyarrow as pa

    with adbc_driver_manager.AdbcStatement(connection) as statement:
        if options:
            statement.set_options(**options)
        statement.set_sql_query(sql)
        stream, _ = statement.execute_query()
        # the reader is released before its statement and connection close, even part-way
        with pa.RecordBatchReader._import_from_c(stream.address) as reader:
            if put is None:
                return reader.read_all()
            for batch in reader:
                if not put(batch):
                    break
            return None


@contextlib.contextmanager
def _postgres_sources(uri: str, sqls: list[str], snapshot: str | None,
                      ) -> Iterator[list[Callable[[], Fetched]]]:
    """PostgreSQL: each statement's result fetched by a thread (``Fetched``), one statement after
    another on one connection of this module's (a connection costs about 40 ms); with
    ``snapshot``, in that exported snapshot (its transaction REPEATABLE READ, read only). The
    connection is made by the first fetching thread and closed when the context ends, its
    threads ended (they use it one after another, never two at once)."""
    options = {"adbc.postgresql.batch_size_hint_bytes": str(BATCH_BYTES)}
    opened: list[Any] = []  # (database, connection), once made

    def connection() -> Any:
        if not opened:
            opened.extend(connect_postgresql(uri))
            if snapshot is not None:
                _execute(opened[1], "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                _execute(opened[1], f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        return opened[1]
    try:
        yield [lambda sql=sql: Fetched(lambda put: fetch_result(connection(), sql, options, put)) for sql in sqls]
    finally:
        for handle in reversed(opened):
            with contextlib.suppress(Exception):
                handle.close()


def connect_postgresql(uri: str) -> tuple[Any, Any]:
    """A database handle and a connection of ADBC's PostgreSQL driver."""
    import adbc_driver_manager
    import adbc_driver_postgresql as driver

    database = driver.connect(uri)
    try:
        return database, adbc_driver_manager.AdbcConnection(database)
    except BaseException:
        database.close()
        raise


def read_sqlite(uri: str, queries: list[tuple[str, str]]) -> list[Any]:
    """SQLite, in the reading process: each query's result as one Arrow table, all read in one
    read transaction on one connection — every SELECT sees the state of the first (WAL mode) —
    each with as many rows per batch as its count, made in the same transaction, says."""
    import adbc_driver_manager
    import adbc_driver_sqlite as driver

    with driver.connect(uri) as database, adbc_driver_manager.AdbcConnection(database) as connection:
        _execute(connection, "BEGIN")
        tables = []
        for sql, count in queries:
            rows = fetch_result(connection, count).column(0)[0].as_py() or 0
            tables.append(fetch_result(connection, sql, {"adbc.sqlite.query.batch_rows": str(rows + 1)}))
        _execute(connection, "COMMIT")
        return tables


class _Batches:
    """Batches at hand, one after another (``next``: None after the last)."""

    def __init__(self, batches: list[Any]):
        self._batches = iter(batches)

    def next(self) -> Any:
        return next(self._batches, None)

    def __enter__(self) -> _Batches:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class Fetched:
    """Batches fetched by a thread of its own, a few ahead of the caller: ``fetch(put)`` hands
    each to ``put`` and stops when ``put`` answers False (the caller has left). An error of
    ``fetch`` is raised by ``next``. Leaving the ``with`` block stops the thread and waits for it
    (its connection is closed by then)."""

    AHEAD = 2  # batches waiting (the driver's are about 16 MB each)

    def __init__(self, fetch: Callable[[Callable[[Any], bool]], None]):
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=self.AHEAD)
        self._left = threading.Event()
        self._thread = threading.Thread(target=self._fetch, args=(fetch,), name="adbc-fetch", daemon=True)
        self._thread.start()

    def _fetch(self, fetch: Callable[[Callable[[Any], bool]], None]) -> None:
        try:
            fetch(self._put)
            self._put(_END)
        except BaseException as exc:  # noqa: BLE001  (raised in the caller's thread by next)
            self._put(_Failed(exc))

    def _put(self, item: Any) -> bool:
        while not self._left.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def next(self) -> Any:
        item = self._queue.get()
        if isinstance(item, _Failed):
            raise item.error
        return None if item is _END else item

    def __enter__(self) -> Fetched:
        return self

    def __exit__(self, *exc: object) -> None:
        self._left.set()
        self._thread.join()


_END = object()


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


def in_child(read: Callable[[], list[Any]]) -> list[Any]:
    """``read()``'s Arrow tables, made by a forked process, which writes each (Arrow IPC) into a
    file in memory of its own and hands those files over when it is done (descriptors through a
    Unix socket); the files are mapped here, not copied (through a pipe it cost half as much again
    as the reading). Only then are they open in this process: a process another thread forks
    meanwhile does not inherit them. The child touches nothing of the parent's (the store's
    pooled connections are forgotten at fork: ``db._forget_connections_in_child``), dies with
    the parent, and ends by ``os._exit``; its error, if any, is raised here."""
    import mmap
    import signal
    import socket

    import pyarrow as pa

    from engine.evaluation.workers import die_with_parent

    parent = os.getpid()
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)  # one message each way at most
    pid = None
    try:
        pid = os.fork()
        if pid == 0:  # pragma: no cover  (the child: tested by what it hands back, or fails to)
            status = 1
            try:
                ours.close()
                die_with_parent(parent)
                for number in (signal.SIGINT, signal.SIGTERM):  # not the parent's handlers (the app's)
                    signal.signal(number, signal.SIG_DFL)
                files = []
                for table in read():
                    data = os.memfd_create("discretion-review-read")
                    with pa.OSFile(f"/proc/self/fd/{data}", "wb") as sink, \
                            pa.ipc.new_stream(sink, table.schema) as out:
                        out.write_table(table)
                    files.append(data)
                socket.send_fds(theirs, [b"ok"], files)
                status = 0
            except BaseException as exc:  # noqa: BLE001  (told to the parent)
                with contextlib.suppress(BaseException):
                    theirs.send(f"{type(exc).__name__}: {exc}".encode()[:4000])
            finally:
                os._exit(status)
        theirs.close()
        status = _waited(pid, CHILD_TIMEOUT)  # first: the message, if any, is waiting in the socket
        pid = None
        try:
            ours.setblocking(False)
            message, fds, _, _ = socket.recv_fds(ours, 4096, _MAX_TABLES, socket.MSG_CMSG_CLOEXEC)
        except BlockingIOError:
            message, fds = b"", []
        try:
            if status != 0 or message != b"ok":
                raise RuntimeError(f"the reading process failed ({_ended(status)}): "
                                   f"{message.decode(errors='replace') or 'no message'}")
            written = [mmap.mmap(fd, os.fstat(fd).st_size, prot=mmap.PROT_READ) for fd in fds]
        finally:
            for fd in fds:
                os.close(fd)
    finally:
        ours.close()
        theirs.close()
        if pid is not None:  # interrupted while it worked: it is not left behind
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
    return [pa.ipc.open_stream(pa.py_buffer(w)).read_all() for w in written]  # their buffers keep the mappings


_MAX_TABLES = 64  # results one reading process may hand over (a run reads 14)


# PostgreSQL: about how many bytes of rows a batch holds (the driver's default); two wait while
# one is worked on (``Fetched``)
BATCH_BYTES = 16 << 20

# Seconds the reading process may take (a million cases: about 1.5 s). Past it, it is killed
# and the run reads through SQLAlchemy: a child that hangs (say on a lock some thread of the
# parent held when it forked) never blocks the run.
CHILD_TIMEOUT = 600.0


def _waited(pid: int, timeout: float) -> int:
    """The child's wait status, once it has ended; killed first if it takes over ``timeout``."""
    import select
    import signal

    try:
        handle = os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux 5.3+: wait as before
        return os.waitpid(pid, 0)[1]
    try:
        ready, _, _ = select.select([handle], [], [], timeout)
    finally:
        os.close(handle)
    if not ready:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


def _ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


def _python_values(values: Any, process: Any, seen: dict[Any, Any]) -> list[Any]:
    """An Arrow array as Python values: each distinct value converted once (``process``: the
    SQLAlchemy type's result processor, or None), equal values one object (``seen``: the
    values of the column's earlier batches, as read and as converted). A batch whose values
    are all distinct (ids) is neither looked up nor remembered: a million ids would be a
    million entries, and no other batch has them."""
    import pyarrow.compute as pc

    from engine.ingest.columnar import positions

    # the dictionary holds the values in the order they first occur
    encoded = pc.dictionary_encode(values, null_encoding="encode")
    distinct = encoded.dictionary.to_pylist()
    if len(distinct) == len(values):  # every value distinct (an id): the dictionary is the column, in order
        return distinct if process is None else [None if v is None else process(v) for v in distinct]
    converted = [seen[v] if v in seen else seen.setdefault(v, v if v is None or process is None else process(v))
                 for v in distinct]
    return list(map(converted.__getitem__, positions(encoded.indices)))
