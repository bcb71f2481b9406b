"""`discretion-review check` against a plain Python evaluator of the same rules, on the same files.

    .venv/bin/python benchmarks/vs_plain.py [--cases 200000] [--heavy 100000] [--workdir DIR]

The plain evaluator is what an analyst would write instead of installing this project: one
process, ``csv.DictReader`` into simple records (dates in ISO, D/M/YYYY, Buddhist-Era years and
Thai digits, Thai and English booleans, as the exchange format allows), the knowledge base's
defaults read with PyYAML, a loop per rule — ``tests/oracle.py``, the independent evaluator the
engine is tested against, with its deadlines memoised — and one JSON line per flag. No validation, no messages, no evidence:
it does less than `check`, which is the point of the comparison. Both must find the same flags.

Two datasets (generated once, kept in the work folder): the demo data (a province of 33
agencies, few flags) and a flag-heavy one (``flag_heavy.py``: 4 large agencies, about two flags
per case). Prints, as a Markdown table, each one's wall time and peak memory (PSS of the whole
process tree), the ratio plain ÷ check (> 1: `check` is faster), and the machine's size.
Issue 10 asks for ≥ 1.5×.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import functools
import json
import os
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import flag_heavy  # noqa: E402  (this folder)
import oracle  # noqa: E402  (the plain evaluator's rules)
from check_speed import demo_dataset, measure  # noqa: E402  (this folder: one demo generator, one meter)

from engine.domain.models import TABLES  # noqa: E402  (the exchange format's column names, nothing else)

# what any analyst would add once a run is slow: remember each deadline once computed (the oracle
# walks the calendar day by day for every case)
oracle.deadline = functools.lru_cache(maxsize=None)(oracle.deadline)

EXE = Path(sys.executable).parent / "discretion-review"
AS_OF = dt.date(2025, 6, 30)
FILES = ("agencies", "processes", "officers", "cases", "escalations", "risk_analyses", "monitoring_reports",
         "acknowledgements", "delay_notices", "parameters")
INTS = {"standard_days", "review_sample_percent", "staff_total", "staff_acknowledged", "fiscal_year"}
BOOLS = {"serves_public", "discretionary", "public_service", "citizen_manual_at_office", "discretion_used",
         "via_it_system", "applicant_related", "coi_declared", "ethics_committee", "rotation_considered",
         "licensing", "rotation_post", "opdc_copied", "affects_others"}
DATES = {"work_manual_reviewed_on", "in_position_since", "ethics_acknowledged_on", "received_on", "decided_on",
         "reviewed_on", "reported_on", "investigated_on", "analysed_on", "complete_on", "notified_on", "effective_from"}
COLUMNS = {t.name: t.columns for t in TABLES}
THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
TRUE = {"true", "yes", "y", "1", "ใช่", "มี"}


def plain_value(column: str, text: str):
    text = text.strip().translate(THAI_DIGITS)
    if not text:
        return None
    if column in INTS:
        return int(text)
    if column in BOOLS:
        return text.lower() in TRUE
    if column in DATES:
        if "/" in text:
            d, m, y = (int(x) for x in text.split("/"))
        else:
            y, m, d = (int(x) for x in text.split("-"))
        return dt.date(y - 543 if y >= 2400 else y, m, d)
    return text


def plain_read(folder: Path) -> SimpleNamespace:
    tables = {}
    for name in FILES:
        path = folder / f"{name}.csv"
        rows = []
        if path.exists():
            with path.open(encoding="utf-8-sig", newline="") as fh:
                for row in csv.DictReader(fh):
                    values = dict.fromkeys(COLUMNS[name])  # a column the file leaves out is empty
                    values.update((k, plain_value(k, v)) for k, v in row.items())
                    rows.append(SimpleNamespace(**values))
        tables[name] = rows
    return SimpleNamespace(**tables)


def plain_params(sets: list[str]) -> dict:
    kb = yaml.safe_load((ROOT / "kb" / "measures.yaml").read_text(encoding="utf-8"))["parameters"]
    params = {name: p["default"] for name, p in kb.items()}
    params["acknowledgement_deadlines"] = dict(params["acknowledgement_deadlines"])
    for item in sets:
        name, value = item.split("=", 1)
        year = int(name.split(".", 1)[1])
        params["acknowledgement_deadlines"][year] = dt.date.fromisoformat(value)
    return params


def plain_run(folder: Path, sets: list[str], out: Path) -> set[tuple]:
    ds = plain_read(folder)
    flags = oracle.evaluate(ds, AS_OF, plain_params(sets))
    with out.open("w", encoding="utf-8") as fh:
        for rule_id, kind, subject, applicant, severity in sorted(flags, key=str):
            fh.write(json.dumps({"rule_id": rule_id, "subject_type": kind, "subject_id": subject,
                                 "applicant": applicant, "severity": severity}, ensure_ascii=False) + "\n")
    return flags


def _flags(path: Path, engine: bool) -> set[tuple]:
    rows = map(json.loads, path.read_text(encoding="utf-8").splitlines())
    if engine:
        return {(f["rule_id"], f["subject_type"], f["subject_id"], f["evidence"].get("applicant"), f["severity"])
                for f in rows}
    return {(f["rule_id"], f["subject_type"], f["subject_id"], f["applicant"], f["severity"]) for f in rows}


def compare(label: str, folder: Path, workdir: Path, repeat: int) -> None:
    """One row of the table: `check` and the plain evaluator, each in its own process, timed
    (median of ``repeat`` unobserved runs) and measured (peak PSS of the process tree, in one
    more, sampled run)."""
    sets = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["set"]
    mine, theirs = workdir / f"check-{folder.name}.jsonl", workdir / f"plain-{folder.name}.jsonl"
    check_s, check_pss, _ = measure([str(EXE), "check", str(folder), "--as-of", AS_OF.isoformat(), "--no-progress",
                                     "--output", str(mine), *(a for s in sets for a in ("--set", s))], repeat, mine)
    plain_s, plain_pss, _ = measure([sys.executable, __file__, "--plain", str(folder), str(theirs)], repeat, theirs)
    engine, plain = _flags(mine, True), _flags(theirs, False)
    if engine != plain:
        sys.exit(f"{label}: the two disagree: {len(engine - plain)} flags only in check, {len(plain - engine)} only plain")
    print(f"| {label} | {len(plain):,} | {check_s:.1f} s, {check_pss / 1024:,.0f} MiB | "
          f"{plain_s:.1f} s, {plain_pss / 1024:,.0f} MiB | **{plain_s / check_s:.2f}×** |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=200_000, help="demo cases (default 200,000)")
    ap.add_argument("--heavy", type=int, default=100_000, help="flag-heavy cases, in 4 agencies (default 100,000)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each, the median is shown (default 3)")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "discretion-review-bench")
    ap.add_argument("--plain", nargs=2, type=Path, metavar=("DATASET", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.plain:  # the plain evaluator's own process (measured by the parent)
        folder, out = args.plain
        plain_run(folder, json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["set"], out)
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}; as_of {AS_OF}; "
          f"time = median of {args.repeat} runs; memory = peak PSS of the process tree")
    print("| data | flags | check | plain script | plain ÷ check |")
    print("|---|---:|---:|---:|---:|")
    compare(f"demo data, {args.cases:,} cases", demo_dataset(args.workdir, args.cases, AS_OF.isoformat()), args.workdir,
            args.repeat)
    heavy = args.workdir / f"flag-heavy-{args.heavy}"
    if not (heavy / "manifest.json").exists():
        flag_heavy.generate(heavy, args.heavy, agencies=4, seed=1)
    compare(f"flag-heavy random data, {args.heavy:,} cases in 4 agencies", heavy, args.workdir, args.repeat)


if __name__ == "__main__":
    main()
