"""How long the store takes next to `check` alone, on the same demo data, SQLite and PostgreSQL.

    eval "$(bash scripts/services.sh)"   # DISCRETION_TEST_PG_URL, for the PostgreSQL column
    .venv/bin/python benchmarks/store_speed.py [--cases 100000 1000000] [--workdir DIR] [--no-pg]

For each size it generates a demo dataset (kept in the work folder), then runs the real
command line: ``check`` alone (read, validate, evaluate, write JSON lines), and on a fresh
database of each kind ``import``, a first ``run`` (every flag new: inserts and ``created``
events), a second ``run`` (every flag known: compared under lock, nothing to change) and a
third a day later (what a daily run does: every flag's ``as_of`` moves, and the flags whose
words count days are rewritten), and prints each time with its ratio to ``check`` (the goal:
a run ≤ 2× ``check``). Then it
times the review queue on that database: the first page and the far pages (offset 10,000
and the last page) sorted by severity, for a supervisor of the busiest agency and for a
provincial officer who sees all agencies (median of 5, including the total count).
The machine's cores and load average are printed: the figures mean little without them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from check_speed import demo_dataset  # noqa: E402  (this folder: one demo generator)
from queue_speed import timed  # noqa: E402  (this folder: the same median-of-five timer)

EXE = Path(sys.executable).parent / "discretion-review"
AS_OF = "2025-06-30"
NEXT_DAY = "2025-07-01"


def _cli(*args: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run([str(EXE), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode not in (0, 1):  # check exits 1 when it found flags
        sys.exit(f"discretion-review {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return time.perf_counter() - start


def _fresh_pg(base: str) -> tuple[str, Callable[[], None]]:
    from sqlalchemy import create_engine, text

    name = f"dr_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        from engine.store.db import forget_session_factories

        forget_session_factories()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return base.rsplit("/", 1)[0] + "/" + name, drop


def queue_times(url: str) -> list[tuple[str, float, float, float, int]]:
    """(who, first page ms, offset-10,000 page ms, last page ms, flags seen) per kind of user."""
    from sqlalchemy import func, select

    from engine.store.db import session_factory
    from engine.store.review import QueueFilter, queue
    from engine.store.schema import FlagRow
    from engine.store.scope import Scope

    factory = session_factory(url)
    with factory() as s:
        busiest = s.execute(select(FlagRow.agency_id, func.count()).group_by(FlagRow.agency_id)
                            .order_by(func.count().desc())).first()
    out = []
    for who, scope in ((f"supervisor {busiest[0]}", Scope("bench", "supervisor", busiest[0])),
                       ("provincial (all)", Scope("bench", "provincial", None))):
        with factory() as s:
            f = QueueFilter()  # the queue as it opens: open and needs_info
            _, total = queue(s, scope, f)
            last = max(1, -(-total // 50))
            first = timed(lambda s=s, scope=scope, f=f: queue(s, scope, f, "severity", 1, 50))
            far = timed(lambda s=s, scope=scope, f=f: queue(s, scope, f, "severity", 201, 50))
            end = timed(lambda s=s, scope=scope, f=f, last=last: queue(s, scope, f, "severity", last, 50))
        out.append((who, first, far, end, total))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "discretion-review-bench")
    ap.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    pg = None if args.no_pg else os.environ.get("DISCRETION_TEST_PG_URL")
    print(f"machine: {os.cpu_count()} cores, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; as_of {AS_OF}"
          + ("" if pg else "; PostgreSQL skipped (no DISCRETION_TEST_PG_URL)"))
    for n in args.cases:
        data = demo_dataset(args.workdir, n)
        out = args.workdir / f"flags-{n}.jsonl"
        check = _cli("check", str(data), "--as-of", AS_OF, "--output", str(out), "--no-progress")
        flags = sum(1 for _ in out.open(encoding="utf-8"))
        print(f"\n{n:,} cases, {flags:,} flags; load average {os.getloadavg()[0]:.1f} at start\n"
              f"  check alone {check:7.1f} s")
        print(f"  {'database':11} {'import':>8} {'run (new)':>10} {'ratio':>6} {'run again':>10} {'ratio':>6} "
              f"{'next day':>9} {'ratio':>6}")
        dbs: list[tuple[str, str, Callable[[], None]]] = []
        sqlite_file = args.workdir / f"store-{n}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
        dbs.append(("SQLite", f"sqlite:///{sqlite_file}", lambda: None))
        if pg:
            dbs.append(("PostgreSQL", *_fresh_pg(pg)))
        queues = []
        for label, url, drop in dbs:
            try:
                _cli("db", "upgrade", "--create", "--db", url)
                _cli("users", "--db", url, "add", "admin", "--role", "admin", "--password", uuid.uuid4().hex)
                imp = _cli("import", str(data), "--db", url, "--user", "admin", "--no-progress")
                first = _cli("run", "--as-of", AS_OF, "--db", url, "--user", "admin")
                again = _cli("run", "--as-of", AS_OF, "--db", url, "--user", "admin")
                later = _cli("run", "--as-of", NEXT_DAY, "--db", url, "--user", "admin")
                print(f"  {label:11} {imp:7.1f}s {first:9.1f}s {first / check:5.2f}× {again:9.1f}s "
                      f"{again / check:5.2f}× {later:8.1f}s {later / check:5.2f}×   (load {os.getloadavg()[0]:.1f})",
                      flush=True)
                queues.append((label, queue_times(url)))
            finally:
                drop()
        print(f"  queue, sorted by severity (median ms of 5, with the count): "
              f"{'first':>6} {'offset 10k':>10} {'last page':>9}")
        for label, rows in queues:
            for who, first, far, end, total in rows:
                print(f"  {label:11} {who + f' ({total:,} open)':>46} {first:6.0f} {far:10.0f} {end:9.0f}")


if __name__ == "__main__":
    main()
