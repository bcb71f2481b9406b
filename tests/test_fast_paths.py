"""The fast paths of issue 10 give what the plain ones give: the columnar CSV reader, durable-rules
asked once per distinct fact, parts by case slice, flags put together from pre-encoded pieces."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

import orjson
import pytest

import engine.evaluation.run
import engine.ingest.loader
from engine.cli import main
from engine.demo.generate import generate
from engine.domain.errors import InputError
from engine.domain.models import TABLE_BY_NAME, TABLES
from engine.evaluation import flags
from engine.evaluation.flags import Flag, FlagRenderer, evidence_text, make_flag_id
from engine.evaluation.run import evaluate
from engine.ingest import columnar
from engine.ingest.loader import load_dataset
from engine.rules import durable
from engine.rules.catalogue import default_catalogue
from engine.rules.facts import Index, part_facts, plan_parts

AS_OF = dt.date(2026, 11, 25)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, list[str]]:
    out = tmp_path_factory.mktemp("demo")
    manifest = generate(out, cases=3000, seed=3, as_of=AS_OF)
    return out, manifest["set"]


def _load(folder: Path, columnar_reader: bool, monkeypatch) -> object:
    monkeypatch.setattr(engine.ingest.loader, "_COLUMNAR_FROM_BYTES", 0 if columnar_reader else 1 << 62)
    return load_dataset(folder)


def test_the_columnar_reader_reads_the_demo_data_as_the_row_reader_does(demo, monkeypatch):
    folder, _ = demo
    taken: list[str] = []
    real = columnar.read_csv_table

    def spy(table, file, ids, group=None):
        out = real(table, file, ids, group)
        if out is not None:
            taken.append(table.name)
        return out

    monkeypatch.setattr(columnar, "read_csv_table", spy)
    by_rows = _load(folder, False, monkeypatch)
    by_columns = _load(folder, True, monkeypatch)
    assert {"cases", "processes", "officers", "escalations"} <= set(taken)  # it did read them
    for table in TABLES:  # the same rows, each with its row number (cases are made in another order)
        rows, columns = (sorted(zip(ds.row_numbers.get(table.name, []), getattr(ds, table.name)),
                                key=lambda pair: pair[0]) for ds in (by_rows, by_columns))
        assert columns == rows and len(columns) == len(getattr(by_rows, table.name)), table.name
    assert list(by_rows.row_numbers["cases"]) == list(range(1, len(by_rows.cases) + 1))
    assert by_columns.warnings == by_rows.warnings
    # the columnar reader makes the cases agency by agency (file order within one), so that an
    # agency's cases lie together in memory (evaluate.waves)
    agency_of = {p.process_id: p.agency_id for p in by_columns.processes}
    rank = {a.agency_id: n for n, a in enumerate(by_columns.agencies)}
    ranks = [rank[agency_of[c.process_id]] for c in by_columns.cases]
    assert ranks == sorted(ranks) and ranks != [rank[agency_of[c.process_id]] for c in by_rows.cases]
    numbers = list(by_columns.row_numbers["cases"])
    for n in range(len(rank)):
        within = [row for row, r in zip(numbers, ranks) if r == n]
        assert within == sorted(within)


def test_a_problem_in_cases_made_in_agency_order_names_its_row_in_the_file(demo, monkeypatch, tmp_path):
    """The columnar reader makes cases agency by agency; a reference to nobody in a late row of
    the first agency (made first, numbered late) is told with its own row, as the row reader tells it."""
    folder, _ = demo
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    header, *rows = (folder / "cases.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    first_agency = load_dataset(folder).cases[0].process_id  # made first: of the first agency
    late = max(n for n, row in enumerate(rows) if row.split(",")[1] == first_agency)
    assert late > len(rows) // 2
    cells = rows[late].split(",")
    cells[2] = "NOBODY"
    rows[late] = ",".join(cells)
    (broken / "cases.csv").write_text(header + "".join(rows), encoding="utf-8")
    told = []
    for columnar_reader in (True, False):
        with pytest.raises(InputError) as exc:
            _load(broken, columnar_reader, monkeypatch)
        told.append(str(exc.value))
    assert told[0] == told[1] and f"row {late + 1}," in told[0] and "NOBODY" in told[0]


CASES = TABLE_BY_NAME["cases"]
HEADER = "case_id,process_id,officer_id,received_on,discretion_used,legal_basis\n"


@pytest.mark.parametrize("body, why", [
    ('C1,P1,O1,2024-01-01,true,"มาตรา ๓๗"x\n', "text after a closing quote"),
    ('C1,P1,O1,2024-01-01,true,"มาตรา ๓๗\n', "a quote never closed"),
    ("C1,P1,O1,2024-01-01,true,ม.37\n\nC2,P1,O1,2024-01-02,true,ม.37\n", "a blank line (numbered, not a row)"),
    ("C1,P1,O1,2024-01-01,true,ม.37,extra\n", "more cells than the header"),
    ("C1,P1,O1,2024-01-01,true\n", "fewer cells than the header"),
    ("C1,P1,O1,2024-01-01,true,ม.37\nC1,P1,O1,2024-01-02,true,ม.37\n", "a duplicate id"),
    ("C1,P1,O1,31/02/2567,true,ม.37\n", "a date that does not exist"),
    ("C1,P1,O1,2024-01-01,maybe,ม.37\n", "not a yes/no"),
    ("C1,P1,,2024-01-01,true,ม.37\n", "a required value missing"),
    ("C1,P1,O1,2024-01-01,true,\x00\n", "a NUL"),
    ("C1,P1,O1,2024-01-01,true,ม.37\n".encode("utf-8").decode("utf-8") + "C2,P1,O1,2024-01-01,true,\udcff\n",
     "a byte that is not UTF-8"),
])
def test_the_columnar_reader_leaves_to_the_row_reader_what_it_would_word_differently(tmp_path, body, why):
    file = tmp_path / "cases.csv"
    file.write_bytes((HEADER + body).encode("utf-8", "surrogateescape"))
    assert columnar.read_csv_table(CASES, file, {}) is None, why


@pytest.mark.parametrize("header", ["case_id,process_id,officer_id,received_on,discretion_used,colour\n",
                                    "case_id,process_id,officer_id,received_on,received_on,discretion_used\n",
                                    "case_id,process_id,officer_id,received_on\n", "\n"])
def test_a_header_with_a_warning_or_a_problem_is_left_to_the_row_reader(tmp_path, header):
    file = tmp_path / "cases.csv"
    file.write_text(header + "C1,P1,O1,2024-01-01,true,x\n", encoding="utf-8")
    assert columnar.read_csv_table(CASES, file, {}) is None


def test_well_formed_quotes_spaces_and_thai_digits_read_as_the_row_reader_reads_them(tmp_path, monkeypatch):
    from conftest import base_tables, write_dataset

    tables = base_tables()
    case = dict(tables["cases"][0])
    tables["cases"] = [
        {**case, "case_id": "Q1", "legal_basis": 'มาตรา ๓๗, วรรค "สอง"', "outcome": "  approved  "},
        {**case, "case_id": " Q2 ", "received_on": "๑/๔/๒๕๖๗", "discretion_used": "ใช่", "deviation": "ข้าม\nขั้นตอน"},
        {**case, "case_id": "Q3", "applicant_id": "\u3000A1\u3000", "decided_on": ""},
    ]
    folder = write_dataset(tmp_path / "ds", tables)
    ids: dict[str, int] = {}
    models, numbers = columnar.read_csv_table(CASES, folder / "cases.csv", ids)
    by_rows = _load(folder, False, monkeypatch)
    assert models == by_rows.cases and list(numbers) == [1, 2, 3] and ids == {"Q1": 1, "Q2": 2, "Q3": 3}
    assert models[1].case_id == "Q2" and models[2].applicant_id == "A1"


def _facts(demo) -> tuple[object, list[dict]]:
    folder, sets = demo
    catalogue = default_catalogue()
    params = catalogue.kb.resolve_parameters(sets)
    ds = load_dataset(folder)
    index = Index.build(ds, params)
    facts = [f for part in plan_parts(index, 10**9) for f in part_facts(index, part, AS_OF)]
    return durable.compile_rules(catalogue, params), facts


def test_asking_once_per_distinct_fact_gives_every_fact_the_answer_asking_each_gives(demo):
    compiled, facts = _facts(demo)
    keys, answers = durable.decide(compiled, facts)
    each_keys, each = durable.decide(compiled, facts, distinct=False)
    assert len(answers) < len(facts) / 5  # the point: far fewer questions than facts
    fired = 0
    for fact, key, own in zip(facts, keys, each_keys):
        mine = set() if key is None else set(answers[key])
        theirs = set() if own is None else set(each[own])
        assert mine == theirs, fact["_id"]
        fired += bool(mine)
    assert fired > 300
    # answers carried over from an earlier call are not asked again, and stay right
    first, rest = facts[: len(facts) // 2], facts[len(facts) // 2:]
    _, known = durable.decide(compiled, first)
    asked: list[int] = []
    real = durable._run_batch

    def counting(dre, handle, compiled_, batch, payload):
        asked.append(len(batch))
        return real(dre, handle, compiled_, batch, payload)

    durable._run_batch = counting
    try:
        rest_keys, carried = durable.decide(compiled, rest, known=dict(known))
    finally:
        durable._run_batch = real
    assert sum(asked) == len({k for k in rest_keys if k is not None} - set(known))
    assert all(carried[k] == answers[k] for k in rest_keys if k is not None)


def test_small_case_slices_give_the_same_flags_in_the_same_order(demo, monkeypatch):
    folder, sets = demo
    ds = load_dataset(folder)
    params = default_catalogue().kb.resolve_parameters(sets)
    whole = evaluate(ds, AS_OF, params, jobs=2)
    monkeypatch.setattr(engine.evaluation.run, "slice_size", lambda cases, jobs: 7)
    sliced = evaluate(ds, AS_OF, params, jobs=2)
    assert [f.to_dict() for f in sliced.flags] == [f.to_dict() for f in whole.flags]
    assert sliced.stats == whole.stats
    assert len(whole.flags) > 300
    agencies = [f.agency_id for f in whole.flags]
    assert agencies == sorted(agencies, key=[a.agency_id for a in ds.agencies].index)


def test_check_gets_each_parts_lines_through_a_file_in_the_order_evaluate_gives(demo, monkeypatch, tmp_path):
    """``check`` takes each part's flags as a rule's lines joined, through a spool file; parts
    are slices of each agency's cases in id order, so a rule's lines from one slice all come
    before the next slice's. With cases listed in reverse too, and slices of 7 cases, the lines
    are ``evaluate``'s flags in the written order (agency, measure, rule, subject, applicant);
    the spool files are gone afterwards."""
    folder, sets = demo
    reversed_folder = tmp_path / "reversed"
    shutil.copytree(folder, reversed_folder)
    header, *rows = (folder / "cases.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (reversed_folder / "cases.csv").write_text(header + "".join(reversed(rows)), encoding="utf-8")
    params = default_catalogue().kb.resolve_parameters(sets)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    for data in (folder, reversed_folder):
        ds = load_dataset(data)
        whole = [f.to_dict() for f in evaluate(ds, AS_OF, params, jobs=2).flags]
        rank = {a.agency_id: n for n, a in enumerate(ds.agencies)}
        assert whole == sorted(whole, key=lambda f: (rank[f["agency_id"]], f["measure"], f["rule_id"], f["subject_type"],
                                                     f["subject_id"], f["evidence"].get("applicant") or ""))
        with monkeypatch.context() as small:
            small.setattr(engine.evaluation.run, "slice_size", lambda cases, jobs: 7)
            out = tmp_path / f"{data.name}.jsonl"
            code = main(["check", str(data), "--as-of", AS_OF.isoformat(), "--no-progress", "--output", str(out),
                         *(a for s in sets for a in ("--set", s))])
        assert code == 1
        assert [orjson.loads(line) for line in out.read_bytes().splitlines()] == whole
        assert not list(tmp_path.glob("discretion-review-*"))
        assert len(whole) > 300


def test_a_flag_row_is_the_flag_as_one_line_of_json(demo):
    compiled, facts = _facts(demo)
    keys, answers = durable.decide(compiled, facts)
    catalogue = default_catalogue()
    renderer = FlagRenderer(catalogue.kb, AS_OF)
    rows = [renderer.row(catalogue.by_id[a.rule_id], a.severity, f)
            for f, k in zip(facts, keys) if k is not None for a in answers[k]]
    assert len({r[2] for r in rows}) >= 15  # flags of many rules, of every subject type
    assert {r[3] for r in rows} == {"case", "process", "officer", "agency"}
    for agency, measure, rule_id, subject_type, subject_id, applicant, severity, flag_id, line in rows:
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        flag = Flag.from_row((agency, measure, rule_id, subject_type, subject_id, applicant, severity, flag_id, line))
        assert flag.flag_id == flag_id == make_flag_id(rule_id, subject_type, subject_id, applicant or None)
        assert orjson.loads(evidence_text(line)) == flag.evidence
        assert json.loads(line) == dataclasses.asdict(flag) == orjson.loads(line)
        assert (flag.agency_id, flag.measure, flag.rule_id, flag.subject_type, flag.subject_id, flag.severity) == \
            (agency, measure, rule_id, subject_type, subject_id, severity)
        assert (flag.evidence.get("applicant") or "") == applicant
        assert "  " not in flag.message_th and flag.message_en.endswith(".")
        # the evidence names every parameter the rule used, with its value and source
        for name in catalogue.by_id[rule_id].parameters:
            assert flag.evidence["parameters"][name]["source_th"]


_AWKWARD = ["", " ", "  two  spaces  ", "line\nbreak", 'say "no"', "back\\slash", "tab\there", "bell\x07",
            "ends with dots...", "ก  ข\u3000ค", "\u2028", "x", "5"]


def test_compiled_message_writers_word_every_flag_as_the_reference_wording_does(demo):
    """Every flag of the demo data, and the same facts with awkward texts in every detail a
    message quotes (empty, padded, line breaks, quotes, control characters, trailing dots):
    the line is the same byte for byte whether its messages are worded by the rule's compiled
    writer or by the reference ``_Message.render`` with normalisation and escaping."""
    compiled, facts = _facts(demo)
    keys, answers = durable.decide(compiled, facts)
    catalogue = default_catalogue()
    fast, reference = FlagRenderer(catalogue.kb, AS_OF), FlagRenderer(catalogue.kb, AS_OF, compiled=False)
    flagged = [(catalogue.by_id[a.rule_id], a.severity, f) for f, k in zip(facts, keys) if k is not None
               for a in answers[k]]
    assert len({rule.rule_id for rule, _, _ in flagged}) >= 15
    for rule, severity, fact in flagged:
        assert fast.row(rule, severity, dict(fact)) == reference.row(rule, severity, dict(fact)), rule.rule_id
    tried = 0
    for n, (rule, severity, fact) in enumerate(flagged[::3]):
        texts = [k for k, v in fact.items() if k != "_type" and (
            isinstance(v, str) or isinstance(v, list) and v and all(isinstance(x, str) for x in v))]
        for k in texts:
            text = _AWKWARD[(n + tried) % len(_AWKWARD)]
            awkward = dict(fact, **{k: text if isinstance(fact[k], str) else [text, None][:1 + tried % 2]})
            awkward.pop("__phrases", None), awkward.pop("__phrased", None)
            tried += 1
            assert fast.row(rule, severity, dict(awkward)) == reference.row(rule, severity, dict(awkward)), (rule, k)
    assert tried > 1000


def test_each_phrase_group_words_only_the_names_it_is_filed_under(demo):
    """A flag's writer fills only the phrase groups its names need (``flags._PHRASE_GROUPS``):
    a group that wrote a name filed under another would leave that name unworded."""
    _, facts = _facts(demo)
    written: set[str] = set()
    for fact in facts:
        for names, fill in flags._PHRASE_GROUPS.get(fact["_type"], ()):
            out: dict = {}
            fill(fact, out)
            assert set(out) <= names, fill.__name__
            written |= set(out)
    assert written == flags.PHRASES


def test_the_evidence_of_a_line_is_its_last_field_whatever_the_texts_before_hold():
    marker = ',"evidence":{"x":1}}'
    flag = {"flag_id": "F1", "subject_id": marker, "message_th": marker, "message_en": "}" + marker,
            "evidence": {"note": marker, "evidence": {"evidence": [1, "}"]}, "ชื่อ": "ไทย"}}
    line = orjson.dumps(flag) + b"\n"
    assert orjson.loads(evidence_text(line)) == flag["evidence"]


def test_waves_hold_whole_agencies_in_order(demo, monkeypatch):
    folder, sets = demo
    params = default_catalogue().kb.resolve_parameters(sets)
    index = Index.build(load_dataset(folder), params)  # columnar: cases made agency by agency
    monkeypatch.setattr(engine.evaluation.run, "WAVE_RUN", 10)
    assert index.agency_runs == len(index.agency_ids())
    parts = plan_parts(index, 100)
    cases = {agency: len(index.cases_by_id.get(agency, ())) for agency in index.agency_ids()}
    assert engine.evaluation.run.waves(parts, index, size=sum(cases.values())) == [parts]  # under twice the size: one
    groups = engine.evaluation.run.waves(parts, index, size=400)
    assert len(groups) > 3 and [p for wave in groups for p in wave] == parts
    agencies = [{p[0] for p in wave} for wave in groups]
    assert sum(map(len, agencies)) == len(set().union(*agencies)) == len(cases)  # an agency in one wave only
    assert all(sum(cases[a] for a in held) >= 400 for held in agencies[:-1])
    # cases read row by row lie in file order, agencies interleaved: new workers would copy the same pages
    interleaved = Index.build(_load(folder, False, monkeypatch), params)
    assert interleaved.agency_runs > len(interleaved.dataset.cases) / 3
    assert engine.evaluation.run.waves(plan_parts(interleaved, 100), interleaved, size=400) == [plan_parts(interleaved, 100)]


def test_a_check_in_waves_of_fresh_workers_writes_what_one_wave_writes(demo, monkeypatch, tmp_path):
    """``check`` evaluates a large dataset in waves of whole agencies, each by newly forked
    workers (their copies of the dataset's pages end with them): the same lines. A store run
    (not lines only) forks its workers once, whatever the size."""
    folder, sets = demo
    args = ["check", str(folder), "--as-of", AS_OF.isoformat(), "--no-progress", *(a for s in sets for a in ("--set", s))]
    pools = []
    real = engine.evaluation.run.ProcessPoolExecutor

    def counted(*a, **k):
        pools.append(1)
        return real(*a, **k)

    monkeypatch.setattr(engine.evaluation.run, "ProcessPoolExecutor", counted)
    one, many = tmp_path / "one.jsonl", tmp_path / "many.jsonl"
    assert main([*args, "--output", str(one)]) == 1 and len(pools) == 1
    monkeypatch.setattr(engine.evaluation.run, "WAVE_CASES", 500)
    monkeypatch.setattr(engine.evaluation.run, "WAVE_RUN", 10)
    assert main([*args, "--output", str(many)]) == 1 and len(pools) > 4
    assert many.read_bytes() == one.read_bytes() and len(one.read_bytes().splitlines()) > 300
    pools.clear()
    params = default_catalogue().kb.resolve_parameters(sets)
    flags = evaluate(load_dataset(folder), AS_OF, params, jobs=2).flags
    assert len(pools) == 1 and [orjson.loads(line) for line in one.read_bytes().splitlines()] == \
        [f.to_dict() for f in flags]


def test_a_check_never_imports_pandas(demo, tmp_path):
    """pyarrow imports pandas when it is handed Python values (``pa.array``): 0.17 s of a command."""
    folder, sets = demo
    script = ("import sys, engine.ingest.loader; engine.ingest.loader._COLUMNAR_FROM_BYTES = 0; from engine.cli import main; "
              f"code = main({['check', str(folder), '--as-of', AS_OF.isoformat(), '--no-progress', '--output', str(tmp_path / 'f.jsonl'), *(a for s in sets for a in ('--set', s))]!r}); "
              "print(code, 'pandas' in sys.modules)")
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.stdout.split() == ["1", "False"], done.stderr


def test_a_crash_in_a_later_wave_is_pinned_to_its_agency_and_nothing_is_written(demo, monkeypatch, tmp_path, capsys):
    from conftest import crash_durable_on

    folder, sets = demo
    last = load_dataset(folder).agencies[-1].agency_id
    crash_durable_on(last, monkeypatch)
    monkeypatch.setattr(engine.evaluation.run, "WAVE_CASES", 500)
    monkeypatch.setattr(engine.evaluation.run, "WAVE_RUN", 10)
    out = tmp_path / "flags.jsonl"
    code = main(["check", str(folder), "--as-of", AS_OF.isoformat(), "--no-progress", "--output", str(out),
                 *(a for s in sets for a in ("--set", s))])
    assert code == 3 and not out.exists() and not list(tmp_path.iterdir())
    assert f"crashed with signal SIGSEGV while evaluating agency '{last}'" in capsys.readouterr().err


def test_an_officers_latest_decision_does_not_depend_on_the_order_of_their_cases(demo):
    """Of several decisions on the latest day, the first by case id: the columnar reader makes
    cases agency by agency, the row reader in file order, and an officer may decide another
    agency's cases."""
    from engine.rules.facts import decided_with_discretion, officer_fact

    folder, sets = demo
    index = Index.build(load_dataset(folder), default_catalogue().kb.resolve_parameters(sets))
    officer, decided = next((o, d) for o in index.dataset.officers
                            if len(d := decided_with_discretion(index, o.officer_id, AS_OF)) >= 3)
    day = max(c.decided_on for c in decided)
    tied = [dataclasses.replace(c, decided_on=day) for c in decided[:3]]
    ids = {tuple(c.case_id for c in order): officer_fact(index, officer, order, AS_OF)["_last_case_id"]
           for order in (tied, tied[::-1], tied[1:] + tied[:1])}
    assert set(ids.values()) == {min(c.case_id for c in tied)}


def test_a_value_is_worded_as_itself_never_as_an_equal_value_of_another_kind():
    """Messages word None, yes/no and lists of texts and dates once per value; values equal to
    one another but of other kinds (1 and True, 1 and 1.0, 0.0 and -0.0) each as themselves."""
    pieces = flags._Pieces()
    for first, then in (([1], [True]), ([True], [1]), ([1], [1.0]), (True, 1), (1, True), (0.0, -0.0),
                        ([dt.date(2025, 1, 2)], ["2025-01-02"]), (None, [])):
        for lang in ("th", "en"):
            pieces.of_other(first, lang)
            assert pieces.of_other(then, lang) == pieces.text(flags._shown(then, lang)), (first, then, lang)
    held = len(pieces.others)
    assert pieces.of_other(["ก", dt.date(2025, 1, 2)], "th") == pieces.of_other(["ก", dt.date(2025, 1, 2)], "th")
    assert len(pieces.others) == held + 1  # worded once
