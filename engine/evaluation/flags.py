"""Flags: what a rule found about one subject. A flag's id is stable across runs for the same
rule and subject (and applicant); the review workflow keys every decision by it.

The evaluation hands a flag over as a ``FlagLine``: what orders and counts it, and the flag
itself as its line of JSON (``render.FlagRenderer`` words and serialises it, once, in the
worker that found it). ``Flag`` is that line read back, for callers that want an object.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict, dataclass
from operator import itemgetter
from typing import Any

import orjson


@dataclass(frozen=True)
class Flag:
    flag_id: str
    rule_id: str
    measure: str
    severity: str
    subject_type: str
    subject_id: str
    agency_id: str
    as_of: str
    message_th: str
    message_en: str
    evidence: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_line(cls, line: FlagLine) -> Flag:
        return cls(**orjson.loads(line[LINE_JSON]))

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.rule_id, self.subject_type, self.subject_id, str(self.evidence.get("applicant") or ""))


def make_flag_id(rule_id: str, subject_type: str, subject_id: str, applicant: str | None = None) -> str:
    """Stable across runs for the same rule and subject (and applicant, for repeat-applicant):
    ``"F"`` and 20 hex digits of SHA-256 over the four joined by U+001F."""
    return flag_id_after(flag_id_prefix(rule_id, subject_type), subject_id, applicant)


def flag_id_prefix(rule_id: str, subject_type: str) -> Any:
    """The SHA-256 state of ``make_flag_id`` after its rule and subject type (kept per rule)."""
    return hashlib.sha256(f"{rule_id}\x1f{subject_type}\x1f".encode())


def flag_id_after(prefix: Any, subject_id: str, applicant: str | None) -> str:
    """``make_flag_id`` from the state ``flag_id_prefix`` made."""
    digest = prefix.copy()
    digest.update(f"{subject_id}\x1f{applicant or ''}".encode())
    return "F" + digest.hexdigest()[:20]


# A flag as the evaluation hands it over: (agency_id, measure, rule_id, subject_type, subject_id,
# applicant or "", severity, flag_id, its line of JSON with the newline). A store run's lines carry
# two more (``render.FlagRenderer.keyed``): the flag's content key, and its links.
FlagLine = tuple[Any, ...]
LINE_FLAG_ID, LINE_JSON, LINE_CONTENT_KEY, LINE_LINK = 7, 8, 9, 10
# A flag's links: the process, officer and date the review queue files it under.
Link = tuple[str | None, str | None, dt.date | None]
# the order flags are written in: agency, measure, rule, subject, applicant
line_order = itemgetter(0, 1, 2, 3, 4, 5)


def as_of_field(as_of: dt.date) -> bytes:
    """The ``as_of`` field as a flag's line of JSON holds it (after the ids, before the messages).
    Its first occurrence in a line is that field: the ids before it are JSON strings, in which a
    bare ``"`` cannot occur."""
    return b',"as_of":' + orjson.dumps(as_of.isoformat())


def content_key(line: bytes, as_of: bytes, link: Link) -> str:
    """The digest of a flag's content (the store's ``flags.content_key``): its line of JSON
    without the ``as_of`` field (``as_of``: ``as_of_field``), and the links the queue filters by."""
    digest = hashlib.blake2b(line.replace(as_of, b"", 1), digest_size=16)
    digest.update("\x1f{}\x1f{}\x1f{}".format(*link).encode())
    return digest.hexdigest()


def evidence_text(line: bytes) -> str:
    """A flag's evidence as its line of JSON holds it (the last field). The first
    ``,"evidence":`` of a line is that field's: every field before it is a JSON string, in which
    a bare ``"`` cannot occur."""
    return line[line.index(b',"evidence":') + 12:line.rindex(b"}")].decode()
