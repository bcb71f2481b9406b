"""The knowledge base quotes the letter verbatim and carries SPEC §3's parameters."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from engine.domain.errors import DefinitionError, UsageError
from engine.kb.knowledge import load_agencies, load_kb
from engine.kb.resources import data_dir

LETTER_NAME = "khonkaen-letter-2562-discretion-measures.th.txt"
LETTER = Path(__file__).resolve().parents[1] / "kb" / "source" / LETTER_NAME
SHARED_LETTER = Path(__file__).resolve().parents[2] / "shared" / "source" / LETTER_NAME
# SPEC §3 parameter table: name -> (default, basis, overridable, source starts with)
PRODUCT = "product default — the letter sets no number"
SPEC_PARAMETERS = {  # SPEC §3 v3 "Parameters": default, basis, overridable, source (its English start)
    "review_within_days": (7, "working", "process", PRODUCT),
    "review_sample_window_days": (90, "calendar", "process", PRODUCT),
    "manual_max_age_days": (730, "calendar", "process", PRODUCT),
    "escalation_within_days": (7, "working", "process", PRODUCT),
    "investigation_within_days": (30, "calendar", "process", PRODUCT),
    "decision_within_days": (30, "calendar", "no", "Administrative Procedure Act B.E. 2539, s. 39/1"),
    "delay_notice_every_days": (7, "calendar", "no", "Licensing Facilitation Act B.E. 2558, s. 10"),
    "rotation_years": (4, "years", "agency", "product default — no law sets a rotation period"),
    "active_officer_window_days": (365, "calendar", "no", PRODUCT),
    "repeat_applicant_threshold": (5, "decisions", "agency", PRODUCT),
    "repeat_applicant_threshold_juristic": (15, "decisions", "agency", PRODUCT),
    "repeat_window_days": (180, "calendar", "agency", PRODUCT),
    "risk_analysis_interval_days": (365, "calendar", "agency", "product default — the ITA's yearly cycle"),
    "ethics_ack_valid_days": (365, "calendar", "agency", "product default — agency practice; no law requires"),
    "monitoring_interval_days": (183, "calendar", "agency", "product default — the ITA's six-month"),
    "acknowledgement_deadlines": ({2562: dt.date(2019, 6, 20)}, "fiscal_year", "no", "the letter, guideline 2.3"),
}
# beyond SPEC's table: the product's own settings, stated as such (never a legal period)
PRODUCT_SETTINGS = {
    "warn_within_working_days": (3, "working", "agency", PRODUCT),  # duties due soon (issue 23)
    "information_reply_within_days": (5, "working", "no", PRODUCT),  # requests for information (issue 23)
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
        assert m.text_en and m.title_th and m.title_en


def test_source_of_the_letter(letter):
    src = load_kb().source
    assert src.letter_no == "ขก ๐๐๑๗.๕/ว ๑๕๐๑๕"
    assert src.dated == dt.date(2019, 6, 15) and src.ita_item == "O48"
    assert src.cabinet_resolution == dt.date(2018, 1, 23)
    # the header's date is a Saturday and the annex gives 12 June: both recorded, with a note
    assert src.dated.weekday() == 5 and src.dated_annex == dt.date(2019, 6, 12)
    assert "๑๕ มิถุนายน ๒๕๖๒" in letter and "ลงวันที่ ๑๒ มิถุนายน ๒๕๖๒" in letter
    assert src.issuer_th.startswith("จังหวัดขอนแก่น") and src.signed_by_th in letter
    # the letter's typos are marked, and its text still has them verbatim
    assert len(src.typos) == 3
    for typo in src.typos:
        assert _norm(typo.text) in letter, typo.where


def test_messages_quote_cleaned_excerpts_of_verbatim_text():
    for m in load_kb().measures:
        assert m.excerpt_th.replace(" ", "") in m.text_th.replace(" ", ""), m.id
    assert "ข้าราชการพลเรือน" in load_kb().measure("1.5").excerpt_th
    assert "ข้าราชการ พลเรือน" in load_kb().measure("1.5").text_th


def test_parameters_match_the_spec():
    kb = load_kb()
    table = {**SPEC_PARAMETERS, **PRODUCT_SETTINGS}
    assert kb.defaults() == {name: spec[0] for name, spec in table.items()}
    for name, p in kb.parameters.items():
        default, basis, overridable, source = table[name]
        assert (p.basis, p.overridable) == (basis, overridable), name
        assert p.source_en.startswith(source) and p.source_th, name
        assert p.unit and p.meaning_en and p.meaning_th
        # the province set none of them: a number the product chose is never called the province's
        assert "จังหวัด (" not in p.source_th and "ค่าเริ่มต้นของจังหวัด" not in p.source_th, name
        if source.startswith("product default"):
            assert p.source_th.startswith("ค่าที่ระบบตั้งไว้"), name


def test_the_33_agencies_of_the_annex(letter):
    agencies = load_agencies()
    assert len(agencies) == 33 and len({a.id for a in agencies}) == 33
    assert [a.annex_no for a in agencies] == list(range(1, 34))
    for a in agencies:
        assert a.recipient_th in letter and a.name and a.name_en


def test_parameter_overrides():
    kb = load_kb()
    values = kb.resolve_parameters(["review_within_days=๑๐", "acknowledgement_deadlines.2570=2026-12-15",
                                    "acknowledgement_deadlines.๒๕๖๒=30/6/2562"])
    assert values["review_within_days"] == 10
    assert values["acknowledgement_deadlines"] == {2562: dt.date(2019, 6, 30), 2570: dt.date(2026, 12, 15)}
    assert kb.defaults()["acknowledgement_deadlines"] == {2562: dt.date(2019, 6, 20)}  # not changed in place
    with pytest.raises(UsageError, match=r"is a map by fiscal year: set one year with NAME.YEAR=DATE"):
        kb.resolve_parameters(["acknowledgement_deadlines=2026-12-15"])
    with pytest.raises(UsageError, match=r"must be a Buddhist-Era year"):
        kb.resolve_parameters(["acknowledgement_deadlines.2026=2026-12-15"])
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
    text = path.read_text(encoding="utf-8").replace("{type: int, default: 7, unit: days, basis: working, overridable: process",
                                                    "{type: int, default: seven, unit: days, basis: working, overridable: process", 1)
    path.write_text(text, encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "default: seven" in t)
    with pytest.raises(DefinitionError) as info:
        load_kb(folder)
    assert str(info.value.problems[0]).startswith(f"{path}:{line} parameters.review_within_days.default: ")


def test_legal_references_of_the_v3_review():
    from engine.rules.catalogue import default_catalogue

    kb = load_kb()
    refs = {r.id: r for r in kb.legal_references}
    assert "good-governance-decree-2546" not in refs  # it does not govern work manuals
    # screens use Arabic digits (SPEC §5): the sections as a screen quotes them
    assert "มาตรา 10" in refs["licensing-facilitation-act-2558"].sections
    assert "2552" in refs["civil-service-ethics-code"].sections and "2562" in refs["civil-service-ethics-code"].sections
    apa = refs["admin-procedure-act-2539"].sections
    assert all(f"มาตรา {s}" in apa for s in ("13", "16", "18", "37", "39/1", "64")), apa
    assert not re.search("[๐-๙]", " ".join(r.sections + r.title_th for r in refs.values()))
    catalogue = default_catalogue()
    for rule in catalogue:
        if rule.measure == "1.7":
            assert "digital-government-act-2562" in rule.legal_references, rule.rule_id
    # the Civil Service Act s.58 sets no period for these posts: the rule cites no law for it
    assert catalogue.by_id["1.4-rotation-due"].legal_references == []


def test_a_file_that_is_not_yaml_is_named_with_its_line(tmp_path):
    folder = tmp_path / "kb"
    shutil.copytree(data_dir("kb"), folder)
    path = folder / "measures.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    at = next(i for i, t in enumerate(lines) if "default: 7" in t)
    lines[at] = lines[at].replace("{", "[", 1)  # a flow mapping opened as a sequence: never closed right
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_kb(folder)
    problem = str(info.value.problems[0])
    assert problem.startswith(f"{path}:") and "not valid YAML" in problem
    assert at + 1 <= int(problem[len(str(path)) + 1:].split(":")[0]) <= at + 5  # where the parser noticed
