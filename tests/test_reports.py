"""The acknowledgement form and the O48 evidence pack: Thai line breaking, the signature block,
numerals, the self-assessment's evidence, the default campaign, and XLSX values in Thai."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from engine.domain.thai import thai_words, with_digits, word_break_offsets
from engine.outputs.pdf import BREAK, ThaiDocument
from engine.store import assessment as sa
from engine.store import reports as sr
from engine.store.db import transaction
from engine.store.scope import SYSTEM, Scope

HEAD = Scope("head.a1", "agency_head", "A1")
ADMIN = Scope("admin", "admin", None)
TODAY = dt.date(2024, 4, 20)
ARABIC = re.compile(r"[0-9]")
THAI_DIGIT = re.compile(r"[๐-๙]")
URL = re.compile(r"https?://\S+")

# Words that broke across lines before (จังหวั|ดขอนแก่น, ผ่อนผันชั่วคร|าว) and other long ones; the check
# that no line breaks inside them does not rely on the segmenter the layout uses.
KNOWN_WORDS = ("จังหวัด", "ขอนแก่น", "ผ่อนผัน", "ชั่วคราว", "ดุลพินิจ", "ผู้บังคับบัญชา", "มาตรการ", "ตรวจสอบ",
               "คณะกรรมการ", "จริยธรรม", "ประชาสัมพันธ์", "หลักเกณฑ์", "ปฏิบัติงาน")


def _clean(text: str) -> str:
    """HarfBuzz draws sara am (ำ) as two glyphs; fpdf2 maps the first to ำ and leaves the second without
    a Unicode value, so readers give its raw code after ำ (a control character or "%"): drop it."""
    text = re.sub("\u0e33[\x00-\x1f\x21-\xff]", "\u0e33", text.replace("\r", ""))
    return unicodedata.normalize("NFC", text)


def _pages(data: bytes) -> list[list[str]]:
    """Each page's text lines, as pypdf extracts them."""
    return [[line for line in _clean(p.extract_text()).split("\n") if line.strip()]
            for p in PdfReader(io.BytesIO(data)).pages]


def _pdf_text(data: bytes) -> str:
    return "".join("".join(lines) for lines in _pages(data))


def _breaks(source: str, lines: list[str]) -> list[int]:
    """Where in ``source`` the lines were broken; asserts the lines give ``source`` back in order."""
    pos, cuts = 0, []
    for line in lines:
        while pos < len(source) and source[pos].isspace():
            pos += 1
        line = line.strip()
        assert source[pos:pos + len(line)] == line, (source[pos:pos + 40], line)
        pos += len(line)
        cuts.append(pos)
    assert pos == len(source.rstrip())
    return cuts[:-1]


LONG_THAI = ("ตามหนังสือจังหวัดขอนแก่นเรื่องมาตรการตรวจสอบการใช้ดุลพินิจผู้บังคับบัญชาทุกระดับต้องกำกับดูแลการใช้ดุลพินิจ"
             "ของผู้ใต้บังคับบัญชาให้เป็นไปตามกฎหมายและหลักเกณฑ์ที่เกี่ยวข้องข้อสังเกตนี้ได้รับการผ่อนผันชั่วคราวจากผู้บังคับบัญชา"
             "จนกว่าคณะกรรมการจริยธรรมจังหวัดขอนแก่นจะพิจารณาแล้วเสร็จ ") * 3


@pytest.mark.parametrize("size", [9, 11, 13, 16])
def test_thai_lines_break_between_words_never_inside_one(size):
    doc = ThaiDocument("t")
    doc.paragraph(LONG_THAI.strip(), size=size)
    data = doc.bytes()
    lines = _pages(data)[0][:-1]  # the footer is last
    assert len(lines) > 5
    allowed = word_break_offsets(LONG_THAI.strip())
    for cut in _breaks(LONG_THAI.strip(), lines):
        source = LONG_THAI.strip()
        assert source[cut].isspace() or cut in allowed, f"line broken inside a word: …{source[cut - 10:cut]}|{source[cut:cut + 10]}…"
        for word in KNOWN_WORDS:
            for m in re.finditer(word, source):
                assert not m.start() < cut < m.end(), f"{word} broken: …{source[cut - 10:cut]}|{source[cut:cut + 10]}…"
    raw = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert BREAK not in raw  # the break opportunities are gone from the written text


