"""Read a dataset (a folder of CSV files or one .xlsx workbook) into validated models.

Every problem is collected — file, data row, column, value, reason — and raised together
as one ``InputError``; a dataset with any problem yields no ``Dataset`` at all.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Collection, Iterator, Mapping
from array import array
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import InputError, InputProblem, did_you_mean
from .models import TABLE_BY_NAME, TABLES, Dataset, Table

RawRow = tuple[int, list[Any]]  # (data row number, cells)
ProgressFn = Callable[[str, int], None]


class _Collector:
    def __init__(self) -> None:
        self.problems: list[InputProblem] = []
        self.warnings: list[str] = []
        # every id seen per file (valid row or not) -> its first data row
        self.ids: dict[str, dict[str, int]] = {}
        # raw cells of rows that failed validation, so their references are still checked
        self.failed_rows: dict[str, list[tuple[int, dict[str, Any]]]] = {}

    def add(self, file: str, row: int | None, column: str | None, value: Any, reason: str) -> None:
        shown = None if value is None else (value.isoformat() if isinstance(value, dt.date) else str(value))
        self.problems.append(InputProblem(file, row, column, shown, reason))


def load_dataset(path: str | Path, progress: ProgressFn | None = None,
                 known_ids: Mapping[str, Collection[str]] | None = None) -> Dataset:
    """Load and validate a dataset; raise ``InputError`` listing every problem.

    ``known_ids`` (table -> ids) are ids stored elsewhere (another agency's officers in the
    store) that references may name besides the dataset's own; the CLI passes none."""
    path = Path(path)
    out = _Collector()
    if path.is_dir():
        sources = _csv_sources(path, out)
    elif path.is_file() and path.suffix.lower() == ".xlsx":
        sources = _xlsx_sources(path, out)
    else:
        raise InputError([InputProblem(str(path), None, None, None,
                                       "not a dataset: give a folder of CSV files or an .xlsx workbook")])
    ds = Dataset(source=str(path))
    for table in TABLES:
        source = sources.get(table.name)
        if source is None:
            if not table.optional_file:
                out.add(_display_name(path, table), None, None, None, "required file is missing")
            continue
        file_label, rows = source
        models, numbers = _read_table(table, file_label, rows, out, progress)
        setattr(ds, table.name, models)
        ds.row_numbers[table.name] = numbers
    _check_dataset(ds, lambda name: _display_name(path, TABLE_BY_NAME[name]), out, known_ids)
    if out.problems:
        order = {_display_name(path, t): i for i, t in enumerate(TABLES)}
        out.problems.sort(key=lambda p: (order.get(p.file, -1), p.row or 0))
        raise InputError(out.problems)
    ds.warnings = out.warnings
    return ds


def _display_name(path: Path, table: Table) -> str:
    return f"{table.name}.csv" if path.is_dir() else f"{path.name}[{table.name}]"


def _csv_sources(folder: Path, out: _Collector) -> dict[str, tuple[str, Iterator[RawRow]]]:
    found: dict[str, tuple[str, Iterator[RawRow]]] = {}
    for table in TABLES:
        file = folder / f"{table.name}.csv"
        if file.is_file():
            found[table.name] = (file.name, _csv_rows(file, out))
    return found


def _csv_rows(file: Path, out: _Collector) -> Iterator[RawRow]:
    try:
        with file.open(encoding="utf-8-sig", newline="") as fh:
            for n, cells in enumerate(csv.reader(fh)):
                yield n, cells
    except UnicodeDecodeError as exc:
        out.add(file.name, None, None, None, f"not UTF-8 text (bad byte at offset {exc.start}); save the file as CSV UTF-8")
    except csv.Error as exc:
        out.add(file.name, None, None, None, f"not a readable CSV file: {exc}")


