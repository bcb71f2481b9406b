"""The fast paths give what the plain ones give: the columnar CSV reader, durable-rules asked once
per distinct subject, parts by case slice, waves of workers, messages joined from clean pieces."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine.ingest.loader
from engine.cli import main
from engine.demo.generate import generate
from engine.domain.errors import InputError
from engine.domain.models import TABLE_BY_NAME, TABLES
from engine.evaluation import workers
from engine.evaluation.flags import Flag, evidence_text, make_flag_id
from engine.evaluation.render import FlagRenderer, Template, encoded_objects, encoded_texts
from engine.evaluation.run import evaluate, part_subjects, plan_parts
from engine.ingest import columnar
from engine.ingest.loader import load_dataset
from engine.rules import durable
from engine.rules.catalogue import default_catalogue
from engine.rules.context import RunContext
from engine.rules.terms import SUBJECTS

AS_OF = dt.date(2026, 11, 25)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, list[str]]:
    out = tmp_path_factory.mktemp("demo")
    manifest = generate(out, cases=3000, seed=3, as_of=AS_OF)
    return out, manifest["set"]


def _load(folder: Path, columnar_reader: bool, monkeypatch) -> object:
    monkeypatch.setattr(engine.ingest.loader, "COLUMNAR_FROM_BYTES", 0 if columnar_reader else 1 << 62)
    return load_dataset(folder)


def test_the_columnar_reader_reads_the_demo_data_as_the_row_reader_does(demo, monkeypatch):
    folder, _ = demo
    taken: list[str] = []
    real = columnar.read_csv_table

    def spy(table, file, ids, group=None, budget=None):
        out = real(table, file, ids, group, budget)
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


def _subjects(demo) -> tuple[durable.CompiledRules, list, list]:
    """The demo's subjects at AS_OF with the terms the rules engine reads, and their engine keys."""
    folder, sets = demo
    catalogue = default_catalogue()
    params = catalogue.kb.resolve_parameters(sets)
    run = RunContext.build(load_dataset(folder), AS_OF, params)
    compiled = durable.compile_rules(catalogue, params)
    plans = {kind: SUBJECTS[kind].terms.plan(set(names)) for kind, names in compiled.attributes.items()}
    subjects = [s for part in plan_parts(run, 10**9) for s in part_subjects(run, part)]
    keys = [durable.engine_key(s.kind, s.compute(plans.get(s.kind, [])), compiled.attributes) for s in subjects]
    return compiled, subjects, keys


def test_asking_once_per_distinct_subject_gives_every_subject_the_answer_asking_each_gives(demo):
    compiled, subjects, keys = _subjects(demo)
    answers = durable.decide(compiled, keys)
    each = durable.decide_each(compiled, [k for k in keys if k is not None])
    assert len(answers) < len(subjects) / 5  # the point: far fewer questions than subjects
    fired = 0
    for key, own in zip((k for k in keys if k is not None), each):
        assert set(answers[key]) == set(own), key
        fired += bool(own)
    assert fired > 300
    # answers carried over from an earlier call are not asked again, and stay right
    first, rest = keys[: len(keys) // 2], keys[len(keys) // 2:]
    known = durable.decide(compiled, first)
    before = dict(known)
    carried = durable.decide(compiled, rest, known=dict(known))
    new = {k for k in rest if k is not None} - set(before)
    assert set(carried) == set(before) | new and all(carried[k] == answers[k] for k in carried)


def test_small_case_slices_give_the_same_flags_in_the_same_order(demo, monkeypatch):
    folder, sets = demo
    ds = load_dataset(folder)
    params = default_catalogue().kb.resolve_parameters(sets)
    whole = evaluate(ds, AS_OF, params, jobs=2)
    monkeypatch.setattr(workers, "slice_size", lambda cases, jobs: 7)
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
            small.setattr(workers, "slice_size", lambda cases, jobs: 7)
            out = tmp_path / f"{data.name}.jsonl"
            code = main(["check", str(data), "--as-of", AS_OF.isoformat(), "--no-progress", "--output", str(out),
                         *(a for s in sets for a in ("--set", s))])
        assert code == 1
        assert [orjson.loads(line) for line in out.read_bytes().splitlines()] == whole
        assert not list(tmp_path.glob("discretion-review-*"))
        assert len(whole) > 300


def _flagged(demo) -> list:
    """(rule, severity, subject) of every flag of the demo data."""
    compiled, subjects, keys = _subjects(demo)
    answers = durable.decide(compiled, keys)
    catalogue = default_catalogue()
    return [(catalogue.by_id[a.rule_id], a.severity, s) for s, k in zip(subjects, keys) if k is not None
            for a in answers[k]]


def test_a_flag_line_is_the_flag_as_one_line_of_json(demo):
    catalogue = default_catalogue()
    renderer = FlagRenderer(catalogue.kb, AS_OF)
    lines = [renderer.writer(rule)(subject, severity) for rule, severity, subject in _flagged(demo)]
    assert len({r[2] for r in lines}) >= 15  # flags of many rules, of every subject type
    assert {r[3] for r in lines} == {"case", "process", "officer", "agency"}
    for agency, measure, rule_id, subject_type, subject_id, applicant, severity, flag_id, line in lines:
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        flag = Flag.from_line((agency, measure, rule_id, subject_type, subject_id, applicant, severity, flag_id, line))
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
            "ends with dots...", "ก  ข\u3000ค", "\u2028", "x", "5", "\xa0nbsp"]