def test_table_cells_break_between_words():
    doc = ThaiDocument("t")
    cell = "ผ่อนผันชั่วคราวจังหวัดขอนแก่นคณะกรรมการจริยธรรมจังหวัดขอนแก่น" * 4
    doc.grid(["ข้อ", "เหตุผล", "หลักฐาน"], [["1.4", cell, "-"]], [15, 60, 60], size=10)
    lines = _pages(doc.bytes())[0]
    body = lines[lines.index("1.4") + 1:lines.index("-")]  # pypdf reads the cells one after another
    cuts = _breaks(cell, body)
    assert cuts and set(cuts) <= word_break_offsets(cell)


def test_a_heading_is_not_left_alone_at_the_foot_of_a_page():
    doc = ThaiDocument("t")
    while doc.y < doc.page_break_trigger - 22:  # room for the heading, not for the lines after it
        doc.paragraph("ข้อความ")
    assert doc.page_no() == 1
    doc.heading("๕. หลักฐานประกอบการประเมินตนเอง", 14)
    doc.paragraph("เนื้อหาของหัวข้อ")
    pages = _pages(doc.bytes())
    assert len(pages) == 2 and pages[1][0] == "5. หลักฐานประกอบการประเมินตนเอง"  # an Arabic-digit document


def test_segmentation_is_offline_and_writes_nothing(tmp_path):
    """PyThaiNLP's bundled dictionary is enough: no socket is opened and no ~/pythainlp-data is made."""
    code = ("import socket\n"
            "class NoNetwork(socket.socket):\n"
            "    def __init__(self, *a, **k):\n"
            "        raise RuntimeError('network used')\n"
            "socket.socket = NoNetwork\n"
            "socket.create_connection = lambda *a, **k: (_ for _ in ()).throw(RuntimeError('network used'))\n"
            "from engine.domain.thai import thai_words\n"
            "print('|'.join(thai_words('จังหวัดขอนแก่นผ่อนผันชั่วคราว')))\n")
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o500)  # read-only
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHAINLP")} | {"HOME": str(home)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1], timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "จังหวัด|ขอนแก่น|ผ่อนผัน|ชั่วคราว"
    assert not list(home.iterdir())


def test_break_offsets_keep_numbers_codes_and_repeat_marks_whole():
    text = "ที่ ขก ๐๐๑๗.๕/ว ๑๕๐๑๕ ต่างๆ ITA ข้อ O48 https://a1.example.go.th/o48"
    offsets = word_break_offsets(text)
    for token in ("๐๐๑๗.๕/ว", "ต่างๆ", "O48", "https://a1.example.go.th/o48"):
        start = text.index(token)
        assert not any(start < o < start + len(token) for o in offsets), token
    assert "".join(thai_words(text)) == text


def test_one_numeral_convention_keeps_urls_and_codes():
    text = "ITA ข้อ O48 ครั้งที่ 2 ลงวันที่ ๑๕ มิถุนายน ๒๕๖๒ ที่ https://a1.example.go.th/o48?id=5"
    assert with_digits(text, thai=True) == "ITA ข้อ O48 ครั้งที่ ๒ ลงวันที่ ๑๕ มิถุนายน ๒๕๖๒ ที่ https://a1.example.go.th/o48?id=5"
    assert with_digits(text, thai=False) == "ITA ข้อ O48 ครั้งที่ 2 ลงวันที่ 15 มิถุนายน 2562 ที่ https://a1.example.go.th/o48?id=5"


def _ack(agency: str = "สำนักงานทดสอบ") -> dict:
    from engine.kb.ita import kb_mappings
    from engine.store.province import seed_round

    return {"agency_id": "A1", "agency": agency, "head": "นายทดสอบ ใจดี", "head_title": "หัวหน้าสำนักงาน",
            "fiscal_year": 2562, "round": seed_round()[2562], "ita": kb_mappings()[2562],
            "rows": [{"staff_total": 10, "staff_acknowledged": 10, "published_url": "https://a1.example.go.th/o48",
                      "reported_on": dt.date(2019, 6, 19)}]}


