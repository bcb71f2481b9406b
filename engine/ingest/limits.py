"""How much reading a dataset may cost: the one place that states the limits and their defaults.

A small file can cost minutes and gigabytes: a 2 MB ``cases.csv`` of a million one-character
lines made five million problems (2.4 GB); a 5 MB workbook of tiny cells, millions of cells.
Every reader — the row-by-row CSV and workbook readers and the columnar CSV reader — counts
against the same limits, for ``validate``, ``import``, ``check`` and the app's upload alike:

* ``rows``: data rows in one file or sheet (a sheet also stops at Excel's 1,048,576);
* ``cells``: cells in the whole dataset, every file or sheet together (empty ones too);
* ``seconds``: seconds of one read, from its start — the readers look at their clock as they go,
  and a timer signal stops what they cannot see (``alarm``); the app's upload child is also
  stopped by the operating system after as many seconds of processor time, and killed after
  twice as many on the clock;
* ``problems``: problems listed; past them reading stops, and the problems found are listed.

The defaults read a million real cases (the demo's ``--cases 1000000``: 1,000,000 rows of 19
cells in ``cases.csv``, 19 million cells in all) with room to spare. Each is set by an
environment variable (for the app) or a command-line flag (which wins): ``DISCRETION_MAX_ROWS``
/ ``--max-rows``, ``DISCRETION_MAX_CELLS`` / ``--max-cells``, ``DISCRETION_MAX_READ_SECONDS`` /
``--max-read-seconds``, ``DISCRETION_MAX_PROBLEMS`` / ``--max-problems``.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

DEFAULT_ROWS = 2_000_000       # a million cases twice over; a sheet stops at Excel's 1,048,576 anyway
DEFAULT_CELLS = 64_000_000     # a million cases of every column of every file, with room to spare
DEFAULT_SECONDS = 600.0        # a million cases read row by row take about a minute and a half
DEFAULT_PROBLEMS = 1_000       # more than a person reads; a file of junk makes millions

_ENV = {"rows": "DISCRETION_MAX_ROWS", "cells": "DISCRETION_MAX_CELLS", "seconds": "DISCRETION_MAX_READ_SECONDS",
        "problems": "DISCRETION_MAX_PROBLEMS"}
_FLAG = {"rows": "--max-rows", "cells": "--max-cells", "seconds": "--max-read-seconds", "problems": "--max-problems"}


@dataclass(frozen=True)
class ReadLimits:
    """The limits of one read (see the module's doc)."""

    rows: int = DEFAULT_ROWS
    cells: int = DEFAULT_CELLS
    seconds: float = DEFAULT_SECONDS
    problems: int = DEFAULT_PROBLEMS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **given: float | int | None) -> ReadLimits:
        """The defaults, then the environment's ``DISCRETION_MAX_*``, then ``given`` (flags; None
        = not given). A value that is not a positive number is a ``UsageError``."""
        from engine.domain.errors import UsageError

        env = os.environ if env is None else env
        values: dict[str, float | int] = {}
        for name, var in _ENV.items():
            raw: object = given.get(name)
            where = _FLAG[name]
            if raw is None and env.get(var):
                raw, where = env[var], var
            if raw is None:
                continue
            kind = float if name == "seconds" else int
            try:
                value = kind(str(raw).replace(",", "").replace("_", ""))
            except ValueError:
                value = 0
            if value <= 0:
                raise UsageError(f"{where} ต้องเป็นจำนวนที่มากกว่า 0 / {where} takes a number above 0: {raw!r}")
            values[name] = value
        return replace(cls(), **values)


class LimitReached(BaseException):
    """A read went past one of its limits: ``reason`` says which, in Thai and English. Not an
    ``Exception``: raised from a timer signal inside a library, it must not be taken for that
    library's own failure (``except Exception: the file is damaged``); ``load_dataset`` says it."""

    def __init__(self, file: str, reason: str, row: int | None = None):
        super().__init__(reason)
        self.file, self.reason, self.row = file, reason, row


