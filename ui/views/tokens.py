"""Tokens of the intake API, for the admin: make one for an agency (shown once), list, revoke.

The checks are the command line's (engine.store.tokens, `discretion-review tokens`); the store
keeps only each token's hash, and its trail records every making, revoking and use."""

from __future__ import annotations

import appdata
import pandas as pd
import streamlit as st
from i18n import labelled, lang, pick, timestamp
from messages import say
from present import named, plain
from tables import show

from engine.domain.errors import DiscretionReviewError

user = st.session_state["auth.user"]
st.title(pick(("โทเคนสำหรับส่งข้อมูลผ่าน API", "Intake API tokens")))
st.caption(pick((
    "ระบบงานของหน่วยงานส่งข้อมูลเรื่องที่พิจารณาเข้ามาได้ทันทีที่เกิดขึ้นผ่าน API โดยใช้โทเคนของหน่วยงานนั้น ระบบประมวลผลหน่วยงานนั้นใหม่ทันที "
    "และตอบข้อสังเกตที่เกิดขึ้น โทเคนหนึ่งส่งข้อมูลได้เฉพาะของหน่วยงานของตน แสดงให้เห็นเพียงครั้งเดียวเมื่อสร้าง (ระบบเก็บไว้เฉพาะค่าแฮช) "
    "และบันทึกการใช้งานทุกครั้ง",
    "An agency's own system posts its decisions as they are made through the API, with a token of that agency; "
    "the agency is evaluated at once and the flags come back. A token posts its own agency's records only, is shown "
    "once when it is made (the store keeps only its hash), and every use is recorded.")))
agencies = dict(appdata.agencies(user))

made = st.session_state.pop("tokens.made", None)
if made:  # shown this once: the next click of anything on the page and it is gone
    token_id, agency_id, token = made
    st.success(pick((f"สร้างโทเคนหมายเลข {token_id} ของ{named(agency_id, agencies)} แล้ว",
                     f"Token #{token_id} of {named(agency_id, agencies)} made")))
    st.warning(pick(("คัดลอกโทเคนนี้ไปตั้งค่าในระบบที่ส่งข้อมูลเดี๋ยวนี้ ระบบจะไม่แสดงอีก หากทำหาย ให้เพิกถอนแล้วสร้างใหม่",
                     "Copy this token into the system that posts now: it is not shown again. If it is lost, revoke "
                     "it and make a new one.")))
    st.code(token, language=None)
done = st.session_state.pop("tokens.done", None)
if done:
    st.success(done)

rows = appdata.tokens(user)
status = {True: pick(("เพิกถอนแล้ว", "revoked")), False: pick(("ใช้งานได้", "active"))}
show(pd.DataFrame([{
    pick(("หมายเลข", "No.")): t["id"], pick(("หน่วยงาน", "Agency")): named(t["agency_id"], agencies),
    pick(("ชื่อเรียก", "Label")): t["label"] or "—", pick(("สถานะ", "Status")): status[t["revoked_at"] is not None],
    pick(("ส่งข้อมูล (ครั้ง)", "Posts")): t["posts"], pick(("ส่งล่าสุด", "Last post")): timestamp(t["last_used_at"]),
    pick(("สร้างโดย", "Made by")): t["created_by"], pick(("สร้างเมื่อ", "Made")): timestamp(t["created_at"]),
    pick(("เพิกถอนเมื่อ", "Revoked")): timestamp(t["revoked_at"])} for t in rows]), "tokens.table", "tokens",
     empty=pick(("ยังไม่มีโทเคน", "No token yet")))


def attempt(fn, *args) -> bool:
    try:
        return fn(user, *args) or True
    except DiscretionReviewError as exc:
        st.error(plain(say(str(exc), lang())))
        return False


make, revoke = st.tabs([pick(("สร้างโทเคน", "Make a token")), pick(("เพิกถอนโทเคน", "Revoke a token"))])
with make:
    options = list(agencies)
    agency = st.selectbox(pick(("หน่วยงาน", "Agency")), options, key="tokens.new.agency",
                          format_func=labelled(options, lambda a: named(a, agencies)))
    label = st.text_input(pick(("ชื่อเรียก (เช่น ระบบที่ส่งข้อมูล)", "Label (e.g. the system that posts)")),
                          key="tokens.new.label")
    if st.button(pick(("สร้างโทเคน", "Make a token")), key="tokens.new.submit", type="primary") and agency:
        try:
            token_id, token = appdata.add_token(user, agency, label)
        except DiscretionReviewError as exc:
            st.error(plain(say(str(exc), lang())))
        else:
            st.session_state["tokens.made"] = (token_id, agency, token)
            st.session_state.pop("tokens.new.label", None)
            st.rerun()
with revoke:
    active = [t for t in rows if t["revoked_at"] is None]
    if not active:
        st.info(pick(("ไม่มีโทเคนที่ใช้งานได้", "No active token")))
    else:
        by_id = {t["id"]: t for t in active}
        chosen = st.selectbox(pick(("โทเคน", "Token")), list(by_id), key="tokens.revoke.pick",
                              format_func=labelled(list(by_id), lambda i: f"#{i} · {named(by_id[i]['agency_id'], agencies)}"
                                                                          f" · {by_id[i]['label'] or '—'}"))
        if st.button(pick(("เพิกถอน", "Revoke")), key="tokens.revoke.submit"):
            if attempt(appdata.revoke_token, chosen):
                st.session_state["tokens.done"] = pick((f"เพิกถอนโทเคนหมายเลข {chosen} แล้ว ใช้ส่งข้อมูลไม่ได้อีก",
                                                        f"Token #{chosen} revoked: it posts nothing from now on"))
                st.rerun()
