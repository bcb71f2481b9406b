"""All of the evaluation's process-level parallelism: a run's parts go to forked worker
processes, and come back in order.

* **Forked workers share the run's data.** The caller sets the work (a function of a part)
  and forks: every worker inherits the dataset and the rules without pickling them. The
  collector's view of the shared objects is frozen (``gc.freeze``) so that the workers'
  collections do not write to their pages.
* **A failure is contained and pinned to its part.** The rules engine's C core can crash the
  process that runs it, so it never runs in the caller's: when a worker dies, the parts it left
  are retried one at a time in fresh processes, so that a crash is pinned to one part — never a
  crash of the caller, never missing flags. A part whose work raises, or whose process crashes,
  comes back as that part's failure, saying how; the caller decides what it costs.
* **Workers die with their caller** (``die_with_parent``), even after ``kill -9``.
* **Waves** (``check`` only): a large dataset is run in waves of whole agencies, each by freshly
  forked workers, so that no worker comes to hold a copy of the whole dataset's pages.
* **Spool** (``check`` only): when only the flags' lines are wanted, a part hands them back
  through a file (one copy each way, nothing pickled), read back mapped.
"""

from __future__ import annotations

import ctypes
import gc
import mmap
import multiprocessing as mp
import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import count
from typing import Any


_WORK: Callable[[Any], Any] | None = None  # set in the parent before forking; workers inherit it
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(parent_pid: int) -> None:
    """In a forked process, first thing: be killed when the parent dies, even by ``kill -9``.

    Otherwise a killed ``run`` leaves its workers waiting forever on a queue nobody feeds.
    The parent may already be gone when this runs (the signal would then never come), so its
    pid is checked after the request. Linux only; elsewhere workers outlive a killed parent.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux
        pass
    if os.getppid() != parent_pid:
        os._exit(1)


def _call(item: Any) -> Any:
    assert _WORK is not None, "worker started without work"
    return _WORK(item)


def failure(exc: BaseException) -> str:
    """How a part's work failed, in one line, for a person to act on."""
    text = " ".join(str(exc).split())[:300]
    return f"the evaluation failed ({type(exc).__name__}: {text})" if text else \
        f"the evaluation failed ({type(exc).__name__})"


def _isolated(item: Any) -> tuple[Any, str | None]:
    """``_WORK(item)`` in its own process, to tell a crash apart from a neighbour's: (its result,
    None), or (None, how it failed)."""
    ctx = mp.get_context("fork")
    reader, writer = ctx.Pipe(duplex=False)
    parent = os.getpid()

    def target() -> None:
        die_with_parent(parent)
        try:
            result: Any = (_call(item), None)
        except Exception as exc:  # noqa: BLE001  (told to the parent: an error, not a crash)
            result = (None, failure(exc))
        writer.send(result)
        writer.close()

    proc = ctx.Process(target=target, daemon=True)
    proc.start()
    writer.close()
    try:
        result = reader.recv()
    except EOFError:
        result = None
    proc.join()
    if result is None or proc.exitcode != 0:
        code = proc.exitcode
        how = f"signal {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}"
        return None, f"the rules engine (durable-rules) crashed with {how}"
    return result


