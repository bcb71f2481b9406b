"""Issue 20 item 11: an applicant_id that is a Thai citizen ID (13 digits, valid check digit) is
refused wherever data enters — validate, import, the app's upload — naming file, row and column
in Thai and English, saying to pseudonymize, and never quoting the whole ID; the privacy notice
(PDPA s.23) is a page of the app and the record of processing (s.39) is in docs/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from conftest import base_tables, merge_tables, write_dataset, write_workbook
from engine.domain.pdpa import check_digit_valid, citizen_id_digits, is_citizen_id, masked
from engine.store.db import transaction
from engine.store.schema import CaseRow

CITIZEN = "1101700230708"  # made up; its check digit is valid: Σ = 146, 146 mod 11 = 3, 11 − 3 = 8
THAI_DIGITS = CITIZEN.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
GROUPED = "1-1017-00230-70-8"


def test_the_check_digit():
    assert check_digit_valid(CITIZEN) and not check_digit_valid(CITIZEN[:12] + "9")
    # by hand: 3·13 + 1·12 + 6·9 + 1·6 + 2·5 + 3·4 + 4·3 + 5·2 = 155; 155 mod 11 = 1; (11 − 1) mod 10 = 0
    assert check_digit_valid("3100600123450") and not check_digit_valid("3100600123451")
    for written in (CITIZEN, THAI_DIGITS, GROUPED, "1 1017 00230 70 8", f"  {CITIZEN} "):
        assert citizen_id_digits(written) == CITIZEN and is_citizen_id(written), written
    for other in ("1101700230709", "110170023070", "11017002307080", "APP000123456", "1-101700230708-x", ""):
        assert not is_citizen_id(other), other
    assert masked(CITIZEN) == "••••••••••708"


def _cases(applicant_ids: list[str]) -> dict:
    base = base_tables()
    case = base["cases"][0]
    return merge_tables(base, {"cases": [{**case, "case_id": f"C{i}", "applicant_id": a}
                                         for i, a in enumerate(applicant_ids, 1)]}, replace=["cases"])


def _said(text: str, row: int) -> None:
    """The refusal names the file, row and column, says what to do in Thai and English, and
    quotes no more than the ID's last three digits."""
    assert re.search(rf"cases(\.csv|\]), row {row}, column applicant_id, value '•+708'", text), text
    assert "เลขประจำตัวประชาชน" in text and "รหัสแฝง" in text and "pseudonymize" in text
    assert CITIZEN not in text and THAI_DIGITS not in text and "00230" not in text


def test_validate_refuses_a_citizen_id(tmp_path, both_csv_readers, capsys):
    from engine.cli import main

    folder = write_dataset(tmp_path / "ds", _cases(["APP-1", CITIZEN, GROUPED, "APP-2", CITIZEN[:12] + "9"]))
    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "2 problems" in err, err
    _said(err, 2)
    assert re.search(r"row 3, column applicant_id, value '•+708'", err)  # the grouped form too
    assert "row 5" not in err  # 13 digits with a wrong check digit: a pseudonym that looks like one


def test_validate_refuses_a_citizen_id_in_a_workbook(tmp_path, capsys):
    """A workbook holds the ID as a number (Excel's default for 13 digits) or as Thai digits."""
    from engine.cli import main

    tables = _cases([int(CITIZEN), THAI_DIGITS])
    assert main(["validate", str(write_workbook(tables, tmp_path / "data.xlsx"))]) == 2
    err = capsys.readouterr().err
    _said(err, 1)
    assert "row 2, column applicant_id" in err


def test_import_refuses_a_citizen_id_and_stores_nothing(db_url, tmp_path, capsys):
    from engine.cli import main
    from engine.store.access import add_user
    from engine.store.scope import SYSTEM

    with transaction(db_url) as s:
        add_user(s, SYSTEM, "importer", "correct horse battery staple", "admin", None)
    folder = write_dataset(tmp_path / "ds", _cases([CITIZEN]))
    assert main(["import", str(folder), "--db", db_url, "--user", "importer"]) == 2
    _said(capsys.readouterr().err, 1)
    with transaction(db_url) as s:
        assert s.scalar(select(func.count()).select_from(CaseRow)) == 0


def test_the_upload_refuses_a_citizen_id(tmp_path):
    """The app's upload reads in a child process (engine/ingest/isolated.py): the same refusal,
    with the value masked on its way back, in the app's Thai."""
    import sys

    from engine.domain.errors import InputError
    from engine.ingest.isolated import load_dataset_isolated

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))
    from messages import thai

    folder = write_dataset(tmp_path / "ds", _cases(["APP-1", CITIZEN]))
    with pytest.raises(InputError) as caught:
        load_dataset_isolated(folder)
    [problem] = caught.value.problems
    assert (problem.file, problem.row, problem.column, problem.value) == ("cases.csv", 2, "applicant_id",
                                                                           masked(CITIZEN))
    shown = thai(problem.reason)
    assert shown.startswith("เป็นเลขประจำตัวประชาชน 13 หลัก") and "รหัสแฝง" in shown and "pseudonym" not in shown