def _xlsx_sources(book_path: Path, out: _Collector) -> dict[str, tuple[str, Iterator[RawRow]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(book_path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        out.add(book_path.name, None, None, None, f"not a readable .xlsx workbook: {exc}")
        return {}
    names = {name.strip(): name for name in book.sheetnames}
    known = {t.name for t in TABLES}
    for name in names:
        if name not in known:
            out.warnings.append(f"{book_path.name}: sheet {name!r} is not part of the format and was ignored"
                                f"{did_you_mean(name, known)}")
    found: dict[str, tuple[str, Iterator[RawRow]]] = {}
    for table in TABLES:
        if table.name in names:
            sheet = book[names[table.name]]
            rows = ((n, list(cells)) for n, cells in enumerate(sheet.iter_rows(values_only=True)))
            found[table.name] = (f"{book_path.name}[{table.name}]", rows)
    return found


_POOL_LIMIT = 20_000


def _read_table(table: Table, label: str, rows: Iterator[RawRow], out: _Collector,
                progress: ProgressFn | None) -> tuple[list[Any], array]:
    models: list[Any] = []
    numbers = array("I")
    ids: dict[str, int] = out.ids.setdefault(table.name, {})
    id_column = table.id_column
    header_row = next(rows, None)
    if header_row is None:
        out.add(label, None, None, None, "the file is empty; the first row must name the columns")
        return models, numbers
    header = [str(h).strip().lstrip("\ufeff") if h is not None else "" for h in header_row[1]]
    position: dict[str, int] = {}
    for i, name in enumerate(header):
        if not name:
            continue
        if name in position:
            out.add(label, None, name, None, "column appears twice in the header")
        elif name in table.columns:
            position[name] = i
        else:
            out.warnings.append(f"{label}: unknown column {name!r} ignored{did_you_mean(name, table.columns)}")
    missing = [c for c in table.required if c not in position]
    for column in missing:
        out.add(label, None, column, None,
                f"required column is missing from the header{did_you_mean(column, [h for h in header if h])}")
    if missing:
        return models, numbers
    # Repeated text (process ids, legal bases, outcomes…) is stored once: a million cases
    # then cost about a third of the memory. Unique columns stop being pooled early.
    pools: dict[str, dict[str, str] | None] = {name: ({} if name != id_column else None) for name in position}
    columns = list(position.items())
    parsers = [(name, table.cells[name]) for name in position]
    required = table.required
    model = table.model
    for n, cells in rows:
        width = len(cells)
        values: dict[str, Any] = {}
        blank = True
        for name, i in columns:
            v = cells[i] if i < width else None
            if v.__class__ is str:
                v = v.strip()
                if not v:
                    v = None
                else:
                    pool = pools[name]
                    if pool is not None:
                        v = pool.setdefault(v, v)
                        if len(pool) > _POOL_LIMIT:
                            pools[name] = None
            values[name] = v
            if v is not None:
                blank = False
        if blank:
            continue  # a blank line is not a row
        if id_column is not None:
            key = values[id_column]
            if key is not None:
                if isinstance(key, float) and key.is_integer():
                    key = int(key)  # an id typed as a number in a spreadsheet
                key = values[id_column] = str(key)
                first = ids.setdefault(key, n)
                if first != n:
                    out.add(label, n, id_column, key, f"duplicate id (first used in data row {first})")
        absent = [c for c in required if values[c] is None]
        for column in absent:
            out.add(label, n, column, None, "required value is missing")
        unreadable = False
        for name, cell in parsers:
            v = values[name]
            if v is None or (cell.text and v.__class__ is str):
                continue
            try:
                values[name] = cell.parse(v)
            except ValueError as exc:
                out.add(label, n, name, v, str(exc))
                unreadable = True
        if absent or unreadable:
            _remember_invalid(table, n, values, out)
            continue
        try:
            models.append(model(**values))
            numbers.append(n)
        except ValidationError as exc:
            _remember_invalid(table, n, values, out)
            for err in exc.errors(include_url=False):
                column = str(err["loc"][0]) if err["loc"] else None
                reason = err["msg"].removeprefix("Value error, ")
                out.add(label, n, column, values.get(column) if column else None, reason)
        if progress and n % 10_000 == 0:
            progress(table.name, n)
    return models, numbers


def _remember_invalid(table: Table, n: int, values: dict[str, Any], out: _Collector) -> None:
    out.failed_rows.setdefault(table.name, []).append((n, values))


# (file, column, the file whose ids it refers to)
REFERENCES = (
    ("processes", "agency_id", "agencies"), ("officers", "agency_id", "agencies"),
    ("officers", "supervisor_id", "officers"), ("cases", "process_id", "processes"),
    ("cases", "officer_id", "officers"), ("cases", "reviewed_by", "officers"),
    ("escalations", "case_id", "cases"), ("escalations", "reported_by", "officers"),
    ("escalations", "reported_to", "officers"), ("risk_analyses", "agency_id", "agencies"),
    ("monitoring_reports", "agency_id", "agencies"), ("monitoring_reports", "by", "officers"),
    ("acknowledgements", "agency_id", "agencies"), ("cases", "coi_permitted_by", "officers"),
    ("delay_notices", "case_id", "cases"), ("parameters", "agency_id", "agencies"),
    ("parameters", "process_id", "processes"),
)


def check_dataset(ds: Dataset, known_ids: Mapping[str, Collection[str]] | None = None) -> list[InputProblem]:
    """Cross-file problems of a dataset built in memory (say, from the database): duplicate
    ids, references, cycles, date order. Rows are numbered in list order. A reference may
    also name one of ``known_ids`` (table -> ids held elsewhere, e.g. in the store)."""
    out = _Collector()
    for table in TABLES:
        items = getattr(ds, table.name)
        ds.row_numbers.setdefault(table.name, array("I", range(1, len(items) + 1)))
        if table.id_column:
            ids = out.ids.setdefault(table.name, {})
            for n, item in enumerate(items, 1):
                key = getattr(item, table.id_column)
                first = ids.setdefault(key, n)
                if first != n:
                    out.add(table.name, n, table.id_column, key, f"duplicate id (first used in data row {first})")
    _check_dataset(ds, lambda name: name, out, known_ids)
    return out.problems


def _check_dataset(ds: Dataset, label: Callable[[str], str], out: _Collector,
                   known_ids: Mapping[str, Collection[str]] | None = None) -> None:
    """Problems that span rows or files: references, cycles, date order."""
    row_of = out.ids
    known = known_ids or {}

    def ref(table_name: str, row: int, column: str, value: Any, target: str) -> None:
        if value is None:
            return
        value = str(value)
        if value in row_of.get(target, ()) or value in known.get(target, ()):
            return
        out.add(label(table_name), row, column, value,
                f"no such id in {target}{did_you_mean(value, row_of.get(target, {}))}")

    for table_name, column, target in REFERENCES:
        rows = ds.row_numbers.get(table_name, ())
        for item, row in zip(getattr(ds, table_name), rows):
            ref(table_name, row, column, getattr(item, column), target)
        for row, values in out.failed_rows.get(table_name, ()):
            ref(table_name, row, column, values.get(column), target)
    for n, c in enumerate(ds.cases, 1):
        if (c.reviewed_by is None) != (c.reviewed_on is None):
            given, absent = ("reviewed_by", "reviewed_on") if c.reviewed_by else ("reviewed_on", "reviewed_by")
            out.add(label("cases"), _row_number(ds, "cases", n), absent, None,
                    f"{given} is given, so {absent} is required too")
        if c.complete_on and c.complete_on < c.received_on:
            out.add(label("cases"), _row_number(ds, "cases", n), "complete_on", c.complete_on,
                    f"complete before it was received ({c.received_on.isoformat()})")
        if c.decided_on and c.decided_on < c.received_on:
            out.add(label("cases"), _row_number(ds, "cases", n), "decided_on", c.decided_on,
                    f"decided before it was received ({c.received_on.isoformat()})")
        elif c.decided_on and c.complete_on and c.decided_on < c.complete_on:
            out.add(label("cases"), _row_number(ds, "cases", n), "decided_on", c.decided_on,
                    f"decided before the application was complete ({c.complete_on.isoformat()})")
        if c.reviewed_on and c.decided_on and c.reviewed_on < c.decided_on:
            out.add(label("cases"), _row_number(ds, "cases", n), "reviewed_on", c.reviewed_on,
                    f"reviewed before it was decided ({c.decided_on.isoformat()})")
    for n, e in enumerate(ds.escalations, 1):
        if e.investigated_on and e.investigated_on < e.reported_on:
            out.add(label("escalations"), _row_number(ds, "escalations", n), "investigated_on", e.investigated_on,
                    f"investigated before it was reported ({e.reported_on.isoformat()})")
    received = {c.case_id: c.received_on for c in ds.cases}
    for n, d in enumerate(ds.delay_notices, 1):
        got = received.get(d.case_id)
        if got is not None and d.notified_on < got:
            out.add(label("delay_notices"), _row_number(ds, "delay_notices", n), "notified_on", d.notified_on,
                    f"notified before the case was received ({got.isoformat()})")
    _check_parameters(ds, label("parameters"), out)
    for n, a in enumerate(ds.acknowledgements, 1):
        if a.staff_acknowledged > a.staff_total:
            out.add(label("acknowledgements"), _row_number(ds, "acknowledgements", n), "staff_acknowledged",
                    a.staff_acknowledged, f"more than staff_total ({a.staff_total})")
    _check_cycles(ds, label("officers"), out)


def _check_parameters(ds: Dataset, label: str, out: _Collector) -> None:
    """``parameters`` rows: a known, overridable name, a value of its type, the agency's own process."""
    if not ds.parameters:
        return
    from .kb import load_kb

    known = load_kb().parameters
    agency_of = {p.process_id: p.agency_id for p in ds.processes}
    seen: dict[tuple[str, str | None, str], int] = {}
    for n, r in enumerate(ds.parameters, 1):
        row = _row_number(ds, "parameters", n)
        param = known.get(r.name)
        if param is None:
            out.add(label, row, "name", r.name, f"unknown parameter{did_you_mean(r.name, known)}")
            continue
        if param.overridable == "no":
            out.add(label, row, "name", r.name, "this parameter may not be changed by an agency "
                    f"(its source: {param.source_en})")
            continue
        if r.process_id is not None and param.overridable == "agency":
            out.add(label, row, "process_id", r.process_id,
                    f"{r.name} may be set per agency only; leave process_id empty")
        owner = agency_of.get(r.process_id) if r.process_id is not None else None
        if owner is not None and owner != r.agency_id:
            out.add(label, row, "process_id", r.process_id, f"the process belongs to agency {owner}, not {r.agency_id}")
        try:
            param.parse(r.value)
        except ValueError as exc:
            out.add(label, row, "value", r.value, f"{r.name} takes a whole number of {param.unit} ({exc})")
        first = seen.setdefault((r.agency_id, r.process_id, r.name), row)
        if first != row:
            out.add(label, row, "name", r.name, f"set twice for the same agency and process (first in data row {first})")


def _row_number(ds: Dataset, table: str, index: int) -> int:
    """Data row number of the ``index``-th (1-based) parsed model of a table."""
    return ds.row_numbers[table][index - 1]


def _check_cycles(ds: Dataset, label: str, out: _Collector) -> None:
    boss = {o.officer_id: o.supervisor_id for o in ds.officers}
    row = {o.officer_id: n for n, o in enumerate(ds.officers, 1)}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in boss:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in boss and state.get(node) is None:
            state[node] = 1
            path.append(node)
            node = boss[node]
        if node is not None and state.get(node) == 1:
            cycle = path[path.index(node):] + [node]
            first = min(cycle[:-1], key=lambda o: row[o])
            out.add(label, _row_number(ds, "officers", row[first]), "supervisor_id", boss[first],
                    "supervisor chain has a cycle: " + " → ".join(cycle))
        for p in path:
            state[p] = 2
