"""Wording a flag: its messages in Thai and English and its evidence, from the rule's templates
and the subject's terms, as one line of JSON.

A message names the facts that made the rule fire (``{name}`` or ``{name:date}`` in the rule's
templates: a term of the subject, a parameter, or the flag's own ``id``, ``agency``, ``as_of``,
``measure``, ``rule_id``), then the limits the rule used with their sources, then the measure's
text it cites. Dates are Buddhist-Era in Thai. Runs of white space become one space.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Callable
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from typing import Any

import orjson

from engine.domain.calendar import GovernmentCalendar
from engine.domain.thai import format_date
from engine.evaluation.flags import FlagLine, Link, as_of_field, content_key, flag_id_prefix
from engine.kb.knowledge import KnowledgeBase, ParamValue
from engine.rules.catalogue import Rule
from engine.rules.terms import SUBJECTS
from engine.rules.terms.registry import Subject

def shown(value: Any, lang: str) -> str:
    """A value as a message shows it: dates in the Buddhist Era for Thai, yes/no, lists joined."""
    cls = value.__class__
    if cls is str:
        return value
    if cls is int:
        return str(value)
    if isinstance(value, dt.date):
        return format_date(value, lang)
    if value is None:
        return "ไม่มี" if lang == "th" else "none"
    if cls is bool:
        return ("ใช่" if value else "ไม่ใช่") if lang == "th" else ("yes" if value else "no")
    if isinstance(value, (list, tuple)):
        return ", ".join(shown(v, lang) for v in value) or ("ไม่มี" if lang == "th" else "none")
    return str(value)


def _tested(rule: Rule) -> set[str]:
    """The names a rule's condition (and its severity variants) tests."""
    out: set[str] = set()

    def walk(cond: dict[str, Any]) -> None:
        (key, value), = cond.items()
        if key in ("all", "any"):
            for sub in value:
                walk(sub)
        else:
            out.add(key)
    walk(rule.when)
    for variant in rule.severity_when:
        walk(variant.when)
    return out