def run_parts(work: Callable[[Any], Any], waves: list[list[Any]], jobs: int,
              skip: Callable[[Any], bool] = lambda part: False) -> Iterator[tuple[Any, Any, str | None]]:
    """``(part, work(part), None)`` for every part of every wave, computed in forked workers and
    yielded in order; a part whose work raised, or whose process crashed, as ``(part, None, how
    it failed)``. A part ``skip`` says is not wanted (asked when its turn to start comes) is not
    computed and not yielded. Parts are taken in order with a few in flight, so that the output
    is deterministic and at most a few parts' results wait in memory for their turn."""
    global _WORK
    _WORK = work
    done = 0
    parts = [part for wave in waves for part in wave]
    try:
        # keep the shared data's pages untouched by the workers' collector. No collection first:
        # the data is built with the collector paused and forms no cycles
        gc.freeze()
        for wave in waves:
            with ProcessPoolExecutor(max_workers=min(jobs, len(wave) or 1), mp_context=mp.get_context("fork"),
                                     initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
                in_flight: dict[int, Any] = {}
                ahead = iter(enumerate(wave))
                for i, part in enumerate(wave):
                    while len(in_flight) < 2 * jobs + 2:
                        nxt = next(ahead, None)
                        if nxt is None:
                            break
                        if not skip(nxt[1]):
                            in_flight[nxt[0]] = pool.submit(_call, nxt[1])
                    future = in_flight.pop(i, None)
                    done += 1
                    if future is None or skip(part):
                        if future is not None:
                            future.cancel()  # not wanted any more: the rest of it is not computed
                        continue
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        done -= 1
                        raise
                    except Exception as exc:  # noqa: BLE001  (an error in the worker: this part's)
                        yield part, None, failure(exc)
                        continue
                    yield part, result, None
    except BrokenProcessPool:
        for part in parts[done:]:
            if not skip(part):
                yield (part, *_isolated(part))
    finally:
        gc.unfreeze()
        _WORK = None


def waves(parts: list[Any], cases: dict[str, int], runs: int, size: int | None = None) -> list[list[Any]]:
    """``parts`` (``(agency, lo, hi)``, in order) in waves of whole agencies of at least ``size``
    cases each (the last one may be smaller). A worker's reading a case writes its page (the
    object's reference count), so the page is copied into the worker: workers that end with
    their wave hold only their wave's agencies' pages — when an agency's cases lie together in
    memory (``runs``: how many runs of one agency's cases the dataset has, in its order). One
    wave for a dataset of fewer than twice as many cases, or whose agencies' cases are
    interleaved (new workers would copy the same pages again)."""
    size = size or WAVE_CASES
    total = sum(cases.values())
    if total < 2 * size or runs * WAVE_RUN > total:
        return [list(parts)]
    out: list[list[Any]] = [[]]
    held = 0
    for part in parts:
        if part[2] < 0 and held >= size:  # an agency's first part, and the wave is full
            out.append([])
            held = 0
        if part[2] < 0:
            held += cases[part[0]]
        out[-1].append(part)
    return out


WAVE_CASES = 250_000  # cases per wave, about
WAVE_RUN = 100  # an agency's cases lie together when they come on average this many in a row


def slice_size(cases: int, jobs: int) -> int:
    """Cases per part: about eight parts per worker, so that the cores stay busy to the end
    whatever the agencies' sizes, and no part holds more than 50,000 cases' subjects."""
    return max(2_000, min(50_000, -(-cases // (jobs * 8))))


class Spool:
    """A private folder (0700) through which workers hand back byte strings: each part's are
    written into one file, and read back mapped, not copied, by the caller."""

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="discretion-review-")
        self._names = count()

    def put(self, chunks: list[list[bytes]]) -> tuple[str, list[int]]:
        """In a worker: write each chunk's byte strings, and say where and how long each is."""
        path = os.path.join(self.folder, f"{os.getpid()}-{next(self._names)}")
        sizes = []
        with open(path, "wb", buffering=1 << 20) as fh:
            for chunk in chunks:
                start = fh.tell()
                fh.writelines(chunk)
                sizes.append(fh.tell() - start)
        return path, sizes

    @staticmethod
    def take(handle: tuple[str, list[int]]) -> list[memoryview]:
        """In the caller: each chunk ``put`` wrote, as a view of the mapped file (then removed)."""
        path, sizes = handle
        with open(path, "rb") as fh:
            data = memoryview(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if any(sizes) else b"")
        os.unlink(path)
        out, at = [], 0
        for size in sizes:
            out.append(data[at:at + size])
            at += size
        return out

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
