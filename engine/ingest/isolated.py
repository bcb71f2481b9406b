"""Read an uploaded dataset in a child process with a memory limit.

The app serves everybody from one process: a file that needs gigabytes to read (a crafted
workbook the size checks let through, or simply too big for the machine) must cost an upload
its answer, not the app. The child is a fresh interpreter (``python -m engine.ingest.isolated``):
not a fork of the app's threads, and not multiprocessing's spawn, which would re-run the
Streamlit page that is the app's ``__main__``. It limits its own address space
(``RLIMIT_AS``) to what the reader takes plus a budget, and sends the dataset back pickled.
It reads within the read's limits (``engine.ingest.limits``, as the command line does); should
it spend the limit's seconds of processor time anyway (in a library, between the reader's looks
at its clock) the operating system stops it (``RLIMIT_CPU``), and the parent kills it after
twice the limit on the clock. It dies with the app (``PR_SET_PDEATHSIG``): a killed app leaves
no reader behind.

The two talk over the child's standard input and output in messages (a kind byte, a length,
the payload): the child asks ``Q`` which of the ids its references name exist elsewhere (the
parent asks the store: ``known_ids``), and ends with ``R``, its result.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from engine.domain.errors import InputError, InputProblem
from engine.domain.models import Dataset
from engine.ingest.limits import ReadLimits, too_long

UPLOAD_MEMORY_MB = int(os.environ.get("DISCRETION_UPLOAD_MEMORY_MB", "2048"))
_EXIT_MEMORY = 75
_PACKAGE_ROOT = Path(__file__).resolve().parents[1]
_HEADER = struct.Struct("!cQ")  # kind, payload length


def load_dataset_isolated(path: str | Path, memory_mb: int = UPLOAD_MEMORY_MB,
                          known_ids: Mapping[str, Collection[str]] | Callable[[str, set[str]], Collection[str]]
                          | None = None, limits: ReadLimits | None = None) -> Dataset:
    """``load_dataset`` in a child process that may use ``memory_mb`` MiB beyond the reader's own;
    ``InputError`` as usual, and also when the child runs out of memory, time, or dies.
    ``known_ids`` as for ``load_dataset``: a function is asked here, in this process, when the
    child asks. ``limits``: the read's (by default ``ReadLimits.from_env()``)."""
    path = Path(path)
    limits = limits if limits is not None else ReadLimits.from_env()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(_PACKAGE_ROOT), os.environ.get("PYTHONPATH"))
                                                       if p)}
    cpu = cpu_allowance(limits)
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen([sys.executable, "-m", "engine.ingest.isolated", str(path), str(memory_mb << 20),
                                  str(os.getpid()), str(cpu)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, env=env)
        timed_out = threading.Event()

        def overdue() -> None:
            timed_out.set()
            child.kill()
        # on the clock: twice the limit (a child that waits uses no processor time), then killed
        late = threading.Timer(2 * limits.seconds + _STARTUP_SECONDS, overdue)
        late.daemon = True
        late.start()
        used = 0.0
        try:
            answer = _converse(child, known_ids, limits)
            child.stdin.close()
            used = _reap(child, deadline=time.monotonic() + 60)  # it has answered: it ends now
        finally:
            late.cancel()
            if child.returncode is None:
                child.kill()
                used = _reap(child)
            for pipe in (child.stdin, child.stdout):
                pipe.close()
        errors.seek(0)
        stderr = errors.read()
    if child.returncode == 0 and answer is not None:
        kind, payload = answer
        if kind == "dataset":
            return payload
        raise InputError(*payload)
    if child.returncode == -signal.SIGXCPU or used >= cpu or timed_out.is_set():
        raise InputError([InputProblem(path.name, None, None, None, too_long(limits.seconds))])
    if child.returncode == _EXIT_MEMORY:
        reason = (f"การอ่านไฟล์นี้ต้องใช้หน่วยความจำเกิน {memory_mb} MiB ซึ่งเป็นขีดจำกัดของการอัปโหลด",
                  f"reading this file needs more than {memory_mb} MiB of memory, the limit for an upload")
    elif child.returncode < 0:
        reason = (f"ตัวอ่านไฟล์หยุดทำงานระหว่างอ่านไฟล์นี้ อาจต้องใช้หน่วยความจำเกิน {memory_mb} MiB ซึ่งเป็นขีดจำกัดของการอัปโหลด",
                  f"reading this file stopped the reader; it may need more than {memory_mb} MiB of memory, the limit "
                  "for an upload")
    else:
        last = (stderr.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
        raise InputError([InputProblem(path.name, None, None, None, f"ตัวอ่านไฟล์ขัดข้อง ({last}) โปรดแจ้งผู้ดูแลระบบ / "
                                       f"the reader failed ({last}); please report it")])
    raise InputError([InputProblem(path.name, None, None, None, f"{reason[0]}: แบ่งเป็นไฟล์ที่เล็กลง หรือนำเข้าด้วยคำสั่ง "
                                   f"discretion-review import / {reason[1]}; split it into smaller files, or import "
                                   "it with the command line (discretion-review import)")])


_STARTUP_SECONDS = 5  # processor time a child takes to start and import the reader, beyond the read's


def cpu_allowance(limits: ReadLimits) -> int:
    """The child's processor-time limit: the read's seconds, and its start."""
    return math.ceil(limits.seconds) + _STARTUP_SECONDS


def _reap(child: subprocess.Popen, deadline: float | None = None) -> float:
    """Wait for ``child`` (until ``deadline``, then kill it), set its return code, and return the
    processor seconds it used (``os.wait4``: Popen's own wait would drop them)."""
    while True:
        pid, status, usage = os.wait4(child.pid, 0 if deadline is None else os.WNOHANG)
        if pid:
            child.returncode = os.waitstatus_to_exitcode(status)
            return usage.ru_utime + usage.ru_stime
        if time.monotonic() >= deadline:  # type: ignore[operator]
            child.kill()
            deadline = None
        else:
            time.sleep(0.01)


def _converse(child: subprocess.Popen, known_ids: Any, limits: ReadLimits) -> Any:
    """The parent's side: answer the child's questions until its result (None if it died first)."""
    assert child.stdin is not None and child.stdout is not None
    try:
        ask = callable(known_ids)
        fixed = {} if ask else {k: sorted(v) for k, v in (known_ids or {}).items()}
        _send(child.stdin, b"C", json.dumps({"ask": ask, "known": fixed, "limits": asdict(limits)}).encode())
        while (message := _receive(child.stdout)) is not None:
            kind, payload = message
            if kind == b"R":
                return pickle.loads(payload)  # our own child's answer
            question = json.loads(payload)
            ids = set(question["ids"])
            found = set(known_ids(question["table"], ids)) & ids if ask else set()
            _send(child.stdin, b"A", json.dumps(sorted(found)).encode())
    except (BrokenPipeError, ConnectionResetError):  # the child is gone: its exit status says why
        pass
    return None


def _send(stream: IO[bytes], kind: bytes, payload: bytes) -> None:
    stream.write(_HEADER.pack(kind, len(payload)))
    stream.write(payload)
    stream.flush()


def _receive(stream: IO[bytes]) -> tuple[bytes, bytes] | None:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    kind, size = _HEADER.unpack(head)
    payload = stream.read(size)
    return (kind, payload) if len(payload) == size else None


def _address_space() -> int:
    """Bytes of address space this process maps now (Linux)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _limit_memory(budget: int) -> None:
    """In the child, before any file is read: the reader's own imports are not the upload's."""
    import resource

    import charset_normalizer  # noqa: F401
    import openpyxl  # noqa: F401

    from engine.ingest import loader  # noqa: F401

    limit = _address_space() + budget
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))


def _limit_time(cpu_seconds: int) -> None:
    """In the child: the operating system stops it (SIGXCPU, then SIGKILL) past ``cpu_seconds``
    of processor time, wherever it is (a library's loop the reader's clock does not see)."""
    import resource

    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 2))


def _child(path: str, budget: int, parent: int, cpu_seconds: int) -> int:
    from engine.evaluation.workers import die_with_parent
    from engine.ingest.loader import load_dataset

    die_with_parent(parent)  # a killed app leaves no reader behind
    _limit_time(cpu_seconds)
    channel_in, channel_out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the messages
    _limit_memory(budget)
    try:
        try:
            first = _receive(channel_in)
            if first is None:  # the parent is gone
                return 1
            config = json.loads(first[1])
            known: Any = {k: set(v) for k, v in config["known"].items()} or None
            if config["ask"]:
                def known(table: str, ids: set[str]) -> set[str]:  # asked of the parent, who asks the store
                    _send(channel_out, b"Q", json.dumps({"table": table, "ids": sorted(ids)}).encode())
                    answer = _receive(channel_in)
                    return set(json.loads(answer[1])) if answer is not None else set()
            result: tuple[str, object] = ("dataset", load_dataset(path, known_ids=known,
                                                                  # Arrow's threads and allocator reserve address space
                                                                  # the limit cannot budget for (a read hung under it)
                                                                  columnar=False, limits=ReadLimits(**config["limits"])))
        except InputError as exc:
            result = ("problems", (exc.problems, exc.warnings))
        data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        return _EXIT_MEMORY
    _send(channel_out, b"R", data)
    return 0


if __name__ == "__main__":
    raise SystemExit(_child(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
