"""What a self-assessment's evidence file may be: PDF, PNG, JPEG, DOCX or XLSX, told by what the
file holds — its signature bytes, and for the two Office formats the package inside the zip —
never by its name. A renamed program (``fake.exe``), a macro-enabled workbook or an old binary
Office file is refused with the reason, in Thai and English; so is a name whose extension says
another kind than the content (the file would open in the wrong program once downloaded).

Only the zip's directory and its small ``[Content_Types].xml`` are read: nothing is unpacked.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from engine.domain.errors import UsageError


@dataclass(frozen=True)
class Kind:
    name: str              # as people call it: "PDF"
    extensions: tuple[str, ...]  # the names' endings that say this kind (the first is the usual one)
    media_type: str


PDF = Kind("PDF", (".pdf",), "application/pdf")
PNG = Kind("PNG", (".png",), "image/png")
JPEG = Kind("JPEG", (".jpg", ".jpeg"), "image/jpeg")
DOCX = Kind("DOCX", (".docx",), "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
XLSX = Kind("XLSX", (".xlsx",), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
KINDS = (PDF, PNG, JPEG, DOCX, XLSX)
ALLOWED_EXTENSIONS = tuple(e.lstrip(".") for k in KINDS for e in k.extensions)  # for the upload widget
# the main part of each Office package, and its content type (a macro-enabled .docm/.xlsm has another)
_MAIN_PART = {DOCX: ("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml."
                     "document.main+xml"),
              XLSX: ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")}
_CONTENT_TYPES_MAX = 1 << 20  # [Content_Types].xml is a few KB; more is not an Office file
ALLOWED_TH = "PDF, PNG, JPEG, DOCX หรือ XLSX"
ALLOWED_EN = "PDF, PNG, JPEG, DOCX or XLSX"


def _refused(th: str, en: str) -> UsageError:
    return UsageError(f"{th} / {en}")


def kind_of(content: bytes) -> Kind | None:
    """The allowed kind ``content`` is, by its bytes; None when it is none of them."""
    if content[:1024].find(b"%PDF-") != -1 and b"%%EOF" in content[-2048:]:
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n") and content[12:16] == b"IHDR":
        return PNG
    if content.startswith(b"\xff\xd8\xff") and b"\xff\xd9" in content[-1024:]:
        return JPEG
    if content.startswith(b"PK\x03\x04"):
        return _office_kind(content)
    return None


def _office_kind(content: bytes) -> Kind | None:
    try:
        package = zipfile.ZipFile(io.BytesIO(content))
        names = set(package.namelist())
        info = package.getinfo("[Content_Types].xml")
        if info.file_size > _CONTENT_TYPES_MAX:
            return None
        types = package.read(info).decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError, EOFError, ValueError):
        return None
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        return None  # macros: refused whatever the package says it is
    for kind, (part, media) in _MAIN_PART.items():
        if part in names and re.search(rf'PartName="/{re.escape(part)}"\s+ContentType="{re.escape(media)}"', types):
            return kind
    return None


def check_evidence_file(name: str, content: bytes) -> Kind:
    """The kind of an evidence file that may be kept; ``UsageError`` (Thai / English) saying why
    not otherwise. ``name`` is the uploaded file's name, kept as given when it is accepted."""
    shown = PurePath(name or "").name or "?"
    if not content:
        raise _refused(f"ไฟล์ {shown} ว่างเปล่า", f"the file {shown} is empty")
    kind = kind_of(content)
    if kind is None:
        raise _refused(
            f"ไม่รับไฟล์ {shown}: เนื้อไฟล์ไม่ใช่ {ALLOWED_TH} (ระบบตรวจจากเนื้อไฟล์ ไม่ใช่จากชื่อ; ไฟล์ Word หรือ Excel "
            "รุ่นเก่า .doc/.xls และไฟล์ที่มีแมโครไม่รับ) กรุณาบันทึกเป็น PDF แล้วแนบใหม่",
            f"{shown} is refused: its content is not {ALLOWED_EN} (checked by what the file holds, not by its name; "
            "old .doc/.xls files and files with macros are refused); save it as PDF and attach it again")
    suffix = PurePath(shown).suffix.lower()
    if suffix not in kind.extensions:
        raise _refused(
            f"ไม่รับไฟล์ {shown}: เนื้อไฟล์เป็น {kind.name} แต่ชื่อไฟล์ลงท้ายด้วย {suffix or '(ไม่มีนามสกุล)'} "
            f"กรุณาเปลี่ยนชื่อให้ลงท้ายด้วย {kind.extensions[0]} แล้วแนบใหม่",
            f"{shown} is refused: its content is {kind.name} but its name ends in {suffix or '(no extension)'}; "
            f"rename it to end in {kind.extensions[0]} and attach it again")
    return kind


def file_size(n: int) -> str:
    """A file's size as the evidence pack writes it: ``812 B``, ``12.4 KB``, ``3.1 MB``."""
    return f"{n:,} B" if n < 1024 else f"{n / 1024:,.1f} KB" if n < 1024 ** 2 else f"{n / 1024 ** 2:,.1f} MB"
