"""The rule catalogue matches SPEC §3, and a broken rule file fails loading with a clear message."""

from __future__ import annotations

import shutil

import pytest

from engine.domain.errors import DefinitionError
from engine.kb.resources import data_dir
from engine.rules.catalogue import load_rules

# SPEC §3 (catalogue v3): rule_id -> (measure, subject, severity)
SPEC = {
    "1.1-unreviewed": ("1.1", "case", "high"), "1.1-late-review": ("1.1", "case", "medium"),
    "1.1-self-review": ("1.1", "case", "high"), "1.1-reviewer-outside-chain": ("1.1", "case", "medium"),
    "1.1-no-legal-basis": ("1.1", "case", "medium"), "1.2-process-without-manual": ("1.2", "process", "medium"),
    "1.2-manual-outdated": ("1.2", "process", "low"), "1.1-review-sample-short": ("1.1", "process", "medium"),
    "1.3-no-finding": ("1.3", "case", "low"), "1.6-delay-not-notified": ("1.6", "case", "medium"),
    "1.6-delay-notice-not-copied": ("1.6", "case", "low"), "1.8-corrective-action-overdue": ("1.8", "agency", "medium"),
    "1.3-unreported-deviation": ("1.3", "case", "high"), "1.3-report-outside-chain": ("1.3", "case", "low"),
    "1.3-uninvestigated": ("1.3", "case", "medium"), "1.4-rotation-due": ("1.4", "officer", "medium"),
    "1.4-repeat-applicant": ("1.4", "officer", "medium"), "1.4-no-risk-analysis": ("1.4", "agency", "medium"),
    "1.5-ethics-not-acknowledged": ("1.5", "officer", "low"), "1.5-conflict-of-interest": ("1.5", "case", "high"),
    "1.6-manual-not-published": ("1.6", "process", "medium"), "1.6-time-limit-exceeded": ("1.6", "case", "medium"),
    "1.7-it-bypassed": ("1.7", "case", "medium"), "1.7-no-it-system": ("1.7", "process", "low"),
    "1.8-no-monitoring": ("1.8", "agency", "medium"), "2.1-staff-not-informed": ("2.1", "agency", "low"),
    "2.2-not-published": ("2.2", "agency", "low"), "2.3-not-reported": ("2.3", "agency", "medium"),
}


def test_catalogue_is_exactly_the_spec():
    catalogue = load_rules()
    assert {r.rule_id: (r.measure, r.subject, r.severity) for r in catalogue} == SPEC
    coi = catalogue.by_id["1.5-conflict-of-interest"]
    assert [v.severity for v in coi.severity_when] == ["medium", "low"]  # s16 declared; an s18 reason
    # SPEC: 1.2-process-without-manual is high when some discretionary decision was made in it, else medium
    assert [v.severity for v in catalogue.by_id["1.2-process-without-manual"].severity_when] == ["high"]
    assert "1.2-decision-without-manual" not in catalogue.by_id
    assert [r.rule_id for r in catalogue if r.store_only] == ["1.8-corrective-action-overdue"]
    # every rule whose limit is a parameter names it, so its message and evidence carry value and source
    assert set(catalogue.by_id["1.1-unreviewed"].parameters) == {"review_within_days"}
    assert set(catalogue.by_id["1.1-review-sample-short"].parameters) == {"review_within_days", "review_sample_window_days"}
    assert set(catalogue.by_id["1.6-delay-not-notified"].parameters) == {"delay_notice_every_days"}
    for rid in ("2.1-staff-not-informed", "2.2-not-published", "2.3-not-reported"):
        assert catalogue.by_id[rid].parameters == ["acknowledgement_deadlines"]


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
    path, line = _edit(rules_copy, "measure-1.4-risk.yaml", "days_since_last_discretionary_decision: {lt: $active_officer_window_days}",
                       "days_since_last_discretionary_decison: {lt: $active_officer_window_day}")
    found = _problems(rules_copy)
    assert (f"{path}:{line} rules[0].when.all[1].days_since_last_discretionary_decison: unknown attribute "
            "'days_since_last_discretionary_decison' of a officer fact (did you mean "
            "'days_since_last_discretionary_decision'?)") in found


def test_undeclared_parameter(rules_copy):
    path, line = _edit(rules_copy, "measure-1.4-risk.yaml", "parameters: [rotation_years, active_officer_window_days]",
                       "parameters: [rotation_years]")
    found = _problems(rules_copy)
    assert any("rules[0].parameters: condition uses undeclared parameter(s): active_officer_window_days" in p
               for p in found)


def test_a_parameter_an_agency_may_override_is_not_compared_in_a_condition(rules_copy):
    # one compiled ruleset serves every agency: per-agency values are compared in engine/facts.py
    _edit(rules_copy, "measure-1.4-risk.yaml", "rotation_years_reached: true", "days_since_last_discretionary_decision: {gt: $rotation_years}")
    found = _problems(rules_copy)
    assert any("'$rotation_years' may differ per agency or process" in p for p in found), found


