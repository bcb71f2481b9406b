"""discretion-review: the Streamlit app. This file only builds navigation (and signs users in).

    streamlit run ui/app.py      (DISCRETION_DB_URL selects the database; SQLite by default)
"""

from __future__ import annotations

from pathlib import Path

import appdata
import auth
import failures
import missing_page
import streamlit as st
from due_text import tx
from i18n import LANG_KEY, pick, t
from present import named, plain

from engine import logs
from engine.domain.calendar import today as bangkok_today
from engine.store.scope import ROLE_NAMES

VIEWS = Path(__file__).parent / "views"
AUTH_KEY = "auth.user"
missing_page.install()  # an unknown address is answered by a page in the reader's language

st.set_page_config(page_title="ตรวจสอบการใช้ดุลพินิจ", page_icon=":material/balance:", layout="wide")
if refused := auth.refusal():  # no usable secret key: no login is safe, so the app does not start
    st.error(refused)
    st.stop()
# Streamlit's own English hint under a text box ("Press Enter to apply") cannot be translated: hide it
# (and the empty box of the script below)
st.html("<style>[data-testid='InputInstructions'] {display: none;} "
        "[data-testid='stElementContainer']:has(script[data-copy-plain]) {display: none;}</style>")
# Nor its file uploader's words ("Upload", "200MB per file • CSV, XLSX"): drawn over in the reader's language
UPLOAD_WORDS = {"th": ("เลือกไฟล์", "ลากไฟล์มาวางที่นี่ หรือกดปุ่มเลือกไฟล์"),
                "en": ("Upload", "Drop files here, or pick them")}
_button, _instructions = UPLOAD_WORDS[st.session_state.get(LANG_KEY, "th")]
st.html("<style>"
        "[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p, "
        "[data-testid='stFileUploaderDropzoneInstructions'] span {visibility: hidden; font-size: 0;} "
        "[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p::after, "
        "[data-testid='stFileUploaderDropzoneInstructions'] span::after {visibility: visible; font-size: 0.875rem;} "
        f"[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p::after "
        f"{{content: '{_button}';}} "
        f"[data-testid='stFileUploaderDropzoneInstructions'] span::after {{content: '{_instructions}';}}"
        "</style>")
# Text from data is shown with invisible word joiners where Streamlit would rewrite it (present.plain):
# what a person copies from the page leaves them behind, so a pasted id or address still matches.
COPY_PLAIN = """<script data-copy-plain>
(function () {
  if (document.documentElement.dataset.copyPlain) { return; }
  document.documentElement.dataset.copyPlain = "1";
  document.addEventListener("copy", function (event) {
    var text = String(document.getSelection() || "");
    if (text.indexOf("\u2060") < 0 || !event.clipboardData) { return; }
    event.clipboardData.setData("text/plain", text.split("\u2060").join(""));
    event.preventDefault();
  }, true);
})();
</script>"""

with st.sidebar:
    st.radio(t("lang.label"), ["th", "en"], key=LANG_KEY, horizontal=True,
             format_func=lambda code: "ไทย" if code == "th" else "English")
    st.html(COPY_PLAIN, unsafe_allow_javascript=True)


def store_down(problem: str) -> None:
    """The page users see while the store cannot be reached (never the driver's words, which
    name a host and port: those go to the log); it comes back by itself once the store answers."""
    logs.event("error", "error", where="app", error="StoreUnavailable", message=problem)
    st.title(pick(("ระบบฐานข้อมูลไม่พร้อมใช้งานชั่วคราว", "The database is not available at the moment")))
    st.write(pick((
        "ขณะนี้แอปติดต่อฐานข้อมูลไม่ได้ ข้อมูลและผลการพิจารณาที่บันทึกไว้แล้วไม่สูญหาย แต่ยังบันทึกสิ่งใหม่ไม่ได้ "
        "ระบบจะกลับมาใช้งานได้เองเมื่อฐานข้อมูลพร้อม โปรดลองอีกครั้งในอีกสักครู่ หากยังเป็นอยู่ โปรดแจ้งผู้ดูแลระบบ",
        "The app cannot reach its database right now. What was saved, decisions included, is not lost, but nothing "
        "new can be saved. The app comes back by itself once the database answers: please try again in a moment, "
        "and tell the system administrator if this goes on.")))
    if st.button(pick(("ลองอีกครั้ง", "Try again")), key="app.retry"):
        st.rerun()
    st.stop()


if (problem := appdata.store_problem()) is not None:
    store_down(problem)

# a link to one flag (/flag?id=F…, or the older /?flag=F…): shown as soon as the user is in
linked = st.query_params.get("id") or st.query_params.get("flag")
if linked and AUTH_KEY not in st.session_state:
    st.session_state["flag.selected"] = linked
    st.session_state["auth.goto_flag"] = True

user = st.session_state.get(AUTH_KEY)
if user is None:  # a refresh (F5) or a new tab: the signed session cookie, if it still stands
    claims = auth.verify(auth.cookie_token())
    if claims and (user := appdata.session_user(*claims)):
        st.session_state[AUTH_KEY], st.session_state[auth.ISSUED_KEY] = user, claims[1]
elif st.session_state.get(auth.ISSUED_KEY) is not None:  # logged in here: does the login still stand?
    user = appdata.session_user(user[0], st.session_state[auth.ISSUED_KEY])
    if user is None:
        st.session_state.clear()
        st.session_state[auth.LOGGED_OUT_KEY] = True
        st.session_state[auth.PENDING_KEY] = ("delete", None)
    else:
        st.session_state[AUTH_KEY] = user
