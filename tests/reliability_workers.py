"""Worker processes for tests/test_reliability_store.py (run as scripts, one OS process each).

``runner URL DONE_FILE``: evaluation runs, alternating a parameter so that flags clear, fire
again and change evidence, until DONE_FILE exists.
``reviewer URL OUT_FILE DONE_FILE MIN_ACTIONS MIN_RUNS``: decisions on the same flags until it
has made MIN_ACTIONS and seen MIN_RUNS runs finish; writes every decision it saw committed.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from engine.store.db import session_factory, transaction  # noqa: E402
from engine.store.review import ReviewError, act, get_flag  # noqa: E402
from engine.store.schema import EvaluationRun, FlagEvent, FlagRow  # noqa: E402
from engine.store.scope import NotFound, Scope  # noqa: E402

AS_OF = dt.date(2024, 4, 20)
REVIEWER = Scope("reviewer", "admin", None)
# 7: the unreviewed cases fire; 10: they fire with other evidence; 60: they are cleared
REVIEW_DAYS = ("7", "10", "60")
MAX_SECONDS = 45


def runner(url: str, done_file: str) -> None:
    from engine.store.runs import run_evaluation
    from engine.store.scope import SYSTEM

    i = 0
    while not Path(done_file).exists():
        run_evaluation(session_factory(url), SYSTEM, AS_OF, {"review_within_days": REVIEW_DAYS[i % 3]}, jobs=1)
        i += 1


def _fields(action: str, today: dt.date) -> dict:
    return {"confirm": {"corrective_action": "แก้ไข", "due_date": today + dt.timedelta(days=30)},
            "waive": {"reason": "ผ่อนผัน", "approver": "หัวหน้า", "expires_on": today + dt.timedelta(days=30)},
            }.get(action, {"reason": f"เหตุผล {action}"})


CHOICES = {"open": ("confirm", "dismiss", "request_info", "waive"),
           "needs_info": ("confirm", "dismiss", "waive", "reopen"),
           "confirmed": ("resolve", "reopen"), "dismissed": ("reopen",), "waived": ("reopen",),
           "resolved": ("reopen",)}


def reviewer(url: str, out_file: str, done_file: str, min_actions: int, min_runs: int) -> None:
    rng = random.Random(8)
    today = dt.date.today()
    with transaction(url) as s:
        flag_ids = list(s.scalars(select(FlagRow.flag_id).order_by(FlagRow.flag_id)))
    committed, refused, started = [], 0, time.monotonic()
    try:
        while time.monotonic() - started < MAX_SECONDS:
            with transaction(url) as s:
                runs = s.scalar(select(func.count()).select_from(EvaluationRun)
                                .where(EvaluationRun.status == "succeeded"))
            if len(committed) >= min_actions and runs >= min_runs:
                break
            flag_id = rng.choice(flag_ids)
            try:
                with transaction(url) as s:
                    seen = get_flag(s, REVIEWER, flag_id)  # what the reviewer's page shows
                    status, version = seen.status, seen.version
                    if status not in CHOICES:
                        continue
                    action = rng.choice(CHOICES[status])
                    row = act(s, REVIEWER, flag_id, action, expected_version=version, **_fields(action, today))
                    event_id = s.scalar(select(FlagEvent.id).where(FlagEvent.flag_id == flag_id,
                                                                   FlagEvent.actor == REVIEWER.username)
                                        .order_by(FlagEvent.id.desc()).limit(1))
                    decision = {"event_id": event_id, "flag_id": flag_id, "action": action,
                                "from_status": status, "to_status": row.status}
                committed.append(decision)  # the transaction committed: the reviewer saw it succeed
            except (ReviewError, NotFound, OperationalError):
                refused += 1  # stale, or the database was busy: the reviewer is told, nothing saved
    finally:
        Path(out_file).write_text(json.dumps({"committed": committed, "refused": refused}), encoding="utf-8")
        Path(done_file).touch()


if __name__ == "__main__":
    role, *args = sys.argv[1:]
    if role == "runner":
        runner(*args)
    else:
        reviewer(args[0], args[1], args[2], int(args[3]), int(args[4]))
