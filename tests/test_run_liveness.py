"""``kill -9`` of a run: its workers die with it, and the next run marks it failed
(issue 8 item 10)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.store.db import session_factory, transaction
from engine.store.runs import reap_stale_runs, run_evaluation
from engine.store.schema import EvaluationRun
from engine.store.scope import SYSTEM

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")


def children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                state, ppid = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
            except (OSError, ValueError):
                continue
            if int(ppid) == pid and state != "Z":
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_killed_run_leaves_no_workers_and_is_marked_failed_next_time(tmp_path):
    url = f"sqlite:///{tmp_path}/store.db"
    from engine.demo.store import setup_demo

    list(setup_demo(url, cases=5000))
    cmd = [sys.executable, "-m", "engine.cli", "run", "--db", url, "--user", "admin"]
    for _attempt in range(3):  # on a loaded machine a run can finish before the kill lands: kill another one
        proc = subprocess.Popen(cmd, cwd=Path(__file__).resolve().parents[1], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        workers: list[int] = []
        deadline = time.monotonic() + 120
        while not workers and proc.poll() is None and time.monotonic() < deadline:
            workers = children(proc.pid)
            time.sleep(0.01)
        assert workers, f"the run ended before its workers were seen: {proc.stderr.read().decode()}"
        time.sleep(0.05)  # let the pool start its other worker
        workers = children(proc.pid) or workers
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 5
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        survivors = [w for w in workers if alive(w)]
        for w in survivors:  # do not leave them behind on the machine either way
            os.kill(w, signal.SIGKILL)
        assert survivors == [], f"workers {survivors} outlived their killed parent"
        with transaction(url) as session:
            killed = session.scalars(select(EvaluationRun).order_by(EvaluationRun.id.desc())).first()
            if killed.status != "succeeded":
                break
    assert killed.status == "running" and killed.pid == proc.pid and killed.host == socket.gethostname()
    next_run = run_evaluation(session_factory(url), SYSTEM, dt.date.today())
    with transaction(url) as session:
        killed = session.get(EvaluationRun, killed.id)
        assert killed.status == "failed" and killed.finished_at is not None
        assert killed.error == (f"the process running it (pid {proc.pid} on {socket.gethostname()}) stopped before "
                                "it finished, killed or crashed; found at the next run")
        assert session.get(EvaluationRun, next_run).status == "succeeded"


def test_only_runs_whose_process_is_gone_are_reaped(db_url):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    host = socket.gethostname()
    rows = {
        "gone": dict(pid=gone.pid, host=host),
        "alive": dict(pid=os.getpid(), host=host),
        # this pid, but the run started before this process did: the pid was reused
        "reused": dict(pid=os.getpid(), host=host, started_at=dt.datetime(2000, 1, 1)),
        "elsewhere": dict(pid=gone.pid, host=host + "-other"),
        "no pid": dict(pid=None, host=None),
    }
    ids = {}
    with transaction(db_url) as session:
        for name, extra in rows.items():
            run = EvaluationRun(as_of=now.date(), parameters={}, kb_version="k", rules_version="r", agencies=[],
                                triggered_by="admin", status="running", **{"started_at": now, **extra})
            session.add(run)
            session.flush()
            ids[name] = run.id
    with transaction(db_url) as session:
        reaped = reap_stale_runs(session)
    assert sorted(reaped) == sorted([ids["gone"], ids["reused"]])
    with transaction(db_url) as session:
        status = {name: session.get(EvaluationRun, i).status for name, i in ids.items()}
    assert status == {"gone": "failed", "alive": "running", "reused": "failed", "elsewhere": "running",
                      "no pid": "running"}
