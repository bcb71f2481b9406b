"""Read a dataset (a folder of CSV files or one .xlsx workbook) into validated models.

Every problem is collected — file, data row, column, value, reason — and raised together
as one ``InputError``; a dataset with any problem yields no ``Dataset`` at all.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
import threading
from array import array
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from operator import attrgetter
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine.domain.errors import InputError, InputProblem, did_you_mean
from engine.domain.models import TABLE_BY_NAME, TABLES, Dataset, Table
from engine.gcpause import paused_gc
from engine.ingest.limits import LimitReached, ReadBudget, ReadLimits, alarm

RawRow = tuple[int, list[Any]]  # (data row number, cells)
ProgressFn = Callable[[str, int], None]
# ids held elsewhere that references may name: per table, the ids; or a function asked, per
# table, which of the ids the dataset names but does not hold exist there (the store answers
# exists or not, never with ids of its own: ``engine.store.data.existing_ids``)
KnownIds = Mapping[str, Collection[str]] | Callable[[str, set[str]], Collection[str]]


class Collector:
    def __init__(self, budget: ReadBudget | None = None) -> None:
        self.budget = budget  # a read's limits (load_dataset); none when checking rows read already
        self.problems: list[InputProblem] = []
        self.warnings: list[str] = []
        # every id seen per file (valid row or not) -> its first data row
        self.ids: dict[str, dict[str, int]] = {}
        # raw cells of rows that failed validation, so their references are still checked
        self.failed_rows: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.closers: list[Callable[[], None]] = []  # run when every file has been read (open workbooks)

    def add(self, file: str, row: int | None, column: str | None, value: Any, reason: str) -> None:
        if self.budget is not None and len(self.problems) >= self.budget.limits.problems:
            self.budget.problems(file, row)  # raises: the problems found so far are listed
        shown = None if value is None else (value.isoformat() if isinstance(value, dt.date) else str(value))
        self.problems.append(InputProblem(file, row, column, shown, reason))


def load_dataset(path: str | Path, progress: ProgressFn | None = None,
                 known_ids: KnownIds | None = None, columnar: bool = True, limits: ReadLimits | None = None) -> Dataset:
    """Load and validate a dataset; raise ``InputError`` listing every problem.

    ``known_ids`` (table -> ids, or a function that says which ids exist: ``KnownIds``) are ids
    stored elsewhere (another agency's officers in the store) that references may name besides
    the dataset's own; ``check`` and ``validate`` without a store pass none.
    ``columnar=False``: every CSV file row by row (see ``_read_columnar``). ``limits``: what the
    read may cost (``engine.ingest.limits``; by default its defaults and ``DISCRETION_MAX_*``):
    past one, reading stops and the problems found so far are raised with the one that says so."""
    budget = ReadBudget(limits if limits is not None else ReadLimits.from_env(), current=Path(path).name)
    with paused_gc():  # rows and models form no cycles: see gcpause.py
        return _load_dataset(Path(path), progress, known_ids, columnar, budget)


def _load_dataset(path: Path, progress: ProgressFn | None, known_ids: KnownIds | None, columnar: bool,
                  budget: ReadBudget) -> Dataset:
    out = Collector(budget)
    try:
        with alarm(budget):
            return _read_and_check(path, progress, known_ids, columnar, out)
    except LimitReached as stop:  # what was found so far, and why reading stopped, last
        _sort_problems(path, out)
        out.problems.append(InputProblem(stop.file, stop.row, None, None, stop.reason))
        raise InputError(out.problems, out.warnings) from None


def _sort_problems(path: Path, out: Collector) -> None:
    order = {_display_name(path, t): i for i, t in enumerate(TABLES)}
    out.problems.sort(key=lambda p: (order.get(p.file, -1), p.row or 0))


def _read_and_check(path: Path, progress: ProgressFn | None, known_ids: KnownIds | None, columnar: bool,
                    out: Collector) -> Dataset:
    if path.is_dir():
        sources = _csv_sources(path, out)
    elif path.is_file() and path.suffix.lower() == ".xlsx":
        sources = _xlsx_sources(path, out)
    else:
        raise InputError([InputProblem(str(path), None, None, None,
                                       "not a dataset: give a folder of CSV files or an .xlsx workbook")])
    ds = Dataset(source=str(path))
    try:
        for table in TABLES:
            source = sources.get(table.name)
            if source is None:
                label = _display_name(path, table)
                # not when the workbook or this sheet was refused: that problem says why
                if not table.optional_file and not any(p.file in (label, path.name) for p in out.problems):
                    out.add(label, None, None, None, "required file is missing")
                continue
            file_label, rows = source
            out.budget.clock(file_label)
            fast = _read_columnar(path, table, out, ds) if columnar and path.is_dir() else None
            if fast is not None:
                models, numbers = fast
                if progress:
                    progress(table.name, len(models))
            else:
                models, numbers = read_table(table, file_label, rows, out, progress)
            setattr(ds, table.name, models)
            ds.row_numbers[table.name] = numbers
    finally:
        for close in out.closers:
            close()
    out.budget.clock(path.name)
    _check_dataset(ds, lambda name: _display_name(path, TABLE_BY_NAME[name]), out, known_ids)
    if out.problems:
        _sort_problems(path, out)
        raise InputError(out.problems, out.warnings)
    ds.warnings = out.warnings
    return ds


def _read_columnar(folder: Path, table: Table, out: Collector, ds: Dataset) -> tuple[list[Any], array] | None:
    """A large, well-formed CSV file read by columns (``columnar.py``); None for the row-by-row reader.

    Cases are made agency by agency within each block of the file (their row numbers kept), so
    that an agency's cases lie together in memory: the evaluation's workers, forked, then copy
    only the pages of the agencies they evaluate (a worker's reading a case writes its page)."""
    file = folder / f"{table.name}.csv"
    if file.stat().st_size < COLUMNAR_FROM_BYTES:
        return None
    from engine.ingest.columnar import read_csv_table, release_memory

    if release_memory not in out.closers:  # once, when every file has been read
        out.closers.append(release_memory)
    ids: dict[str, int] = {}
    group = None
    if table.name == "cases" and ds.processes:
        rank = {a.agency_id: n for n, a in enumerate(ds.agencies)}
        group = ("process_id", {p.process_id: rank.get(p.agency_id, len(rank)) for p in ds.processes})
    cells_left = out.budget.cells_left
    read = read_csv_table(table, file, ids, group, out.budget)
    if read is None:  # the row-by-row reader reads the file again: its cells are counted once
        out.budget.cells_left = cells_left
    elif table.id_column is not None:
        out.ids[table.name] = ids
    return read


# below this size the row-by-row reader is as quick (and Arrow is not worth importing)
COLUMNAR_FROM_BYTES = 256 * 1024


def _display_name(path: Path, table: Table) -> str:
    return f"{table.name}.csv" if path.is_dir() else f"{path.name}[{table.name}]"


def _csv_sources(folder: Path, out: Collector) -> dict[str, tuple[str, Iterator[RawRow]]]:
    found: dict[str, tuple[str, Iterator[RawRow]]] = {}
    for table in TABLES:
        file = folder / f"{table.name}.csv"
        if file.is_file():
            found[table.name] = (file.name, _csv_rows(file, out))
    return found


def _csv_rows(file: Path, out: Collector) -> Iterator[RawRow]:
    encoding = _csv_encoding(file, out)
    if encoding is None:
        return
    budget = out.budget
    max_rows = budget.limits.rows if budget is not None else None
    n = -1
    try:
        with file.open(encoding=encoding, newline="") as fh:
            # strict: text after a closing quote (``"x"y``) or a quote never closed is an
            # error, not a value silently glued together or the rest of the file swallowed
            reader = csv.reader(fh, strict=True)
            while True:
                start = reader.line_num + 1  # the line where the next record starts
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    out.add(file.name, n + 1 if n >= 0 else None, None, None, _csv_error(str(exc), start))
                    return
                n += 1
                if budget is not None:  # the header counts as cells, not as a row
                    budget.cells_left -= len(cells)
                    if budget.cells_left < 0:
                        budget.cells(file.name, 0)
                    if n > max_rows:  # type: ignore[operator]
                        budget.rows(file.name, n)
                yield n, cells
    except UnicodeDecodeError:  # past the first MiB: the true place, not the reader's chunk offset
        line, offset, byte = _first_undecodable(file, encoding)
        if encoding == "cp874":
            out.add(file.name, None, None, None, f"byte 0x{byte:02X} at line {line} (byte offset {offset}) is "
                    "neither UTF-8 nor Windows-874; save the file as CSV UTF-8")
        else:
            out.add(file.name, None, None, None, _not_utf8(line, offset, byte))


def _csv_error(message: str, line: int) -> str:
    """A reason a person can act on for the csv module's terse errors."""
    if "unexpected end of data" in message:
        return (f"a double quote opened in this row (line {line}) is never closed, so the rest of the file "
                f"would be read as one value; close the quote, or write a quote inside a value as \"\"")
    if "field larger than field limit" in message:
        return (f"a value in this row (line {line}) runs past {csv.field_size_limit():,} characters, most likely "
                f"because a double quote opened there is never closed; close the quote, or write a quote inside "
                f"a value as \"\"")
    if "expected after" in message:
        return (f"text follows a closing double quote in this row (line {line}); write a quote inside a value "
                f"as \"\" and put the whole value in double quotes")
    return f"not a readable CSV file from line {line}: {message}"


_SNIFF_BYTES = 1 << 20
# Windows-874 is TIS-620 plus a few punctuation marks; ISO-8859-11 is TIS-620 with NBSP.
_THAI_ENCODINGS = frozenset({"cp874", "tis_620", "iso8859_11"})


def _csv_encoding(file: Path, out: Collector) -> str | None:
    """UTF-8 (with or without BOM), or Windows-874 when the detector says so (with a warning).

    Decided on the first MiB, before any row is read: a file's encoding cannot change midway.
    Anything else is one problem naming the first byte that is not UTF-8, not one per row.
    """
    with file.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < _SNIFF_BYTES)
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        bad = exc.start
    from charset_normalizer import from_bytes

    guess = from_bytes(head).best()
    if (guess is not None and guess.encoding in _THAI_ENCODINGS) or _reads_as_thai(head):
        out.warnings.append(f"{file.name}: this file is Windows-874 (Thai, not UTF-8) and was read as such; "
                            "check the Thai text, or save the file as CSV UTF-8 to be sure")
        return "cp874"
    line = head.count(b"\n", 0, bad) + 1
    out.add(file.name, None, None, None, _not_utf8(line, bad, head[bad]))
    return None


# Thai marks written above or below a letter; in Thai text each follows a consonant or another mark
_THAI_MARK = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"
_STRAY_MARK = re.compile(f"(^|[^\u0e01-\u0e2e{_THAI_MARK}])[{_THAI_MARK}]", re.MULTILINE)
# besides ASCII and Thai, what Windows-874 adds and Excel writes: no-break space, dashes, quotes, …, €
_NOT_THAI = re.compile("[^\x00-\x7f\u0e01-\u0e5b\u00a0\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026\u20ac]")


def _reads_as_thai(head: bytes) -> bool:
    """Whether bytes read as Windows-874 give well-formed Thai. The statistical detector needs more
    text than a short file has (one Thai name reads to it as Japanese); Thai spelling does not:
    a Latin-1 ``é`` read as Windows-874 is a tone mark after a Latin letter, which Thai never has."""
    try:
        text = head.decode("cp874")
    except UnicodeDecodeError:
        return False
    return not _NOT_THAI.search(text) and not _STRAY_MARK.search(text)


def _not_utf8(line: int, offset: int, byte: int) -> str:
    return (f"not UTF-8 text: byte 0x{byte:02X} at line {line} (byte offset {offset}) is not UTF-8; "
            f"save the file as CSV UTF-8")


def _first_undecodable(file: Path, encoding: str) -> tuple[int, int, int]:
    """(line, byte offset in the file, byte) of the first byte the encoding cannot read."""
    offset = 0
    with file.open("rb") as fh:
        for line, raw in enumerate(fh, 1):  # a line ends in ASCII \n, never inside a UTF-8 sequence
            try:
                raw.decode(encoding)
            except UnicodeDecodeError as exc:
                return line, offset + exc.start, raw[exc.start]
            offset += len(raw)
    return line, offset, 0  # pragma: no cover - called only after a decode error


def _xlsx_sources(book_path: Path, out: Collector) -> dict[str, tuple[str, Iterator[RawRow]]]:
    import openpyxl

    refused = xlsx_refusal(book_path)
    if refused:
        out.add(book_path.name, None, None, None, refused)
        return {}
    try:
        with _no_size_scan():
            book = openpyxl.load_workbook(book_path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        out.add(book_path.name, None, None, None, f"not a readable .xlsx workbook: {exc}")
        return {}
    out.closers.append(book.close)
    known = {t.name for t in TABLES}
    by_table: dict[str, list[Any]] = {}
    for sheet in book.worksheets:
        name = sheet.title.strip()
        if name in known:
            by_table.setdefault(name, []).append(sheet)
        else:
            out.warnings.append(f"{book_path.name}: sheet {sheet.title!r} is not part of the format and was ignored"
                                f"{did_you_mean(name, known)}")
    found: dict[str, tuple[str, Iterator[RawRow]]] = {}
    for table in TABLES:
        sheet = _choose_sheet(book_path.name, table.name, by_table.get(table.name, []), out)
        if sheet is not None:
            label = f"{book_path.name}[{table.name}]"
            found[table.name] = (label, _sheet_rows(sheet, label, out))
    return found


_SIZE_SCAN = threading.Lock()


@contextmanager
def _no_size_scan() -> Iterator[None]:
    """openpyxl's read-only workbook looks up each sheet's size as it opens the book, and a sheet
    that does not declare its ``<dimension>`` (openpyxl's own write-only files, crafted ones) is
    parsed whole for it, before any limit of the read counts a cell: a 50 MB workbook of tiny
    cells was read twice. The sheets are read here without their declared size (``_sheet_rows``)."""
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    with _SIZE_SCAN:
        scan = ReadOnlyWorksheet._get_size
        ReadOnlyWorksheet._get_size = lambda self: None  # type: ignore[method-assign]
        try:
            yield
        finally:
            ReadOnlyWorksheet._get_size = scan  # type: ignore[method-assign]


def _choose_sheet(book: str, table: str, sheets: list[Any], out: Collector) -> Any:
    """The one sheet that holds a table. A hidden sheet, or one named with stray spaces, must not
    quietly stand in for the visible sheet a person sees and checked."""
    if not sheets:
        return None

    def described(sheet: Any) -> str:
        return repr(sheet.title) + ("" if sheet.sheet_state == "visible" else f" ({sheet.sheet_state})")

    if len(sheets) == 1:
        sheet = sheets[0]
        if sheet.sheet_state != "visible":
            out.warnings.append(f"{book}: sheet {described(sheet)} is not visible in Excel; it was read as {table}")
        return sheet
    exact = [s for s in sheets if s.title == table and s.sheet_state == "visible"]
    names = " and ".join(described(s) for s in sheets)
    if len(exact) == 1:
        others = ", ".join(described(s) for s in sheets if s is not exact[0])
        out.warnings.append(f"{book}: sheets {names} all name {table}; the visible sheet {table!r} was read, "
                            f"{others} ignored")
        return exact[0]
    out.add(f"{book}[{table}]", None, None, None, f"sheets {names} all name {table}; rename or delete all but one")
    return None


# Bounds on a workbook, checked before and while reading: a small crafted file must not cost
# minutes or gigabytes. A real sheet packs about 10:1; Excel's own limit is 1,048,576 rows.
XLSX_MAX_UNPACKED = 2 << 30          # every part together, unpacked
XLSX_MAX_SHARED_STRINGS = 256 << 20  # held in memory whole by the reader
XLSX_MAX_OTHER_PART = 64 << 20       # styles, workbook, relations: small in any real file
XLSX_MAX_RATIO = 100                 # unpacked / packed, for a part over 1 MiB
XLSX_MAX_PARTS = 10_000
XLSX_MAX_ROWS = 1_048_576           # Excel's own limit
XLSX_MAX_COLUMNS = 512               # the widest table has a few dozen columns
# rows per sheet and cells per workbook within these: the read's limits (engine/ingest/limits.py)


def xlsx_refusal(book_path: Path) -> str | None:
    """Why a workbook is refused before it is read (sizes from the zip directory), or ``None``.

    The sizes a zip declares bound what it unpacks to: Python's zip reader stops at them.
    """
    import zipfile

    try:
        with zipfile.ZipFile(book_path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        return f"not a readable .xlsx workbook: {exc}"
    if len(parts) > XLSX_MAX_PARTS:
        return f"the workbook has {len(parts)} parts; a spreadsheet has a few dozen (a crafted file?)"
    total = sum(p.file_size for p in parts)
    if total > XLSX_MAX_UNPACKED:
        return f"the workbook unpacks to {total >> 20} MiB, more than the limit of {XLSX_MAX_UNPACKED >> 20} MiB"
    for p in parts:
        name = p.filename.lower()
        if p.file_size > 1 << 20 and p.file_size > XLSX_MAX_RATIO * max(1, p.compress_size):
            return (f"part {p.filename} unpacks from {p.compress_size >> 10} KiB to {p.file_size >> 20} MiB "
                    f"({p.file_size // max(1, p.compress_size)}:1), far more than a spreadsheet packs "
                    f"(a crafted file?)")
        if name.endswith("sharedstrings.xml"):
            limit = XLSX_MAX_SHARED_STRINGS
        elif name.startswith("xl/worksheets/"):
            continue
        else:
            limit = XLSX_MAX_OTHER_PART
        if p.file_size > limit:
            return f"part {p.filename} unpacks to {p.file_size >> 20} MiB, more than the limit of {limit >> 20} MiB"
    return None


class CellIssue:
    """A spreadsheet cell that has no value to read: an error (#N/A) or a formula never calculated."""

    __slots__ = ("shown", "reason")

    def __init__(self, shown: str, reason: str) -> None:
        self.shown, self.reason = shown, reason

    def __str__(self) -> str:
        return self.shown


class _TooBig(Exception):
    pass


def _sheet_rows(sheet: Any, label: str, out: Collector) -> Iterator[RawRow]:
    """Every row of a sheet, however stale its declared ``<dimension>``: rows are numbered from
    the sheet's own row numbers (data row = sheet row - 1) and as wide as their last cell."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class Parser(WorkSheetParser):
        def parse_row(self, row: Any) -> tuple[int, list[dict[str, Any]]]:
            if len(row) > XLSX_MAX_COLUMNS:
                raise _TooBig(f"a row has {len(row)} cells, more than the limit of {XLSX_MAX_COLUMNS} columns")
            return super().parse_row(row)

        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell = super().parse_cell(element)
            value = cell["value"]
            if cell["data_type"] == "e":
                cell["value"] = CellIssue(str(value), f"the cell shows the Excel error {value}; correct its formula "
                                          "or type the value")
            elif value is None and element.find(FORMULA_TAG) is not None:
                formula = element.findtext(FORMULA_TAG) or ""
                cell["value"] = CellIssue(f"={formula}", "a formula whose result was never saved (the file was "
                                          "written by a program that does not calculate); open and save it in "
                                          "Excel or LibreOffice, or type the value")
            return cell

    book = sheet.parent
    try:
        src = sheet._get_source()
    except Exception as exc:  # the workbook names a sheet part it does not have
        out.add(label, None, None, None, f"not a readable sheet: {exc}")
        return
    with src:
        parser = Parser(src, sheet._shared_strings, data_only=True, epoch=book.epoch,
                        date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
        first = True
        seen = 0
        budget = out.budget
        try:
            for index, cells in parser.parse():
                seen += 1
                if index > XLSX_MAX_ROWS or seen > XLSX_MAX_ROWS:
                    raise _TooBig(f"the sheet has rows past row {XLSX_MAX_ROWS:,}, Excel's last")
                if budget is not None:
                    if index - 1 > budget.limits.rows:
                        budget.rows(label, index - 1)
                    if not seen & 4095:
                        budget.clock(label)
                if first and index != 1:
                    yield 0, []  # the header is the sheet's first row, even when it is empty
                first = False
                if not cells:
                    continue
                if budget is not None:
                    budget.cells_left -= len(cells)
                    if budget.cells_left < 0:
                        budget.cells(label, 0)
                width = max(c["column"] for c in cells)
                if width > XLSX_MAX_COLUMNS:
                    raise _TooBig(f"cell {get_column_letter(width)}{index} is beyond column "
                                  f"{get_column_letter(XLSX_MAX_COLUMNS)}, the widest a sheet may be")
                row: list[Any] = [None] * width
                for c in cells:
                    row[c["column"] - 1] = c["value"]
                yield index - 1, row
        except _TooBig as exc:
            out.add(label, None, None, None, f"{exc}; nothing more was read from this sheet")
        except Exception as exc:  # a damaged sheet: its XML, a shared string index, a date
            out.add(label, None, None, None, f"not a readable sheet: {exc}")


_POOL_LIMIT = 20_000


def read_table(table: Table, label: str, rows: Iterator[RawRow], out: Collector,
                progress: ProgressFn | None) -> tuple[list[Any], array]:
    models: list[Any] = []
    numbers = array("I")
    ids: dict[str, int] = out.ids.setdefault(table.name, {})
    id_column = table.id_column
    already = len(out.problems)
    header_row = next(rows, None)
    if header_row is None:
        if not any(p.file == label for p in out.problems[already:]):  # not when it could not be read
            out.add(label, None, None, None, "the file is empty; the first row must name the columns")
        return models, numbers
    header = [str(h).strip().lstrip("\ufeff") if h is not None else "" for h in header_row[1]]
    # a cell right of the last named column is a value with nowhere to go: an unquoted comma
    # that shifted the row, or a note; either way it is not read silently
    named_width = max((i + 1 for i, h in enumerate(header) if h), default=0)
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
    budget = out.budget
    counted = 0
    for n, cells in rows:
        counted += 1
        if budget is not None and not counted & 4095:
            budget.clock(label)
        width = len(cells)
        if width > named_width:
            _extra_cells(label, n, cells[named_width:], named_width, out)
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
            if key is not None and key.__class__ is not CellIssue:
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
            if v is None or (cell.text and v.__class__ is str and len(v) <= cell.max_length and "\x00" not in v):
                continue
            if v.__class__ is CellIssue:
                out.add(label, n, name, v.shown, v.reason)
                unreadable = True
                continue
            try:
                values[name] = cell.parse(v)
            except ValueError as exc:  # personal data is quoted only as far as it may be (pdpa.py)
                out.add(label, n, name, getattr(exc, "shown", v), str(exc))
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


def _extra_cells(label: str, n: int, extra: list[Any], named: int, out: Collector) -> None:
    shown = [str(c).strip() for c in extra if c is not None]
    shown = [c for c in shown if c]
    if shown:
        out.add(label, n, None, ", ".join(shown)[:200],
                f"{len(shown)} more value{'s' if len(shown) > 1 else ''} than the header has columns ({named}); "
                "a value with a comma must be in double quotes")


def _remember_invalid(table: Table, n: int, values: dict[str, Any], out: Collector) -> None:
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


def check_dataset(ds: Dataset, known_ids: KnownIds | None = None,
                  refused: Mapping[str, list[tuple[int, dict[str, Any]]]] | None = None) -> list[InputProblem]:
    """Cross-file problems of a dataset built in memory (say, from the database): duplicate
    ids, references, cycles, date order. Rows are numbered in list order. A reference may
    also name one of ``known_ids`` (table -> ids held elsewhere, e.g. in the store).
    ``refused``: per table, rows that did not validate, as (row number, raw values): their ids
    count as present and their references are checked, as a file's are (the intake API's)."""
    out = Collector()
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
    for table_name, rows in (refused or {}).items():
        out.failed_rows[table_name] = list(rows)
        id_column = TABLE_BY_NAME[table_name].id_column
        for n, values in rows:
            if id_column and isinstance(values.get(id_column), str):
                out.ids.setdefault(table_name, {}).setdefault(values[id_column], n)
    _check_dataset(ds, lambda name: name, out, known_ids)
    return out.problems


def _check_dataset(ds: Dataset, label: Callable[[str], str], out: Collector,
                   known_ids: KnownIds | None = None) -> None:
    """Problems that span rows or files: references, cycles, date order."""
    row_of = out.ids
    known = _known(ds, out, known_ids)

    def ref(table_name: str, row: int, column: str, value: Any, target: str) -> None:
        if value is None:
            return
        value = str(value)
        if value in row_of.get(target, ()) or value in known.get(target, ()):
            return
        out.add(label(table_name), row, column, value,
                f"no such id in {target}{did_you_mean(value, row_of.get(target, {}))}")

    for table_name, column, target in REFERENCES:
        items = getattr(ds, table_name)
        # each distinct value is looked up once; only a table with a broken one is walked row by row
        values = set(map(attrgetter(column), items))
        values.discard(None)
        ids, elsewhere = row_of.get(target, {}), known.get(target, ())
        if any(str(v) not in ids and str(v) not in elsewhere for v in values):
            rows = ds.row_numbers.get(table_name, ())
            for item, row in zip(items, rows):
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
        if not c.applicant_related:
            for column in ("coi_ground", "coi_exception"):
                if getattr(c, column) is not None:
                    out.add(label("cases"), _row_number(ds, "cases", n), column, getattr(c, column),
                            "given for a case whose applicant_related is not true: a conflict of interest is "
                            "described only for a decider related to the applicant")
    for n, e in enumerate(ds.escalations, 1):
        if e.investigated_on and e.investigated_on < e.reported_on:
            out.add(label("escalations"), _row_number(ds, "escalations", n), "investigated_on", e.investigated_on,
                    f"investigated before it was reported ({e.reported_on.isoformat()})")
    received = {c.case_id: c.received_on for c in ds.cases} if ds.delay_notices else {}
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


def _known(ds: Dataset, out: Collector, known_ids: KnownIds | None) -> Mapping[str, Collection[str]]:
    """``known_ids`` as table -> ids: a function is asked once per table about the ids that the
    dataset's references (valid rows and refused ones) name and the dataset does not hold."""
    if not callable(known_ids):
        return known_ids or {}
    wanted: dict[str, set[str]] = {}
    for table_name, column, target in REFERENCES:
        held = out.ids.get(target, {})
        values = {str(v) for v in map(attrgetter(column), getattr(ds, table_name)) if v is not None}
        values.update(str(v) for _, row in out.failed_rows.get(table_name, ()) if (v := row.get(column)) is not None)
        wanted.setdefault(target, set()).update(v for v in values if v not in held)
    return {target: set(known_ids(target, ids)) for target, ids in wanted.items() if ids}


def _check_parameters(ds: Dataset, label: str, out: Collector) -> None:
    """``parameters`` rows: a known, overridable name, a value of its type, the agency's own process."""
    if not ds.parameters:
        return
    from engine.kb.knowledge import load_kb

    known = load_kb().parameters
    agency_of = {p.process_id: p.agency_id for p in ds.processes}
    seen: dict[tuple[str, str | None, str, dt.date | None], int] = {}
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
        first = seen.setdefault((r.agency_id, r.process_id, r.name, r.effective_from), row)
        if first != row:
            when = f"from {r.effective_from.isoformat()}" if r.effective_from else "with no effective_from"
            out.add(label, row, "name", r.name, f"set twice for the same agency and process {when} (first in "
                    f"data row {first}): which one applies would be a guess")


def _row_number(ds: Dataset, table: str, index: int) -> int:
    """Data row number of the ``index``-th (1-based) parsed model of a table."""
    return ds.row_numbers[table][index - 1]


def _check_cycles(ds: Dataset, label: str, out: Collector) -> None:
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
