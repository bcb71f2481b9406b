"""The fast way to read a well-formed CSV file: Apache Arrow's reader, then each column's
distinct values parsed once, then the typed rows validated by pydantic from positional
arguments. A million cases read in seconds instead of tens of seconds.

It takes only what it can read exactly as ``loader.py``'s row-by-row reader would, and says
``None`` for anything else — a byte that is not UTF-8, a quote that is not a well-formed
quoted value, a blank line, a row with more or fewer cells than the header, a header that
needs a warning or a problem, a duplicate id, a missing required value, a value its column
refuses, a row pydantic refuses. The row-by-row reader then reads the file and reports each
problem with its file, row, column and value: what a person is told never depends on which
reader ran.
"""

from __future__ import annotations

import re
from array import array
from itertools import repeat
from pathlib import Path
from typing import Any

from engine.domain.models import Table
from engine.ingest.limits import ReadBudget

# a well-formed quoted value: opened at the start of a field, closed at its end, quotes inside doubled
_QUOTED = re.compile(rb'(?:^|(?<=[,\r\n]))"(?:[^"]|"")*"(?=[,\r\n]|$)', re.DOTALL)


def read_csv_table(table: Table, file: Path, ids: dict[str, int], group: tuple[str, dict[str, int]] | None = None,
                   budget: ReadBudget | None = None) -> tuple[list[Any], array] | None:
    """The file's rows as models with their data row numbers, or None: read it row by row.

    Read in blocks of a few MiB, each made into models before the next is read, so that a
    million rows never sit in memory twice. On success, ``ids`` gets each id of the table
    with its data row (on failure it holds part of them: the caller starts afresh). With
    ``group`` (a column, and a rank per value), each block's rows are made in the order of
    their ranks (file order within a rank; a value without a rank last). ``budget``: the read's
    limits, counted as the row-by-row reader counts them (rows after the header, each of the
    header's width), so that a limit stops either reader at the same place with the same words
    (``LimitReached``)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    from pydantic import ValidationError
    from pydantic_core import ArgsKwargs

    header = _plain_header(file)
    if header is None or '"' in "".join(header) or len(set(header)) != len(header) \
            or not set(header) <= set(table.columns) or not set(table.required) <= set(header):
        return None  # the row-by-row reader words the header's problems and warnings
    if not _quotes_well_formed(file):
        return None  # a quote the csv module would refuse, or read differently
    validate = table.model.__pydantic_validator__.validate_python
    if budget is not None:
        budget.cells(file.name, len(header))
    models: list[Any] = []
    numbers = array("I")
    seen: dict[str, dict[str, Any]] = {}  # per column: text -> value, across blocks
    try:
        blocks = pacsv.open_csv(
            file, read_options=pacsv.ReadOptions(skip_rows=1, column_names=header, block_size=_BLOCK_BYTES),
            # a blank line reads as a row of empty values: a required one is empty, so the
            # row-by-row reader takes the file (a blank line is numbered but is not a row)
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={h: pa.string() for h in header},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
        for block in blocks:
            n, first = block.num_rows, len(models) + 1
            if budget is not None:
                budget.clock(file.name)
                budget.cells(file.name, n * len(header))
                budget.rows(file.name, len(models) + n)
            order = _grouped(block, *group) if group is not None and group[0] in header else None
            if order is None:
                rows: Any = range(first, first + n)
            else:
                block = block.take(order)
                rows = [first + i for i in positions(order)]
            numbers.extend(rows)
            columns: list[Any] = []
            for name in table.columns:
                if name not in header:
                    columns.append(repeat(None, n))
                    continue
                values = _column(table, name, block.column(name), n, seen.setdefault(name, {}))
                if values is None:
                    return None
                if name == table.id_column:
                    known = len(ids)
                    ids.update(zip(values, rows))
                    if len(ids) != known + n:
                        return None  # a duplicate id: the row-by-row reader names both rows
                columns.append(values)
            models += [validate(ArgsKwargs(row)) for row in zip(*columns)]
    except (pa.ArrowInvalid, UnicodeDecodeError, ValidationError):
        return None  # not UTF-8, a row whose cells do not match the header, a value refused
    if not models:
        return None
    return models, numbers


_BLOCK_BYTES = 8 << 20


def _grouped(block: Any, column: str, rank: dict[str, int]) -> Any:
    """The order of a block's rows by the rank of their value in ``column`` (a stable sort, as
    Arrow indices), or None when they are in that order already."""
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = block.column(column).dictionary_encode()
    last = max(rank.values(), default=-1) + 1  # a value without a rank: after every ranked one
    ranks = array("i", [rank.get(v, last) for v in encoded.dictionary.to_pylist()])
    # made from a buffer: pa.array() of Python values would import pandas (0.17 s)
    keys = pc.take(pa.Array.from_buffers(pa.int32(), len(ranks), [None, pa.py_buffer(ranks)]), encoded.indices)
    if len(keys) < 2 or pc.all(pc.less_equal(keys[:-1], keys[1:])).as_py():
        return None
    return pc.sort_indices(keys)  # stable


def _plain_header(file: Path) -> list[str] | None:
    """The header's column names when the first line is plain UTF-8 text."""
    with file.open("rb") as fh:
        line = fh.readline(1 << 16)
    line = line.removeprefix(b"\xef\xbb\xbf").rstrip(b"\r\n")
    if not line or b"\r" in line:
        return None
    try:
        return [name.strip() for name in line.decode("utf-8").split(",")]
    except UnicodeDecodeError:
        return None