def test_messages_joined_from_clean_texts_read_as_the_templates_render_them(demo):
    """Every flag of the demo data, and the same subjects with awkward texts in every term a
    message quotes (empty, padded, line breaks, quotes, control characters, trailing dots): each
    message is its template rendered with the values and its runs of white space made one
    space (``Template.render``), then the limits and the citation the rule's flags share."""
    catalogue = default_catalogue()
    renderer = FlagRenderer(catalogue.kb, AS_OF)
    flagged = _flagged(demo)
    assert len({rule.rule_id for rule, _, _ in flagged}) >= 15

    def expected(rule, subject, lang: str) -> str:
        template = Template(rule.message_th if lang == "th" else rule.message_en)
        values = {n: {"measure": rule.measure, "rule_id": rule.rule_id}[n] if n in ("measure", "rule_id")
                  else subject.value(n) for n in template.names}
        text = template.render(values, lang)
        return text if lang == "th" else text.rstrip(".")

    suffixes: dict = {}
    tried = 0
    for n, (rule, severity, subject) in enumerate(flagged):
        flag = orjson.loads(renderer.writer(rule)(subject, severity)[8])
        for lang in ("th", "en"):
            message, head = flag[f"message_{lang}"], expected(rule, subject, lang)
            assert message.startswith(head), (rule.rule_id, lang)
            suffix = suffixes.setdefault((rule.rule_id, lang, id(subject.params)), message[len(head):])
            # the limits, then the citation, straight after the message (its full stop moved after them)
            assert suffix.startswith(("; ", " (")), (rule.rule_id, lang, suffix[:20])
            assert message[len(head):] == suffix
        if n % 3:
            continue
        quoted = [k for k in Template(rule.message_th).names + Template(rule.message_en).names
                  if isinstance(subject.value(k), str) and k not in ("id", "agency")]
        for k in quoted:
            text = _AWKWARD[(n + tried) % len(_AWKWARD)]
            saved = subject.__dict__[k]
            subject.__dict__[k] = text
            try:
                flag = orjson.loads(renderer.writer(rule)(subject, severity)[8])
                for lang in ("th", "en"):
                    head = expected(rule, subject, lang)
                    assert flag[f"message_{lang}"] == head + suffixes[(rule.rule_id, lang, id(subject.params))], \
                        (rule.rule_id, k, text)
            finally:
                subject.__dict__[k] = saved
            tried += 1
    assert tried > 200


@pytest.mark.parametrize("template", ["เรื่อง {id}  พิจารณา\n  เมื่อ {day}.", "  {a}{b}  ", "{a} \t {b}", "no names at  all ",
                                      "ends with {a}", "{{braces}} {a} }}"])
def test_a_template_fills_many_messages_as_it_renders_one(template):
    """``Template.fill`` (a column of texts per name, many messages at once) gives what ``render``
    gives each message: from clean texts by the normalised literals alone, from other texts by
    normalising the whole message."""
    t = Template(template)
    rows = [{"id": "C1", "day": "5 ก.พ. 2568", "a": "x", "b": "y z"}, {"id": "C2", "day": "1 ม.ค. 2567", "a": "ก", "b": "5"}]
    clean_columns = [[row[name] for row in rows] for name in t.names]
    assert t.fill(clean_columns, True, 2) == [t.render(row, "th") for row in rows]
    awkward = [{name: f"  {value}\n " for name, value in row.items()} for row in rows]
    columns = [[row[name] for row in awkward] for name in t.names]
    assert t.fill(columns, False, 2) == [t.render(row, "th") for row in awkward]


