"""Read an uploaded dataset in a child process with a memory limit.

The app serves everybody from one process: a file that needs gigabytes to read (a crafted
workbook the size checks let through, or simply too big for the machine) must cost an upload
its answer, not the app. The child is a fresh interpreter (``python -m engine.ingest.isolated``):
not a fork of the app's threads, and not multiprocessing's spawn, which would re-run the
Streamlit page that is the app's ``__main__``. It limits its own address space
(``RLIMIT_AS``) to what the reader takes plus a budget, and sends the dataset back pickled.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from collections.abc import Collection, Mapping
from pathlib import Path

from engine.domain.errors import InputError, InputProblem
from engine.domain.models import Dataset

UPLOAD_MEMORY_MB = int(os.environ.get("DISCRETION_UPLOAD_MEMORY_MB", "2048"))
_EXIT_MEMORY = 75
_PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def load_dataset_isolated(path: str | Path, memory_mb: int = UPLOAD_MEMORY_MB,
                          known_ids: Mapping[str, Collection[str]] | None = None) -> Dataset:
    """``load_dataset`` in a child process that may use ``memory_mb`` MiB beyond the reader's own;
    ``InputError`` as usual, and also when the child runs out of memory or dies. ``known_ids``
    as for ``load_dataset`` (ids held in the store), handed to the child on its standard input."""
    path = Path(path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(_PACKAGE_ROOT), os.environ.get("PYTHONPATH"))
                                                       if p)}
    child = subprocess.run([sys.executable, "-m", "engine.ingest.isolated", str(path), str(memory_mb << 20)],
                           input=json.dumps({k: sorted(v) for k, v in (known_ids or {}).items()}).encode(),
                           capture_output=True, env=env, check=False)
    if child.returncode == 0:
        kind, payload = pickle.loads(child.stdout)  # our own child's answer
        if kind == "dataset":
            return payload
        raise InputError(*payload)
    if child.returncode == _EXIT_MEMORY:
        reason = f"reading this file needs more than {memory_mb} MiB of memory, the limit for an upload"
    elif child.returncode < 0:
        reason = f"reading this file stopped the reader; it may need more than {memory_mb} MiB of memory, the limit " \
                 "for an upload"
    else:
        last = (child.stderr.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
        raise InputError([InputProblem(path.name, None, None, None, f"the reader failed ({last}); please report it")])
    raise InputError([InputProblem(path.name, None, None, None, reason + "; split it into smaller files, or import "
                                   "it with the command line (discretion-review import)")])


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

    _limit_memory(budget)
    try:
        try:
            known = json.loads(sys.stdin.buffer.read() or b"{}")
            result: tuple[str, object] = ("dataset", load_dataset(path, known_ids={k: set(v) for k, v in known.items()} or None,
                                                     # Arrow's threads and allocator reserve address space
                                                     # the limit cannot budget for (a read hung under it)
                                                     columnar=False))
        except InputError as exc:
            result = ("problems", (exc.problems, exc.warnings))
        data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        return _EXIT_MEMORY
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(_child(sys.argv[1], int(sys.argv[2])))
