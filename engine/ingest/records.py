"""Records given as JSON (the intake API, engine/api): ``{"cases": [{...}, ...], "officers": [...]}``,
each key a file of the exchange format (SPEC §2) and each item one row of it, keyed by the
file's column names, with its value formats. They are read by the loader itself (its header
and row reader, ``loader.read_table``: the same cell parsers, required values, duplicate ids
and limits as a file's rows), so a row says here exactly what it would say in a CSV file.

A JSON value is a cell: text as written (a date ``"2569-01-15"`` or ``"15/1/2569"``, a yes/no
``"ใช่"``), or JSON's own ``true``/``false``, numbers and ``null`` (an empty cell). A key the
item does not have is an empty cell: an item is the whole row, as a line of a file is. Each
problem names the file, the item's row (its index + 1, as a file's data rows are numbered),
the column and the value.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from engine.domain.errors import InputProblem, did_you_mean
from engine.domain.models import TABLE_BY_NAME, TABLES, Dataset, Table
from engine.ingest import loader
from engine.ingest.limits import LimitReached, ReadBudget, ReadLimits

FILES = tuple(t.name for t in TABLES)


Refused = dict[str, list[tuple[int, dict[str, Any]]]]  # per file: (row number, raw values) of rows refused


def read_records(records: Mapping[str, Any], limits: ReadLimits | None = None,
                 ) -> tuple[Dataset, list[InputProblem], list[str], Refused]:
    """The rows of each file as models (``row_numbers``: each model's item index + 1), every
    problem found, the warnings (an unknown column, with "did you mean"), and the rows refused
    (their references are checked too: ``loader.check_dataset(refused=...)``). References
    between rows are not checked here: the rows are only part of an agency's data (the caller
    checks them with the stored rows)."""
    out = loader.Collector(ReadBudget(limits or ReadLimits.from_env(), current="records"))
    ds = Dataset(source="records")
    try:
        for name, items in records.items():
            table = TABLE_BY_NAME.get(name)
            if table is None:
                out.add(str(name), None, None, None, "ไม่ใช่ชื่อไฟล์ในรูปแบบข้อมูล / not a file of the exchange format "
                        f"(one of {', '.join(FILES)}){did_you_mean(str(name), FILES)}")
                continue
            if not isinstance(items, list):
                out.add(name, None, None, _shown(items), "ต้องเป็นรายการ (JSON array) ของแถว / a list (JSON array) of "
                        "rows, each a JSON object, is expected")
                continue
            models, numbers = loader.read_table(table, name, _rows(table, items, out), out, None)
            setattr(ds, name, models)
            ds.row_numbers[name] = numbers
    except LimitReached as stop:  # past the problems listed: those found so far, and why reading stopped
        out.problems.append(InputProblem(stop.file, stop.row, None, None, stop.reason))
    return ds, out.problems, out.warnings, out.failed_rows


def _rows(table: Table, items: list[Any], out: loader.Collector) -> Iterator[tuple[int, list[Any]]]:
    """The loader's raw rows: a header (every column of the file, then the items' other keys,
    which the loader warns about), then each item's cells in that order."""
    extra = sorted({str(k) for item in items if isinstance(item, dict) for k in item} - set(table.columns))
    header = [*table.columns, *extra]
    yield 0, header
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            out.add(table.name, n, None, _shown(item), "ต้องเป็นออบเจกต์ JSON ที่มีชื่อคอลัมน์เป็นคีย์ / a JSON object keyed "
                    "by column names is expected")
            continue
        if not item:
            out.add(table.name, n, None, None, "ออบเจกต์ว่าง ไม่มีข้อมูลใด / an empty object: no column is given")
            continue
        yield n, [_cell(item.get(column)) for column in header]


def _cell(value: Any) -> Any:
    """A JSON value as a cell: text, a number, true or false, or None (empty); a list or an object
    is a problem the loader reports for the cell (``loader.CellIssue``)."""
    if isinstance(value, (list, dict)):
        return loader.CellIssue(_shown(value), "เป็นรายการหรือออบเจกต์ แต่ช่องนี้รับค่าเดียว / a list or an object where "
                                               "one value belongs")
    return value


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 200 else text[:199] + "…"
