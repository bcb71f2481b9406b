"""Text that Markdown would read as markup, put where people's and data's text goes (issue 20,
item 4): the app must show every such text as written. Used by test_app.py and test_browser.py."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from engine.store.access import Scope
from engine.store.db import transaction
from engine.store.review import act
from engine.store.schema import AgencyRow, FlagRow, OfficerRow, ProcessRow

# An image (every reviewer's browser would fetch it: 127.0.0.1:9 answers nothing), a link, emphasis,
# HTML, an emoji and an icon, an arrow, bare addresses, math, code, strikethrough; and, line by line,
# a list, a heading, a numbered list, a quote, an indented code block and emphasis again.
MARKUP = ("![x](http://127.0.0.1:9/p.png) **หนา** <img src=http://127.0.0.1:9/h.png> :smile: :material/home: "
          "a -> b www.example.com a@b.co $x$ `c` ~~s~~ [l](http://127.0.0.1:9/l)")
LINES = "- a\n# h\n1. b\n> q\n    code\n**x**"
HOST = "127.0.0.1:9"


def mark_up(url: str) -> list[str]:
    """Put MARKUP in the names of agency kk-land and of the officer and process of its first open
    case flag, in that flag's message, and in every text of four decisions of the head: a
    confirmation, a waiver, a request for information and a dismissal. Their flags' ids, in order."""
    head = Scope("head.land", "agency_head", "kk-land")
    with transaction(url) as s:
        ids = list(s.scalars(select(FlagRow.flag_id).where(FlagRow.agency_id == "kk-land", FlagRow.status == "open")
                             .order_by(FlagRow.subject_type != "case", FlagRow.flag_id).limit(4)))
        first = s.get(FlagRow, ids[0])
        assert len(ids) == 4 and first.subject_type == "case"
        s.get(AgencyRow, "kk-land").name = f"สำนักงานที่ดิน {MARKUP}"
        s.get(OfficerRow, first.officer_id).name = f"นาย {MARKUP}"
        s.get(ProcessRow, first.process_id).name = f"{LINES}\nงาน {MARKUP}"
        first.message_th = f"{MARKUP}\n{LINES}"
        s.flush()
        reason = f"{LINES}\n{MARKUP}"
        act(s, head, ids[0], "confirm", corrective_action=f"{MARKUP}\n{LINES}", due_date=dt.date.today(),
            reason=reason)
        act(s, head, ids[1], "waive", reason=reason, approver=f"นาย {MARKUP}",
            expires_on=dt.date.today() + dt.timedelta(days=30))
        act(s, head, ids[2], "request_info", reason=reason)
        act(s, head, ids[3], "dismiss", reason=reason)
    return ids