def test_the_evidence_of_a_line_is_its_last_field_whatever_the_texts_before_hold():
    marker = ',"evidence":{"x":1}}'
    flag = {"flag_id": "F1", "subject_id": marker, "message_th": marker, "message_en": "}" + marker,
            "evidence": {"note": marker, "evidence": {"evidence": [1, "}"]}, "ชื่อ": "ไทย"}}
    line = orjson.dumps(flag) + b"\n"
    assert orjson.loads(evidence_text(line)) == flag["evidence"]


def test_waves_hold_whole_agencies_in_order(demo, monkeypatch):
    folder, sets = demo
    params = default_catalogue().kb.resolve_parameters(sets)
    run = RunContext.build(load_dataset(folder), AS_OF, params)  # columnar: cases made agency by agency
    monkeypatch.setattr(workers, "WAVE_RUN", 10)
    assert run.agency_runs == len(run.agency_ids())
    parts = plan_parts(run, 100)
    cases = {agency: len(run.cases_by_id.get(agency, ())) for agency in run.agency_ids()}
    assert workers.waves(parts, cases, run.agency_runs, size=sum(cases.values())) == [parts]  # under twice: one
    groups = workers.waves(parts, cases, run.agency_runs, size=400)
    assert len(groups) > 3 and [p for wave in groups for p in wave] == parts
    agencies = [{p[0] for p in wave} for wave in groups]
    assert sum(map(len, agencies)) == len(set().union(*agencies)) == len(cases)  # an agency in one wave only
    assert all(sum(cases[a] for a in held) >= 400 for held in agencies[:-1])
    # cases read row by row lie in file order, agencies interleaved: new workers would copy the same pages
    interleaved = RunContext.build(_load(folder, False, monkeypatch), AS_OF, params)
    assert interleaved.agency_runs > len(interleaved.dataset.cases) / 3
    parts = plan_parts(interleaved, 100)
    assert workers.waves(parts, cases, interleaved.agency_runs, size=400) == [parts]


def test_a_check_in_waves_of_fresh_workers_writes_what_one_wave_writes(demo, monkeypatch, tmp_path):
    """``check`` evaluates a large dataset in waves of whole agencies, each by newly forked
    workers (their copies of the dataset's pages end with them): the same lines. A store run
    (not lines only) forks its workers once, whatever the size."""
    folder, sets = demo
    args = ["check", str(folder), "--as-of", AS_OF.isoformat(), "--no-progress", *(a for s in sets for a in ("--set", s))]
    pools = []
    real = workers.ProcessPoolExecutor

    def counted(*a, **k):
        pools.append(1)
        return real(*a, **k)

    monkeypatch.setattr(workers, "ProcessPoolExecutor", counted)
    one, many = tmp_path / "one.jsonl", tmp_path / "many.jsonl"
    assert main([*args, "--output", str(one)]) == 1 and len(pools) == 1
    monkeypatch.setattr(workers, "WAVE_CASES", 500)
    monkeypatch.setattr(workers, "WAVE_RUN", 10)
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
    script = ("import sys, engine.ingest.loader; engine.ingest.loader.COLUMNAR_FROM_BYTES = 0; from engine.cli import main; "
              f"code = main({['check', str(folder), '--as-of', AS_OF.isoformat(), '--no-progress', '--output', str(tmp_path / 'f.jsonl'), *(a for s in sets for a in ('--set', s))]!r}); "
              "print(code, 'pandas' in sys.modules)")
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.stdout.split() == ["1", "False"], done.stderr


