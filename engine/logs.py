"""What an operator reads afterwards: one JSON line on standard error per login (success or
failure), review action, import, evaluation run and error (journald, a container's log or a
cron mail collects it).

A line holds who, what, which ids and counts, and the outcome — never a password, a reason
typed by a reviewer, or anything of a case's contents (applicants, legal bases, findings):
only ids, codes, counts and the store's URL without its password. ``DISCRETION_LOG``: ``auto``
(the default) writes them when standard error is not a terminal — a service, a container, cron,
a pipe — so that a person at a terminal reads only the command's own words; ``json`` always;
``off`` never.

    {"ts": "2026-12-07T21:13:25.123Z", "level": "info", "event": "run", "user": "nightly",
     "run_id": 12, "status": "succeeded", "as_of": "2026-12-07", "flags": 1840, "seconds": 41.2}
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import threading
from typing import Any

_LOCK = threading.Lock()  # one line at a time from the app's threads (one session each)


def enabled() -> bool:
    mode = os.environ.get("DISCRETION_LOG", "auto").lower()
    if mode in ("off", "0", "none", "false"):
        return False
    if mode == "auto":
        try:
            return not sys.stderr.isatty()
        except Exception:  # noqa: BLE001  (a closed or replaced stream: no terminal)
            return True
    return True


def event(name: str, level: str = "info", **fields: Any) -> None:
    """Write one line: ``{"ts", "level", "event": name, **fields}``. Never raises: a log that
    cannot be written (a closed stderr) must not fail the action it records."""
    if not enabled():
        return
    line = {"ts": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": level, "event": name, **fields}
    try:
        text = json.dumps(line, ensure_ascii=False, default=str, separators=(",", ":"))
        with _LOCK:
            sys.stderr.write(text + "\n")
            sys.stderr.flush()
    except Exception:  # noqa: BLE001  (see above)
        pass


def error(where: str, exc: BaseException, **fields: Any) -> None:
    """An error line: where it happened, its kind and its first line (errors this package
    raises name places and values of the input, never a password; a driver's error is cut to
    its first line, which names a host and port at most)."""
    problems = getattr(exc, "problems", None)
    if problems is not None:  # a dataset's problems quote its values: only how many
        first = f"{len(problems)} problem(s) in the input"
    else:
        first = (str(exc).strip().splitlines() or [""])[0][:300]
    event("error", "error", where=where, error=type(exc).__name__, message=first, **fields)
