"""How often and how much a token may post, and how often one address may fail to authenticate.

Token buckets kept in the server's memory: each token may post ``per_minute`` times a minute on
average, ``burst`` at once; an address that presents ``failures`` missing, unknown or revoked
tokens within ``FAILURE_WINDOW`` is refused until the window has passed, before any look-up (so
guessing costs the store nothing). One server process holds one set of buckets: run one
``discretion-review api`` process per host (it evaluates on every core already).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

FAILURE_WINDOW = 300.0  # seconds
DEFAULT_MAX_BODY = 8 << 20  # bytes a post may have (413 above): a batch of about 20,000 cases


@dataclass(frozen=True)
class Rates:
    """The limits of one server (``discretion-review api --rate-per-minute --burst``)."""

    per_minute: float = 60.0
    burst: int = 30
    failures: int = 20  # failed authentications from one address within FAILURE_WINDOW


@dataclass
class Throttle:
    """The buckets (see the module's doc); ``clock`` is replaceable in tests."""

    rates: Rates = field(default_factory=Rates)
    clock: object = time.monotonic
    _buckets: dict[int, tuple[float, float]] = field(default_factory=dict)  # token -> (tokens left, at)
    _failed: dict[str, deque] = field(default_factory=dict)  # address -> times of failures
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, token_id: int) -> float:
        """0 when ``token_id`` may post now (one post taken from its bucket), else the seconds
        until it may."""
        now = self.clock()
        rate = self.rates.per_minute / 60.0
        with self._lock:
            left, at = self._buckets.get(token_id, (float(self.rates.burst), now))
            left = min(float(self.rates.burst), left + (now - at) * rate)
            if left >= 1.0:
                self._buckets[token_id] = (left - 1.0, now)
                return 0.0
            self._buckets[token_id] = (left, now)
            return (1.0 - left) / rate if rate > 0 else FAILURE_WINDOW

    def refused(self, address: str) -> float:
        """0 when ``address`` may try to authenticate, else the seconds until it may."""
        now = self.clock()
        with self._lock:
            times = self._failed.get(address)
            if times is None:
                return 0.0
            while times and times[0] <= now - FAILURE_WINDOW:
                times.popleft()
            if not times:
                del self._failed[address]
                return 0.0
            return times[0] + FAILURE_WINDOW - now if len(times) >= self.rates.failures else 0.0

    def failed(self, address: str) -> None:
        """One more failed authentication from ``address`` (addresses whose failures have all left
        the window are forgotten once many are kept: guesses from many addresses cost no memory)."""
        now = self.clock()
        with self._lock:
            if len(self._failed) >= KEPT:
                self._failed = {a: t for a, t in self._failed.items() if t and t[-1] > now - FAILURE_WINDOW}
            self._failed.setdefault(address, deque()).append(now)


KEPT = 10_000  # addresses with failures kept before the old ones are forgotten
