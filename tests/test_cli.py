"""The command line as a user runs it: exit codes, formats, files written whole or not at all."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str], capsys) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_check_jsonl_exit_1_with_flags(dataset_dir, capsys):
    path = dataset_dir({"cases": [{"case_id": "X1", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-04-01",
                                   "decided_on": "2024-04-02", "discretion_used": "true"}]})
    code, out, err = run(["check", path, "--as-of", "20/4/2567", "--no-progress"], capsys)
    assert code == 1
    flags = [json.loads(line) for line in out.splitlines()]
    assert {f["rule_id"] for f in flags} == {"1.1-unreviewed", "1.1-no-legal-basis"}
    for f in flags:
        assert set(f) >= {"flag_id", "rule_id", "measure", "severity", "subject_type", "subject_id", "agency_id",
                          "as_of", "message_th", "message_en", "evidence"}
        assert f["as_of"] == "2024-04-20" and f["subject_id"] == "X1" and f["agency_id"] == "A1"
    assert "2 flags" in err


def test_flag_ids_are_stable_across_runs_and_dates(dataset_dir, capsys):
    path = dataset_dir({"cases": [{"case_id": "X1", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-04-01",
                                   "decided_on": "2024-04-02", "discretion_used": "true"}]})
    ids1 = {json.loads(x)["flag_id"] for x in run(["check", path, "--as-of", "2024-04-20"], capsys)[1].splitlines()}
    ids2 = {json.loads(x)["flag_id"] for x in run(["check", path, "--as-of", "2024-05-20", "--jobs", "1"], capsys)[1].splitlines()}
    assert ids1 and ids1 <= ids2


def test_check_clean_dataset_exits_0(dataset_dir, capsys):
    code, out, err = run(["check", dataset_dir(), "--as-of", "2024-04-20"], capsys)
    assert (code, out) == (0, "")
    assert "0 flags" in err


def test_csv_and_table_formats(dataset_dir, tmp_path, capsys):
    path = dataset_dir({"cases": [{"case_id": "-X1", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-04-01",
                                   "decided_on": "2024-04-02", "discretion_used": "true", "legal_basis": "ม. 1"}]})
    out_file = tmp_path / "flags.csv"
    code, out, _ = run(["check", path, "--as-of", "2024-04-20", "--format", "csv", "--output", out_file], capsys)
    assert code == 1 and out == ""
    rows = list(csv.DictReader(out_file.open(encoding="utf-8")))
    assert rows[0]["subject_id"] == "'-X1"  # a formula-like cell is neutralised
    assert json.loads(rows[0]["evidence"])["decided_on"] == "2024-04-02"
    code, out, _ = run(["check", path, "--as-of", "2024-04-20", "--format", "table"], capsys)
    assert "1.1-unreviewed" in out and "ยังไม่ได้สอบทาน" in out and "2 เม.ย. 2567" in out
    assert "เกณฑ์การตรวจสอบ" in out and "7 วันทำการ" in out and "ค่าที่ระบบตั้งไว้ (หนังสือจังหวัดไม่ได้กำหนด)" in out
    assert any(line.startswith("สูง ") for line in out.splitlines())  # severity in Thai (medium: ปานกลาง)
    code, out, _ = run(["check", path, "--as-of", "2024-04-20", "--format", "table", "--lang", "en"], capsys)
    assert "no supervisor had checked it" in out
    assert "limit: review_within_days = 7 working days (source: product default — the letter sets no number)" in out


def test_bad_input_exits_2_and_writes_nothing(dataset_dir, tmp_path, capsys):
    path = dataset_dir({"cases": [{"case_id": "X1", "process_id": "P1", "officer_id": "NOBODY",
                                   "received_on": "31/2/2567", "discretion_used": "true"}]})
    out_file = tmp_path / "flags.jsonl"
    code, out, err = run(["check", path, "--output", out_file], capsys)
    assert code == 2 and out == "" and not out_file.exists()
    assert not list(tmp_path.glob(".flags.jsonl*"))
    assert "cases.csv, row 2, column received_on, value '31/2/2567': no such date (day is out of range for month)" in err
    assert "cases.csv, row 2, column officer_id, value 'NOBODY': no such id in officers" in err


def test_usage_errors_exit_2(dataset_dir, capsys):
    path = dataset_dir()
    assert run(["check", path, "--set", "review_within_dayz=3"], capsys)[0] == 2
    code, _, err = run(["check", path, "--as-of", "yesterday"], capsys)
    assert code == 2 and "not a date" in err
    code, _, err = run(["check", path, "--format", "xml"], capsys)
    assert code == 2 and "invalid choice" in err
    code, _, err = run(["check", path, "--rule", "1.1-unreviewd"], capsys)
    assert code == 2 and "unknown rule '1.1-unreviewd' (did you mean '1.1-unreviewed'?)" in err


def test_set_overrides_a_parameter(dataset_dir, capsys):
    path = dataset_dir({"cases": [{"case_id": "X1", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-04-01",
                                   "decided_on": "2024-04-02", "discretion_used": "true", "legal_basis": "ม. 1"}]})
    code, out, _ = run(["check", path, "--as-of", "2024-04-20", "--rule", "1.1-unreviewed"], capsys)
    assert code == 1 and json.loads(out)["evidence"]["parameters"]["review_within_days"]["from"] == "kb"
    code, out, _ = run(["check", path, "--as-of", "2024-04-18", "--rule", "1.1-unreviewed", "--set", "review_within_days=5"], capsys)
    flag = json.loads(out)
    assert code == 1 and flag["evidence"]["parameters"]["review_within_days"] == {
        "value": 5, "from": "set", "source_th": "กำหนดเฉพาะการประมวลผลครั้งนี้", "source_en": "set for this run (--set)"}
    assert "5 วันทำการ (ที่มา: กำหนดเฉพาะการประมวลผลครั้งนี้)" in flag["message_th"] and "--set" not in flag["message_th"]
    code, _, _ = run(["check", path, "--as-of", "2024-04-20", "--rule", "1.1-unreviewed", "--set", "review_within_days=10"], capsys)
    assert code == 0


def test_validate_and_rules(dataset_dir, capsys):
    code, out, _ = run(["validate", dataset_dir()], capsys)
    assert code == 0 and "valid (agencies 1, processes 2, officers 6, cases 1" in out
    code, out, _ = run(["rules"], capsys)
    assert code == 0 and "มาตรการข้อ 1.3" in out and "1.3-unreported-deviation" in out and "ตามลำดับ" in out
    code, out, _ = run(["rules", "--format", "json", "--lang", "en"], capsys)
    rules = json.loads(out)
    assert len(rules) == 28 and rules[0]["measure_text_th"].startswith("ผู้บังคับบัญชาทุกระดับชั้น")
    assert "1.8-corrective-action-overdue" in out and "ประมวลผลเฉพาะใน `run`" in run(["rules"], capsys)[1]
    assert "evaluated only in store runs" in run(["rules", "--lang", "en"], capsys)[1]


def test_demo_data_then_check_matches_its_truth(tmp_path, capsys):
    out = tmp_path / "demo"
    code, text, _ = run(["demo-data", out, "--cases", "800", "--seed", "3", "--as-of", "2025-01-15"], capsys)
    assert code == 0 and "800 cases" in text and "--set acknowledgement_deadlines.2568=2024-12-01" in text
    dates = (out / "cases.csv").read_text(encoding="utf-8-sig")
    assert "/25" in dates and "-" in dates and "๒๕" in dates  # BE, ISO and Thai-digit dates are mixed
    code, lines, _ = run(["check", out, "--as-of", "2025-01-15", "--set", "acknowledgement_deadlines.2568=2024-12-01"], capsys)
    got = {(f["rule_id"], f["subject_id"], f["evidence"].get("applicant")) for f in map(json.loads, lines.splitlines())}
    truth = {(t["rule_id"], t["subject_id"], t["applicant"]) for t in
             map(json.loads, (out / "truth.jsonl").read_text(encoding="utf-8").splitlines())}
    assert code == 1 and got == truth


def test_console_script_runs_from_another_folder(tmp_path):
    exe = Path(sys.executable).parent / "discretion-review"
    if not exe.exists():
        pytest.fail(f"console script not installed next to {sys.executable}")
    result = subprocess.run([str(exe), "rules", "--lang", "en"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "Measure 1.1" in result.stdout


def test_console_script_check_ends_at_once_with_its_whole_output_and_exit_code(tmp_path, capsys):
    """``check`` and ``validate`` end the process without freeing the dataset (``cli.entry``):
    what they printed must still arrive whole through a pipe, with the exit code."""
    exe = Path(sys.executable).parent / "discretion-review"
    if not exe.exists():
        pytest.fail(f"console script not installed next to {sys.executable}")
    assert main(["demo-data", str(tmp_path / "demo"), "--cases", "600", "--seed", "5", "--as-of", "2025-01-15"]) == 0
    sets = [a for x in json.loads((tmp_path / "demo" / "manifest.json").read_text(encoding="utf-8"))["set"]
            for a in ("--set", x)]
    capsys.readouterr()
    # what the same check prints in this process: the console script must deliver all of it
    _, whole, _ = run(["check", tmp_path / "demo", "--as-of", "2025-01-15", "--no-progress", *sets], capsys)
    expected = whole.splitlines()
    # buffered output, as on a user's machine: nothing printed may be left in a buffer at the end
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    check = subprocess.run([str(exe), "check", "demo", "--as-of", "2025-01-15", "--no-progress", *sets],
                           cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert check.returncode == 1, check.stderr
    lines = check.stdout.splitlines()
    assert lines == expected and len(lines) > 100 and all(json.loads(line)["flag_id"] for line in lines)
    # the summary, after the warning that the demo counts days through 2566 (2023), a year not checked
    assert any(line.startswith(f"{len(expected)} flags") for line in check.stderr.splitlines()), check.stderr
    assert "วันหยุดราชการปี 2566 ยังไม่ได้ตรวจสอบ" in check.stderr
    table = subprocess.run([str(exe), "check", "demo", "--as-of", "2025-01-15", "--format", "table", *sets],
                           cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert table.returncode == 1 and len(table.stdout.splitlines()) == len(expected) + 2  # header and rule
    valid = subprocess.run([str(exe), "validate", "demo"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                           env=env)
    assert valid.returncode == 0 and valid.stdout.startswith("demo: valid (") and valid.stdout.endswith(")\n")
    bad = subprocess.run([str(exe), "check", "missing"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                         env=env)
    assert bad.returncode == 2 and bad.stdout == "" and "missing" in bad.stderr
