"""How long the risk page takes to open, and how much it grows the app, at 1,000,000 cases.

    eval "$(bash scripts/services.sh)"   # DISCRETION_TEST_PG_URL, for PostgreSQL
    .venv/bin/python benchmarks/risk_speed.py [--cases 1000000] [--db URL ...] [--no-pg] [--rounds 2]

Without ``--db`` it builds its stores once through the real command line and keeps them in the
work folder (SQLite) or in a database named after the size (PostgreSQL): the demo dataset
(``discretion-review demo-data``, seed 5), ``import``, and a ``run`` at 2025-06-30 (so the flags
the heatmap and the trend count exist). Then, for each store and for an agency supervisor (of
the agency with the most cases) and a provincial officer, a fresh process does what the app
does on the page's first open, with every cache cold: it imports the app's data module
(``ui/appdata.py``), opens the database, and then times each data call the page makes, in the
page's order — ``names``, ``risk_overview`` (heatmap, fiscal years, trend, rotation and
repeat-applicant flags, recorded analyses), ``risk_signals`` (the process ranking and the
approval-rate outliers) and ``agencies`` — and reads its resident memory (``VmRSS``) before and
after, and its peak (``VmHWM``), and its own CPU time (SQLite works in the app's process: on a
shared machine, what the wall time would be on a quiet one; PostgreSQL's work is the server's). It then renders the whole page once through Streamlit's AppTest
in another fresh process (the data calls, pandas and the charts: what the person waits for on
the server), with its memory likewise. The machine's cores, memory and load are printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from check_speed import demo_dataset  # noqa: E402  (this folder: one demo generator)

EXE = Path(sys.executable).parent / "discretion-review"
AS_OF = "2025-06-30"
ROUND = "acknowledgement_deadlines.2568=2025-05-16"  # the demo's round, as demo-data prints it


def _cli(*args: str) -> None:
    proc = subprocess.run([str(EXE), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode not in (0, 1):
        sys.exit(f"discretion-review {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")


def _pg_store(base: str, cases: int) -> tuple[str, bool]:
    """The URL of the benchmark's PostgreSQL database for this size, and whether it is new."""
    from sqlalchemy import create_engine, text

    name = f"dr_risk_bench_{cases}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.rsplit("/", 1)[0] + "/" + name, not exists


def _built(url: str) -> bool:
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if "evaluation_runs" not in inspect(conn).get_table_names():
                return False
            return bool(conn.scalar(text("SELECT count(*) FROM evaluation_runs WHERE status = 'succeeded'")))
    finally:
        engine.dispose()


def build(url: str, data: Path) -> None:
    """Schema, the demo data, and one run: the store as the province would have it."""
    import uuid

    print(f"  building {url.split('@')[-1]} …", flush=True)
    _cli("db", "upgrade", "--db", url)
    _cli("users", "--db", url, "add", "admin", "--role", "admin", "--password", uuid.uuid4().hex)
    _cli("import", str(data), "--db", url, "--no-progress")
    _cli("run", "--as-of", AS_OF, "--db", url, "--set", ROUND)


def _rss_kib(key: str = "VmRSS:") -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    return 0


def measure(url: str, user: tuple[str, str, str | None], page: bool) -> dict:
    """In this (fresh) process: the page's data calls as the app makes them, cold, with memory."""
    import gc

    os.environ["DISCRETION_DB_URL"] = url
    sys.path.insert(0, str(ROOT / "ui"))
    from sqlalchemy import text

    import appdata

    appdata.kb(), appdata.catalogue()
    with appdata.factory()() as session:  # the app has its connection and schema check by now
        session.execute(text("SELECT 1"))
    gc.collect()
    before = _rss_kib()
    times: dict[str, float] = {}
    if page:
        from streamlit.testing.v1 import AppTest

        at = AppTest.from_file(str(ROOT / "ui" / "app.py"), default_timeout=600)
        at.session_state["app.lang"] = "th"
        at.session_state["auth.user"] = user
        start = time.perf_counter()
        at.run()  # the app's landing page first, as after a login
        times["landing page"] = time.perf_counter() - start
        gc.collect()
        before = _rss_kib()
        start, cpu = time.perf_counter(), time.process_time()
        at.switch_page("views/risk.py").run()
        times["risk page (AppTest)"] = time.perf_counter() - start
        times["cpu"] = time.process_time() - cpu
        if at.exception:
            raise SystemExit(f"the page failed: {at.exception}")
        shown = {"tables": len(at.dataframe), "charts": len(at.get("vega_lite_chart"))}
    else:
        today = dt.date.today()
        calls = [("names", lambda: appdata.names(user)),
                 ("risk_overview", lambda: appdata.risk_overview(user, None)),
                 ("risk_signals", lambda: appdata.risk_signals(user, today)),
                 ("agencies", lambda: appdata.agencies(user))]
        results = {}
        cpu = time.process_time()
        for name, call in calls:
            start = time.perf_counter()
            results[name] = call()
            times[name] = time.perf_counter() - start
        # this process's own CPU: SQLite's work is in it (PostgreSQL's is the server's), so on a
        # shared machine it tells what the wall time would be on a quiet one
        times["cpu"] = time.process_time() - cpu
        signals = results["risk_signals"]
        shown = {"processes": len(signals["processes"]), "outliers": len(signals["outliers"]),
                 "heatmap cells": len(results["risk_overview"]["heatmap"])}
    gc.collect()  # what the caches keep stays: it is the app's memory too
    return {"times": times, "rss_before_mib": before / 1024, "rss_after_mib": _rss_kib() / 1024,
            "peak_mib": _rss_kib("VmHWM:") / 1024, "shown": shown}


