"""Issue 20 item 10: a self-assessment's evidence file is kept only when its content is PDF, PNG,
JPEG, DOCX or XLSX (signature bytes; for Office files the package inside the zip), whatever its
name; a refusal says why, in Thai and English; nothing of a refused save is kept."""

from __future__ import annotations

import datetime as dt
import io
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.domain.errors import UsageError
from engine.store import assessment as sa
from engine.store.db import transaction
from engine.store.evidence_files import check_evidence_file, kind_of
from engine.store.schema import AssessmentEvent, AssessmentItem
from engine.store.scope import SYSTEM, Scope

HEAD = Scope("head.a1", "agency_head", "A1")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run in DOS mode"


def pdf() -> bytes:
    from fpdf import FPDF

    doc = FPDF()
    doc.add_page()
    doc.set_font("helvetica", size=12)
    doc.cell(text="minutes of the ethics committee")
    return bytes(doc.output())


def image(fmt: str) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


def xlsx() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["มาตรการ", "ผล"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def office_zip(main: str, content_type: str, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal Office package: [Content_Types].xml naming its main part, and that part."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   f'package/2006/content-types"><Override PartName="/{main}" ContentType="{content_type}"/></Types>')
        z.writestr(main, "<document/>")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return out.getvalue()


DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


def test_allowed_kinds_are_told_by_content():
    assert kind_of(pdf()).name == "PDF"
    assert kind_of(image("PNG")).name == "PNG"
    assert kind_of(image("JPEG")).name == "JPEG"
    assert kind_of(xlsx()).name == "XLSX"
    assert kind_of(office_zip("word/document.xml", DOCX_MAIN)).name == "DOCX"
    for refused in (EXE, b"", b"%PDF-1.4 cut short", image("GIF"), image("BMP"),
                    office_zip("word/document.xml", DOCM_MAIN),  # a macro-enabled document
                    office_zip("word/document.xml", DOCX_MAIN, {"word/vbaProject.bin": b"\x00"}),
                    office_zip("payload.exe", "application/octet-stream"),  # a zip that is no Office file
                    b"PK\x03\x04 not really a zip", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 an old .doc"):
        assert kind_of(refused) is None, refused[:20]


@pytest.mark.parametrize("name, content, why", [
    ("fake.exe", EXE, "เนื้อไฟล์ไม่ใช่ PDF, PNG, JPEG, DOCX หรือ XLSX"),
    ("fake.pdf", EXE, "เนื้อไฟล์ไม่ใช่ PDF, PNG, JPEG, DOCX หรือ XLSX"),  # renamed: the content decides
    ("minutes.exe", None, "เนื้อไฟล์เป็น PDF แต่ชื่อไฟล์ลงท้ายด้วย .exe กรุณาเปลี่ยนชื่อให้ลงท้ายด้วย .pdf"),
    ("scan", b"PNG", "เนื้อไฟล์เป็น PNG แต่ชื่อไฟล์ลงท้ายด้วย (ไม่มีนามสกุล)"),
    ("empty.pdf", b"", "ว่างเปล่า"),
])
def test_refusals_say_why_in_thai_and_english(name, content, why):
    content = pdf() if content is None else image("PNG") if content == b"PNG" else content
    with pytest.raises(UsageError) as caught:
        check_evidence_file(name, content)
    th, en = str(caught.value).split(" / ", 1)
    assert why in th and name in th and name in en and ("refused" in en or "empty" in en)


def test_accepted_names_keep_their_case_and_jpeg_either_ending():
    assert check_evidence_file("Minutes.PDF", pdf()).name == "PDF"
    assert check_evidence_file("ภาพ.jpeg", image("JPEG")).name == check_evidence_file("ภาพ.JPG", image("JPEG")).name


def _item(db: str) -> int:
    with transaction(db) as s:
        campaign = sa.create_campaign(s, SYSTEM, 2567, dt.date(2024, 9, 30))
        a = sa.assessment(s, HEAD, campaign.id, "A1")
        return {i.measure_id: i for i in sa.items(s, HEAD, a.id)}["1.4"].id


def test_the_store_keeps_only_allowed_files(agency_db):
    """fake.exe (listed in the O48 pack before) is refused and nothing of that save is kept; a real
    PDF is kept, with its event."""
    item_id = _item(agency_db)
    with transaction(agency_db) as s:
        before = s.scalars(select(AssessmentEvent)).all().__len__()
    for name, content in (("fake.exe", EXE), ("fake.pdf", EXE)):
        with pytest.raises(UsageError, match="PDF, PNG, JPEG, DOCX"):
            with transaction(agency_db) as s:
                item = s.get(AssessmentItem, item_id)
                sa.update_item(s, HEAD, item_id, item.proposed_status, evidence_url="https://a1.example.go.th/x",
                               evidence_file=(name, content))
    with transaction(agency_db) as s:
        item = s.get(AssessmentItem, item_id)
        assert (item.evidence_file_name, item.evidence_file, item.evidence_url) == (None, None, None)
        assert len(s.scalars(select(AssessmentEvent)).all()) == before
    with transaction(agency_db) as s:
        sa.update_item(s, HEAD, item_id, item.proposed_status, evidence_file=("บันทึกการประชุม.pdf", pdf()))
    with transaction(agency_db) as s:
        assert sa.evidence_file(s, HEAD, item_id)[0] == "บันทึกการประชุม.pdf"


def test_the_app_says_a_refusal_in_thai():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))
    from messages import say

    with pytest.raises(UsageError) as caught:
        check_evidence_file("fake.exe", EXE)
    th = say(str(caught.value), "th")
    assert th.startswith("ไม่รับไฟล์ fake.exe: เนื้อไฟล์ไม่ใช่ PDF") and "refused" not in th
    assert say(str(caught.value), "en").startswith("fake.exe is refused")
