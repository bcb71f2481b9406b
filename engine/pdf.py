"""PDF documents in Thai: the Sarabun font (installed with the package, OFL) with HarfBuzz shaping."""

from __future__ import annotations

from importlib.resources import files

from fpdf import FPDF
from fpdf.enums import XPos, YPos


def sarabun(style: str = "Regular") -> str:
    return str(files("fontpkg_sarabun") / "files" / f"Sarabun-{style}.ttf")


class ThaiDocument(FPDF):
    """An A4 document with Sarabun regular and bold, shaped for Thai."""

    def __init__(self, title: str, footer: str = ""):
        super().__init__(format="A4")
        self.add_font("Sarabun", "", sarabun("Regular"))
        self.add_font("Sarabun", "B", sarabun("Bold"))
        self.set_text_shaping(True)
        self.set_title(title)
        self.set_creator("discretion-review")
        self._footer_text = footer
        self.set_auto_page_break(True, margin=18)
        self.set_margins(20, 18, 20)
        self.add_page()

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("Sarabun", "", 9)
        self.cell(0, 6, f"{self._footer_text}  หน้า {self.page_no()}", align="R")

    def heading(self, text: str, size: int = 16) -> None:
        self.set_font("Sarabun", "B", size)
        self.multi_cell(0, size * 0.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def paragraph(self, text: str, size: int = 13, bold: bool = False) -> None:
        self.set_font("Sarabun", "B" if bold else "", size)
        self.multi_cell(0, size * 0.48, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def grid(self, columns: list[str], rows: list[list[str]], widths: list[float], size: int = 11) -> None:
        self.set_font("Sarabun", "", size)
        from fpdf.fonts import FontFace

        with self.table(col_widths=widths, text_align="LEFT", line_height=size * 0.5,
                        headings_style=FontFace(family="Sarabun", emphasis="BOLD", fill_color=(230, 230, 230))) as table:
            head = table.row()
            for c in columns:
                head.cell(c)
            for r in rows:
                line = table.row()
                for v in r:
                    line.cell(str(v))
        self.ln(2)

    def bytes(self) -> bytes:
        return bytes(self.output())
