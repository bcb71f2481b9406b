"""Process-wide tuning for a command that does one bulk job: the cycle collector paused, and
the interpreter's thread switch interval shortened. Both are the process's, so the library
never sets them inside a server that runs other sessions' work (the app): the command line does,
around the whole job, and both are counted, so that jobs that overlap restore what was there.

Building many objects that form no reference cycles, without the cycle collector:

Python's collector runs each time allocations outnumber frees by a few hundred, and each
older-generation pass walks every object alive. Reading a million rows or building a part's
facts and flags (dicts, lists, strings — nothing that refers back to itself) then spends
about half its time in collections that find nothing: 1.66 s → 0.89 s to read 200,000 demo
cases. Garbage that does form a cycle waits for the next collection after the pause.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_SWITCH_INTERVAL = 0.0002  # seconds
_switch_lock = threading.Lock()
_switch_holders = 0
_switch_saved = 0.0


@contextmanager
def short_switch_interval() -> Iterator[None]:
    """A thread that a database call gives back waits for the GIL until the thread building
    rows lets go of it: by default after up to 5 ms — per statement of 500 rows, as long as
    SQLite took to write them. A 0.2 ms interval lets the write-behind thread
    (``engine.store.bulk.WriteBehind``) go on while the two share the work. Counted: the interval
    is restored when the last holder leaves, whatever the order."""
    global _switch_holders, _switch_saved
    with _switch_lock:
        if _switch_holders == 0:
            _switch_saved = sys.getswitchinterval()
            sys.setswitchinterval(_SWITCH_INTERVAL)
        _switch_holders += 1
    try:
        yield
    finally:
        with _switch_lock:
            _switch_holders -= 1
            if _switch_holders == 0:
                sys.setswitchinterval(_switch_saved)
