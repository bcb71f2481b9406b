"""Error families of discretion-review.

Three families, so that callers can tell whose fault a problem is:

* ``DefinitionError`` — the knowledge base or a rule file is wrong (file, line, key path).
* ``InputError`` — a dataset is wrong (file, row, column, value, reason), every problem at once.
* ``EvaluationError`` — the rules engine failed while evaluating valid input.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


class DiscretionReviewError(Exception):
    """Base of every error this package raises on purpose."""


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the nearest known name, or ``""``."""
    names = known if isinstance(known, (set, frozenset, dict)) else set(known)
    if len(names) > 5000:  # a suggestion among a million case ids costs more than it helps
        return ""
    close = difflib.get_close_matches(str(name), sorted(names), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


@dataclass(frozen=True)
class DefinitionProblem:
    file: str
    line: int | None
    key_path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        path = f" {self.key_path}" if self.key_path else ""
        return f"{where}{path}: {self.message}"


class DefinitionError(DiscretionReviewError):
    """The knowledge base or a rule definition is invalid."""

    def __init__(self, problems: list[DefinitionProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class InputProblem:
    """One problem in a dataset. ``row`` is the data row number (1 = first row after the header)."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        if self.value not in (None, ""):
            parts.append(f"value {self.value!r}")
        return f"{', '.join(parts)}: {self.reason}"


class InputError(DiscretionReviewError):
    """A dataset has problems; nothing was evaluated."""

    def __init__(self, problems: list[InputProblem], warnings: list[str] | None = None):
        self.problems = problems
        # warnings found on the way ("did you mean" for an unknown column): often the clue
        self.warnings = list(warnings or [])
        n = len(problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the dataset; nothing was evaluated"
        super().__init__(head + "\n" + "\n".join(str(p) for p in problems))


class UsageError(DiscretionReviewError):
    """A command-line argument or parameter override is wrong."""


class ReviewError(DiscretionReviewError):
    """An action on a flag (or a request about one) that cannot be taken as asked: wrong state,
    a required field missing (engine/store/review.py, requests.py, conflicts.py)."""


class EvaluationError(DiscretionReviewError):
    """The rules engine failed on valid input (a crash is contained and reported here)."""
