"""How fast the review queue answers with about 100,000 flags in the store.

    .venv/bin/python benchmarks/queue_speed.py [--cases 380000] [--db sqlite:///…]

Builds (once, then reuses) a database through the real path — demo dataset, import,
evaluation run — and then times what the queue page asks of the data layer for a
supervisor of one agency and for a provincial officer who sees all 33: the first page,
a filtered page, a far page, the total count, and the filter choices. Also times a
full render of the queue page through Streamlit's AppTest (no browser).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.demo.store import setup_demo  # noqa: E402
from engine.store.db import session_factory, transaction  # noqa: E402
from engine.store.review import QueueFilter, facets, queue  # noqa: E402
from engine.store.schema import FlagRow  # noqa: E402
from engine.store.scope import Scope  # noqa: E402

AS_OF = dt.date(2025, 6, 30)


def timed(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=420_000)
    ap.add_argument("--db", default=f"sqlite:///{tempfile.gettempdir()}/discretion-review-bench/queue.db")
    args = ap.parse_args()
    with _ensure(args.db, args.cases) as total:
        print(f"machine: {os.cpu_count()} cores; database {args.db.split(':')[0]}; {total:,} flags in the store")
    factory = session_factory(args.db)
    with factory() as s:
        busiest = s.execute(select(FlagRow.agency_id, func.count()).group_by(FlagRow.agency_id)
                            .order_by(func.count().desc())).first()
    scopes = {f"supervisor of {busiest[0]} ({busiest[1]:,} flags)": Scope("bench", "supervisor", busiest[0]),
              "provincial officer (all agencies)": Scope("bench", "provincial", None)}
    print(f"{'who':44} {'first page':>11} {'filtered':>9} {'page 200':>9} {'open, 10k':>10} {'last page':>10} "
          f"{'facets':>8}   (median ms of 5)")
    for label, scope in scopes.items():
        with factory() as s:
            first = timed(lambda s=s, scope=scope: queue(s, scope, QueueFilter(), "severity", 1, 50))
            filtered = timed(lambda s=s, scope=scope: queue(s, scope, QueueFilter(measures=["1.3"], severities=["high"]),
                                                            "date", 1, 50))
            far = timed(lambda s=s, scope=scope: queue(s, scope, QueueFilter(statuses=[]), "severity", 200, 50))
            # the queue as it opens (open and needs_info), at offset 10,000 and at its very end
            far_open = timed(lambda s=s, scope=scope: queue(s, scope, QueueFilter(), "severity", 201, 50))
            last = max(1, -(-queue(s, scope, QueueFilter(statuses=[]), "severity", 1, 1)[1] // 50))
            end = timed(lambda s=s, scope=scope, last=last: queue(s, scope, QueueFilter(statuses=[]), "severity",
                                                                   last, 50))
            choice = timed(lambda s=s, scope=scope: facets(s, scope))
        print(f"{label:44} {first:>9.0f}ms {filtered:>7.0f}ms {far:>7.0f}ms {far_open:>8.0f}ms {end:>8.0f}ms "
              f"{choice:>6.0f}ms")
    os.environ["DISCRETION_DB_URL"] = args.db
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    def render() -> None:
        st.cache_data.clear()  # every render reads the database again
        at = AppTest.from_file(str(ROOT / "ui" / "app.py"), default_timeout=120)
        at.session_state["auth.user"] = ("bench", "provincial", None)
        at.run()
        assert not at.exception, at.exception
    render()  # warm the resource cache (migrations check, catalogue)
    print(f"queue page render (AppTest, provincial officer, read cache cleared): {timed(render, 3):.0f} ms")


class _ensure:
    def __init__(self, url: str, cases: int):
        self.url, self.cases = url, cases

    def __enter__(self) -> int:
        Path(tempfile.gettempdir(), "discretion-review-bench").mkdir(exist_ok=True)
        try:
            with transaction(self.url) as s:
                total = s.scalar(select(func.count()).select_from(FlagRow))
        except Exception:
            total = 0
        if not total:
            start = time.perf_counter()
            for line in setup_demo(self.url, cases=self.cases, as_of=AS_OF):
                print(line)
            print(f"built in {time.perf_counter() - start:.0f} s")
            with transaction(self.url) as s:
                total = s.scalar(select(func.count()).select_from(FlagRow))
        return total

    def __exit__(self, *exc) -> None:
        return None


if __name__ == "__main__":
    main()