def _quotes_well_formed(file: Path) -> bool:
    """No quote, or every quote part of a well-formed quoted value (read whole only then)."""
    with file.open("rb") as fh:
        while chunk := fh.read(_BLOCK_BYTES):
            if b'"' in chunk:
                break
        else:
            return True
    data = file.read_bytes()
    return b'"' not in _QUOTED.sub(b"", data.removeprefix(b"\xef\xbb\xbf"))


# what str.strip() takes off (Unicode White_Space and the ASCII separators), for Arrow's RE2
_SPACE = "[\\t-\\r\\x1c- \\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}]"
_PADDED = f"^{_SPACE}|{_SPACE}$"


def _plain_texts(texts: Any, max_length: int) -> bool:
    """Whether every text is already as the row-by-row reader would keep it: not empty, no
    space to strip at either end, no NUL, not too long — checked by Arrow, not one by one."""
    import pyarrow.compute as pc

    return not (pc.any(pc.match_substring_regex(texts, _PADDED)).as_py()
                or pc.any(pc.match_substring(texts, "\x00")).as_py()
                or pc.min(pc.utf8_length(texts)).as_py() == 0
                or pc.max(pc.utf8_length(texts)).as_py() > max_length)


_REFUSED = object()


def _column(table: Table, name: str, block: Any, n: int, seen: dict[str, Any]) -> list[Any] | None:
    """One column of a block: each distinct text stripped and parsed once (``seen``: what
    earlier blocks' texts became); None when one is refused (or a required one is empty)."""
    cell = table.cells[name]
    required = name in table.required
    encoded = block.dictionary_encode()
    texts = encoded.dictionary
    if cell.text and len(texts) > 1000 and _plain_texts(texts, cell.max_length):
        parsed = texts.to_pylist()  # ids and the like: nothing to strip or parse
    else:
        parsed = []
        for text in texts.to_pylist():
            value = seen.get(text, _REFUSED)
            if value is _REFUSED:
                value = seen[text] = _parsed(cell, text, required)
                if value is _REFUSED:
                    return None
            parsed.append(value)
    if len(parsed) == n:  # every value distinct: the dictionary is the column, in order
        return parsed
    return list(map(parsed.__getitem__, positions(encoded.indices)))


def positions(indices: Any) -> list[int]:
    """A dictionary-encoded column's indices as Python ints: read from the Arrow buffer (its
    ``to_numpy`` would import pandas, ~0.1 s of every start)."""
    buffer = indices.buffers()[1]
    code, size = _INDEX_TYPES.get(str(indices.type), (None, 0))
    if indices.null_count == 0 and code is not None and buffer.size % size == 0:
        return memoryview(buffer).cast(code)[indices.offset:indices.offset + len(indices)].tolist()
    return indices.to_pylist()


_INDEX_TYPES = {"int32": ("i", 4), "uint64": ("Q", 8)}  # Arrow index type -> memoryview format, bytes


def _parsed(cell: Any, text: str, required: bool) -> Any:
    """A cell's text as the row-by-row reader reads it, or ``_REFUSED``."""
    value = text.strip() or None
    if value is None:
        return _REFUSED if required else None
    if cell.text and len(value) <= cell.max_length and "\x00" not in value:
        return value
    try:
        return cell.parse(value)
    except ValueError:
        return _REFUSED


def release_memory() -> None:
    """After reading: hand back what Arrow's allocator and the C library keep for reuse (80 MiB
    after 200,000 cases), before the evaluation's workers are forked and would share it."""
    import ctypes

    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL(None).malloc_trim(0)  # glibc; elsewhere nothing to do
    except (OSError, AttributeError):
        pass
