"""Read an uploaded dataset in a child process with a memory limit.

The app serves everybody from one process: a file that needs gigabytes to read (a crafted
workbook the size checks let through, or simply too big for the machine) must cost an upload
its answer, not the app. The child is a fresh interpreter (``python -m engine.ingest.isolated``):
not a fork of the app's threads, and not multiprocessing's spawn, which would re-run the
Streamlit page that is the app's ``__main__``. It limits its own address space
(``RLIMIT_AS``) to what the reader takes plus a budget, and sends the dataset back pickled.

The two talk over the child's standard input and output in messages (a kind byte, a length,
the payload): the child asks ``Q`` which of the ids its references name exist elsewhere (the
parent asks the store: ``known_ids``), and ends with ``R``, its result.
"""

from __future__ import annotations

import json
import os
import pickle
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import IO, Any

from engine.domain.errors import InputError, InputProblem
from engine.domain.models import Dataset

UPLOAD_MEMORY_MB = int(os.environ.get("DISCRETION_UPLOAD_MEMORY_MB", "2048"))
_EXIT_MEMORY = 75
_PACKAGE_ROOT = Path(__file__).resolve().parents[1]
_HEADER = struct.Struct("!cQ")  # kind, payload length


def load_dataset_isolated(path: str | Path, memory_mb: int = UPLOAD_MEMORY_MB,
                          known_ids: Mapping[str, Collection[str]] | Callable[[str, set[str]], Collection[str]]
                          | None = None) -> Dataset:
    """``load_dataset`` in a child process that may use ``memory_mb`` MiB beyond the reader's own;
    ``InputError`` as usual, and also when the child runs out of memory or dies. ``known_ids``
    as for ``load_dataset``: a function is asked here, in this process, when the child asks."""
    path = Path(path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(_PACKAGE_ROOT), os.environ.get("PYTHONPATH"))
                                                       if p)}
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen([sys.executable, "-m", "engine.ingest.isolated", str(path), str(memory_mb << 20)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, env=env)
        try:
            answer = _converse(child, known_ids)
            child.stdin.close()
            child.wait(timeout=60)  # it has answered: it ends now
        finally:
            if child.poll() is None:
                child.kill()
            child.wait()
            for pipe in (child.stdin, child.stdout):
                pipe.close()
        errors.seek(0)
        stderr = errors.read()
    if child.returncode == 0 and answer is not None:
        kind, payload = answer
        if kind == "dataset":
            return payload
        raise InputError(*payload)
    if child.returncode == _EXIT_MEMORY:
        reason = f"reading this file needs more than {memory_mb} MiB of memory, the limit for an upload"
    elif child.returncode < 0:
        reason = f"reading this file stopped the reader; it may need more than {memory_mb} MiB of memory, the limit " \
                 "for an upload"
    else:
        last = (stderr.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
        raise InputError([InputProblem(path.name, None, None, None, f"the reader failed ({last}); please report it")])
    raise InputError([InputProblem(path.name, None, None, None, reason + "; split it into smaller files, or import "
                                   "it with the command line (discretion-review import)")])


def _converse(child: subprocess.Popen, known_ids: Any) -> Any:
    """The parent's side: answer the child's questions until its result (None if it died first)."""
    assert child.stdin is not None and child.stdout is not None
    try:
        ask = callable(known_ids)
        fixed = {} if ask else {k: sorted(v) for k, v in (known_ids or {}).items()}
        _send(child.stdin, b"C", json.dumps({"ask": ask, "known": fixed}).encode())
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


def _child(path: str, budget: int) -> int:
    from engine.ingest.loader import load_dataset

    channel_in, channel_out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the messages
    _limit_memory(budget)
    try:
        try:
            first = _receive(channel_in)
            config = json.loads(first[1]) if first is not None else {"ask": False, "known": {}}
            known: Any = {k: set(v) for k, v in config["known"].items()} or None
            if config["ask"]:
                def known(table: str, ids: set[str]) -> set[str]:  # asked of the parent, who asks the store
                    _send(channel_out, b"Q", json.dumps({"table": table, "ids": sorted(ids)}).encode())
                    answer = _receive(channel_in)
                    return set(json.loads(answer[1])) if answer is not None else set()
            result: tuple[str, object] = ("dataset", load_dataset(path, known_ids=known,
                                                                  # Arrow's threads and allocator reserve address space
                                                                  # the limit cannot budget for (a read hung under it)
                                                                  columnar=False))
        except InputError as exc:
            result = ("problems", (exc.problems, exc.warnings))
        data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        return _EXIT_MEMORY
    _send(channel_out, b"R", data)
    return 0


if __name__ == "__main__":
    raise SystemExit(_child(sys.argv[1], int(sys.argv[2])))
