"""The app's words as a Thai official reads them (SPEC §5, issue 19 item 2): the terms of the
table (สอบทาน, ยุติ (ชี้แจงได้), ไม่พบในการประมวลผลครั้งล่าสุด, ระดับความสำคัญ), no raw code inside
Thai text, one kind of digit per kind of number, Buddhist-Era years only, a deadline stated once,
no editorial note in a title.

Two kinds of text are read: every Thai word the product itself writes (labels, status and action
names, rule titles and messages, parameter meanings and sources, term labels), and the messages
rendered by every rule fixture, with the dataset's own texts (names, manual titles, reasons)
taken out first, since data may say anything."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from rule_fixtures import load_scenarios

from engine.evaluation.run import evaluate
from engine.ingest.loader import load_dataset
from engine.kb.knowledge import load_kb
from engine.rules.catalogue import default_catalogue
from engine.rules.terms import TERMS
from engine.store.review import ACTION_NAMES, STATUS_NAMES
from engine.store.scope import ROLE_NAMES

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))

THAI = re.compile(r"[\u0e00-\u0e7f]")
THAI_DIGIT = re.compile(r"[๐-๙]")
# SPEC §5's "not" column, and words the review named: each with the term to use instead
NOT_SAID = {
    "ทบทวน": "สอบทาน (ทบทวน reads as reconsidering the order under the APA)",
    "ยกเลิก (": "ยุติ (ชี้แจงได้)",
    "ข้อมูลใหม่ไม่พบแล้ว": "ไม่พบในการประมวลผลครั้งล่าสุด",
    "ความรุนแรง": "ความสำคัญ",
    "วินิจฉัย": "พิจารณา",
    "ค่าเริ่มต้นของจังหวัด": "ค่าที่ระบบตั้งไว้ (หนังสือจังหวัดไม่ได้กำหนด)",
    "ไลบรารี": "ปฏิทินวันหยุดของระบบ",
}
# codes of the exchange format, the store and the command line that Thai text must put in words
CODES = re.compile(r"(?<![\w-])(approved|partial|denied|refused|working|calendar|person|juristic|s13|s16|open|"
                   r"needs_info|confirmed|dismissed|waived|resolved|cleared_by_data|succeeded|failed|running|"
                   r"kb|set|store|agency|process|as_of|--set|true|false|None)(?![\w-])")
CE_YEAR = re.compile(r"(?<!\d)(19|20)\d\d(?!\d)")
ISO_DAY = re.compile(r"\d{4}-\d\d-\d\d")


def product_texts() -> dict[str, str]:
    """Every Thai text the product writes itself, by where it comes from."""
    import i18n
    import messages
    import present

    kb, catalogue = load_kb(), default_catalogue()
    out: dict[str, str] = {}
    out.update({f"i18n.TEXT[{k}]": th for k, (th, _) in i18n.TEXT.items()})
    out.update({f"i18n.COLUMNS[{k}]": th for k, (th, _) in i18n.COLUMNS.items()})
    out.update({f"present.FIELDS[{k}]": th for k, (th, _) in present.FIELDS.items()})
    out.update({f"present._VALUES[{k}]": th for k, (th, _) in present._VALUES.items()})
    out.update({f"STATUS_NAMES[{k}]": th for k, (th, _) in STATUS_NAMES.items()})
    out.update({f"ACTION_NAMES[{k}]": th for k, (th, _) in ACTION_NAMES.items()})
    out.update({f"ROLE_NAMES[{k}]": th for k, (th, _) in ROLE_NAMES.items()})
    out.update({f"messages[{p.pattern}]": th for p, th in messages._RULES if isinstance(th, str)})
    for rule in catalogue:
        out[f"{rule.rule_id}.title_th"] = rule.title_th
        out[f"{rule.rule_id}.message_th"] = rule.message_th
        if rule.duty is not None:
            out[f"{rule.rule_id}.duty.message_th"] = rule.duty.message_th
    for name, p in kb.parameters.items():
        out[f"parameters.{name}.meaning_th"] = p.meaning_th
        out[f"parameters.{name}.source_th"] = p.source_th
    out["source.assessment_th"] = kb.source.assessment_th  # the letter's number keeps its own digits
    for m in kb.measures:
        out[f"measure {m.id} title_th"] = m.title_th  # its text_th quotes the letter: kept as written
    for kind, terms in TERMS.items():
        out.update({f"term {kind}.{t.name}": t.label_th for t in terms.by_name.values()})
    return {k: v for k, v in out.items() if THAI.search(v)}


def test_the_products_own_thai_uses_the_terms_of_spec_section_5():
    found = {where: f"{word!r} → {use}" for where, text in product_texts().items()
             for word, use in NOT_SAID.items() if word in text}
    assert not found, found


def test_the_products_own_thai_has_arabic_digits_and_buddhist_era_years():
    texts = product_texts()
    assert not {k: v for k, v in texts.items() if THAI_DIGIT.search(v)}
    # a Christian-Era year only where a date field says it accepts one, and says so: (ค.ศ.)
    assert not {k: v for k, v in texts.items() if CE_YEAR.search(re.sub(r"\d+/\d+/\d{4} \(ค\.ศ\.\)", "", v))}


def test_the_terms_of_the_table():
    import i18n

    assert STATUS_NAMES["dismissed"][0] == ACTION_NAMES["dismiss"][0] == "ยุติ (ชี้แจงได้)"
    assert STATUS_NAMES["cleared_by_data"][0] == ACTION_NAMES["cleared_by_data"][0] == \
        i18n.COLUMNS["cleared"][0] == "ไม่พบในการประมวลผลครั้งล่าสุด"
    assert "ไม่พบในการประมวลผลครั้งล่าสุด {cleared}" in i18n.TEXT["data.run_done"][0]
    assert i18n.TEXT["queue.severity"][0] == i18n.TEXT["dash.severity"][0] == "ระดับความสำคัญ"
    import present

    # complete_on is the day the application was complete (SPEC §2 v2), not the day the work was done
    assert present.FIELDS["complete_on"][0] == TERMS["case"].by_name["complete_on"].label_th == "วันที่คำขอครบถ้วน"


def test_no_editorial_note_in_a_title():
    """A title names the rule or measure; what the letter calls a thing goes in its text."""
    kb, catalogue = load_kb(), default_catalogue()
    titles = {r.rule_id: r.title_th for r in catalogue} | {m.id: m.title_th for m in kb.measures}
    assert not {k: t for k, t in titles.items() if "(" in t or "คำว่า" in t}


def _data_texts(ds) -> list[str]:
    """The dataset's own words (names, titles, reasons, sources), longest first."""
    texts = set()
    for table in ("agencies", "processes", "officers", "cases", "escalations", "parameters"):
        for row in getattr(ds, table, None) or []:
            values = [getattr(row, name, None) for name in dir(row) if not name.startswith("_")]
            texts |= {v for v in values if isinstance(v, str) and len(v) > 1}
    return sorted(texts, key=len, reverse=True)


