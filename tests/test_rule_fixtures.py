"""Each rule alone on its fixture: exactly the expected subjects are flagged."""

from __future__ import annotations

import pytest
from rule_fixtures import RULE_FIXTURES, load_scenarios

from engine.evaluation.run import evaluate
from engine.ingest.loader import load_dataset
from engine.rules.catalogue import default_catalogue

SCENARIOS = load_scenarios()


def _label(flag) -> str:
    applicant = flag.evidence.get("applicant")
    return f"{flag.subject_id}@{applicant}" if applicant else flag.subject_id


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.test_id)
def test_rule_flags_exactly_the_expected_subjects(scenario, tmp_path):
    catalogue = default_catalogue().select([scenario.rule_id])
    ds = load_dataset(scenario.write(tmp_path / "ds"))
    params = catalogue.kb.resolve_parameters(scenario.params)
    result = evaluate(ds, scenario.as_of, params, catalogue, corrective=scenario.corrective)
    flagged = {_label(f) for f in result.flags}
    assert flagged == scenario.expect
    assert result.stats[scenario.rule_id].evaluated == scenario.evaluated
    assert all(f.rule_id == scenario.rule_id for f in result.flags)
    severities = {_label(f): f.severity for f in result.flags}
    for subject, severity in scenario.severity.items():
        assert severities[subject] == severity
    rule = catalogue.by_id[scenario.rule_id]
    for f in result.flags:
        assert f.subject_type == rule.subject and f.measure == rule.measure
        assert f.message_th and f.message_en and f.subject_id in f.message_en
        assert "None" not in f.message_th and "None" not in f.message_en
        # every limit from a parameter: its value and source in the evidence, its source in both messages
        for name in rule.parameters:
            used = f.evidence["parameters"][name]
            assert used["from"] in ("kb", "set", "agency", "process") and f.evidence[name] == used["value"]
            assert f"ที่มา: {used['source_th']}" in f.message_th and f"source: {used['source_en']}" in f.message_en
        word = "แนวทางข้อ" if rule.measure.startswith("2.") else "มาตรการข้อ"
        assert f"({word} {rule.measure} " in f.message_th


def test_every_rule_has_a_fixture_with_positive_and_negative_cases():
    rules = {r.rule_id for r in default_catalogue()}
    covered = {s.rule_id for s in SCENARIOS}
    assert covered == rules, f"missing fixtures: {sorted(rules - covered)}; unknown: {sorted(covered - rules)}"
    assert {p.stem for p in RULE_FIXTURES.glob("[0-9]*.yaml")} == rules
    for rule_id in rules:
        mine = [s for s in SCENARIOS if s.rule_id == rule_id]
        assert any(s.expect for s in mine), f"{rule_id}: no scenario where it fires"
        # and subjects it looked at and let be: a rule that flagged everything it saw would pass otherwise
        assert any(s.evaluated > len(s.expect) for s in mine), f"{rule_id}: no scenario where it does not fire"
