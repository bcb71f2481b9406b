"""PDF documents in Thai: the Sarabun font (installed with the package, OFL) with HarfBuzz shaping,
lines broken between words (PyThaiNLP), and one numeral convention per document."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib.resources import files
from typing import Any, Literal

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos
from fpdf.fonts import FontFace
from fpdf.line_break import TextLine

from engine.domain.thai import with_digits, word_break_offsets

# fpdf2 breaks a line at a zero-width space (one of its breaking spaces); it is put between Thai
# words before layout and taken out again before the text is shaped and written, so the PDF's
# text (copy, search, screen readers) is exactly the text given.
BREAK = "\u200b"

Digits = Literal["thai", "arabic"]


def sarabun(style: str = "Regular") -> str:
    return str(files("fontpkg_sarabun") / "files" / f"Sarabun-{style}.ttf")


@lru_cache(maxsize=4096)
def breakable(text: str) -> str:
    """``text`` with a break opportunity (zero-width space) between Thai words; Thai has no spaces
    between words, so without them a line would break inside one ("จังหวั|ดขอนแก่น")."""
    cuts = sorted(p for p in word_break_offsets(text) if not text[p - 1].isspace())
    if not cuts:
        return text
    parts, last = [], 0
    for p in cuts:
        parts.append(text[last:p])
        last = p
    parts.append(text[last:])
    return BREAK.join(parts)


class ThaiDocument(FPDF):
    """An A4 document with Sarabun regular and bold, shaped for Thai.

    ``digits`` is the document's numeral convention: ``"thai"`` (๑๒๓, as official letters use) or
    ``"arabic"`` (123); every text written is put in it, except URLs and codes such as O48.
    """

    def __init__(self, title: str, footer: str = "", digits: Digits = "arabic"):
        super().__init__(format="A4")
        self.digits: Digits = digits
        self.add_font("Sarabun", "", sarabun("Regular"))
        self.add_font("Sarabun", "B", sarabun("Bold"))
        self.set_text_shaping(True)
        self.set_title(title)
        self.set_creator("discretion-review")
        self._footer_text = footer
        self.set_auto_page_break(True, margin=18)
        self.set_margins(20, 18, 20)
        self.marks: list[bool] = []  # the boxes drawn (``checkbox``), in order: ticked or not
        self.add_page()

    # --- every text fpdf2 lays out passes through these two ---
    def normalize_text(self, text: str) -> str:
        return super().normalize_text(breakable(with_digits(text, thai=self.digits == "thai")))

    def _render_styled_text_line(self, text_line: TextLine, *args: Any, **kwargs: Any) -> bool:
        removed = sum(f.characters.count(BREAK) for f in text_line.fragments)
        if removed:
            fragments = [f.clone([c for c in f.characters if c != BREAK], link=f.link) for f in text_line.fragments]
            text_line = text_line._replace(fragments=[f for f in fragments if f.characters],
                                           number_of_spaces=text_line.number_of_spaces - removed)
        return super()._render_styled_text_line(text_line, *args, **kwargs)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("Sarabun", "", 9)
        self.cell(0, 6, f"{self._footer_text}  หน้า {self.page_no()}", align="R")

    def _fits(self, height: float) -> bool:
        return self.y + height <= self.page_break_trigger

    def heading(self, text: str, size: int = 16, keep_with_next: float = 20, align: str = "L") -> None:
        """A heading, moved to the next page rather than left alone at the foot of this one."""
        self.set_font("Sarabun", "B", size)
        height = self.multi_cell(0, size * 0.5, text, dry_run=True, output=MethodReturnValue.HEIGHT)
        if not self._fits(height + 2 + keep_with_next):
            self.add_page()
        self.multi_cell(0, size * 0.5, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def paragraph(self, text: str, size: int = 13, bold: bool = False, indent: float = 0,
                  align: str = "L", first_line_indent: float = 0) -> None:
        """A paragraph across the text width, or from ``indent`` mm to the right margin;
        ``first_line_indent`` mm more on its first line (as a Thai official letter indents it)."""
        self.set_font("Sarabun", "B" if bold else "", size)
        if first_line_indent:  # no-break spaces: fpdf2's multi_cell has no first-line indent of its own
            text = "\u00a0" * round(first_line_indent / self.get_string_width("\u00a0")) + text
        self.set_x(self.l_margin + indent)
        self.multi_cell(self.epw - indent, size * 0.48, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def labelled(self, label: str, text: str, size: int = 13, width: float = 28) -> None:
        """``label`` in bold, then ``text`` from ``width`` mm on, its later lines aligned under its
        first (an official letter's เรียน, อ้างถึง)."""
        line = size * 0.48
        if not self._fits(line):
            self.add_page()
        self.set_font("Sarabun", "B", size)
        top = self.y
        self.cell(width, line, label)
        self.set_font("Sarabun", "", size)
        self.set_xy(self.l_margin + width, top)
        self.multi_cell(self.epw - width, line, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def checkbox(self, checked: bool, text: str, size: int = 13, indent: float = 10) -> None:
        """A box drawn at ``indent`` mm (ticked when ``checked``), then ``text`` beside it, its later
        lines aligned under its first. Sarabun has no ☐/☑ glyphs: the box is drawn, and
        ``self.marks`` records each box's state in order (what a reader of the PDF sees)."""
        line = size * 0.48
        if not self._fits(line):
            self.add_page()
        side = size * 0.3
        x, top = self.l_margin + indent, self.y + (line - size * 0.3) / 2 + 0.2
        self.set_line_width(0.3)
        self.rect(x, top, side, side)
        if checked:  # a tick, drawn in two strokes
            self.set_line_width(0.5)
            self.line(x + side * 0.18, top + side * 0.52, x + side * 0.42, top + side * 0.8)
            self.line(x + side * 0.42, top + side * 0.8, x + side * 0.86, top + side * 0.18)
            self.set_line_width(0.2)
        self.marks.append(checked)
        self.paragraph(text, size=size, indent=indent + side + 2.5)

    @contextmanager
    def kept_together(self) -> Iterator[Any]:
        """What is written inside stays on one page: it moves to the next page whole if it would
        not fit (a signature block must not be split from its name and date)."""
        with self.unbreakable() as block:
            yield block

    def grid(self, columns: list[str], rows: list[list[str]], widths: list[float], size: int = 11) -> None:
        self.set_font("Sarabun", "", size)
        # Room above and below each line: Thai stacks vowels and tone marks above and below the letters,
        # and they must not touch the cell's rules.
        with self.table(col_widths=widths, text_align="LEFT", line_height=size * 0.52, padding=(0.9, 1.2),
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
