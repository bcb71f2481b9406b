"""How fast the intake API answers (issue 23 item 2): one case posted to an agency of 30,000 cases,
answered with its flags (target p95 ≤ 1 s), and batches of 1,000 cases (target ≥ 500 cases/s).

    .venv/bin/python benchmarks/api_speed.py [--cases 425000] [--agency kk-transport] [--db URL]
        [--singles 40] [--batches 5] [--batch 1000] [--jobs N] [--phases]

Builds a store of the demo data (``--cases`` of the 33 agencies, so that ``--agency`` has about
30,000: kk-transport holds 7.1 % of the demo's cases), evaluated once, with a token of the
agency; starts ``discretion-review api`` in a process of its own and posts to it over HTTP:
``--singles`` posts of one new case each, then ``--batches`` posts of ``--batch`` new cases. Each
answer is checked (200, the case's flags listed). Prints each figure, and with ``--phases`` where
a single post's time goes (the same post made in this process, its steps timed).

A store given with ``--db`` is used as it is when it has flags already (``--cases`` is then
ignored): build it once, measure many times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

AS_OF = dt.date(2025, 6, 30)


def _store(url: str, cases: int) -> None:
    from sqlalchemy import func, select

    from engine.demo.store import setup_demo
    from engine.store.db import transaction
    from engine.store.schema import FlagRow

    with transaction(url) as s:
        try:
            ready = s.scalar(select(func.count()).select_from(FlagRow))
        except Exception:  # noqa: BLE001  (no schema yet)
            ready = 0
    if ready:
        print(f"store: {url.split('@')[-1]} as it is ({ready:,} flags)")
        return
    started = time.perf_counter()
    for line in setup_demo(url, cases=cases, as_of=AS_OF):
        if not line.startswith(" "):
            print(f"store: {line}")
    print(f"store: built in {time.perf_counter() - started:.0f} s")


def _agency_facts(url: str, agency: str) -> tuple[int, list[str], list[str]]:
    """The agency's cases, and processes and officers to post new cases with."""
    from sqlalchemy import func, select

    from engine.store.db import transaction
    from engine.store.schema import CaseRow, OfficerRow, ProcessRow

    with transaction(url) as s:
        n = s.scalar(select(func.count()).select_from(CaseRow).where(CaseRow.agency_id == agency))
        processes = list(s.scalars(select(ProcessRow.process_id).where(ProcessRow.agency_id == agency,
                                                                       ProcessRow.discretionary.is_(True))))
        officers = list(s.scalars(select(OfficerRow.officer_id).where(OfficerRow.agency_id == agency,
                                                                      OfficerRow.supervisor_id.is_not(None))))
    return n, processes, officers


def _case(i: int, processes: list[str], officers: list[str]) -> dict:
    """A new decided discretionary case, not yet reviewed (so it is flagged once its review is late)."""
    return {"case_id": f"API-{i:07d}", "process_id": processes[i % len(processes)],
            "officer_id": officers[i % len(officers)], "applicant_id": f"API-A{i % 997}",
            "received_on": "2025-06-02", "complete_on": "2025-06-02", "decided_on": "2025-06-10",
            "outcome": "อนุญาต", "discretion_used": True, "legal_basis": "ระเบียบ ข้อ 5", "via_it_system": True}


def _serve(url: str, jobs: int | None) -> tuple[subprocess.Popen, str]:
    import httpx2 as httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "engine.cli", "api", "--db", url, "--port", str(port), "--as-of", AS_OF.isoformat(),
           "--rate-per-minute", "100000", "--burst", "10000", "--max-body-mb", "64"]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/v1/health", timeout=1).status_code == 200:
                return server, base
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the API did not start")