def _messages() -> list[tuple[str, str, dict, list[str]]]:
    import tempfile

    out = []
    for sc in load_scenarios():
        catalogue = default_catalogue().select([sc.rule_id])
        with tempfile.TemporaryDirectory() as tmp:
            ds = load_dataset(sc.write(Path(tmp) / "ds"))
        result = evaluate(ds, sc.as_of, catalogue.kb.resolve_parameters(sc.params), catalogue,
                          corrective=sc.corrective)
        data = _data_texts(ds)
        out += [(f"{sc.test_id}: {f.subject_id}", f.message_th, f.evidence, data) for f in result.flags]
    return out


MESSAGES = _messages()


def _without_data(message: str, data: list[str]) -> str:
    for text in data:
        message = message.replace(text, " ")
    return message


@pytest.mark.parametrize("where,message,evidence,data", MESSAGES, ids=[m[0] for m in MESSAGES])
def test_every_rendered_message_reads_as_thai(where, message, evidence, data):
    text = _without_data(message, data)
    assert not CODES.findall(text), (CODES.findall(text), message)
    assert not ISO_DAY.search(text) and not CE_YEAR.search(text), message
    quoted = re.sub(r"\u201c[^\u201d]*\u201d", "", text)  # the letter's words, quoted, keep their own digits
    assert not THAI_DIGIT.search(quoted), message
    for word, use in NOT_SAID.items():
        assert word not in text, (word, use, message)
    if where.startswith("1.2-manual-outdated") and evidence.get("manual_reviewed_on") is None:
        assert "ไม่มีวันที่สอบทานคู่มือ" in message and "ไม่เคย" not in text  # what is missing, said exactly


DEADLINES = ("review_deadline", "escalation_deadline", "limit_day", "round_deadline", "missed_due",
             "rotation_due_on")


@pytest.mark.parametrize("where,message,evidence,data", MESSAGES, ids=[m[0] for m in MESSAGES])
def test_a_deadline_and_a_round_are_stated_once(where, message, evidence, data):
    import datetime as dt

    from engine.domain.thai import format_date

    for name in DEADLINES:
        if isinstance(evidence.get(name), str):
            shown = format_date(dt.date.fromisoformat(evidence[name]), "th")
            assert message.count(shown) == 1, (name, shown, message)
    if "round" in evidence:  # (a source may list the rounds it set)
        assert message.split("(ที่มา:")[0].count(f"ปีงบประมาณ {evidence['round']}") == 1, message



@pytest.mark.parametrize("where,message,evidence,data", MESSAGES, ids=[m[0] for m in MESSAGES])
def test_every_fact_of_a_flag_has_a_thai_name(where, message, evidence, data):
    """The flag page lists the evidence by its fields' Thai names (present.field_label), never a code."""
    from present import field_label

    assert not [k for k in evidence if not THAI.search(field_label(k, load_kb().parameters))], evidence
