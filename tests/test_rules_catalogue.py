"""The rule catalogue matches SPEC §3, and a broken rule file fails loading with a clear message."""

from __future__ import annotations

import shutil

import pytest

from engine.errors import DefinitionError
from engine.resources import data_dir
from engine.rules import load_rules

# SPEC §3: rule_id -> (measure, subject, severity)
SPEC = {
    "1.1-unreviewed": ("1.1", "case", "high"), "1.1-late-review": ("1.1", "case", "medium"),
    "1.1-self-review": ("1.1", "case", "high"), "1.1-reviewer-outside-chain": ("1.1", "case", "medium"),
    "1.1-no-legal-basis": ("1.1", "case", "medium"), "1.2-process-without-manual": ("1.2", "process", "high"),
    "1.2-manual-outdated": ("1.2", "process", "low"), "1.2-decision-without-manual": ("1.2", "case", "medium"),
    "1.3-unreported-deviation": ("1.3", "case", "high"), "1.3-report-outside-chain": ("1.3", "case", "medium"),
    "1.3-uninvestigated": ("1.3", "case", "medium"), "1.4-rotation-due": ("1.4", "officer", "medium"),
    "1.4-repeat-applicant": ("1.4", "officer", "medium"), "1.4-no-risk-analysis": ("1.4", "agency", "medium"),
    "1.5-ethics-not-acknowledged": ("1.5", "case", "low"), "1.5-conflict-of-interest": ("1.5", "case", "high"),
    "1.6-manual-not-published": ("1.6", "process", "medium"), "1.6-time-limit-exceeded": ("1.6", "case", "medium"),
    "1.7-it-bypassed": ("1.7", "case", "medium"), "1.7-no-it-system": ("1.7", "process", "low"),
    "1.8-no-monitoring": ("1.8", "agency", "medium"), "2.1-staff-not-informed": ("2.1", "agency", "low"),
    "2.2-not-published": ("2.2", "agency", "low"), "2.3-not-reported": ("2.3", "agency", "medium"),
}


def test_catalogue_is_exactly_the_spec():
    catalogue = load_rules()
    assert {r.rule_id: (r.measure, r.subject, r.severity) for r in catalogue} == SPEC
    coi = catalogue.by_id["1.5-conflict-of-interest"]
    assert [v.severity for v in coi.severity_when] == ["medium"]


@pytest.fixture
def rules_copy(tmp_path):
    folder = tmp_path / "rules"
    shutil.copytree(data_dir("rules"), folder)
    return folder


def _edit(folder, name, old, new):
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path, text[:text.index(old)].count("\n") + 1


def _problems(folder) -> list[str]:
    with pytest.raises(DefinitionError) as info:
        load_rules(folder)
    return [str(p) for p in info.value.problems]


def test_unknown_measure(rules_copy):
    path, line = _edit(rules_copy, "measure-1.7-it.yaml", 'measure: "1.7"\n    subject: process', 'measure: "1.77"\n    subject: process')
    found = _problems(rules_copy)
    assert f"{path}:{line} rules[1].measure: unknown measure '1.77' (did you mean '1.7'?)" in found


def test_duplicate_rule_id(rules_copy):
    path, line = _edit(rules_copy, "measure-1.7-it.yaml", "rule_id: 1.7-no-it-system", "rule_id: 1.7-it-bypassed")
    found = _problems(rules_copy)
    assert any(p.startswith(f"{path}:{line} rules[1].rule_id: duplicate rule id '1.7-it-bypassed' (first defined at "
                            "measure-1.7-it.yaml:") for p in found), found


def test_unknown_parameter_and_attribute(rules_copy):
    path, line = _edit(rules_copy, "measure-1.1-supervision.yaml", "days_since_decision: {gt: $review_within_days}",
                       "days_since_decison: {gt: $review_within_day}")
    found = _problems(rules_copy)
    assert (f"{path}:{line} rules[0].when.all[3].days_since_decison: unknown attribute 'days_since_decison' of a "
            "case fact (did you mean 'days_since_decision'?)") in found


def test_undeclared_parameter(rules_copy):
    path, line = _edit(rules_copy, "measure-1.1-supervision.yaml", "days_since_decision: {gt: $review_within_days}",
                       "days_since_decision: {gt: $escalation_within_days}")
    found = _problems(rules_copy)
    assert any("rules[0].parameters: condition uses undeclared parameter(s): escalation_within_days" in p for p in found)


def test_unknown_placeholder_in_message(rules_copy):
    _edit(rules_copy, "measure-1.7-it.yaml", "แต่ไม่มีระบบสารสนเทศรองรับ", "แต่ไม่มีระบบ {it_sytem}")
    found = _problems(rules_copy)
    assert any("rules[1].message_th: unknown placeholder '{it_sytem}' (did you mean 'it_system'?)" in p for p in found)


def test_every_condition_reads_in_thai_and_english():
    from engine.facts import LABELS_TH, VOCABULARY
    from engine.rules import describe_condition

    catalogue = load_rules()
    params = catalogue.kb.defaults()
    attributes = {name.rstrip("?") for kind in VOCABULARY.values() for name in kind}
    assert attributes <= set(LABELS_TH), sorted(attributes - set(LABELS_TH))
    unreviewed = catalogue.by_id["1.1-unreviewed"].when
    assert describe_condition(unreviewed, "th", params) == (
        "ใช้ดุลพินิจ: ใช่ และ วินิจฉัยแล้ว: ใช่ และ ผู้บังคับบัญชาตรวจสอบแล้ว: ไม่ใช่ และ "
        "จำนวนวันนับจากวันวินิจฉัย > 7 (review_within_days)")
    assert describe_condition(catalogue.by_id["2.3-not-reported"].when, "en", params) == (
        "(as of > 2019-06-20 (acknowledgement_deadline) and not acknowledgement reported) or "
        "first reported on > 2019-06-20 (acknowledgement_deadline)")
    for rule in catalogue:
        for lang in ("th", "en"):
            assert describe_condition(rule.when, lang, params)
