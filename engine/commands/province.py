"""The command line of the province's records and documents (issue 20 items 6–8): the same
store functions, checks and scope as the app's calendar, self-assessment and reports pages.

    discretion-review rounds add --fiscal-year R --deadline DATE --letter-number TEXT
        --letter-date DATE --signatory TEXT --source TEXT [--subject TEXT] --user NAME
    discretion-review rounds list
    discretion-review ita add --fiscal-year R --items "O39, O40" --source TEXT [--indicator X] --user NAME
    discretion-review ita list
    discretion-review campaigns add --fiscal-year R --due DATE --user NAME
    discretion-review campaigns correct --fiscal-year R --due DATE --reason TEXT --user NAME
    discretion-review campaigns list
    discretion-review report acknowledgement|pack|province [--agency ID] --fiscal-year R --output FILE
        --user NAME [--lang th|en]

A report is a PDF or an XLSX workbook by its file's suffix (.pdf, .xlsx), written whole or not
at all."""

from __future__ import annotations

import argparse
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from engine.domain.errors import UsageError
from engine.domain.thai import format_date

SUFFIXES = (".pdf", ".xlsx")


def add_parsers(sub, parser_class: type, date: Callable, db_flag: Callable) -> None:
    def user_flag(p: argparse.ArgumentParser) -> None:
        p.add_argument("--user", required=True, help="the user who acts (their role and agency apply; recorded)")

    r = sub.add_parser("rounds", help="acknowledgement rounds (guidelines 2.1–2.3): open one from the province's "
                       "letter, or list them")
    rsub = r.add_subparsers(dest="rounds_command", required=True, parser_class=parser_class)
    add = rsub.add_parser("add", help="open (or correct, by a later entry for the same year) a fiscal year's round "
                          "(administrators)")
    add.add_argument("--fiscal-year", type=int, required=True, help="Buddhist Era, e.g. 2570")
    add.add_argument("--deadline", type=date, required=True, help="the day the agencies report by (BE years accepted)")
    add.add_argument("--letter-number", required=True, help="the province's letter, e.g. 'ขก 0017.5/ว 1234'")
    add.add_argument("--letter-date", type=date, required=True, help="the letter's date")
    add.add_argument("--signatory", required=True,
                     help="the position the letter is signed in (the form is addressed to it), e.g. ผู้ว่าราชการจังหวัดขอนแก่น")
    add.add_argument("--subject", default=None, help="the letter's subject (else a blank line on the form)")
    add.add_argument("--source", required=True, help="where the round comes from, quoted in the 2.x flags' messages")
    user_flag(add)
    db_flag(add)
    db_flag(rsub.add_parser("list", help="every round entry, oldest first, and the round in force per year"))

    i = sub.add_parser("ita", help="the ITA item(s) the measures serve per fiscal year (kb/ita.yaml and entries)")
    isub = i.add_subparsers(dest="ita_command", required=True, parser_class=parser_class)
    add = isub.add_parser("add", help="record (or correct) a fiscal year's ITA item(s) and source (administrators)")
    add.add_argument("--fiscal-year", type=int, required=True)
    add.add_argument("--items", required=True, help="the item code(s), e.g. 'O39, O40'")
    add.add_argument("--source", required=True, help="e.g. the NACC's ITA manual of that year")
    add.add_argument("--indicator", default=None, help="the indicator, when the year's manual has one")
    add.add_argument("--title", default=None, help="the item's title in Thai")
    user_flag(add)
    db_flag(add)
    db_flag(isub.add_parser("list", help="the item(s) of every year known, and the entries recorded"))

    c = sub.add_parser("campaigns", help="self-assessment campaigns: open, correct a due date, list")
    csub = c.add_subparsers(dest="campaigns_command", required=True, parser_class=parser_class)
    add = csub.add_parser("add", help="open a fiscal year's campaign")
    add.add_argument("--fiscal-year", type=int, required=True)
    add.add_argument("--due", type=date, required=True)
    user_flag(add)
    db_flag(add)
    fix = csub.add_parser("correct", help="correct a campaign's due date (a later entry; the history is kept)")
    fix.add_argument("--fiscal-year", type=int, required=True)
    fix.add_argument("--due", type=date, required=True)
    fix.add_argument("--reason", required=True)
    user_flag(fix)
    db_flag(fix)
    db_flag(csub.add_parser("list", help="every campaign with its entries"))

    rep = sub.add_parser("report", help="write a document as the app's reports and province pages make it")
    rep.add_argument("kind", choices=["acknowledgement", "pack", "province"])
    rep.add_argument("--agency", default=None, help="the agency (acknowledgement, pack)")
    rep.add_argument("--fiscal-year", type=int, required=True, help="the round (acknowledgement, province) or the "
                     "year of the campaign and ITA item (pack)")
    rep.add_argument("--output", type=Path, required=True, help="FILE.pdf or FILE.xlsx")
    rep.add_argument("--lang", choices=["th", "en"], default="th", help="the workbook's language (the PDFs are Thai)")
    user_flag(rep)
    db_flag(rep)


def _scope(session, args: argparse.Namespace):
    from engine.store.access import scope_of
    from engine.store.scope import SYSTEM

    return scope_of(session, args.user) if getattr(args, "user", None) else SYSTEM