@dataclass
class ReadBudget:
    """What is left of one read's limits; each reader reports to it as it goes."""

    limits: ReadLimits = field(default_factory=ReadLimits)
    cells_left: int = 0
    deadline: float = 0.0
    current: str = ""  # the file being read, last said to ``clock``

    def __post_init__(self) -> None:
        self.cells_left = self.limits.cells
        self.deadline = time.monotonic() + self.limits.seconds

    def rows(self, file: str, rows: int) -> None:
        """``rows`` data rows read so far from ``file``."""
        if rows > self.limits.rows:
            n = self.limits.rows
            raise LimitReached(file, f"มีข้อมูลเกิน {n:,} แถว ซึ่งเป็นขีดจำกัดต่อไฟล์ จึงหยุดอ่าน: แบ่งข้อมูลเป็นหลายไฟล์ หรือตั้งขีดจำกัด "
                               f"(--max-rows, DISCRETION_MAX_ROWS) / more than {n:,} data rows, the limit for a file; "
                               "reading stopped: split the data, or set the limit (--max-rows, DISCRETION_MAX_ROWS)")

    def cells(self, file: str, cells: int) -> None:
        """``cells`` more cells read from ``file``."""
        self.cells_left -= cells
        if self.cells_left < 0:
            n = self.limits.cells
            raise LimitReached(file, f"ชุดข้อมูลมีเกิน {n:,} ช่อง ซึ่งเป็นขีดจำกัด จึงหยุดอ่านที่ไฟล์นี้: แบ่งข้อมูล หรือตั้งขีดจำกัด "
                               f"(--max-cells, DISCRETION_MAX_CELLS) / the dataset has more than {n:,} cells, the "
                               "limit; reading stopped in this file: split the data, or set the limit (--max-cells, "
                               "DISCRETION_MAX_CELLS)")

    def clock(self, file: str) -> None:
        """Past the read's last second: stop."""
        self.current = file
        if time.monotonic() > self.deadline:
            raise LimitReached(file, too_long(self.limits.seconds))

    def problems(self, file: str, row: int | None) -> None:
        """One more problem than may be listed, found at ``row`` of ``file``."""
        n = self.limits.problems
        where = f"ที่แถวข้อมูล {row:,} " if row else ""
        where_en = f" at data row {row:,}" if row else ""
        raise LimitReached(file, f"พบปัญหาเกิน {n:,} รายการ จึงหยุดอ่าน{where}ของไฟล์นี้ รายการข้างต้นคือ {n:,} รายการแรก: "
                           f"แก้ไขแล้วตรวจสอบอีกครั้ง (ขีดจำกัด --max-problems, DISCRETION_MAX_PROBLEMS) / more than "
                           f"{n:,} problems: reading stopped{where_en} in this file; the first {n:,} are listed: "
                           "correct them and check again (the limit: --max-problems, DISCRETION_MAX_PROBLEMS)", row)


@contextmanager
def alarm(budget: ReadBudget) -> Iterator[None]:
    """The read's seconds kept everywhere, not only where a reader looks at its clock (openpyxl
    parsing a workbook's shared strings or styles as it opens it): a second later than the
    clock's, the read is stopped by a timer signal (``LimitReached`` from wherever it is). Only
    in the main thread, and only when no other timer is set (a caller's own alarm is left alone)."""
    if threading.current_thread() is not threading.main_thread() or signal.getitimer(signal.ITIMER_REAL)[0] > 0:
        yield
        return

    def ring(signum: int, frame: object) -> None:
        raise LimitReached(budget.current, too_long(budget.limits.seconds))
    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, budget.limits.seconds + 1)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def too_long(seconds: float) -> str:
    """Why a read that took longer than ``seconds`` was stopped (the reader's clock, or the app's
    upload child stopped by the operating system)."""
    shown = f"{seconds:g}"
    return (f"อ่านข้อมูลนานเกิน {shown} วินาที ซึ่งเป็นขีดจำกัด จึงหยุดอ่าน: แบ่งข้อมูล หรือตั้งขีดจำกัด (--max-read-seconds, "
            f"DISCRETION_MAX_READ_SECONDS) / reading took more than {shown} seconds, the limit; reading stopped: "
            "split the data, or set the limit (--max-read-seconds, DISCRETION_MAX_READ_SECONDS)")
