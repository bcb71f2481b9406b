"""The durable-rules wrapper: crashes are contained, ids never collide, bad facts are refused."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import assert_crash_dump, crash_evaluation_on

from engine.domain.errors import EvaluationError
from engine.evaluation.run import evaluate
from engine.ingest.loader import load_dataset
from engine.rules import durable
from engine.rules.catalogue import default_catalogue


def test_batch_ids_do_not_collide_under_the_engine_hash():
    assert durable.ids_are_collision_free(durable.CHUNK)
    assert durable.fnv1_32("a") == 0xE40C292C  # FNV-1a 32 reference value


def test_compiled_conditions_use_neq_and_guard_optional_attributes():
    catalogue = default_catalogue()
    compiled = durable.compile_rules(catalogue, catalogue.kb.defaults())
    text = str(compiled.definition)
    assert "'$ne'" not in text
    rotation = next(v for k, v in compiled.definition.items() if compiled.actions[k].rule_id == "1.4-rotation-due")
    assert {"$and": [{"$ex": {"days_since_last_discretionary_decision": 1}},
                     {"$lt": {"days_since_last_discretionary_decision": 365}}]} in \
        rotation["all"][0]["m"]["$and"][1]["$and"]


def test_a_term_that_is_not_a_number_is_refused():
    catalogue = default_catalogue()
    compiled = durable.compile_rules(catalogue, catalogue.kb.defaults())
    names = compiled.attributes["case"]
    key = ("case", *("yes" if n == "decided" else False for n in names))
    with pytest.raises(EvaluationError, match="the case term decided is 'yes'; only numbers and true/false reach"):
        durable.decide(compiled, [key])


def test_a_native_crash_is_pinned_to_its_agency_and_the_caller_survives(dataset_dir, monkeypatch):
    ds = load_dataset(dataset_dir({"agencies": [{"agency_id": "B2", "name": "อีกหน่วยงาน", "serves_public": "true"}]}))
    dump = crash_evaluation_on("B2", monkeypatch)
    with pytest.raises(EvaluationError) as info:
        evaluate(ds, dt.date(2024, 4, 20), jobs=2)
    assert "crashed with signal SIGSEGV while evaluating agency 'B2'" in str(info.value)
    assert_crash_dump(dump)
    assert "nothing was written" in str(info.value)


def test_after_a_contained_crash_the_next_evaluation_is_complete(dataset_dir, monkeypatch):
    ds = load_dataset(dataset_dir({"agencies": [{"agency_id": "B2", "name": "อีกหน่วยงาน", "serves_public": "true"}]}))
    as_of = dt.date(2020, 1, 15)  # B2 has not reported the round-2562 acknowledgement: a flag in each agency
    expected = {f.flag_id for f in evaluate(ds, as_of, jobs=1).flags}
    assert {f.agency_id for f in evaluate(ds, as_of, jobs=1).flags} == {"A1", "B2"}
    with monkeypatch.context() as crashing:
        dump = crash_evaluation_on("A1", crashing)
        with pytest.raises(EvaluationError, match="agency 'A1'"):
            evaluate(ds, as_of, jobs=2)
        assert_crash_dump(dump)
    assert {f.flag_id for f in evaluate(ds, as_of, jobs=2).flags} == expected
