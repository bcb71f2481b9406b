"""The knowledge base quotes the letter verbatim and carries SPEC §3's parameters."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from engine.errors import DefinitionError, UsageError
from engine.kb import load_agencies, load_kb
from engine.resources import data_dir

LETTER_NAME = "khonkaen-letter-2562-discretion-measures.th.txt"
LETTER = Path(__file__).resolve().parents[1] / "kb" / "source" / LETTER_NAME
SHARED_LETTER = Path(__file__).resolve().parents[2] / "shared" / "source" / LETTER_NAME
SPEC_PARAMETERS = {
    "review_within_days": 7, "manual_max_age_days": 730, "escalation_within_days": 7,
    "investigation_within_days": 30, "rotation_years": 4, "repeat_applicant_threshold": 5,
    "repeat_window_days": 180, "risk_analysis_interval_days": 365, "ethics_ack_valid_days": 365,
    "monitoring_interval_days": 92, "acknowledgement_deadline": dt.date(2019, 6, 20),
}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def letter() -> str:
    return _norm(LETTER.read_text(encoding="utf-8"))


def test_the_kept_letter_is_the_shared_original():
    if not SHARED_LETTER.exists():
        pytest.skip(f"no shared/ folder beside this checkout ({SHARED_LETTER.parent})")
    assert LETTER.read_bytes() == SHARED_LETTER.read_bytes()


def test_measures_and_guidelines_are_quoted_verbatim(letter):
    kb = load_kb()
    assert kb.measure_ids() == ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "2.1", "2.2", "2.3"]
    thai_number = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
    for m in kb.measures:
        assert f"{m.id.translate(thai_number)} {_norm(m.text_th)}" in letter, m.id
        assert _norm(m.excerpt_th) in _norm(m.text_th), m.id
        assert m.text_en and m.title_th and m.title_en


def test_source_of_the_letter():
    src = load_kb().source
    assert src.letter_no == "ขก ๐๐๑๗.๕/ว ๑๕๐๑๕"
    assert src.dated == dt.date(2019, 6, 15) and src.ita_item == "O48"
    assert src.cabinet_resolution == dt.date(2018, 1, 23)


def test_parameters_match_the_spec():
    kb = load_kb()
    assert kb.defaults() == SPEC_PARAMETERS
    for p in kb.parameters.values():
        assert p.unit and p.meaning_en and p.meaning_th


def test_the_33_agencies_of_the_annex(letter):
    agencies = load_agencies()
    assert len(agencies) == 33 and len({a.id for a in agencies}) == 33
    assert [a.annex_no for a in agencies] == list(range(1, 34))
    for a in agencies:
        assert a.recipient_th in letter and a.name and a.name_en


def test_parameter_overrides():
    kb = load_kb()
    values = kb.resolve_parameters(["review_within_days=๑๐", "acknowledgement_deadline=30/6/2562"])
    assert values["review_within_days"] == 10
    assert values["acknowledgement_deadline"] == dt.date(2019, 6, 30)
    with pytest.raises(UsageError, match=r"unknown parameter 'review_within_day' \(did you mean 'review_within_days'\?\)"):
        kb.resolve_parameters(["review_within_day=3"])
    with pytest.raises(UsageError, match=r"parameter rotation_years='-1': must not be negative"):
        kb.resolve_parameters(["rotation_years=-1"])
    with pytest.raises(UsageError, match=r"--set takes NAME=VALUE, got 'rotation_years'"):
        kb.resolve_parameters(["rotation_years"])


def test_kb_error_names_file_line_and_key_path(tmp_path):
    folder = tmp_path / "kb"
    shutil.copytree(data_dir("kb"), folder)
    path = folder / "measures.yaml"
    text = path.read_text(encoding="utf-8").replace("review_within_days: {type: int, default: 7,",
                                                    "review_within_days: {type: int, default: seven,")
    path.write_text(text, encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "default: seven" in t)
    with pytest.raises(DefinitionError) as info:
        load_kb(folder)
    assert str(info.value.problems[0]).startswith(f"{path}:{line} parameters.review_within_days.default: ")
