"""What duties due soon, requests and the daily digest cost (issue 23), on the demo data:

    eval "$(bash scripts/services.sh)"
    .venv/bin/python benchmarks/due_speed.py [--cases 200000] [--workdir DIR] [--db URL] [--rounds 3]

1. The evaluation with and without working out the duties due soon (``iter_partitions(...,
   due=...)``, lines only, as ``check`` and ``due`` do), alternating, each ``--rounds`` times:
   what a store run now pays for them.
2. A store run on a fresh database (``--db``; SQLite by default), with its duties written in its
   transaction: the run's seconds and the seconds ``duties.replace_duties`` took inside it.
3. The due-soon list as the app reads it (``duties.due_soon``) for a supervisor of the busiest
   agency and for the province (median of 5).
4. The digest of every user (the 33 agencies' heads, the province, an administrator) composed as
   ``notify --dry-run`` does: seconds in all and per user.

The machine's cores and load average are printed: the figures mean little without them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))
from check_speed import demo_dataset  # noqa: E402  (this folder: one demo generator)
from queue_speed import timed  # noqa: E402

AS_OF = dt.date(2025, 6, 30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=200_000)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "discretion-review-bench")
    ap.add_argument("--db", default=None, help="a fresh store's URL (default: an SQLite file in the work folder)")
    ap.add_argument("--pg", action="store_true", help="a scratch PostgreSQL database on DISCRETION_TEST_PG_URL's server "
                    "(made and dropped here) instead")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; {args.cases:,} demo cases, as of {AS_OF}")

    from engine.evaluation.run import iter_partitions
    from engine.gcpause import paused_gc
    from engine.ingest.loader import load_dataset
    from engine.kb.knowledge import load_kb

    data = demo_dataset(args.workdir, args.cases, AS_OF.isoformat())
    ds = load_dataset(data)
    params = load_kb().resolve_parameters([])

    def evaluate(with_due: bool) -> int:
        due: list = []
        with paused_gc():
            for _ in iter_partitions(ds, AS_OF, params, lines_only=True, due=due if with_due else None):
                pass
        return len(due)

    plain, withdue, found = [], [], 0
    for _ in range(args.rounds):
        start = time.perf_counter()
        evaluate(False)
        plain.append(time.perf_counter() - start)
        start = time.perf_counter()
        found = evaluate(True)
        withdue.append(time.perf_counter() - start)
    print(f"1. evaluation: without duties {_span(plain)} s, with them {_span(withdue)} s "
          f"(median +{statistics.median(withdue) - statistics.median(plain):.2f} s); {found:,} duties due soon")
    drop = None
    if args.pg:
        from store_speed import _fresh_pg

        url, drop = _fresh_pg(os.environ["DISCRETION_TEST_PG_URL"])
    else:
        url = args.db or f"sqlite:///{args.workdir}/due-{args.cases}-{os.getpid()}.db"
    try:
        _store_figures(url, ds, args)
    finally:
        if drop is not None:
            drop()


def _store_figures(url: str, ds, args) -> None:
    from sqlalchemy import func, select

    from engine.store import duties
    from engine.store.data import import_dataset
    from engine.store.db import session_factory, transaction
    from engine.store.migrate import upgrade
    from engine.store.runs import run_evaluation
    from engine.store.schema import DutyRow, FlagRow
    from engine.store.scope import SYSTEM, Scope

    upgrade(url)
    with transaction(url) as s:
        import_dataset(s, SYSTEM, ds, "benchmark")
    spent: list[float] = []
    real = duties.replace_duties

    def timed_replace(*a, **kw):
        start = time.perf_counter()
        try:
            return real(*a, **kw)
        finally:
            spent.append(time.perf_counter() - start)

    duties.replace_duties = timed_replace
    start = time.perf_counter()
    run_evaluation(session_factory(url), SYSTEM, AS_OF)
    total = time.perf_counter() - start
    duties.replace_duties = real
    with transaction(url) as s:
        stored = s.scalar(select(func.count()).select_from(DutyRow))
        busiest = s.execute(select(FlagRow.agency_id, func.count()).group_by(FlagRow.agency_id)
                            .order_by(func.count().desc()).limit(1)).first()[0]
    print(f"2. store run ({url.split(':')[0].split('+')[0]}): {total:.1f} s, of which writing its {stored:,} duties "
          f"{spent[0]:.2f} s")

    for who, scope in ((f"supervisor of {busiest}", Scope("bench.sup", "supervisor", busiest)),
                       ("province", Scope("bench.province", "provincial", None))):
        with transaction(url) as s:
            n = len(duties.due_soon(s, scope, on=AS_OF))
            ms = timed(lambda s=s, scope=scope: duties.due_soon(s, scope, on=AS_OF))
        print(f"3. due-soon list, {who}: {n:,} items in {ms:.0f} ms (median of 5)")

    from engine.commands.notify import send_digests
    from engine.store import notify
    from engine.store.access import add_user
    from engine.store.schema import AgencyRow

    with transaction(url) as s:
        agencies = list(s.scalars(select(AgencyRow.agency_id).order_by(AgencyRow.agency_id)))
        people = [(f"head.{a}", "agency_head", a) for a in agencies] + [("bench.province", "provincial", None),
                                                                       ("bench.admin", "admin", None)]
        for name, role, agency in people:
            add_user(s, SYSTEM, name, "ไม่มีใครเดาได้-correct-horse-battery", role, agency)
            notify.update_settings(s, SYSTEM, username=name, email=f"{name.replace('.', '-')}@example.go.th")
    out = io.StringIO()
    start = time.perf_counter()
    outcome = send_digests(url, AS_OF, dry_run=True, app_url="https://kk.example.go.th/discretion/", out=out)
    seconds = time.perf_counter() - start
    print(f"4. digests composed (dry run): {len(outcome.dry)} of {len(people)} users in {seconds:.1f} s "
          f"({seconds / max(1, len(people)) * 1000:.0f} ms per user), {len(out.getvalue()) / 1024:.0f} KiB of mail")


def _span(values: list[float]) -> str:
    return f"{min(values):.2f}–{max(values):.2f}" if len(values) > 1 else f"{values[0]:.2f}"


if __name__ == "__main__":
    main()