def test_acknowledgement_form_signature_block_stays_on_one_page():
    """The agency's name grows until the signature block reaches the foot of the page: its four lines
    are always on one page, and at least once the whole block had to move to the next page."""
    moved = 0
    for n in range(24, 60, 5):  # the form's second page has room: the name grows in three places
        pages = _pages(sr.acknowledgement_pdf(_ack("สำนักงานทดสอบ" + " กลุ่มงานบริหารทั่วไป" * n), TODAY))
        block = ["ลงชื่อ", "(นายทดสอบ ใจดี)", "ตำแหน่ง หัวหน้าสำนักงาน", "วันที่ ......"]  # the date: by hand
        where = [[i for i, lines in enumerate(pages) if any(line.startswith(b) for line in lines)] for b in block]
        assert all(len(w) == 1 for w in where), where
        assert len({w[0] for w in where}) == 1, f"signature block split across pages with {n} more words: {where}"
        page = where[0][0]
        moved += page > 0 and pages[page][0].startswith("ลงชื่อ")
    assert moved, "the test never brought the block to a page end"


def test_acknowledgement_form_uses_thai_digits_throughout():
    text = _pdf_text(sr.acknowledgement_pdf(_ack(), TODAY))
    assert "๑๐ คน จากทั้งหมด ๑๐ คน" in text and "เมื่อวันที่ ๑๙ มิถุนายน ๒๕๖๒" in text
    assert "พิมพ์เมื่อ ๒๐ เมษายน ๒๕๖๗" in text and "ข้อ ๑.๑–๑.๘" in text and "หน้า ๑" in text
    assert "ลงวันที่๑๕มิถุนายน๒๕๖๒" in re.sub(r"\s+", "", text) and "ขก ๐๐๑๗.๕/ว ๑๕๐๑๕" in text
    assert "https://a1.example.go.th/o48" in text  # a URL keeps its digits
    assert not ARABIC.search(URL.sub("", text)), ARABIC.findall(URL.sub("", text))


def _submitted_assessment(db: str) -> int:
    """Campaign 2567 for A1: the head uploads a file and a URL for 1.4, the admin adds a note later; submitted."""
    with transaction(db) as s:
        campaign = sa.create_campaign(s, SYSTEM, 2567, dt.date(2024, 9, 30))
        a = sa.assessment(s, HEAD, campaign.id, "A1")
        items = {i.measure_id: i for i in sa.items(s, HEAD, a.id)}
        item = items["1.4"]
        sa.update_item(s, HEAD, item.id, "compliant", override_reason="วิเคราะห์ร่วมกับคณะกรรมการจริยธรรมแล้ว",
                       evidence_url="https://a1.example.go.th/risk-2567",
                       evidence_file=("บันทึกการประชุม.pdf", b"%PDF-1.4\n" + b"x" * 2033 + b"\n%%EOF"))
        sa.update_item(s, ADMIN, item.id, "compliant", override_reason="วิเคราะห์ร่วมกับคณะกรรมการจริยธรรมแล้ว",
                       evidence_note="รายงานการประชุมคณะกรรมการจริยธรรม ครั้งที่ 2/2567")
        sa.update_item(s, HEAD, items["1.7"].id, "non_compliant", override_reason="ยังไม่มีระบบ",
                       evidence_note="อยู่ระหว่างจัดซื้อ")
        sa.submit(s, HEAD, a.id)
        return campaign.id


def test_evidence_pack_lists_files_urls_and_notes_with_who_and_when(agency_db):
    campaign_id = _submitted_assessment(agency_db)
    with transaction(agency_db) as s:
        pack = sr.evidence_data(s, HEAD, "A1", campaign_id)
    row = next(r for r in pack["assessment"] if r["measure"] == "1.4")
    assert row["file"]["name"] == "บันทึกการประชุม.pdf" and row["file"]["size"] == 2048
    assert row["file"]["by"] == "head.a1"            # the uploader, not the admin who added the note later
    assert row["note_by"] == "admin" and row["url_by"] == "head.a1"
    assert pack["assessment_status"] == "submitted" and pack["fiscal_year"] == 2567
    text = _pdf_text(sr.evidence_pdf(pack, TODAY))
    assert "หลักฐานประกอบการประเมินตนเอง" in text
    assert "บันทึกการประชุม.pdf" in text and "2.0 KB" in text and "head.a1" in text
    assert "https://a1.example.go.th/risk-2567" in text
    assert "รายงานการประชุมคณะกรรมการจริยธรรม" in text and "2/2567 admin" in text and "อยู่ระหว่างจัดซื้อ" in text
    uploaded = row["file"]["at"] + dt.timedelta(hours=7)
    assert f"{uploaded.day} " in text and f"{uploaded.year + 543} {uploaded:%H:%M} น." in text
    book = openpyxl.load_workbook(io.BytesIO(sr.evidence_xlsx(pack)))
    evidence = [r for r in book["หลักฐาน"].iter_rows(min_row=2, values_only=True)]
    assert ("1.4", "ไฟล์แนบ", "บันทึกการประชุม.pdf", "2.0 KB", "head.a1") == evidence[1][:5]
    assert re.fullmatch(r"\d+ \S+ 25\d\d \d\d:\d\d น\.", evidence[1][5])


