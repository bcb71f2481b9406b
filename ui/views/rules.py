"""The knowledge base: measures quoted from the letter, the rules, and their parameters."""

from __future__ import annotations

import appdata
import pandas as pd
import streamlit as st
from i18n import date, lang, pick, t
from present import field_value
from tables import show

from engine.domain.calendar import fiscal_year
from engine.kb.ita import kb_mappings
from engine.rules.catalogue import describe_condition

kb, catalogue = appdata.kb(), appdata.catalogue()
th = lang() == "th"
st.title(t("rules.title"))
src = kb.source
# the letter's own year's ITA item (kb/ita.yaml), not O48 as if for every year; the others: the calendar page
st.caption(f"{t('rules.source')}: {src.issuer_th if th else src.issuer_en} ที่ {src.letter_no} ลงวันที่ {date(src.dated)} — "
           f"{kb_mappings()[fiscal_year(src.dated)].label(lang())}")

for m in kb.measures:
    label = ("มาตรการข้อ" if m.kind == "measure" else "แนวทางข้อ") if th else m.kind.capitalize()
    text_en = "" if th else f"> *{m.text_en}*"
    with st.expander(f"{label} {m.id} — {m.title_th if th else m.title_en}"):
        st.markdown(f"> {m.text_th}")
        if text_en:
            st.markdown(text_en)
        for r in (r for r in catalogue if r.measure == m.id):
            st.markdown(f"**`{r.rule_id}`** · {t('sev.' + r.severity)} · {t('subject.' + r.subject)} — "
                        f"{r.title_th if th else r.title_en}")
            st.markdown(f"{t('rules.condition')}: {describe_condition(r.when, lang(), kb.defaults())}")
            if r.applies_to is not None:  # what counts as evaluated (the self-assessment's "no data")
                st.markdown(f"{t('rules.applies_to')}: {describe_condition(r.applies_to, lang(), kb.defaults())}")

st.subheader(t("rules.parameters"))
UNITS = {"days": ("วัน", "days"), "years": ("ปี", "years"), "decisions": ("เรื่องที่พิจารณา", "decisions"), "date": ("วันที่", "date")}
show(pd.DataFrame([{
    "name": name, "default": field_value(name, p.default) if hasattr(p.default, "isoformat") else str(p.default),
    "unit": pick(UNITS.get(p.unit, (p.unit, p.unit))), "meaning": p.meaning_th if th else p.meaning_en,
} for name, p in kb.parameters.items()]), "rules.parameters", "parameters")
st.subheader(t("rules.legal"))
for ref in kb.legal_references:
    st.markdown(f"- **{ref.title_th}** — {ref.sections}" if th else f"- **{ref.title_en}** ({ref.title_th}) — {ref.sections_en}")
