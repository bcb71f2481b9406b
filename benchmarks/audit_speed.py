"""What keying the audit trails costs: a run's events linked with the HMAC under the audit key
against the SHA-256 before keys, and ``audit verify`` (chains, seals, replay) on a stored run.

    .venv/bin/python benchmarks/audit_speed.py [--events 171481] [--rounds 5] [--store URL]

Linking: ``audit.Chain.link`` on ``--events`` ``created`` events (a first 1M-case run writes
171,481), keyed as now and, alternately, with the keyless SHA-256 of before (the same code with
``hmac.digest`` replaced by the old ``_linked``); the median of ``--rounds`` rounds each.
``--store URL``: the time of ``audit verify`` on that store (its events and rows counted), as
the command line runs it (one snapshot; every chain walked, every flag and user replayed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.store import audit  # noqa: E402


class _Chain(audit.Chain):
    """A chain without a session: its tail given, its key given."""

    def __init__(self, key: bytes):  # noqa: D107
        self.table = audit.FlagEvent.__table__
        self.key_id, self._key = 1, key
        self.prev, self.now = audit.GENESIS, dt.datetime(2025, 6, 30, 12, 0, 0, 123456)
        self._columns = audit.CHAINED["flag_events"]
        self._text_of = audit._FlagEventCanon()


def _unkeyed(key: bytes, data: bytes, digest: str) -> bytes:
    """``hmac.digest`` as the chain hashed before keys: SHA-256 of the same bytes (as bytes, so
    that ``.hex()`` gives the hex digest)."""
    return hashlib.sha256(data).digest()


def link_times(n: int, rounds: int) -> tuple[list[float], list[float]]:
    rows = [{"flag_id": f"F{i:020x}", "at": None, "actor": "system", "action": "created", "from_status": None,
             "to_status": "open", "reason": None, "details": None, "run_id": 2} for i in range(n)]
    key = os.urandom(48)
    keyed, plain = [], []
    for _ in range(rounds):  # alternating: the machine's load moves both alike
        start = time.perf_counter()
        _Chain(key).link(rows)
        keyed.append(time.perf_counter() - start)
        with mock.patch.object(audit.hmac, "digest", _unkeyed):
            start = time.perf_counter()
            _Chain(key).link(rows)
            plain.append(time.perf_counter() - start)
    return keyed, plain


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=171_481)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--store", default=None, help="a store URL: time `audit verify` on it")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    keyed, plain = link_times(args.events, args.rounds)
    k, p = statistics.median(keyed), statistics.median(plain)
    print(f"linking {args.events:,} created events (median of {args.rounds}): SHA-256 before keys {p:.3f} s, "
          f"HMAC-SHA256 now {k:.3f} s: +{k - p:.3f} s ({(k - p) / args.events * 1e9:.0f} ns an event)")
    if args.store:
        exe = Path(sys.executable).parent / "discretion-review"
        start = time.perf_counter()
        proc = subprocess.run([str(exe), "audit", "verify", "--db", args.store], capture_output=True, text=True)
        took = time.perf_counter() - start
        print(f"audit verify: {took:.1f} s (exit {proc.returncode}): "
              + (proc.stdout or proc.stderr).strip().splitlines()[0][:400])


if __name__ == "__main__":
    main()