def run(args: argparse.Namespace, url: str) -> str:
    """Carry out the command in one transaction; what to print."""
    from engine.store.db import transaction

    if args.command == "report":
        return _report(args, url)
    with transaction(url) as session:
        scope = _scope(session, args)
        if args.command == "rounds":
            return _rounds(session, scope, args)
        if args.command == "ita":
            return _ita(session, scope, args)
        return _campaigns(session, scope, args)


def _rounds(session, scope, args: argparse.Namespace) -> str:
    from engine.store import province

    if args.rounds_command == "add":
        row = province.open_round(session, scope, args.fiscal_year, args.deadline, args.source,
                                  province.RoundLetter(args.letter_number, args.letter_date, args.signatory, args.subject))
        return (f"round of fiscal year {row.fiscal_year} opened: due {row.deadline.isoformat()}, letter "
                f"{row.letter_number} of {row.letter_date.isoformat()} signed as {row.signatory}")
    lines = []
    for r in province.acknowledgement_rounds(session, scope):
        letter = (f"letter {r.letter_number} of {r.letter_date.isoformat()}, {r.signatory}, {r.subject or '-'}"
                  if r.letter_number else "no letter recorded")
        lines.append(f"#{r.id} {r.at:%Y-%m-%d %H:%M} UTC {r.actor}: fiscal year {r.fiscal_year} due "
                     f"{r.deadline.isoformat()} ({letter}); source: {r.source}")
    lines.append("in force: " + "; ".join(f"{y} due {r.deadline.isoformat()} ({r.origin})"
                                          for y, r in province.rounds(session, scope).items()))
    return "\n".join(lines)


def _ita(session, scope, args: argparse.Namespace) -> str:
    from engine.store import ita

    if args.ita_command == "add":
        row = ita.record_item(session, scope, args.fiscal_year, args.items, args.source, args.indicator, args.title)
        return f"fiscal year {row.fiscal_year}: ITA item {row.items} ({row.source})"
    lines = [f"#{r.id} {r.at:%Y-%m-%d %H:%M} UTC {r.actor}: fiscal year {r.fiscal_year} item {r.items}; "
             f"source: {r.source}" for r in ita.entries(session, scope)]
    lines += [f"{y}: {m.label('en')} ({m.origin}; {m.source})" for y, m in ita.mappings(session, scope).items()]
    return "\n".join(lines)


def _campaigns(session, scope, args: argparse.Namespace) -> str:
    from sqlalchemy import select

    from engine.store import assessment as sa
    from engine.store.schema import Campaign

    if args.campaigns_command == "add":
        c = sa.create_campaign(session, scope, args.fiscal_year, args.due)
        return f"campaign of fiscal year {c.fiscal_year} opened, due {c.due_date.isoformat()}"
    if args.campaigns_command == "correct":
        found = session.scalar(select(Campaign).where(Campaign.fiscal_year == args.fiscal_year))
        if found is None:
            raise UsageError(f"ไม่มีรอบการประเมินของปีงบประมาณ {args.fiscal_year} / no campaign for fiscal year "
                             f"{args.fiscal_year}")
        c = sa.correct_campaign(session, scope, found.id, args.due, args.reason)
        return f"campaign of fiscal year {c.fiscal_year} now due {c.due_date.isoformat()}"
    years = {c.id: c.fiscal_year for c in sa.campaigns(session, scope)}
    return "\n".join(f"#{e.id} {e.at:%Y-%m-%d %H:%M} UTC {e.actor}: fiscal year {years.get(e.campaign_id)} "
                     f"{e.action}, due {e.due_date.isoformat()}" + (f"; reason: {e.reason}" if e.reason else "")
                     for e in sa.campaign_history(session, scope))


def _report(args: argparse.Namespace, url: str) -> str:
    from sqlalchemy import select

    from engine.domain.calendar import today
    from engine.store import reports as sr
    from engine.store.db import transaction
    from engine.store.schema import Campaign

    suffix = args.output.suffix.lower()
    if suffix not in SUFFIXES:
        raise UsageError(f"--output {args.output}: ต้องเป็นไฟล์ .pdf หรือ .xlsx / must end in .pdf or .xlsx")
    if args.kind != "province" and not args.agency:
        raise UsageError(f"report {args.kind} needs --agency ID")
    now = today()
    with transaction(url) as session:
        scope = _scope(session, args)
        if args.kind == "acknowledgement":
            data = sr.acknowledgement_data(session, scope, args.agency, args.fiscal_year)
            content = sr.acknowledgement_pdf(data, now) if suffix == ".pdf" else sr.acknowledgement_xlsx(data, args.lang)
        elif args.kind == "pack":
            campaign = session.scalar(select(Campaign.id).where(Campaign.fiscal_year == args.fiscal_year))
            data = sr.evidence_data(session, scope, args.agency, campaign, args.fiscal_year)
            content = sr.evidence_pdf(data, now) if suffix == ".pdf" else sr.evidence_xlsx(data, args.lang)
        else:
            data = sr.province_data(session, scope, args.fiscal_year, now)
            content = sr.province_pdf(data) if suffix == ".pdf" else sr.province_xlsx(data, args.lang)
    write_whole(args.output, content)
    return f"wrote {args.output} ({args.kind}, fiscal year {args.fiscal_year}, {format_date(now, 'en')})"


def write_whole(path: Path, content: bytes) -> None:
    """``content`` at ``path``, written whole or not at all (a temporary file renamed over it)."""
    path = path.resolve()
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.part"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise UsageError(f"--output {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