def test_evidence_pack_uses_arabic_digits_throughout(agency_db):
    campaign_id = _submitted_assessment(agency_db)
    with transaction(agency_db) as s:
        pack = sr.evidence_data(s, HEAD, "A1", campaign_id)
    text = _pdf_text(sr.evidence_pdf(pack, TODAY))
    assert not THAI_DIGIT.search(text), THAI_DIGIT.findall(text)[:10]
    assert "20 มิถุนายน 2562" in text  # the letter's deadline, quoted
    assert "O48" not in text and "ข้อการประเมิน ITA ปีงบประมาณ 2567: ยังไม่ได้กำหนด" in text  # 2562's item only
    assert "ปีงบประมาณ พ.ศ. 2567" in text and "ข้อมูล ณ วันที่ 20 เมษายน 2567" in text


ENGLISH_CODES = {"open", "needs_info", "confirmed", "resolved", "dismissed", "waived", "cleared_by_data", "compliant",
                 "partial", "non_compliant", "not_applicable", "no_data", "draft", "submitted", "high", "medium", "low",
                 "measure", "guideline", "True", "False", "true", "false", "request_info", "confirm", "dismiss"}


def _cells(book: openpyxl.Workbook) -> list:
    return [c for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c is not None]


def test_report_xlsx_values_are_thai_in_thai_and_english_in_english(agency_db):
    campaign_id = _submitted_assessment(agency_db)
    with transaction(agency_db) as s:
        pack = sr.evidence_data(s, HEAD, "A1", campaign_id)
        ack = sr.acknowledgement_data(s, HEAD, "A1", 2562)
    th = openpyxl.load_workbook(io.BytesIO(sr.evidence_xlsx(pack)))
    cells = _cells(th)
    assert not ENGLISH_CODES & {c for c in cells if isinstance(c, str)}
    assert not [c for c in cells if isinstance(c, (dt.date, dt.datetime, bool))]  # dates as BE text
    items = {r[0]: r for r in th["ผลการประเมินรายข้อ"].iter_rows(min_row=2, values_only=True)}
    assert items["1.7"][1:4] == ("ไม่เป็นไปตามมาตรการ", "เป็นไปตามมาตรการ", "ใช่")  # proposed compliant, changed
    summary = dict(th["การประเมินตนเอง"].iter_rows(min_row=2, values_only=True))
    assert summary["สถานะ"] == "ส่งแล้ว" and re.fullmatch(r"\d+ \S+ 25\d\d \d\d:\d\d น\.", summary["ส่งเมื่อ"])
    header = next(th["ข้อสังเกตตามมาตรการ"].iter_rows(max_row=1, values_only=True))
    assert header[1:3] == ("รอพิจารณา", "ขอข้อมูลเพิ่มเติม")
    row14 = next(r for r in th["ข้อสังเกตตามมาตรการ"].iter_rows(values_only=True) if r[0] == "1.4")
    assert row14[1] == pack["flags"][("1.4", "open")] == 1
    assert next(th["ข้อสังเกตตามระดับความสำคัญ"].iter_rows(max_row=1, values_only=True)) == ("มาตรการ", "สูง", "ปานกลาง", "ต่ำ")
    assert [r[1] for r in th["มาตรการ"].iter_rows(min_row=2, values_only=True)][-1] == "แนวทางปฏิบัติ"
    ack_th = dict(openpyxl.load_workbook(io.BytesIO(sr.acknowledgement_xlsx(ack))).active.iter_rows(min_row=2, values_only=True))
    assert ack_th["๒.๓ วันที่รายงานจังหวัด"] == "19 มิ.ย. 2562" and ack_th["๒.๒ เผยแพร่บนเว็บไซต์แล้ว"] == "ใช่"
    assert ack_th["หน่วยงาน"] == "สำนักงานทดสอบ" and ack_th["๒.๑ บุคลากรทั้งหมด"] == 10

    en = openpyxl.load_workbook(io.BytesIO(sr.evidence_xlsx(pack, lang="en")))
    items = {r[0]: r for r in en["Items"].iter_rows(min_row=2, values_only=True)}
    assert items["1.7"][1] == "Non-compliant" and items["1.7"][3] == "Yes"
    assert next(en["Flags by measure"].iter_rows(max_row=1, values_only=True))[1:3] == ("Open", "Needs information")
    evidence = list(en["Evidence"].iter_rows(min_row=2, values_only=True))
    assert evidence[1][1] == "File" and isinstance(evidence[1][5], dt.datetime)
    coded = ([c for r in items.values() for c in r[1:4]] + [r[1] for r in evidence]
             + [r[1] for r in en["Measures"].iter_rows(min_row=2, values_only=True)]
             + [dict(en["Self-assessment"].iter_rows(min_row=2, values_only=True))["Status"]])
    assert set(coded) <= {"Compliant", "Non-compliant", "Partial", "Not applicable", "Not assessed — no data", "Yes", "No",
                          "Link", "File", "Note", "Measure", "Guideline", "Submitted"}
    ack_en = dict(openpyxl.load_workbook(io.BytesIO(sr.acknowledgement_xlsx(ack, "en"))).active.iter_rows(
        min_row=2, values_only=True))
    assert ack_en["2.3 reported on"].date() == dt.date(2019, 6, 19) and ack_en["2.2 published on the website"] == "Yes"


