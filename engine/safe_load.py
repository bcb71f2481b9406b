"""Read an uploaded dataset in a child process with a memory limit.

The app serves everybody from one process: a file that needs gigabytes to read (a crafted
workbook the size checks let through, or simply too big for the machine) must cost an upload
its answer, not the app. The child gets a budget of address space above what the reader
itself takes (``RLIMIT_AS``); a breach is one problem naming the file.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from .errors import InputError, InputProblem
from .models import Dataset

UPLOAD_MEMORY_MB = int(os.environ.get("DISCRETION_UPLOAD_MEMORY_MB", "2048"))


def _address_space() -> int:
    """Bytes of address space this process maps now (Linux)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _limit_memory(budget: int) -> None:
    """In the child, before any file is read: the reader's own imports are not the upload's."""
    import resource

    import charset_normalizer  # noqa: F401
    import openpyxl  # noqa: F401

    from . import loader  # noqa: F401

    limit = _address_space() + budget
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))


def _load(path: str) -> Dataset:
    from .loader import load_dataset

    return load_dataset(path)


def load_dataset_isolated(path: str | Path, memory_mb: int = UPLOAD_MEMORY_MB) -> Dataset:
    """``load_dataset`` in a child process that may use ``memory_mb`` MiB; ``InputError`` as usual,
    and also when the child runs out of memory or dies."""
    path = Path(path)
    # spawn, not fork: the app runs threads, and a forked child would copy their held locks
    pool = ProcessPoolExecutor(1, mp_context=mp.get_context("spawn"), initializer=_limit_memory,
                               initargs=(memory_mb << 20,))
    try:
        return pool.submit(_load, str(path)).result()
    except (MemoryError, BrokenProcessPool) as exc:
        how = "needs more" if isinstance(exc, MemoryError) else "stopped the reader; it may need more"
        raise InputError([InputProblem(path.name, None, None, None,
                                       f"reading this file {how} than {memory_mb} MiB of memory, the limit for an "
                                       "upload; split it into smaller files, or import it with the command line "
                                       "(discretion-review import)")]) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