def _cpu(pid: int) -> tuple[float, float]:
    """Seconds of processor time of the server process, and of its evaluation workers once they
    ended (Linux: /proc/PID/stat): the work a post costs, whatever else the machine runs."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def _phases(url: str, agency: str, token_scope, case: dict) -> None:
    """One post made in this process, each step of engine/store/intake.py timed (wall clock), and
    the processor time of this process and of the evaluation's forked workers."""
    import resource

    from engine.store import intake
    from engine.store.db import session_factory

    spent: dict[str, float] = {}

    def timed(name: str, fn):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - started
        return wrapper

    # the evaluation is a generator the flags' sync consumes: the two are timed together
    steps = {"read_records": "read the posted rows", "_read_agency": "read the agency's stored rows",
             "_merge": "merge", "check_dataset": "check across files", "store_problems": "check against the store",
             "_write": "write rows and their events", "_evaluation_dataset": "read other agencies' officers and cases",
             "sync_flags": "evaluate (forked workers) and sync the flags", "_flags": "read the flags listed",
             "_current": "read the posted case's flags"}
    real = {name: getattr(intake, name) for name in steps}
    for name in steps:
        setattr(intake, name, timed(name, real[name]))
    try:
        mine, theirs = time.process_time(), resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        intake.post_records(session_factory(url), token_scope, agency, {"cases": [case]}, AS_OF)
        total = time.perf_counter() - started
        mine, after = time.process_time() - mine, resource.getrusage(resource.RUSAGE_CHILDREN)
        workers = after.ru_utime + after.ru_stime - theirs.ru_utime - theirs.ru_stime
    finally:
        for name, fn in real.items():
            setattr(intake, name, fn)
    print(f"phases of one post, in this process: {total * 1000:.0f} ms in all; processor time {mine * 1000:.0f} ms "
          f"here and {workers * 1000:.0f} ms in the evaluation's workers")
    for name, what in steps.items():
        if name in spent:
            print(f"  {what:46} {spent[name] * 1000:7.0f} ms")
    print(f"  {'the rest (transaction, run record, commit)':46} {(total - sum(spent.values())) * 1000:7.0f} ms")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", type=int, default=425_000)
    p.add_argument("--agency", default="kk-transport")
    p.add_argument("--db", default=None, help="a store to use (built there when it has no flags); default: a new "
                   "SQLite file in a temporary folder")
    p.add_argument("--singles", type=int, default=40)
    p.add_argument("--batches", type=int, default=5)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--jobs", type=int, default=None, help="the server's worker processes per evaluation")
    p.add_argument("--phases", action="store_true", help="also time the steps of one post made in this process")
    args = p.parse_args()

    import httpx2 as httpx

    from engine.store.db import transaction
    from engine.store.scope import SYSTEM
    from engine.store.tokens import add_token, scope_of

    tmp = tempfile.mkdtemp(prefix="api-speed-")
    os.environ.setdefault("DISCRETION_AUDIT_KEY_FILE", str(Path(tmp) / "audit-keys"))
    os.environ.setdefault("DISCRETION_LOG", "off")
    url = args.db or f"sqlite:///{tmp}/store.db"
    _store(url, args.cases)
    n, processes, officers = _agency_facts(url, args.agency)
    with transaction(url) as s:
        row, token = add_token(s, SYSTEM, args.agency, "benchmark")
        scope = scope_of(row)
    print(f"agency {args.agency}: {n:,} cases; {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}")
    server, base = _serve(url, args.jobs)
    headers = {"Authorization": f"Bearer {token}"}
    endpoint = f"{base}/v1/agencies/{args.agency}/records"
    i = int(time.time()) % 1_000_000 * 10  # new ids each time the same store is measured
    try:
        with httpx.Client(timeout=600) as client:
            client.post(endpoint, json={"cases": [_case(i, processes, officers)]}, headers=headers)  # warm up
            i += 1
            times, own, workers, loads = [], [], [], []
            for _ in range(args.singles):
                case = _case(i, processes, officers)
                i += 1
                before = _cpu(server.pid)
                started = time.perf_counter()
                r = client.post(endpoint, json={"cases": [case]}, headers=headers)
                times.append(time.perf_counter() - started)
                after = _cpu(server.pid)
                own.append(after[0] - before[0])
                workers.append(after[1] - before[1])
                loads.append(os.getloadavg()[0])
                body = r.json()
                assert r.status_code == 200, r.text[:500]
                assert {f["subject_id"] for f in body["current"]} <= {case["case_id"]}
            print(f"one case a post, {len(times)} posts: p50 {statistics.median(times) * 1000:.0f} ms, "
                  f"p95 {_p95(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms (target: p95 ≤ 1000 ms); "
                  f"processor time a post: server {statistics.median(own) * 1000:.0f} ms + its evaluation's "
                  f"workers {statistics.median(workers) * 1000:.0f} ms (medians); load {min(loads):.1f}–"
                  f"{max(loads):.1f}")
            rates, own, workers = [], [], []
            for _ in range(args.batches):
                cases = [_case(i + k, processes, officers) for k in range(args.batch)]
                i += args.batch
                before = _cpu(server.pid)
                started = time.perf_counter()
                r = client.post(endpoint, json={"cases": cases}, headers=headers)
                seconds = time.perf_counter() - started
                after = _cpu(server.pid)
                own.append(after[0] - before[0])
                workers.append(after[1] - before[1])
                assert r.status_code == 200, r.text[:500]
                assert r.json()["stored"]["cases"]["inserted"] == args.batch
                rates.append(args.batch / seconds)
            if rates:
                print(f"{args.batch:,} cases a post, {len(rates)} posts: {statistics.median(rates):.0f} cases/s "
                      f"median, {min(rates):.0f} slowest (target: ≥ 500 cases/s); processor time a post: server "
                      f"{statistics.median(own) * 1000:.0f} ms + workers {statistics.median(workers) * 1000:.0f} ms; "
                      f"load {os.getloadavg()[0]:.1f}; agency now {n + args.singles + 1 + args.batch * args.batches:,} "
                      "cases")
    finally:
        server.terminate()
        server.wait(timeout=60)
    if args.phases:
        _phases(url, args.agency, scope, _case(i, processes, officers))


if __name__ == "__main__":
    main()