def test_the_privacy_notice_is_a_page_of_the_app(monkeypatch, tmp_path):
    """Reachable before logging in (from the login page) and after (the sidebar), in Thai and English."""
    from streamlit.testing.v1 import AppTest

    from engine.store.migrate import upgrade

    url = f"sqlite:///{tmp_path}/app.db"
    upgrade(url)
    monkeypatch.setenv("DISCRETION_DB_URL", url)
    app = str(Path(__file__).resolve().parents[1] / "ui" / "app.py")
    at = AppTest.from_file(app, default_timeout=60).run()
    assert not at.exception
    assert any("privacy" in str(getattr(el, "value", "")) or "ประกาศความเป็นส่วนตัว" in str(getattr(el, "value", ""))
               for el in at.markdown), [m.value for m in at.markdown]
    at.switch_page("views/privacy.py").run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert at.title[0].value == "ประกาศความเป็นส่วนตัว"
    for needed in ("มาตรา 23", "มาตรา 24", "วัตถุประสงค์", "ระยะเวลาเก็บรักษา", "สิทธิ", "ผู้ควบคุมข้อมูลส่วนบุคคล",
                   "รหัสแฝง"):
        assert needed in text, needed
    from test_app import ALLOWED_WORDS, _screen_text, english_words

    assert not english_words(_screen_text(at), ALLOWED_WORDS)
    at.session_state["app.lang"] = "en"
    at.run()
    assert at.title[0].value == "Privacy notice" and "section 23" in " ".join(m.value for m in at.markdown)


def test_the_record_of_processing_is_in_docs():
    text = (Path(__file__).resolve().parents[1] / "docs" / "record-of-processing.md").read_text(encoding="utf-8")
    for needed in ("section 39", "มาตรา 39", "applicant_id", "login_attempts", "retention", "security"):
        assert needed in text, needed


def test_a_store_that_took_citizen_ids_before_they_were_refused_is_told_where_they_are(db_url, tmp_path, capsys):
    """A store of an older release may hold citizen IDs as applicants (they were refused only
    from 0.3.0): ``db personal-data`` lists each table and agency holding some — however the ID
    is written — with its rows and IDs, masked, and exits 1; ``db upgrade`` warns; a pseudonym
    that merely looks like an ID (wrong check digit) is not one; once replaced, exit 0."""
    from engine.cli import main
    from engine.store.access import add_user
    from engine.store.schema import FlagRow
    from engine.store.scope import SYSTEM

    with transaction(db_url) as s:
        add_user(s, SYSTEM, "importer", "correct horse battery staple", "admin", None)
    folder = write_dataset(tmp_path / "ds", _cases(["APP-1", "APP-2", "APP-3", "APP-4"]))
    assert main(["import", str(folder), "--db", db_url, "--user", "importer"]) == 0
    assert main(["run", "--db", db_url, "--user", "importer", "--as-of", "2026-06-30"]) == 0
    assert main(["db", "personal-data", "--db", db_url]) == 0
    assert "no applicant stored" in capsys.readouterr().out
    # as an older release stored them: the same person's ID written three ways, and a lookalike
    with transaction(db_url) as s:
        for case_id, value in (("C1", CITIZEN), ("C2", GROUPED), ("C3", THAI_DIGITS), ("C4", CITIZEN[:12] + "9")):
            s.get(CaseRow, case_id).applicant_id = value
        flag = s.scalars(select(FlagRow).order_by(FlagRow.flag_id).limit(1)).one()
        flag.applicant, agency = CITIZEN, flag.agency_id
    capsys.readouterr()
    assert main(["db", "personal-data", "--db", db_url]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "4 stored rows" in lines[0] and "PDPA" in lines[0] and "เลขประจำตัวประชาชน" in lines[0], out
    assert [line.split()[:4] for line in lines[1:]] == [["cases", agency, "3", "rows,"], ["flags", agency, "1", "row,"]]
    assert "3 rows, 1 ID (e.g. ••••••••••708)" in lines[1]
    assert CITIZEN not in out and THAI_DIGITS not in out and "00230" not in out
    assert main(["db", "upgrade", "--db", db_url]) == 0
    err = capsys.readouterr().err
    assert "Thai citizen IDs" in err and "db personal-data" in err and CITIZEN not in err
    with transaction(db_url) as s:
        for case_id in ("C1", "C2", "C3"):
            s.get(CaseRow, case_id).applicant_id = f"P-{case_id}"
        s.get(FlagRow, flag.flag_id).applicant = "P-C1"
    assert main(["db", "personal-data", "--db", db_url]) == 0
    assert main(["db", "upgrade", "--db", db_url]) == 0
    assert "citizen" not in capsys.readouterr().err


def test_an_agencys_user_is_told_only_of_its_own_agencys_citizen_ids(db_url, tmp_path):
    from engine.cli import main
    from engine.store.access import add_user
    from engine.store.personal_data import citizen_ids
    from engine.store.scope import SYSTEM, Scope

    with transaction(db_url) as s:
        add_user(s, SYSTEM, "importer", "correct horse battery staple", "admin", None)
    assert main(["import", str(write_dataset(tmp_path / "ds", _cases(["APP-1"]))), "--db", db_url,
                 "--user", "importer"]) == 0
    with transaction(db_url) as s:
        case = s.get(CaseRow, "C1")
        case.applicant_id = CITIZEN
        assert [f.agency_id for f in citizen_ids(s, SYSTEM)] == [case.agency_id]
        assert [f.rows for f in citizen_ids(s, Scope("head", "supervisor", case.agency_id))] == [1]
        assert citizen_ids(s, Scope("other", "supervisor", "another-agency")) == []
        assert [f.rows for f in citizen_ids(s, Scope("province", "provincial", None))] == [1]
