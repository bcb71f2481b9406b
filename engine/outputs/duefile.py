"""Writers for duties due soon (``discretion-review due``): JSON lines, CSV, and a terminal table."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

import orjson

from engine.domain.thai import format_date
from engine.outputs.flagfile import display_width, safe_cell

COLUMNS = ["due_on", "working_days_left", "rule_id", "measure", "subject_type", "subject_id", "agency_id",
           "applicant", "process_id", "officer_id", "message_th", "message_en"]


def write_duties(stream: IO[str], duties: Iterable[dict[str, Any]], fmt: str, lang: str = "th") -> int:
    """Write duties, soonest first; return how many."""
    rows = sorted(duties, key=lambda d: (d["due_on"], d["agency_id"], d["rule_id"], d["subject_id"]))
    if fmt == "jsonl":
        for row in rows:
            stream.write(orjson.dumps(row).decode() + "\n")
    elif fmt == "csv":
        out = csv.writer(stream)
        out.writerow(COLUMNS)
        for row in rows:
            out.writerow([safe_cell(str(row[c])) if isinstance(row[c], str) else ("" if row[c] is None else row[c])
                          for c in COLUMNS])
    else:
        head = ["ครบกำหนด", "เหลือ (วันทำการ)", "หน่วยงาน", "หน้าที่"] if lang == "th" else \
            ["due", "working days left", "agency", "duty"]
        widths = [14, 18, 22]

        def line(cells: list[str]) -> str:
            return "  ".join(c + " " * max(0, w - display_width(c)) for c, w in zip(cells, widths)) + "  " + cells[-1]
        stream.write(line(head) + "\n" + line(["-" * w for w in widths] + ["-" * 40]) + "\n")
        for row in rows:
            day = format_date(_date(row["due_on"]), lang)
            stream.write(line([day, str(row["working_days_left"]), row["agency_id"],
                               row["message_th"] if lang == "th" else row["message_en"]]) + "\n")
    return len(rows)


def _date(text: str) -> Any:
    import datetime as dt

    return dt.date.fromisoformat(text)
