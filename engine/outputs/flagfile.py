"""Writers for flags: JSON lines, CSV, and a terminal table. They only read flags."""

from __future__ import annotations

import csv
import unicodedata
from collections import Counter
from typing import IO

import orjson

SEVERITY_TH = {"high": "สูง", "medium": "ปานกลาง", "low": "ต่ำ"}
CSV_COLUMNS = ["flag_id", "rule_id", "measure", "severity", "subject_type", "subject_id", "agency_id", "as_of",
               "message_th", "message_en", "evidence"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """Neutralise spreadsheet formula injection: a cell that starts like a formula gets a leading '."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def display_width(text: str) -> int:
    """Columns a string takes in a terminal: Thai vowels and tone marks above/below take none."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


class FlagWriter:
    def __init__(self, stream: IO[str], fmt: str, lang: str = "th"):
        self.stream, self.fmt, self.lang = stream, fmt, lang
        self.count = 0
        self.by_severity: Counter = Counter()
        self.by_rule: Counter = Counter()
        if fmt == "csv":
            self._csv = csv.writer(stream)
            self._csv.writerow(CSV_COLUMNS)
        elif fmt == "table":
            head = ["ระดับ", "เกณฑ์การตรวจสอบ", "เรื่อง", "หน่วยงาน", "คำอธิบาย"] if lang == "th" else \
                ["severity", "rule", "subject", "agency", "explanation"]
            self._widths = [8, 28, 24, 22]
            stream.write(self._row(head) + "\n")
            stream.write(self._row(["-" * w for w in self._widths] + ["-" * 40]) + "\n")

    def _row(self, cells: list[str]) -> str:
        return "  ".join(_pad(c, w) for c, w in zip(cells, self._widths)) + "  " + cells[-1]

    def write_blocks(self, blocks: list[tuple[str, dict[str, int], bytes]]) -> None:
        """Write flags as ``iter_partitions(lines_only=True)`` hands them over: per rule, how
        many of each severity and their lines of JSON."""
        for rule_id, severities, _ in blocks:
            n = sum(severities.values())
            self.count += n
            self.by_rule[rule_id] += n
            self.by_severity.update(severities)
        chunks = [lines for _, _, lines in blocks]
        if self.fmt == "jsonl":  # each flag is its line of JSON already
            if hasattr(self.stream, "buffer"):
                self.stream.flush()
                self.stream.buffer.writelines(chunks)
            else:
                self.stream.write(b"".join(chunks).decode())
            return
        for line in (line for chunk in chunks for line in bytes(chunk).splitlines()):
            f = orjson.loads(line)
            if self.fmt == "csv":
                values = [f[c] for c in CSV_COLUMNS[:-1]] + [orjson.dumps(f["evidence"]).decode()]
                self._csv.writerow([safe_cell(v) for v in values])
            else:
                message = f["message_th"] if self.lang == "th" else f["message_en"]
                severity = SEVERITY_TH[f["severity"]] if self.lang == "th" else f["severity"]
                self.stream.write(self._row([severity, f["rule_id"], f"{f['subject_type']}:{f['subject_id']}",
                                             f["agency_id"], message]) + "\n")

    def summary(self, lang: str = "th") -> str:
        sev = ", ".join(f"{k} {self.by_severity[k]}" for k in ("high", "medium", "low") if self.by_severity[k])
        lines = [f"{self.count} flags" + (f" ({sev})" if sev else "")]
        for rule_id, n in sorted(self.by_rule.items()):
            lines.append(f"  {rule_id:32} {n}")
        return "\n".join(lines)
