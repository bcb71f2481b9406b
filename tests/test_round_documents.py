"""Issue 20 items 6–8: documents that state only the records of their round (SPEC §5), the
province's letters, ITA items per fiscal year and campaigns recorded append-only and
hash-chained, dates outside the data's years refused, and the province's overview per round."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from sqlalchemy import select, text
from test_reports import ARABIC, URL, _pages, _pdf_text

from engine.domain.errors import UsageError
from engine.ingest.loader import load_dataset
from engine.kb.ita import ItaMapping
from engine.store import assessment as sa
from engine.store import ita, province
from engine.store import reports as sr
from engine.store.data import import_dataset
from engine.store.db import transaction
from engine.store.schema import Campaign
from engine.store.scope import SYSTEM, PermissionDenied, Scope

ADMIN = Scope("admin", "admin", None)
PROVINCE = Scope("province", "provincial", None)
HEAD = Scope("head.kk", "agency_head", "kk-provincial-office")
TODAY = dt.date(2026, 12, 7)
LETTER_2570 = province.RoundLetter("ขก 0017.5/ว 9876", dt.date(2026, 9, 15), "ผู้ว่าราชการจังหวัดขอนแก่น",
                                   "การรายงานการรับทราบมาตรการตรวจสอบการใช้ดุลพินิจ ประจำปีงบประมาณ พ.ศ. 2570")
# the provincial office as in the issue: its 2562 row 21/30 and its 2570 row 84/86
PROVINCIAL_OFFICE = {
    "agencies": [{"agency_id": "kk-provincial-office", "name": "สำนักงานจังหวัดขอนแก่น", "serves_public": "true"}],
    "officers": [{"officer_id": "KKHEAD", "agency_id": "kk-provincial-office", "name": "นางจันทร์เพ็ญ วงศ์ใหญ่",
                  "position": "หัวหน้าส่วนราชการ"}],
    "acknowledgements": [
        {"agency_id": "kk-provincial-office", "staff_total": "30", "staff_acknowledged": "21",
         "published_url": "https://kk.example.go.th/o48-2562", "reported_on": "2019-06-20"},
        {"agency_id": "kk-provincial-office", "staff_total": "86", "staff_acknowledged": "84",
         "published_url": "https://kk.example.go.th/ita/2570", "reported_on": "2026-11-17", "fiscal_year": "2570"}],
}


def _compact(text_: str) -> str:
    return re.sub(r"\s+", "", text_)


@pytest.fixture
def kk_db(db_url, dataset_dir):
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, load_dataset(dataset_dir(PROVINCIAL_OFFICE)), "fixture")
    return db_url


def test_the_form_of_a_round_states_that_rounds_records_only(kk_db):
    with transaction(kk_db) as s:
        province.open_round(s, ADMIN, 2570, dt.date(2026, 10, 23), "หนังสือ ขก 0017.5/ว 9876", LETTER_2570)
        later, first = (sr.acknowledgement_data(s, HEAD, "kk-provincial-office", y) for y in (2570, 2562))
    doc = sr.acknowledgement_document(later, TODAY)
    text_ = _compact(_pdf_text(doc.bytes()))
    assert "จำนวน๘๔คนจากทั้งหมด๘๖คน" in text_ and "๑๐๕" not in text_ and "๑๑๖" not in text_  # never 2562 + 2570
    assert "o48-2562" not in text_ and "https://kk.example.go.th/ita/2570" in text_
    assert "เมื่อวันที่๑๗พฤศจิกายน๒๕๖๙" in text_ and "๒๐มิถุนายน๒๕๖๒" not in text_
    assert "เรียนผู้ว่าราชการจังหวัดขอนแก่น" in text_ and "เรียนหัวหน้าสำนักงานจังหวัดขอนแก่น" not in text_
    assert "อ้างถึงหนังสือจังหวัดขอนแก่นที่ขก๐๐๑๗.๕/ว๙๘๗๖ลงวันที่๑๕กันยายน๒๕๖๙เรื่องการรายงานการรับทราบ" in text_
    assert "ประจำปีงบประมาณพ.ศ.๒๕๗๐" in text_ and "(นางจันทร์เพ็ญวงศ์ใหญ่)" in text_
    # the head's own title (the letter's annex, kb/agencies.yaml), never a generic one
    assert "ตำแหน่งหัวหน้าสำนักงานจังหวัดขอนแก่น" in text_ and "หัวหน้าส่วนราชการ" not in text_
    assert doc.marks == [False, True, True]  # 84 of 86 informed: 2.1 not ticked
    assert not ARABIC.search(URL.sub("", _pdf_text(doc.bytes())))
    # the seed round: the letter of 2562, addressed to its signatory through the provincial office's HR group
    seed = sr.acknowledgement_document(first, TODAY)
    text_ = _compact(_pdf_text(seed.bytes()))
    assert "จำนวน๒๑คนจากทั้งหมด๓๐คน" in text_ and "ita/2570" not in text_ and "เมื่อวันที่๒๐มิถุนายน๒๕๖๒" in text_
    assert "เรียนผู้ว่าราชการจังหวัดขอนแก่นผ่านสำนักงานจังหวัดขอนแก่น(กลุ่มงานบริหารทรัพยากรบุคคล)" in text_
    assert "ที่ขก๐๐๑๗.๕/ว๑๕๐๑๕ลงวันที่๑๕มิถุนายน๒๕๖๒เรื่องมาตรการตรวจสอบการใช้ดุลพินิจ" in text_
    assert seed.marks == [False, True, True]


def test_what_the_records_do_not_hold_is_a_blank_never_a_guess(kk_db):
    with transaction(kk_db) as s:  # a round opened without its letter (as before 0018); no row of that year
        province.open_round(s, ADMIN, 2569, dt.date(2026, 3, 31), "หนังสือจังหวัด (ไม่ได้บันทึกเลขที่)")
        data = sr.acknowledgement_data(s, HEAD, "kk-provincial-office", 2569)
    doc = sr.acknowledgement_document(data, TODAY)
    text_ = _compact(" ".join(line for page in _pages(doc.bytes()) for line in page))
    assert doc.marks == [False, False, False]
    assert re.search(r"เรียน\.{20,}", text_) and re.search(r"ที่\.{20,}ลงวันที่\.{20,}เรื่อง\.{20,}", text_)
    assert re.search(r"จำนวน\.{10,}คนจากทั้งหมด\.{10,}คน", text_) and re.search(r"เมื่อวันที่\.{20,}", text_)
    assert re.search(r"ที่\.{20,}๒\.๓", text_)  # 2.2: no URL
    assert "๘๔" not in text_ and "๒๑" not in text_ and "กันยายน" not in text_  # nothing of another round
    assert "(กำหนดส่ง๓๑มีนาคม๒๕๖๙)" in text_ and re.search(r"ขอนแก่นวันที่\.{20,}สำนักงาน", text_)  # signed by hand
    book = openpyxl.load_workbook(io.BytesIO(sr.acknowledgement_xlsx(data)))
    values = dict(book.active.iter_rows(min_row=2, values_only=True))
    assert values["๒.๑ บุคลากรที่รับทราบ"] == values["หนังสือของจังหวัด: เลขที่"] == "ไม่ได้บันทึก"
    assert values["๒.๓ วันที่รายงานจังหวัด"] == "ไม่ได้บันทึก" and values["๒.๑ แจ้งบุคลากรครบทุกคน"] == "ไม่ใช่"
    assert values["ข้อการประเมิน ITA"] == "ข้อการประเมิน ITA ปีงบประมาณ 2569: ยังไม่ได้กำหนด"
    en = dict(openpyxl.load_workbook(io.BytesIO(sr.acknowledgement_xlsx(data, "en"))).active.iter_rows(
        min_row=2, values_only=True))
    assert en["2.3 reported on"] == en["Province's letter: number"] == "not recorded"


def test_a_round_letter_is_part_of_its_hash_and_a_correction_supersedes_it(kk_db, capsys):
    from engine.cli import main

    with transaction(kk_db) as s:
        with pytest.raises(UsageError, match="ตำแหน่งผู้ลงนาม.* signatory .* is required"):
            province.open_round(s, ADMIN, 2570, dt.date(2026, 10, 23), "x", province.RoundLetter("ขก 1", dt.date(2026, 9, 1), " "))
        with pytest.raises(UsageError, match="after the deadline"):
            province.open_round(s, ADMIN, 2570, dt.date(2026, 10, 23), "x",
                                province.RoundLetter("ขก 1", dt.date(2026, 10, 24), "ผู้ว่าราชการจังหวัดขอนแก่น"))
        province.open_round(s, ADMIN, 2570, dt.date(2026, 10, 23), "หนังสือ ขก 0017.5/ว 9876", LETTER_2570)
        fixed = province.RoundLetter("ขก 0017.5/ว 9877", dt.date(2026, 9, 16), "ผู้ว่าราชการจังหวัดขอนแก่น")
        province.open_round(s, ADMIN, 2570, dt.date(2026, 10, 30), "หนังสือ ขก 0017.5/ว 9877 (แก้ไข)", fixed)
        r = province.rounds(s, PROVINCE)[2570]
        assert (r.deadline, r.letter) == (dt.date(2026, 10, 30), fixed)
        assert [x.letter_number for x in province.acknowledgement_rounds(s, PROVINCE)] == [LETTER_2570.number,
                                                                                          fixed.number]
    capsys.readouterr()
    assert main(["audit", "verify", "--db", kk_db]) == 0, capsys.readouterr().err
    with transaction(kk_db) as s:  # the owner rewrites the first letter's signatory: the trail says so
        if kk_db.startswith("postgresql"):
            s.execute(text("ALTER TABLE acknowledgement_rounds DISABLE TRIGGER USER"))
        else:
            s.execute(text("DROP TRIGGER acknowledgement_rounds_no_update"))
        s.execute(text("UPDATE acknowledgement_rounds SET signatory = 'ปลัดจังหวัดขอนแก่น' WHERE letter_number = "
                       "'ขก 0017.5/ว 9876'"))
    capsys.readouterr()
    assert main(["audit", "verify", "--db", kk_db]) == 1
    assert "acknowledgement_rounds event #1: " in capsys.readouterr().err


def test_dates_outside_the_datas_years_are_refused_in_thai_and_nothing_is_stored(kk_db):
    # the data spans 2019 (2562) – 2026 (2569), and today is within: 1 Jan 2017 – 31 Dec 2028 are accepted
    with transaction(kk_db) as s:
        assert province.date_window(s, ADMIN)[0] <= dt.date(2017, 1, 1) and province.date_window(s, ADMIN)[1] >= dt.date(2028, 12, 31)
        with pytest.raises(UsageError, match=r"กำหนดส่ง 1 ม.ค. 2643 อยู่นอกช่วงที่รับได้ .* ±2 ปี.* 2100-01-01 is outside"):
            sa.create_campaign(s, ADMIN, 2570, dt.date(2100, 1, 1))  # typed as 1/1/2643
        with pytest.raises(UsageError, match="ปีงบประมาณ 2643 อยู่นอกช่วงที่รับได้"):
            sa.create_campaign(s, ADMIN, 2643, dt.date(2026, 9, 30))
        with pytest.raises(UsageError, match="ปีงบประมาณ 2483 อยู่นอกช่วง"):
            province.open_round(s, ADMIN, 2483, dt.date(1940, 3, 31), "x")
        with pytest.raises(UsageError, match="กำหนดส่ง 31 มี.ค. 2643 อยู่นอกช่วง"):
            province.open_round(s, ADMIN, 2570, dt.date(2100, 3, 31), "x")
        with pytest.raises(UsageError, match="วันที่ของหนังสือ 15 ก.ย. 2469 อยู่นอกช่วง"):
            province.open_round(s, ADMIN, 2570, dt.date(2026, 10, 23), "x",
                                province.RoundLetter("ขก 1", dt.date(1926, 9, 15), "ผู้ว่าราชการจังหวัดขอนแก่น"))
        with pytest.raises(UsageError, match="วันที่ 5 ม.ค. 2643 อยู่นอกช่วง"):
            province.add_calendar_entry(s, ADMIN, dt.date(2100, 1, 5), "add", "วันหยุด", "Day off", "มติ ครม.")
        with pytest.raises(UsageError, match="ปีงบประมาณ 2670 อยู่นอกช่วง"):
            ita.record_item(s, ADMIN, 2670, "O40", "คู่มือ ITA 2670")
        assert s.scalar(select(Campaign.id)) is None and province.acknowledgement_rounds(s, ADMIN) == []


def test_a_campaign_is_corrected_by_a_later_entry_and_its_history_is_kept(kk_db, capsys):
    from engine.cli import main

    with transaction(kk_db) as s:
        c = sa.create_campaign(s, ADMIN, 2570, dt.date(2027, 1, 1))
        with pytest.raises(UsageError, match="exists already: correct its due date instead"):
            sa.create_campaign(s, ADMIN, 2570, dt.date(2027, 2, 1))
        with pytest.raises(UsageError, match="a reason for the correction is required"):
            sa.correct_campaign(s, ADMIN, c.id, dt.date(2027, 9, 30), " ")
        with pytest.raises(PermissionDenied):
            sa.correct_campaign(s, HEAD, c.id, dt.date(2027, 9, 30), "พิมพ์ปีผิด")
        sa.correct_campaign(s, ADMIN, c.id, dt.date(2027, 9, 30), "พิมพ์ปีผิด")
        assert s.get(Campaign, c.id).due_date == dt.date(2027, 9, 30)
        assert [(e.action, e.due_date, e.reason, e.actor) for e in sa.campaign_history(s, PROVINCE, c.id)] == [
            ("opened", dt.date(2027, 1, 1), None, "admin"), ("corrected", dt.date(2027, 9, 30), "พิมพ์ปีผิด", "admin")]
    capsys.readouterr()
    assert main(["audit", "verify", "--db", kk_db]) == 0
    assert "campaign_entries 2" in capsys.readouterr().out
    with pytest.raises(Exception, match="append-only"):
        with transaction(kk_db) as s:
            s.execute(text("UPDATE campaign_entries SET due_date = '2027-01-01'"))


def test_ita_items_per_year_from_the_kb_or_an_administrators_entry(kk_db, capsys):
    from engine.cli import main

    with transaction(kk_db) as s:
        assert ita.mapping(s, PROVINCE, 2562).items == "O48" and ita.mapping(s, PROVINCE, 2562).indicator == "10.2"
        assert ita.mapping(s, PROVINCE, 2570) == ItaMapping(2570)  # nobody mapped it: no item at all
        assert ita.mapping(s, PROVINCE, 2570).label() == "ข้อการประเมิน ITA ปีงบประมาณ 2570: ยังไม่ได้กำหนด"
        with pytest.raises(PermissionDenied, match="administrators only"):
            ita.record_item(s, PROVINCE, 2570, "O40", "คู่มือ ITA 2570")
        with pytest.raises(UsageError, match="ต้องระบุที่มา"):
            ita.record_item(s, ADMIN, 2570, "O40", "  ")
        with pytest.raises(UsageError, match="is not a list of ITA item codes"):
            ita.record_item(s, ADMIN, 2570, "ข้อ 40 ของปีนี้", "คู่มือ ITA 2570")
        ita.record_item(s, ADMIN, 2570, "O39,O40", "คู่มือการประเมิน ITA ประจำปีงบประมาณ พ.ศ. 2570 (ทดสอบ)")
        assert ita.mapping(s, PROVINCE, 2570).label() == "ITA ปีงบประมาณ 2570 ข้อ O39, O40"
        ita.record_item(s, ADMIN, 2570, "O41", "คู่มือการประเมิน ITA ประจำปีงบประมาณ พ.ศ. 2570 (แก้ไข)")
        assert ita.mapping(s, PROVINCE, 2570).items == "O41" and len(ita.entries(s, PROVINCE)) == 2
    capsys.readouterr()
    assert main(["audit", "verify", "--db", kk_db]) == 0
    assert "ita_items 2" in capsys.readouterr().out
    with transaction(kk_db) as s:  # the owner rewrites an entry: the trail says so
        if kk_db.startswith("postgresql"):
            s.execute(text("ALTER TABLE ita_items DISABLE TRIGGER USER"))
        else:
            s.execute(text("DROP TRIGGER ita_items_no_update"))
        s.execute(text("UPDATE ita_items SET items = 'O48' WHERE id = 1"))
    capsys.readouterr()
    assert main(["audit", "verify", "--db", kk_db]) == 1
    assert "ita_items event #1: " in capsys.readouterr().err


def test_the_evidence_pack_names_its_years_item_and_never_o48_for_another_year(kk_db):
    with transaction(kk_db) as s:
        campaign = sa.create_campaign(s, ADMIN, 2570, dt.date(2026, 9, 30))
        unmapped = sr.evidence_data(s, HEAD, "kk-provincial-office", campaign.id)
        seed = sr.evidence_data(s, HEAD, "kk-provincial-office", None, 2562)
        ita.record_item(s, ADMIN, 2570, "O40", "คู่มือการประเมิน ITA ประจำปีงบประมาณ พ.ศ. 2570 (ทดสอบ)", "9.1")
        mapped = sr.evidence_data(s, HEAD, "kk-provincial-office", campaign.id)
    text_ = _compact(_pdf_text(sr.evidence_pdf(unmapped, TODAY)))
    assert "O48" not in text_ and _compact("ข้อการประเมิน ITA ปีงบประมาณ 2570: ยังไม่ได้กำหนด") in text_
    assert _compact("หลักฐานประกอบการประเมิน ITA ปีงบประมาณ พ.ศ. 2570: มาตรการตรวจสอบการใช้ดุลพินิจ") in text_
    cells = [c for sheet in openpyxl.load_workbook(io.BytesIO(sr.evidence_xlsx(unmapped))) for row in
             sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert not [c for c in cells if "O48" in c] and "ข้อการประเมิน ITA ปีงบประมาณ 2570: ยังไม่ได้กำหนด" in cells
    assert _compact("ITA ปีงบประมาณ 2562 ข้อ O48 (ตัวชี้วัดที่ 10.2)") in _compact(_pdf_text(sr.evidence_pdf(seed, TODAY)))
    text_ = _compact(_pdf_text(sr.evidence_pdf(mapped, TODAY)))
    assert _compact("ITA ปีงบประมาณ 2570 ข้อ O40 (ตัวชี้วัดที่ 9.1)") in text_ and "O48" not in text_


def test_the_province_overview_is_per_round_worst_first(kk_db, dataset_dir):
    more = {"agencies": [{"agency_id": f"kk-x{i}", "name": f"สำนักงานทดสอบ {i}", "serves_public": "true"}
                         for i in range(4)],
            "acknowledgements": [
                {"agency_id": "kk-x0", "staff_total": "5", "staff_acknowledged": "5", "reported_on": "2026-10-20",
                 "fiscal_year": "2570"},  # on time
                {"agency_id": "kk-x1", "staff_total": "5", "staff_acknowledged": "5", "reported_on": "2026-11-30",
                 "fiscal_year": "2570"},  # 38 days late
                {"agency_id": "kk-x2", "staff_total": "5", "staff_acknowledged": "5", "reported_on": "2019-06-01"}]}
    with transaction(kk_db) as s:
        import_dataset(s, SYSTEM, load_dataset(dataset_dir(more, name="more")), "more")
        province.open_round(s, ADMIN, 2570, dt.date(2026, 10, 23), "หนังสือ ขก 0017.5/ว 9876", LETTER_2570)
        rows = {y: sr.province_data(s, PROVINCE, y, TODAY) for y in (2570, 2562, 2569)}
        before = sr.province_data(s, PROVINCE, 2570, dt.date(2026, 10, 1))
    states = [(r["agency_id"], r["state"]) for r in rows[2570]["agencies"]]
    assert states[:3] == [("A1", "overdue"), ("kk-x2", "overdue"), ("kk-x3", "overdue")]  # by name among equals
    assert [s_ for _, s_ in states[3:]] == ["late", "late", "on_time"]
    assert [a for a, _ in states[3:5]] == ["kk-x1", "kk-provincial-office"]  # 38 days late before 25
    assert {r["agency_id"]: r["state"] for r in rows[2562]["agencies"]} == {
        "A1": "on_time", "kk-provincial-office": "on_time", "kk-x2": "on_time", "kk-x0": "overdue", "kk-x1": "overdue",
        "kk-x3": "overdue"}  # 2562's rows against 2562's deadline only
    assert {r["state"] for r in rows[2569]["agencies"]} == {"no_round"}
    assert {r["agency_id"]: r["state"] for r in before["agencies"]}["kk-x3"] == "due"  # not yet due on 1 Oct
    book = openpyxl.load_workbook(io.BytesIO(sr.province_xlsx(rows[2570])))
    assert [r[1] for r in book.active.iter_rows(min_row=2, values_only=True)][:4] == [
        "ยังไม่รายงาน (เลยกำหนดแล้ว)"] * 3 + ["รายงานล่าช้า"]
    text_ = _compact(_pdf_text(sr.province_pdf(rows[2570])))
    assert _compact("ข้อการประเมิน ITA ปีงบประมาณ 2570: ยังไม่ได้กำหนด") in text_ and "O48" not in text_


def test_the_command_line_opens_rounds_and_writes_the_documents_in_the_users_scope(kk_db, tmp_path, capsys):
    from engine.cli import main

    password = "Udon-jasmine-ledger-2569"
    for name, role, agency in (("admin.kk", "admin", None), ("head.kk", "agency_head", "kk-provincial-office"),
                               ("head.a1", "agency_head", "A1"), ("province.kk", "provincial", None)):
        assert main(["users", "--db", kk_db, "add", name, "--role", role, "--password", password]
                    + (["--agency", agency] if agency else [])) == 0
    rounds = ["rounds", "add", "--fiscal-year", "2570", "--deadline", "23/10/2569", "--letter-number", "ขก 0017.5/ว 9876",
              "--letter-date", "15/9/2569", "--signatory", "ผู้ว่าราชการจังหวัดขอนแก่น", "--source",
              "หนังสือจังหวัดขอนแก่น ที่ ขก 0017.5/ว 9876", "--db", kk_db]
    capsys.readouterr()
    assert main(rounds + ["--user", "head.kk"]) == 2  # administrators only
    assert "administrators only" in capsys.readouterr().err
    assert main(rounds + ["--user", "admin.kk"]) == 0
    assert main(["campaigns", "add", "--fiscal-year", "2570", "--due", "1/1/2643", "--user", "admin.kk",
                 "--db", kk_db]) == 2
    assert "กำหนดส่ง 1 ม.ค. 2643 อยู่นอกช่วงที่รับได้" in capsys.readouterr().err
    assert main(["ita", "add", "--fiscal-year", "2570", "--items", "O40", "--source", "คู่มือ ITA 2570 (ทดสอบ)",
                 "--user", "admin.kk", "--db", kk_db]) == 0
    with transaction(kk_db) as s:
        r = province.rounds(s, PROVINCE)[2570]
        assert (r.deadline, r.letter) == (dt.date(2026, 10, 23), province.RoundLetter(
            "ขก 0017.5/ว 9876", dt.date(2026, 9, 15), "ผู้ว่าราชการจังหวัดขอนแก่น"))
        assert ita.mapping(s, PROVINCE, 2570).items == "O40"

    def report(kind: str, out: str, user: str, *more: str) -> int:
        return main(["report", kind, "--fiscal-year", "2570", "--output", str(tmp_path / out), "--user", user,
                     "--db", kk_db, *more])

    assert report("acknowledgement", "ack.pdf", "head.kk", "--agency", "kk-provincial-office") == 0
    text_ = _compact(_pdf_text((tmp_path / "ack.pdf").read_bytes()))
    assert "จำนวน๘๔คนจากทั้งหมด๘๖คน" in text_ and "ที่ขก๐๐๑๗.๕/ว๙๘๗๖ลงวันที่๑๕กันยายน๒๕๖๙" in text_
    assert report("acknowledgement", "ack.xlsx", "head.kk", "--agency", "kk-provincial-office", "--lang", "en") == 0
    values = dict(openpyxl.load_workbook(tmp_path / "ack.xlsx").active.iter_rows(min_row=2, values_only=True))
    assert values["2.1 staff informed"] == 84 and values["Province's letter: number"] == "ขก 0017.5/ว 9876"
    assert report("pack", "pack.pdf", "head.kk", "--agency", "kk-provincial-office") == 0
    assert "O40" in _pdf_text((tmp_path / "pack.pdf").read_bytes())
    assert report("province", "province.xlsx", "province.kk") == 0
    assert openpyxl.load_workbook(tmp_path / "province.xlsx").active.max_row == 3  # A1 and the provincial office
    capsys.readouterr()
    # another agency's head: the agency is not found in their scope, and nothing is written
    assert report("acknowledgement", "other.pdf", "head.a1", "--agency", "kk-provincial-office") == 2
    assert "no agency kk-provincial-office" in capsys.readouterr().err and not (tmp_path / "other.pdf").exists()
    assert report("acknowledgement", "ack.docx", "head.kk", "--agency", "kk-provincial-office") == 2
    assert "must end in .pdf or .xlsx" in capsys.readouterr().err and not (tmp_path / "ack.docx").exists()
    assert report("pack", "pack2.pdf", "head.kk") == 2 and "needs --agency" in capsys.readouterr().err
