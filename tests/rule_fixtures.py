"""Rule fixtures: tests/fixtures/rules/<rule_id>.yaml, each a list of scenarios on the base dataset."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from conftest import FIXTURES, base_tables, merge_tables, write_dataset

RULE_FIXTURES = FIXTURES / "rules"


@dataclass
class Scenario:
    rule_id: str
    name: str
    as_of: dt.date
    tables: dict[str, list[dict[str, Any]]]
    params: dict[str, str]
    expect: set[str]
    severity: dict[str, str]
    # how many subjects the rule evaluated: those it applies to (its applies_to), flagged or not
    evaluated: int
    # store runs only: agency -> (confirmed flags with a corrective action past due, oldest due date)
    corrective: dict[str, tuple[int, dt.date]] | None = None

    @property
    def test_id(self) -> str:
        return f"{self.rule_id}: {self.name}"

    def write(self, folder: Path) -> Path:
        return write_dataset(folder, self.tables)


def load_scenarios() -> list[Scenario]:
    out = []
    for path in sorted(RULE_FIXTURES.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert path.stem == doc["rule"], f"{path.name} must be named after its rule"
        for sc in doc["scenarios"]:
            defaults = sc.get("defaults", {})
            data = {table: [{**defaults.get(table, {}), **row} for row in rows]
                    for table, rows in sc.get("data", {}).items()}
            out.append(Scenario(doc["rule"], sc["name"], sc["as_of"], merge_tables(base_tables(), data, sc.get("replace")),
                                {k: str(v) for k, v in sc.get("params", {}).items()}, set(sc["expect"]),
                                sc.get("severity", {}), sc["evaluated"],
                                {a: tuple(v) for a, v in sc["corrective"].items()} if "corrective" in sc else None))
    return out