def test_a_crash_in_a_later_wave_is_pinned_to_its_agency_and_nothing_is_written(demo, monkeypatch, tmp_path, capsys):
    from conftest import assert_crash_dump, crash_evaluation_on

    folder, sets = demo
    last = load_dataset(folder).agencies[-1].agency_id
    dump = crash_evaluation_on(last, monkeypatch)
    monkeypatch.setattr(workers, "WAVE_CASES", 500)
    monkeypatch.setattr(workers, "WAVE_RUN", 10)
    out = tmp_path / "flags.jsonl"
    code = main(["check", str(folder), "--as-of", AS_OF.isoformat(), "--no-progress", "--output", str(out),
                 *(a for s in sets for a in ("--set", s))])
    assert code == 3 and not out.exists() and not list(tmp_path.iterdir())
    assert f"crashed with signal SIGSEGV while evaluating agency '{last}'" in capsys.readouterr().err
    assert_crash_dump(dump)


def test_an_officers_latest_decision_does_not_depend_on_the_order_of_their_cases(demo):
    """Of several decisions on the latest day, the first by case id: the columnar reader makes
    cases agency by agency, the row reader in file order, and an officer may decide another
    agency's cases."""
    from engine.rules.terms.officer import OfficerFacts

    folder, sets = demo
    run = RunContext.build(load_dataset(folder), AS_OF, default_catalogue().kb.resolve_parameters(sets))
    officer, decided = next((o, d) for o in run.dataset.officers
                            if len(d := OfficerFacts(run, o).decided_discretionary) >= 3)
    day = max(c.decided_on for c in decided)
    tied = [dataclasses.replace(c, decided_on=day) for c in decided[:3]]
    latest = set()
    for order in (tied, tied[::-1], tied[1:] + tied[:1]):
        subject = OfficerFacts(run, officer)
        subject.__dict__["decided_discretionary"] = order
        latest.add(subject.last_case_id)
    assert latest == {min(c.case_id for c in tied)}


_JSONY = st.text(alphabet=['"', ",", "\\", "{", "}", "[", "]", ":", "a", "ก", "\n", "\x00", "\u2028", " "], max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(_JSONY, max_size=6))
def test_texts_encoded_together_are_each_text_encoded_alone(texts):
    """A column of texts encoded by one call (a JSON array split at its separators) is each
    text's JSON string, whatever quotes, commas and backslashes they hold: ``["\\",","x"]``
    holds a ``","`` that is no separator."""
    assert encoded_texts(texts) == [orjson.dumps(text)[1:-1] for text in texts]


_OBJECTS = st.recursive(_JSONY | st.integers(-(2**63), 2**63 - 1) | st.none(),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_JSONY, inner, max_size=3),
                        max_leaves=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(_JSONY, _OBJECTS, max_size=4), max_size=5))
def test_objects_encoded_together_are_each_object_encoded_alone(objects):
    """Evidence objects encoded by one call are each object's JSON between its braces, when a
    text or a list of objects inside holds a ``},{`` too."""
    assert encoded_objects(objects) == [orjson.dumps(o, option=orjson.OPT_NON_STR_KEYS)[1:-1] for o in objects]


def test_a_rules_flags_worded_together_are_each_flag_worded_alone(demo):
    """Each rule's flags worded in one batch (its texts and evidence encoded a column at a
    time) give, line for line, what wording each flag alone gives — with texts that hold
    quotes, commas, braces and backslashes in the terms its messages and evidence quote."""
    catalogue = default_catalogue()
    renderer = FlagRenderer(catalogue.kb, AS_OF)
    by_rule: dict = {}
    for rule, severity, subject in _flagged(demo):
        by_rule.setdefault(rule.rule_id, (rule, []))[1].append((subject, severity))
    awkward = ['",', '"', "},{", "back\\", '\\",', "ก,\"ข\"", "}", "{"]
    changed = 0
    for rule, flagged in by_rule.values():
        quoted = {k for k in Template(rule.message_th).names + Template(rule.message_en).names + tuple(rule.evidence)
                  if k not in ("id", "agency", "measure", "rule_id")}
        for n, (subject, _) in enumerate(flagged):
            for k in quoted:
                subject.value(k)  # a term is computed and kept, to be changed here
                if n % 2 and isinstance(subject.__dict__.get(k), str):
                    subject.__dict__[k] = awkward[(n + changed) % len(awkward)]
                    changed += 1
        together = renderer.lines(rule, flagged, frozenset(quoted))
        alone = [renderer.lines(rule, [one], frozenset(quoted))[0] for one in flagged]
        assert together == alone, rule.rule_id
    assert len(by_rule) >= 15 and changed > 100