auth.write_pending_cookie()

PATHS = ("queue", "flag", "risk", "assessment", "reports", "data", "rules", "calendar", "province", "users", "tokens",
         "due", "case", "notifications")
if user is None:  # the login form answers at every page's address, which then opens after login
    login = [st.Page(VIEWS / "login.py", title=t("login.title"), icon=":material/login:", default=True),
             st.Page(VIEWS / "privacy.py", title=t("nav.privacy"), url_path="privacy")]  # read before logging in
    home, home_path = login[0], None
    page = st.navigation(login + [st.Page(VIEWS / "login.py", title=t("login.title"), url_path=path)
                                  for path in PATHS], position="hidden")
else:
    appdata.expire_waivers(bangkok_today())
    scope = appdata.scope_of(user)
    with st.sidebar:
        username, role, agency = user
        agency_name = appdata.names(user)["agency"].get(agency, "") if agency else ""
        # the person as colleagues know them (display name and role), not the login
        shown_name = appdata.people(user, (username,)).get(username, (username, role))[0]
        role_name = pick(ROLE_NAMES[role])
        st.caption(f"**{plain(shown_name)}**" + (f" · {role_name}" if shown_name != role_name else "")
                   + (f" · {plain(named(agency, {agency: agency_name}))}" if agency else ""))
        if st.button(t("logout"), key="auth.logout"):
            appdata.end_sessions(username)
            lang = st.session_state.get(LANG_KEY, "th")
            st.session_state.clear()
            st.session_state.update({LANG_KEY: lang, auth.LOGGED_OUT_KEY: True, auth.PENDING_KEY: ("delete", None)})
            st.query_params.clear()
            st.rerun()
    flag_page = st.Page(VIEWS / "flag.py", title=t("nav.flag"), icon=":material/search:", url_path="flag")
    queue_page = st.Page(VIEWS / "queue.py", title=t("nav.queue"), icon=":material/checklist:", url_path="queue",
                         default=not scope.all_agencies or scope.role == "admin")
    home, home_path = queue_page, "queue"  # the home page is at /; /queue (or /province) names it too
    pages = [
        queue_page,
        flag_page,
        st.Page(VIEWS / "due.py", title=tx("nav.due"), icon=":material/alarm:", url_path="due"),
        st.Page(VIEWS / "case.py", title=tx("nav.case"), icon=":material/folder_open:", url_path="case"),
        st.Page(VIEWS / "risk.py", title=t("nav.risk"), icon=":material/monitoring:", url_path="risk"),
        st.Page(VIEWS / "assessment.py", title=t("nav.assessment"), icon=":material/fact_check:", url_path="assessment"),
        st.Page(VIEWS / "reports.py", title=t("nav.reports"), icon=":material/description:", url_path="reports"),
        st.Page(VIEWS / "upload.py", title=t("nav.data"), icon=":material/upload_file:", url_path="data"),
        st.Page(VIEWS / "rules.py", title=t("nav.rules"), icon=":material/menu_book:", url_path="rules"),
        st.Page(VIEWS / "days_off.py", title=t("nav.calendar"), icon=":material/event:", url_path="calendar"),
        st.Page(VIEWS / "privacy.py", title=t("nav.privacy"), icon=":material/privacy_tip:", url_path="privacy"),
    ]
    if scope.all_agencies:
        pages.insert(0, st.Page(VIEWS / "dashboard.py", title=t("nav.dashboard"), icon=":material/dashboard:",
                                url_path="province", default=scope.role == "provincial"))
        if scope.role == "provincial":
            home, home_path = pages[0], "province"
    if scope.can("manage_users"):
        pages.append(st.Page(VIEWS / "users.py", title=t("nav.users"), icon=":material/group:", url_path="users"))
        pages.append(st.Page(VIEWS / "tokens.py", title=pick(("โทเคนสำหรับ API", "API tokens")), icon=":material/key:",
                             url_path="tokens"))
    pages.append(st.Page(VIEWS / "notifications.py", title=tx("nav.notifications"), icon=":material/mail:",
                         url_path="notifications"))
    page = st.navigation(pages)
    # a link to a flag opens it after login; /case?id=C… names a case, whose page it is already
    if st.session_state.pop("auth.goto_flag", False) and page.url_path != "case":
        st.switch_page(flag_page, query_params={"id": st.session_state["flag.selected"]})


# an address no page answers (None: found); the home page's own name (/queue, /province) is the home page
asked = missing_page.missing()
asked = None if asked == home_path else asked


def _page() -> None:
    try:
        if asked is not None and user is not None:
            missing_page.show(asked, home)
            return
        if asked is not None:  # before login: the login form, and what the address was
            st.info(t("missing.login", address=plain(f"/{asked}")))
        page.run()
    except Exception as exc:  # (st.stop and st.rerun are not Exceptions: they pass)
        if not appdata.store_down(exc):
            raise
        store_down(appdata.reason(exc))  # the store went away while the page read it


# an unexpected error is logged and said in Thai with a reference, never as a traceback
failures.shown(_page, user=user[0] if user else None)
if user is None:  # while the user types: load what the first page after login needs (cached for all sessions)
    appdata.warm_up()
