"""The request's description for OpenAPI (``/docs``, ``/openapi.json``), made from the exchange
format's models (engine/domain/models.py), so that it names every file and column the loader
reads and cannot drift from it; and the examples docs/api.md shows."""

from __future__ import annotations

import datetime as dt
import types
import typing
from typing import Any

from engine.domain.models import TABLES

VALUE_FORMATS = ("Value formats as in a file of the exchange format (SPEC §2): a date is YYYY-MM-DD or D/M/YYYY, "
                 "a year of 2400 or more is Buddhist Era; Thai digits are accepted wherever digits are; a yes/no "
                 "is true/false, yes/no, y/n, 1/0, ใช่/ไม่ใช่ or มี/ไม่มี (JSON true and false too); null or a "
                 "missing key is an empty cell.")


def _kind(annotation: Any) -> dict[str, Any]:
    """The JSON types a column takes, from its model's annotation (``Annotated[type, Cell]``)."""
    base = typing.get_args(annotation)[0] if typing.get_origin(annotation) is typing.Annotated else annotation
    args = [a for a in typing.get_args(base) if a is not type(None)] if isinstance(base, types.UnionType) or \
        typing.get_origin(base) is typing.Union else [base]
    kind = args[0] if args else str
    if kind is bool:
        return {"type": ["boolean", "string", "null"]}
    if kind is int:
        return {"type": ["integer", "string", "null"]}
    if kind is dt.date:
        return {"type": ["string", "null"], "description": "YYYY-MM-DD or D/M/YYYY (BE years from 2400)"}
    if typing.get_origin(kind) is typing.Literal:
        return {"type": ["string", "null"], "description": "one of " + ", ".join(map(str, typing.get_args(kind)))}
    return {"type": ["string", "null"]}


def request_schema() -> dict[str, Any]:
    """A JSON object whose keys are the exchange format's files, each a list of its rows."""
    properties = {}
    for table in TABLES:
        hints = typing.get_type_hints(table.model, include_extras=True)
        row = {"type": "object", "required": list(table.required),
               "properties": {c: _kind(hints[c]) for c in table.columns}}
        properties[table.name] = {"type": "array", "items": row,
                                  "description": f"rows of {table.name}" + (f", upserted by {table.id_column}"
                                                                            if table.id_column else "")}
    return {"type": "object", "properties": properties, "additionalProperties": False, "minProperties": 1,
            "description": VALUE_FORMATS}


# The demo's Land Office (``discretion-review demo-setup``): a survey decided by officer OF00040, not
# yet checked by a supervisor, which departed from the manual and was reported up the chain.
EXAMPLE_REQUEST = {
    "cases": [{"case_id": "LAND-2569-000123", "process_id": "LAND-P02", "officer_id": "OF00040",
               "applicant_id": "A-88412", "received_on": "2/3/2569", "complete_on": "2/3/2569",
               "decided_on": "2569-03-09", "outcome": "อนุญาต", "discretion_used": "ใช่",
               "legal_basis": "ประมวลกฎหมายที่ดิน มาตรา 79", "deviation": "ออกหนังสือก่อนรังวัดครบทุกแปลง",
               "via_it_system": True}],
    "escalations": [{"report_id": "ESC-2569-0007", "case_id": "LAND-2569-000123", "reported_by": "OF00040",
                     "reported_to": "OF00039", "reported_on": "10/3/2569"}],
}

# What the demo store (demo-setup, evaluated at 2026-03-20) answered to EXAMPLE_REQUEST, and to it with
# a month 13 and an officer who is not there (docs/api.md shows both)
_FLAG = {'flag_id': 'Fa479356469960c49422e',
         'rule_id': '1.1-unreviewed',
         'measure': '1.1',
         'severity': 'high',
         'subject_type': 'case',
         'subject_id': 'LAND-2569-000123',
         'status': 'open',
         'message_th': 'เรื่อง LAND-2569-000123 (รังวัดแบ่งแยกที่ดิน) ใช้ดุลพินิจและพิจารณาเมื่อ 9 มี.ค. 2569 แต่ ณ 20 '
                       'มี.ค. 2569 ผู้บังคับบัญชายังไม่ได้สอบทาน ซึ่งต้องสอบทานภายใน 18 มี.ค. 2569; เกณฑ์: '
                       'ผู้บังคับบัญชาสอบทานผลการพิจารณาที่ใช้ดุลพินิจภายใน 7 วันทำการ (ที่มา: ค่าที่ระบบตั้งไว้ '
                       '(หนังสือจังหวัดไม่ได้กำหนด)) (มาตรการข้อ 1.1 “กำกับดูแล และติดตามการปฏิบัติงาน '
                       'ตลอดจนการใช้ดุลพินิจของผู้ใต้บังคับบัญชา”)',
         'message_en': 'Case LAND-2569-000123 (รังวัดแบ่งแยกที่ดิน) used discretion and was decided on 2026-03-09, but by '
                       '2026-03-20 no supervisor had checked it; the check was due by 2026-03-18; limit: '
                       'review_within_days = 7 working days (source: product default — the letter sets no number) (measure '
                       "1.1: “supervise and follow up subordinates' work and use of discretion”)."}
EXAMPLE_RESPONSE = {
    "agency_id": "kk-land", "import_id": 2, "run_id": 2, "as_of": "2026-03-20",
    "stored": {"cases": {"inserted": 1, "updated": 0, "unchanged": 0},
               "escalations": {"inserted": 1, "updated": 0, "unchanged": 0}},
    "flags": {"opened": [_FLAG], "reopened": [], "cleared": []},
    "current": [_FLAG],
    "warnings": [],
}
EXAMPLE_PROBLEMS = {'error': {'th': 'ข้อมูลที่ส่งมามีปัญหา 2 รายการ ไม่ได้บันทึกสิ่งใด',
                              'en': '2 problems in the records posted; nothing was stored'},
                    'problems': [{'file': 'cases',
                                  'row': 1,
                                  'index': 0,
                                  'column': 'decided_on',
                                  'value': '2569-13-09',
                                  'reason_th': 'ไม่มีวันที่นี้ในปฏิทิน',
                                  'reason_en': 'no such date (month must be in 1..12)'},
                                 {'file': 'escalations',
                                  'row': 1,
                                  'index': 0,
                                  'column': 'reported_to',
                                  'value': 'OF00999',
                                  'reason_th': "ไม่พบรหัสนี้ในข้อมูลเจ้าหน้าที่ (หรือหมายถึง 'OF00049')",
                                  'reason_en': "no such id in officers (did you mean 'OF00049'?)"}],
                    'warnings': []}
