from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))

from engine.models import TABLE_BY_NAME  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


def write_dataset(folder: Path, tables: dict[str, list[dict[str, Any]]]) -> Path:
    """Write tables as the exchange format's CSV files (every column of the model)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        columns = list(TABLE_BY_NAME[name].columns)
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=columns)
            w.writeheader()
            for row in rows:
                w.writerow({k: _cell(v) for k, v in row.items()})
    return folder


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def base_tables() -> dict[str, list[dict[str, Any]]]:
    return yaml.safe_load((FIXTURES / "rules" / "_base.yaml").read_text(encoding="utf-8"))


def merge_tables(base: dict[str, list[dict[str, Any]]], extra: dict[str, list[dict[str, Any]]],
                 replace: list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Rows of ``extra`` replace base rows with the same id, or are appended."""
    out = {k: list(v) for k, v in base.items()}
    for name, rows in extra.items():
        id_col = TABLE_BY_NAME[name].id_column
        current = [] if name in (replace or []) else out.get(name, [])
        for row in rows:
            if id_col:
                current = [r for r in current if str(r.get(id_col)) != str(row.get(id_col))]
            current.append(row)
        out[name] = current
    return out


@pytest.fixture
def dataset_dir(tmp_path: Path):
    def make(extra: dict[str, list[dict[str, Any]]] | None = None, replace: list[str] | None = None,
             name: str = "ds") -> Path:
        return write_dataset(tmp_path / name, merge_tables(base_tables(), extra or {}, replace))
    return make