def test_evidence_pack_without_a_campaign_says_so(agency_db):
    with transaction(agency_db) as s:
        pack = sr.evidence_data(s, HEAD, "A1", None)
    text = _pdf_text(sr.evidence_pdf(pack, TODAY))
    assert "ยังไม่มีการประเมินตนเองในรอบนี้" in text and "ข้อสังเกตจากการตรวจสอบ" in text


def test_reports_page_opens_on_the_latest_campaign_with_its_submitted_assessment(tmp_path, monkeypatch):
    """Item 4 of issue 9: the evidence pack showed "no self-assessment" because no campaign was selected."""
    from streamlit.testing.v1 import AppTest

    from engine.demo.store import setup_demo

    url = f"sqlite:///{tmp_path}/app.db"
    list(setup_demo(url, cases=150, as_of=dt.date(2026, 11, 25)))
    head = Scope("head.land", "agency_head", "kk-land")
    with transaction(url) as s:
        older = sa.create_campaign(s, SYSTEM, 2568, dt.date(2025, 9, 30))
        latest = sa.create_campaign(s, SYSTEM, 2569, dt.date(2026, 9, 30))
        sa.assessment(s, head, older.id, "kk-land")
        sa.submit(s, head, sa.assessment(s, head, latest.id, "kk-land").id)
    packs: list[dict] = []
    real = sr.evidence_pdf
    monkeypatch.setattr(sr, "evidence_pdf", lambda data, today: packs.append(data) or real(data, today))
    monkeypatch.setenv("DISCRETION_DB_URL", url)
    import streamlit as st

    st.cache_data.clear()  # reads are cached per server, not per database: another test may have used another one
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "ui" / "app.py"), default_timeout=60)
    at.session_state["app.lang"] = "th"
    at.session_state["auth.user"] = ("head.land", "agency_head", "kk-land")
    at.run()
    at.switch_page("views/reports.py").run()
    assert not at.exception
    assert at.selectbox(key="reports.pack_fy").value == 2569  # the latest campaign's year, not the round's (2570)
    # the page makes a file when its button is clicked, from the page's selection (AppTest cannot click a
    # download button): make the evidence pack the way the button does
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))
    import appdata

    appdata.report_file(("head.land", "agency_head", "kk-land"), at.selectbox(key="reports.agency").value,
                        at.selectbox(key="reports.pack_fy").value, dt.date(2026, 11, 25), "pack.pdf")
    assert packs and packs[-1]["fiscal_year"] == 2569 and packs[-1]["assessment_status"] == "submitted"