def test_unknown_placeholder_in_message(rules_copy):
    _edit(rules_copy, "measure-1.7-it.yaml", "แต่ไม่มีระบบสารสนเทศรองรับ", "แต่ไม่มีระบบ {it_sytem}")
    found = _problems(rules_copy)
    assert any("rules[1].message_th: unknown placeholder '{it_sytem}' (did you mean 'it_system'?)" in p for p in found)


def test_every_condition_reads_in_thai_and_english():
    from engine.rules.catalogue import describe_condition
    from engine.rules.terms import TERMS

    catalogue = load_rules()
    params = catalogue.kb.defaults()
    unlabelled = [t.name for terms in TERMS.values() for t in terms if t.condition and not t.label_th]
    assert unlabelled == []
    unreviewed = catalogue.by_id["1.1-unreviewed"].when
    assert describe_condition(unreviewed, "th", params) == (
        "ผู้พิจารณามีผู้บังคับบัญชา: ใช่ และ ใช้ดุลพินิจ: ใช่ และ พิจารณาแล้ว: ใช่ และ สอบทานแบบสุ่มตัวอย่าง: ไม่ใช่ และ "
        "ผู้บังคับบัญชาสอบทานแล้ว: ไม่ใช่ และ พ้นวันที่ต้องสอบทานแล้ว: ใช่")
    assert describe_condition(catalogue.by_id["1.4-rotation-due"].when, "en", params) == (
        "rotation post and days since last discretionary decision < 365 (active_officer_window_days) and "
        "rotation years reached")
    for rule in catalogue:
        for lang in ("th", "en"):
            assert describe_condition(rule.when, lang, params)


def test_applies_to_names_attributes_of_the_rules_fact_and_literal_values_only(rules_copy):
    _edit(rules_copy, "measure-1.7-it.yaml", "applies_to: {discretionary: true}", "applies_to: {discretionary: $x}")
    _edit(rules_copy, "measure-1.6-citizen-service.yaml", "applies_to: {licensing: true}",
          "applies_to: {licensed: true}")
    found = _problems(rules_copy)
    assert any("applies_to.licensed: unknown attribute 'licensed' of a case fact (did you mean 'licensing'?)" in p
               for p in found), found
    assert any("applies_to" in p and "unknown parameter 'x'" in p for p in found), found


def test_holds_reads_a_condition_as_the_rules_engine_does():
    from engine.rules.catalogue import holds

    cond = {"all": [{"supervised": True}, {"any": [{"n": {"gt": 2}}, {"note": {"exists": False}}]}]}
    assert holds(cond, {"supervised": True, "n": 3, "note": "x"})
    assert holds(cond, {"supervised": True, "n": 1})  # note absent
    assert not holds(cond, {"supervised": True, "n": 1, "note": "x"})
    assert not holds(cond, {"n": 3})  # an absent attribute meets no comparison
    assert not holds({"n": {"neq": 1}}, {})


def test_a_rule_applies_to_every_subject_it_can_flag():
    """applies_to only narrows what counts as evaluated: a subject outside it must never be
    flagged, so each of its tests is one of the tests the rule's condition requires — or, for
    1.5-ethics-not-acknowledged, implied by it (an unacknowledged recent decision is a recent one)."""
    from engine.rules.catalogue import default_catalogue

    implied = {"1.5-ethics-not-acknowledged": ({"has_recent_decisions": True},
                                               {"unacknowledged_decision_count": {"gt": 0}})}
    for rule in default_catalogue():
        if rule.applies_to is None:
            continue
        tests = rule.applies_to.get("all", [rule.applies_to])
        when = rule.when.get("all", [rule.when])
        if rule.rule_id in implied:
            assert (tests, when) == ([implied[rule.rule_id][0]], [implied[rule.rule_id][1]]), rule.rule_id
            continue
        assert all(t in when for t in tests), rule.rule_id


def test_the_checked_in_json_schema_of_rule_files_is_the_models_and_every_rule_file_meets_it():
    """``rules/schema.json`` (for editors) is generated from the pydantic model the loader uses:
    regenerate it with ``discretion-review rules --schema > rules/schema.json``."""
    import json

    import jsonschema
    import yaml

    from engine.kb.resources import data_dir
    from engine.rules.catalogue import rule_file_schema

    folder = data_dir("rules")
    schema = json.loads((folder / "schema.json").read_text(encoding="utf-8"))
    assert schema == rule_file_schema(), "rules/schema.json is stale: regenerate it"
    for file in sorted(folder.glob("*.yaml")):
        jsonschema.validate(yaml.safe_load(file.read_text(encoding="utf-8")), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"rules": [{"rule_id": "1.1-x", "measure": "1.1"}]}, schema)


def test_explain_gives_each_term_of_a_rule_with_its_definition_and_file(capsys):
    from engine.cli import main

    assert main(["rules", "--explain", "1.3-unreported-deviation", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "terms tested (engine/rules/terms/case.py):" in out
    assert "deviates — deviates: A case *deviates* when it is decided and its deviation is non-empty." in out
    assert "escalation_deadline_passed — report deadline passed: deviates, and as_of > deadline(decided_on, " \
           "escalation_within_days)." in out
    assert "escalation_within_days = 7 (working;" in out
    assert main(["rules", "--explain", "1.3-unreported"]) == 2
