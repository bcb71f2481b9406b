"""A process for tests/test_api.py (run as a script): ``runner URL DONE_FILE`` runs evaluations of
the whole store at the tests' date until DONE_FILE exists, while API processes take posts."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.store.db import session_factory  # noqa: E402
from engine.store.runs import run_evaluation  # noqa: E402
from engine.store.scope import SYSTEM  # noqa: E402


def runner(url: str, done_file: str) -> None:
    while not Path(done_file).exists():
        run_evaluation(session_factory(url), SYSTEM, dt.date(2024, 4, 20), jobs=1)


if __name__ == "__main__":
    {"runner": runner}[sys.argv[1]](*sys.argv[2:])