def _child(url: str, user: tuple[str, str, str | None], page: bool) -> dict:
    cmd = [sys.executable, __file__, "--measure", url, "--user", json.dumps(user)] + (["--page"] if page else [])
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"measuring failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def busiest_agency(url: str) -> tuple[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return tuple(conn.execute(text("SELECT agency_id, count(*) FROM cases GROUP BY agency_id "
                                           "ORDER BY count(*) DESC, agency_id LIMIT 1")).one())
    finally:
        engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--db", nargs="*", help="stores to measure as they are (else built once and kept)")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "discretion-review-bench")
    ap.add_argument("--no-pg", action="store_true", help="SQLite only")
    ap.add_argument("--rounds", type=int, default=1, help="measure each case this many times (fresh processes)")
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    ap.add_argument("--user", help=argparse.SUPPRESS)
    ap.add_argument("--page", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        user = tuple(json.loads(args.user))
        out = measure(args.measure, user, args.page)  # type: ignore[arg-type]
        sys.stdout.write("\n" + json.dumps(out) + "\n")
        return
    page_size = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"machine: {os.cpu_count()} cores, {page_size:.0f} GiB; load average {os.getloadavg()[0]:.1f}")
    urls = list(args.db or [])
    if not urls:
        args.workdir = args.workdir.resolve()
        args.workdir.mkdir(parents=True, exist_ok=True)
        data = demo_dataset(args.workdir, args.cases)
        sqlite_url = f"sqlite:///{args.workdir / f'risk-{args.cases}.db'}"
        if not _built(sqlite_url):
            build(sqlite_url, data)
        urls.append(sqlite_url)
        pg = None if args.no_pg else os.environ.get("DISCRETION_TEST_PG_URL")
        if pg:
            url, new = _pg_store(pg, args.cases)
            if new or not _built(url):
                build(url, data)
            urls.append(url)
    for url in urls:
        agency, cases = busiest_agency(url)
        label = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        print(f"\n{label}: {url.split('@')[-1]}")
        for who, user in ((f"supervisor of {agency} ({cases:,} cases)", ("bench.supervisor", "supervisor", agency)),
                          ("provincial officer (all agencies)", ("bench.province", "provincial", None))):
            for _ in range(args.rounds):
                calls = _child(url, user, page=False)
                whole = _child(url, user, page=True)
                t = calls["times"]
                cpu = t.pop("cpu")
                print(f"  {who:44} data calls {sum(t.values()):6.2f} s "
                      f"({', '.join(f'{k} {v:.2f}' for k, v in t.items())}; this process's CPU {cpu:.2f} s); "
                      f"RSS {calls['rss_before_mib']:.0f} → {calls['rss_after_mib']:.0f} MiB "
                      f"(+{calls['rss_after_mib'] - calls['rss_before_mib']:.0f}; peak {calls['peak_mib']:.0f}); "
                      f"{calls['shown']}", flush=True)
                w = whole["times"]
                print(f"  {'':44} whole page {w['risk page (AppTest)']:6.2f} s (CPU {w['cpu']:.2f} s); RSS {whole['rss_before_mib']:.0f} → "
                      f"{whole['rss_after_mib']:.0f} MiB (+{whole['rss_after_mib'] - whole['rss_before_mib']:.0f}; "
                      f"peak {whole['peak_mib']:.0f}); {whole['shown']}; load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
