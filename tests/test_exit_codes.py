"""An internal failure of the command line is exit 3 with one line on stderr and no output —
never exit 1, which means "flags found" (SPEC §4; issue 8 item 4)."""

from __future__ import annotations

import pytest

import engine.evaluation.run
from engine.cli import main

CASE = {"case_id": "X1", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-04-01",
        "decided_on": "2024-04-02", "discretion_used": "true"}


@pytest.fixture
def failing_midway(monkeypatch):
    """Evaluation that yields one agency's flags, then fails as a bug would."""
    real = engine.evaluation.run.iter_partitions

    def partitions(*args, **kwargs):
        for result in real(*args, **kwargs):
            assert result[1], "the first partition should carry flags, so that output could leak"
            yield result
            raise RuntimeError("date value out of range\n  (a second line)")

    monkeypatch.setattr(engine.evaluation.run, "iter_partitions", partitions)


@pytest.mark.parametrize("to_file", [False, True])
def test_internal_failure_is_exit_3_one_line_and_no_output(dataset_dir, tmp_path, capsys, failing_midway,
                                                           monkeypatch, to_file):
    monkeypatch.delenv("DISCRETION_DEBUG", raising=False)
    out_file = tmp_path / "flags.jsonl"
    args = ["check", str(dataset_dir({"cases": [CASE]})), "--as-of", "2024-04-20", "--no-progress"]
    code = main(args + (["--output", str(out_file)] if to_file else []))
    out, err = capsys.readouterr()
    assert code == 3
    assert out == "" and not out_file.exists() and not list(tmp_path.glob(".flags.jsonl*"))
    assert err.splitlines() == ["discretion-review: internal error (RuntimeError: date value out of range (a second "
                                "line)); nothing was written. Set DISCRETION_DEBUG=1 for the traceback and report it."]


def test_debug_shows_the_traceback_and_still_exits_3(dataset_dir, capsys, failing_midway, monkeypatch):
    monkeypatch.setenv("DISCRETION_DEBUG", "1")
    code = main(["check", str(dataset_dir({"cases": [CASE]})), "--as-of", "2024-04-20", "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 3 and out == ""
    assert "Traceback (most recent call last)" in err and "RuntimeError: date value out of range" in err


def test_year_one_is_bad_input_not_a_crash(dataset_dir, capsys):
    # before: validate passed, then check died with "ordinal must be >= 1" and exit 1
    path = dataset_dir({"cases": [{**CASE, "received_on": "0001-03-01", "decided_on": None}]})
    assert main(["validate", str(path), "--no-progress"]) == 2
    assert main(["check", str(path), "--as-of", "2024-04-20", "--no-progress"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert ("cases.csv, row 2, column received_on, value '0001-03-01': year 1 (BE 544) is outside 1900–2200 "
            "(BE 2443–2743); check the year") in err


def test_a_user_name_longer_than_the_store_holds_is_a_usage_error(db_url, capsys):
    from engine.domain.models import USER_NAME_MAX_LENGTH

    name = "k" * (USER_NAME_MAX_LENGTH + 1)  # user names are a-z 0-9 . _ - (issue 20 item 9)
    args = ["users", "--db", db_url, "add", name, "--role", "admin", "--password", "correct horse battery 42"]
    assert main(args) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and f"a user name has 3–{USER_NAME_MAX_LENGTH} characters" in err[0]
    assert main(args[:4] + [name[1:]] + args[5:]) == 0
