"""The term registry: every term has a docstring whose example runs, the tables rules are checked
against come from it, and each subject's terms are computed as the registry plans them."""

from __future__ import annotations

import datetime
import doctest

import pytest

from engine.rules.catalogue import default_catalogue
from engine.rules.terms import SUBJECTS, TERMS, examples
from engine.rules.terms.registry import Terms

ALL = [term for terms in TERMS.values() for term in terms]


@pytest.mark.parametrize("term", ALL, ids=[f"{t.kind}.{t.name}" for t in ALL])
def test_every_term_states_its_meaning_and_its_example_holds(term):
    assert term.definition, "a term's docstring says what it is (the SPEC's sentence)"
    globs = {"case": examples.case, "process": examples.process, "officer": examples.officer,
             "agency": examples.agency, "datetime": datetime}
    test = doctest.DocTestParser().get_doctest(term.doc, globs, f"{term.kind}.{term.name}", None, 0)
    assert test.examples, "a term's docstring has an example (>>>)"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test, out=lambda text: pytest.fail(text))
    assert runner.failures == 0


def test_a_term_of_a_kind_is_defined_once_and_a_condition_is_a_number_or_yes_no():
    terms = Terms("case")
    terms.term("หนึ่ง")(_one)
    with pytest.raises(ValueError, match="term '_one' of a case is defined twice"):
        terms.term("หนึ่ง")(_one)
    assert terms.conditions() == {"_one": False}  # -> bool: a condition that always applies
    assert TERMS["officer"].conditions()["days_since_last_discretionary_decision"] is True  # -> int | None
    assert "decided_on" not in TERMS["case"].conditions()  # a date: quoted, never tested


def _one(c) -> bool:
    """One.

    >>> True
    True
    """
    return True


def test_every_name_a_rule_uses_is_a_term_of_its_subject_or_a_parameter():
    catalogue = default_catalogue()
    for rule in catalogue:
        terms = TERMS[rule.fact_kind].by_name
        for name in rule.evidence:
            assert name in terms or name in catalogue.kb.parameters or name in SUBJECTS[rule.fact_kind].given, \
                (rule.rule_id, name)


def test_a_plan_computes_each_term_after_the_terms_it_reads():
    for kind, terms in TERMS.items():
        plan = [name for name, _ in terms.plan(set(terms.by_name))]
        assert sorted(plan) == sorted(terms.by_name), kind
        for i, name in enumerate(plan):
            assert terms.reads(name) <= set(plan[:i]), (kind, name)
    # reading through a comprehension counts: late_investigations reads escalations inside one
    assert "escalations" in TERMS["case"].reads("escalations_investigated_late") | TERMS["case"].reads(
        "late_investigations")


def test_a_subject_computed_by_its_plan_has_the_values_its_terms_give_one_by_one():
    planned = examples.case(deviation="ข้ามขั้นตอน", escalations=[{"reported_to": "O2"}])
    plan = TERMS["case"].plan(set(TERMS["case"].conditions()))
    values = dict(planned.compute(plan))
    for name, _ in plan:
        fresh = examples.case(deviation="ข้ามขั้นตอน", escalations=[{"reported_to": "O2"}])
        assert getattr(fresh, name) == values[name], name
