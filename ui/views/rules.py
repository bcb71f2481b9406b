"""The knowledge base: measures quoted from the letter, the rules, and their parameters."""

from __future__ import annotations

import appdata
import pandas as pd
import streamlit as st
from i18n import date, lang, pick, t
from tables import show

from engine.domain.calendar import fiscal_year
from engine.kb.ita import kb_mappings
from engine.rules.catalogue import describe_condition

kb, catalogue = appdata.kb(), appdata.catalogue()
th = lang() == "th"
st.title(t("rules.title"))
src = kb.source
# the letter's own year's ITA item (kb/ita.yaml), not O48 as if for every year; the others: the calendar page.
# The letter's number is quoted as the letter writes it (its own digits); everything else in the reader's language
item = kb_mappings()[fiscal_year(src.dated)].label(lang())
st.caption(f"{t('rules.source')}: {src.issuer_th} ที่ {src.letter_no} ลงวันที่ {date(src.dated)} — {item}" if th
           else f"{t('rules.source')}: {src.issuer_en}, letter {src.letter_no} of {date(src.dated)} — {item}")

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
                st.markdown(f"{t('rules.applies_to', subject=t('subject.' + r.subject).lower())}: "
                            f"{describe_condition(r.applies_to, lang(), kb.defaults())}")

st.subheader(t("rules.parameters"))
st.caption(t("rules.parameters_about"))
# each value in words with its unit and basis (7 วันทำการ, 730 วัน; a round's deadline by fiscal year, all
# in the Buddhist Era) and where it comes from: the letter sets none of these numbers
show(pd.DataFrame([{
    "parameter": name, "meaning": p.meaning_th if th else p.meaning_en, "default": p.amount(p.default, lang()),
    "source": pick((p.source_th, p.source_en)),
} for name, p in kb.parameters.items()]), "rules.parameters", "parameters")
st.subheader(t("rules.legal"))
for ref in kb.legal_references:
    st.markdown(f"- **{ref.title_th}** — {ref.sections}" if th else f"- **{ref.title_en}** ({ref.title_th}) — {ref.sections_en}")