def _dates_in(value: Any) -> Any:
    if isinstance(value, dt.date):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _dates_in(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _dates_in(v)


def left_words(day: dt.date, as_of: dt.date, left: int, lang: str) -> str:
    """How a duty's warning says the time left to ``day`` from ``as_of`` (``left`` working days;
    past: the working days since): "today is the last day", "3 working days left", "late by 1"."""
    if day == as_of:
        return "วันนี้เป็นวันสุดท้าย" if lang == "th" else "today is the last day"
    plural = "s" if left != 1 else ""
    if day < as_of:
        return f"เลยกำหนดแล้ว {left} วันทำการ" if lang == "th" else f"{left} working day{plural} late"
    return f"อีก {left} วันทำการ" if lang == "th" else f"{left} working day{plural} left"


_SUBJECT_WORDS = {"case": ("เรื่อง", "case"), "officer": ("เจ้าหน้าที่", "officer"),
                  "process": ("กระบวนงาน", "process"), "agency": ("หน่วยงาน", "agency")}
_SCALARS = {dt.date, str, int, bool, float, type(None)}
_SUBJECT, _RULE, _LIMIT = 0, 1, 2  # where a name's value is (``FlagRenderer._prepared``)


class Template:
    """A message template parsed once: literal texts, and the names whose values go between.

    A message's runs of white space become one space (``render``). Its literal texts are so
    already in ``joined``, so the messages of values whose texts are *clean* — not empty, no
    white space but single inner spaces — need only the texts put between them (``fill``)."""

    __slots__ = ("names", "format", "spaced", "joined")

    def __init__(self, template: str):
        parts: list[tuple[str, str]] = []
        text = ""
        for literal, name, spec, conversion in string.Formatter().parse(template):
            text += literal
            if name is None:
                continue
            if spec not in ("", "date") or conversion is not None:
                raise ValueError(f"unsupported placeholder {{{name}:{spec}}} in {template!r}")
            parts.append((text, name))
            text = ""
        self.names = tuple(name for _, name in parts)
        escape = str.maketrans({"{": "{{", "}": "}}"})  # literal braces doubled, for str.format
        # the template as a format string of named fields (``render``), and of positional ones: its
        # own literals (``spaced``), and its literals as they stand between clean texts (``joined``)
        self.format = "".join(literal.translate(escape) + "{" + name + "}" for literal, name in parts) + \
            text.translate(escape)
        self.spaced = "".join(literal.translate(escape) + "{}" for literal, _ in parts) + text.translate(escape)
        literals = _normalised_literals([literal for literal, _ in parts] + [text])
        self.joined = "{}".join(literal.translate(escape) for literal in literals)

    def render(self, values: dict[str, Any], lang: str) -> str:
        """The message with ``values`` shown in ``lang``, its runs of white space as one space."""
        return " ".join(self.format.format_map({name: shown(value, lang) for name, value in values.items()}).split())

    def fill(self, columns: list[list[str]], clean: bool, n: int) -> list[str]:
        """``render`` for ``n`` messages at once, from the texts (shown in the messages' language
        already) of each name of ``names`` in turn, a column of ``n`` each; ``clean``: every text
        is clean (see the class)."""
        if not columns:
            return [" ".join(self.spaced.format().split())] * n
        if clean:
            return list(map(self.joined.format, *columns))
        return [" ".join(text.split()) for text in map(self.spaced.format, *columns)]


def _normalised_literals(texts: list[str]) -> list[str]:
    """A template's literal texts as they stand in its message when the values between them are
    clean: runs of white space as one space, none at either end of the message."""
    out = []
    for i, text in enumerate(texts):
        words = text.split()
        inner = " ".join(words)
        if words and i > 0 and text[0].isspace():
            inner = " " + inner
        if words and i < len(texts) - 1 and text[-1].isspace():
            inner += " "
        if not words and text and 0 < i < len(texts) - 1:
            inner = " "  # white space alone between two values
        out.append(inner)
    return out


def _encoded(text: str) -> bytes:
    """A text as a JSON string holds it, without its quotes. orjson escapes character by
    character, so the encodings of two texts, joined, are the encoding of the two texts joined."""
    return orjson.dumps(text)[1:-1]


def encoded_texts(texts: list[str]) -> list[bytes]:
    """``_encoded`` of each text, from one call of the encoder: the texts' JSON array split at
    its separators. A ``","`` is a separator unless its first quote is escaped (``\\","``):
    inside a string every quote is. Should one be, each text is encoded alone."""
    if not texts:
        return []
    body = orjson.dumps(texts)[2:-2]
    parts = body.split(b'","') if b'\\","' not in body else []
    return parts if len(parts) == len(texts) else list(map(_encoded, texts))


def encoded_objects(objects: list[dict[str, Any]]) -> list[bytes]:
    """Each object's JSON between its braces, from one call of the encoder: the objects' JSON
    array split at its ``},{`` (a separator never overlaps another): when a text or a list of
    objects inside holds one too, there are more parts than objects, and each is encoded alone."""
    if not objects:
        return []
    parts = orjson.dumps(objects, option=orjson.OPT_NON_STR_KEYS)[2:-2].split(b"},{")
    if len(parts) == len(objects):
        return parts
    return [orjson.dumps(o, option=orjson.OPT_NON_STR_KEYS)[1:-1] for o in objects]


def is_clean(text: str) -> bool:
    """Not empty, and no white space but single spaces between words (see ``Template``)."""
    return bool(text) and text.isprintable() and "  " not in text and text[0] != " " and text[-1] != " "


_UNIT = {"working": ("วันทำการ", "working days"), "calendar": ("วัน", "calendar days"), "years": ("ปี", "years"),
         "decisions": ("ครั้ง", "decisions"), "percent": ("%", "%")}


def limit_text(name: str, pv: ParamValue, kb: KnowledgeBase, lang: str, subject: Subject) -> str:
    """A parameter as a reader sees it: what it requires, its value and basis, and its source."""
    p = kb.parameters[name]
    source = pv.source_th if lang == "th" else pv.source_en
    if p.type == "date_map":
        r, d = subject.value("round"), subject.value("round_deadline")
        if lang == "th":  # the message names the round already: its deadline is said once, with no year again
            return f"กำหนดส่งแบบรายงานภายใน {format_date(d, 'th')} (ที่มา: {source})"
        return f"the fiscal-year {r} round's form was due by {format_date(d, 'en')} (source: {source})"
    value = pv.value
    unit_th, unit_en = _UNIT[p.basis]
    if p.basis == "calendar" and value and value % 365 == 0:  # a whole number of years reads as years
        years = value // 365
        shown_th, shown_en = f"{years} ปี ({value} วัน)", f"{years} year{'s' if years > 1 else ''} ({value} days)"
    else:
        shown_th, shown_en = f"{value} {unit_th}", f"{value} {unit_en}"
    if lang == "th":
        return f"เกณฑ์: {p.meaning_th} {shown_th} (ที่มา: {source})"
    return f"limit: {name} = {shown_en} (source: {source})"


def evidence_value(value: Any) -> Any:
    """A parameter's value as evidence holds it (dates in ISO, a map's keys as text)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [evidence_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): evidence_value(v) for k, v in value.items()}
    return value


@dataclass
class _Prepared:
    """What a renderer works out once per rule."""

    rule: Rule
    th: Template
    en: Template
    terms: tuple[tuple[str, Callable[[Subject], Any]], ...]  # the subject's terms it reads, with what computes each
    # the names the messages show and the evidence holds, each with where its value is (``_Source``)
    shown: tuple[tuple[str, int], ...]
    evidence: tuple[tuple[str, int], ...]
    own: dict[str, Any]  # what every flag of the rule says of itself: measure, rule_id
    calendar: bool  # its condition counts days on the government calendar
    id_prefix: Any  # flags.flag_id_prefix
    date_map: bool  # a parameter is a map by fiscal year: the limits' wording is the subject's own
    applicant_apart: bool  # an applicant goes into the evidence after the rule's own names
    # the limits and citation after each message and the parameters' evidence, per parameter set
    by_set: dict[int, tuple[dict[str, ParamValue], tuple[bytes, bytes, dict[str, Any]]]]
    # a flag line's JSON from after its flag_id to its severity, and from there to its subject_id
    head: tuple[bytes, bytes]


class FlagRenderer:
    """Words the flags of one evaluation (one ``as_of``); what repeats from flag to flag (a rule's
    templates, the limits a parameter set reads as, the citation) is worked out once."""

    def __init__(self, kb: KnowledgeBase, as_of: dt.date, calendar: GovernmentCalendar | None = None):
        """``calendar``: the run's government calendar, whose checked years the flags of rules
        that count days on it are held against."""
        self.kb, self.as_of, self.calendar = kb, as_of, calendar
        self._as_of_text = as_of.isoformat()
        self._as_of_json = as_of_field(as_of)
        self._rules: dict[str, _Prepared] = {}
        self._duties: dict[str, tuple[Template, Template]] = {}
        self._dates: dict[dt.date, tuple[str, str]] = {}
        self._spans: dict[int, tuple[Any, tuple[int, int] | None]] = {}  # parameters' evidence -> its years
        self._unchecked_years: dict[tuple[int, int], list[int]] = {}
        self._json: dict[str, bytes] = {}  # a severity's or an agency's id, as a JSON string holds it

    def _prepared(self, rule: Rule) -> _Prepared:
        out = self._rules.get(rule.rule_id)
        if out is None:
            th, en = Template(rule.message_th), Template(rule.message_en)
            kind = SUBJECTS[rule.fact_kind]

            def source(name: str) -> int:
                """Where a name's value is: the subject's own attributes (its terms, ``given``,
                ``id``, ``agency``, ``as_of``), the rule, or the subject's parameter values."""
                if name in kind.terms.by_name or name in kind.given or name in ("id", "agency", "as_of"):
                    return _SUBJECT
                return _RULE if name in ("measure", "rule_id") else _LIMIT

            names = tuple(dict.fromkeys(th.names + en.names + tuple(rule.evidence)))
            out = self._rules[rule.rule_id] = _Prepared(
                rule, th, en, tuple((n, kind.terms.by_name[n].fast) for n in names if n in kind.terms.by_name),
                tuple((n, source(n)) for n in dict.fromkeys(th.names + en.names)),
                tuple((n, source(n)) for n in rule.evidence), {"measure": rule.measure, "rule_id": rule.rule_id},
                kind.terms.counts_on_calendar(_tested(rule)),
                flag_id_prefix(rule.rule_id, rule.subject),
                any(self.kb.parameters[n].type == "date_map" for n in rule.parameters),
                "applicant" not in rule.evidence, {},
                (b'","rule_id":"' + _encoded(rule.rule_id) + b'","measure":"' + _encoded(rule.measure)
                 + b'","severity":"', b'","subject_type":"' + _encoded(rule.subject) + b'","subject_id":"'))
        return out

    def _suffixes(self, prepared: _Prepared, subject: Subject) -> tuple[bytes, bytes, dict[str, Any]]:
        """What every flag of a rule with the same parameter values repeats: the limits and the
        citation after each message — as the end of a JSON string, its closing quote included
        (``_encoded``) — and the parameters' evidence (remembered per parameter set, unless a
        round's deadline makes the wording the subject's own)."""
        params = subject.params
        if not prepared.date_map:
            hit = prepared.by_set.get(id(params))
            if hit is not None and hit[0] is params:  # the set is kept with it, so its id stays its own
                return hit[1]
        rule, kb = prepared.rule, self.kb
        used = {name: params[name] for name in rule.parameters}
        measure = kb.measure(rule.measure)
        word_th, word_en = ("มาตรการข้อ", "measure") if measure.kind == "measure" else ("แนวทางข้อ", "guideline")
        limits_th = "".join(f"; {limit_text(n, pv, kb, 'th', subject)}" for n, pv in used.items())
        limits_en = "".join(f"; {limit_text(n, pv, kb, 'en', subject)}" for n, pv in used.items())
        evidence: dict[str, Any] = {name: evidence_value(pv.value) for name, pv in used.items()}
        if used:
            evidence["parameters"] = {name: evidence_value(pv.evidence()) for name, pv in used.items()}
        out = (_encoded(f"{limits_th} ({word_th} {rule.measure} \u201c{measure.excerpt_th}\u201d)") + b'"',
               _encoded(f"{limits_en} ({word_en} {rule.measure}: \u201c{measure.excerpt_en}\u201d).") + b'"', evidence)
        if not prepared.date_map:
            prepared.by_set[id(params)] = (params, out)
        return out

    def lines(self, rule: Rule, flagged: list[tuple[Subject, str]], computed: frozenset[str] = frozenset()
              ) -> list[FlagLine]:
        """The flags of ``rule`` on each ``(subject, severity)`` (subjects of the rule's kind), in
        order: what orders and counts each, and its line of JSON. ``computed``: the terms every
        subject has computed already (the rules engine's); the others the messages and evidence
        need are computed here, term by term (``Subject.compute_all``).

        Worked out a name at a time over all the flags — its values, then its texts in Thai and
        English — then the messages a template at a time, then each flag's line."""
        prepared, n = self._prepared(rule), len(flagged)
        subjects = [subject for subject, _ in flagged]
        Subject.compute_all(subjects, [(name, f) for name, f in prepared.terms if name not in computed])
        known = [subject.__dict__ for subject in subjects]  # each subject's terms, and what it was made with
        columns: dict[str, list[Any]] = {}

        def values(name: str, where: int) -> list[Any]:
            column = columns.get(name)
            if column is None:
                column = columns[name] = (list(map(itemgetter(name), known)) if where == _SUBJECT
                                          else [subject.limits[name] for subject in subjects] if where == _LIMIT
                                          else [prepared.own[name]] * n)
            return column

        th: dict[str, list[str]] = {}
        en: dict[str, list[str]] = {}
        clean = True
        for name, where in prepared.shown:
            th[name], en[name], texts_clean = self._texts(values(name, where))
            clean = clean and texts_clean
        messages_th = prepared.th.fill([th[name] for name in prepared.th.names], clean, n)
        messages_en = prepared.en.fill([en[name] for name in prepared.en.names], clean, n)
        names = [name for name, _ in prepared.evidence]
        evidences = [dict(zip(names, row)) for row in zip(*(values(name, where) for name, where in prepared.evidence))] \
            if names else [{} for _ in range(n)]
        ids, agencies = [subject.id for subject in subjects], [subject.agency for subject in subjects]
        applicants = [subject.applicant for subject in subjects]
        # the limits and citation after each message, and the parameters' evidence: per parameter set
        if prepared.date_map:
            after = [self._suffixes(prepared, subject) for subject in subjects]
        else:
            sets: dict[int, tuple[bytes, bytes, dict[str, Any]]] = {}
            after = [sets.get(id(subject.params)) or sets.setdefault(id(subject.params),
                                                                      self._suffixes(prepared, subject))
                     for subject in subjects]
        if any(suffix[2] for suffix in after):
            for evidence, (_, _, params_evidence) in zip(evidences, after):
                evidence.update(params_evidence)
        if prepared.applicant_apart and any(applicant is not None for applicant in applicants):
            for evidence, applicant in zip(evidences, applicants):
                if applicant is not None:
                    evidence["applicant"] = applicant
        # a rule that counts days on the calendar: its flags' years are held against the checked ones
        if prepared.calendar and self._any_unchecked(
                [values(name, where) for name, where in prepared.evidence], subjects, prepared):
            for evidence in evidences:
                years = self._unchecked(evidence)
                if years:
                    evidence["calendar_unchecked_years"] = years
        # each line is the JSON of {flag_id, rule_id, measure, severity, subject_type, subject_id,
        # agency_id, as_of, message_th, message_en, evidence}, put together from its fields' JSON:
        # what every flag of the rule says, and each message's limits and citation, encoded once;
        # the flags' texts a column at a time (``encoded_texts``)
        head, kind = prepared.head
        after_agency, after_th = b'"' + self._as_of_json + b',"message_th":"', b',"message_en":"'
        id_prefix, json_of = prepared.id_prefix, self._json  # a severity's or an agency's id: a few texts
        for text in {severity for _, severity in flagged} | set(agencies):
            self._encoded(text)
        measure, rule_id, subject_type = rule.measure, rule.rule_id, rule.subject
        out: list[FlagLine] = []
        for text_id, subject_id, agency, applicant, (_, severity), text_th, text_en, (suffix_th, suffix_en, _), evidence \
                in zip(encoded_texts(ids), ids, agencies, applicants, flagged, encoded_texts(messages_th),
                       # the English sentence's full stop moves after the limits and the citation
                       encoded_texts(list(map(str.rstrip, messages_en, repeat(".")))), after,
                       encoded_objects(evidences)):
            digest = id_prefix.copy()
            digest.update(f"{subject_id}\x1f{applicant or ''}".encode())
            flag_id = "F" + digest.hexdigest()[:20]  # flags.make_flag_id
            line = b"".join((b'{"flag_id":"', flag_id.encode(), head, json_of[severity], kind, text_id,
                             b'","agency_id":"', json_of[agency], after_agency, text_th, suffix_th, after_th, text_en,
                             suffix_en, b',"evidence":{', evidence, b"}}\n"))
            out.append((agency, measure, rule_id, subject_type, subject_id, applicant or "", severity, flag_id, line))
        return out

    def writer(self, rule: Rule) -> Callable[[Subject, str], FlagLine]:
        """The function that makes one flag of ``rule``: ``(subject, severity) -> FlagLine``."""
        return lambda subject, severity: self.lines(rule, [(subject, severity)])[0]

    def _texts(self, values: list[Any]) -> tuple[list[str], list[str], bool]:
        """A column of values as a message shows them in Thai and in English (``shown``), and
        whether every text is clean (``Template``). A column of one class — texts, dates or
        whole numbers, as most are — is worked out at once."""
        classes = set(map(type, values))
        cls = classes.pop() if len(classes) == 1 else None
        if cls is str:
            return values, values, all(map(is_clean, set(values)))
        if cls is int:
            texts = list(map(str, values))
            return texts, texts, True
        if cls is dt.date:
            dates = self._dates
            for day in set(values).difference(dates):
                self._date(day)
            pairs = list(map(dates.__getitem__, values))
            return list(map(itemgetter(0), pairs)), list(map(itemgetter(1), pairs)), True
        th, en, clean = [], [], True
        for value in values:
            if value.__class__ is dt.date or value.__class__ is int or value.__class__ is str:
                (texts_th,), (texts_en,), texts_clean = self._texts([value])
            else:
                texts_th, texts_en = shown(value, "th"), shown(value, "en")
                texts_clean = is_clean(texts_th) and is_clean(texts_en)
            th.append(texts_th)
            en.append(texts_en)
            clean = clean and texts_clean
        return th, en, clean

    def _unchecked(self, evidence: dict[str, Any]) -> list[int]:
        """The years (Buddhist Era) from the earliest to the latest date of a flag's evidence whose
        days off nobody checked (SPEC §3 "Checked years"): its dates may shift by a day."""
        if self.calendar is None:
            return []
        return self._unchecked_between(self._span(evidence.items()))

    def _any_unchecked(self, columns: list[list[Any]], subjects: list[Subject], prepared: _Prepared) -> bool:
        """Whether a flag of a batch may have an unchecked year (``_unchecked``): whether there is
        one from the earliest to the latest date of the batch's evidence — its ``columns`` of
        values and its subjects' parameters' evidence — which spans every flag's."""
        if self.calendar is None:
            return False
        named: list[tuple[str, Any]] = []
        for column in columns:
            if set(map(type, column)) <= _SCALARS:  # dates, texts, numbers: each distinct one once
                named += [("", day) for day in set(column) if day.__class__ is dt.date]
            else:
                named += [("", value) for value in column]
        sets = {id(subject.params): subject for subject in subjects}.values()
        named += [item for subject in sets for item in self._suffixes(prepared, subject)[2].items()]
        return bool(self._unchecked_between(self._span(named)))

    def _span(self, named: Any) -> tuple[int, int] | None:
        """The earliest and the latest year of the dates in ``(name, value)`` pairs (values may be
        lists and maps of dates). A parameters' evidence, one object per parameter set, is walked
        once per set."""
        lo = hi = None
        for name, value in named:
            cls = value.__class__
            if cls is dt.date:
                first = last = value.year
            elif cls is dict or cls is list or cls is tuple:
                span = self._spans.get(id(value)) if name == "parameters" else None
                if span is None or span[0] is not value:
                    years = [day.year for day in _dates_in(value)]
                    span = (value, (min(years), max(years)) if years else None)
                    if name == "parameters":
                        self._spans[id(value)] = span
                if span[1] is None:
                    continue
                first, last = span[1]
            else:
                continue
            lo = first if lo is None or first < lo else lo
            hi = last if hi is None or last > hi else hi
        return None if lo is None else (lo, hi)

    def _unchecked_between(self, span: tuple[int, int] | None) -> list[int]:
        """The years (Buddhist Era) of a span of years (Christian Era) whose days off nobody checked."""
        if span is None:
            return []
        out = self._unchecked_years.get(span)
        if out is None:
            out = self._unchecked_years[span] = self.calendar.unchecked(range(span[0] + 543, span[1] + 544))
        return list(out)

    def _encoded(self, text: str) -> bytes:
        """``_encoded``, once per text (for the few texts many flags repeat)."""
        out = self._json.get(text)
        if out is None:
            out = self._json[text] = _encoded(text)
        return out

    def _date(self, day: dt.date) -> tuple[str, str]:
        """A date in Thai (Buddhist Era) and in English words, each worded once per renderer."""
        texts = self._dates.get(day)
        if texts is None:
            texts = self._dates[day] = (format_date(day, "th"), format_date(day, "en"))
        return texts

    def duty(self, rule: Rule, subject: Subject, day: dt.date, left: int, item: Any = None) -> dict[str, Any]:
        """A duty of ``rule`` due on ``day`` (``left`` working days from as_of): who and what it is
        about, and what a warning says of it in Thai and English. ``item``: the one thing of a
        listed duty it is (a confirmed flag's corrective action: ``CorrectiveAction``), whose flag
        the warning names (``DUTY_ITEM_NAMES``) and the row links to (``flag_id``)."""
        th, en = self._duties.get(rule.rule_id) or self._duties.setdefault(
            rule.rule_id, (Template(rule.duty.message_th), Template(rule.duty.message_en)))
        own = {"id": subject.id, "agency": subject.agency, "as_of": self.as_of, "measure": rule.measure,
               "rule_id": rule.rule_id, "due": day, "working_days_left": left,
               "left_th": left_words(day, self.as_of, left, "th"), "left_en": left_words(day, self.as_of, left, "en")}
        if item is not None:
            th_word, en_word = _SUBJECT_WORDS.get(item.subject_type, ("", ""))
            own.update(flag_id=item.flag_id, flag_rule_id=item.rule_id,
                       flagged_th=f"{th_word} {item.subject_id}".strip(),
                       flagged_en=f"{en_word} {item.subject_id}".strip())
        values = {n: own[n] if n in own else subject.value(n) for n in dict.fromkeys(th.names + en.names)}
        process_id, officer_id, _ = subject.link
        return {"rule_id": rule.rule_id, "measure": rule.measure, "subject_type": rule.subject,
                "subject_id": subject.id, "agency_id": subject.agency, "applicant": subject.applicant,
                "process_id": process_id, "officer_id": officer_id,
                "flag_id": item.flag_id if item is not None else None, "due_on": day.isoformat(),
                "working_days_left": left, "message_th": th.render(values, "th"), "message_en": en.render(values, "en")}

    def keyed(self, line: FlagLine, subject: Subject) -> FlagLine:
        """``line`` with its content key and its links (a case's process, officer and date —
        decided, else received; a process's or an officer's id): what a store run writes."""
        link: Link = subject.link
        return (*line, content_key(line[8], self._as_of_json, link), link)
