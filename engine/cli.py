"""The ``discretion-review`` command line (SPEC §4)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from engine import __version__
from engine.domain.calendar import today
from engine.domain.errors import DefinitionError, DiscretionReviewError, EvaluationError, InputError, UsageError
from engine.domain.thai import parse_date
from engine.gcpause import paused_gc, short_switch_interval

EXIT_OK, EXIT_FLAGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3  # SPEC §4 (`check`); the same for every command
# Store commands only (docs/operations.md, "Exit codes"): the store cannot be reached (down, a
# wrong host, port, name or password, an SQLite file that is not there); a run that evaluated
# some agencies but not all (recorded `partial`); the store's schema is not this release's.
EXIT_STORE_UNREACHABLE, EXIT_PARTIAL, EXIT_STORE_VERSION = 4, 5, 6
ROLES = ["supervisor", "ethics_committee", "agency_head", "provincial", "admin"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors exit 2, as SPEC §4 asks
        self.print_usage(sys.stderr)
        raise SystemExit(f"discretion-review: error: {message}") from None


def _date(text: str) -> dt.date:
    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="discretion-review", description="Check officials' use of discretion against the "
                "Khon Kaen measures (the letter of 2562, ITA 2562 item O48).")
    p.add_argument("--version", action=_Version, help="the release and the store schema it works with")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    c = sub.add_parser("check", help="evaluate a dataset and write its flags")
    _evaluation_flags(c, "evaluation date (default: today); BE years accepted", "", "jsonl")
    c.add_argument("--rule", dest="rules", action="append", default=[], metavar="RULE_ID",
                   help="evaluate only this rule (repeatable)")

    u = sub.add_parser("due", help="list the duties due soon: what the rules would flag if left undone")
    _evaluation_flags(u, "the day to look ahead from (default: today, Bangkok)",
                      ", e.g. warn_within_working_days=5", "table")

    v = sub.add_parser("validate", help="check a dataset against the exchange format, evaluate nothing")
    v.add_argument("dataset", type=Path)
    v.add_argument("--db", default=None, help="also check it against this store, as import would (ids other "
                   "agencies hold, references to their officers); without it the files are checked alone")
    v.add_argument("--user", default="admin", help="with --db: check as this user would import (scope applies)")
    _progress_flags(v)
    _limit_flags(v)

    r = sub.add_parser("rules", help="list the rule catalogue with the measures' text")
    r.add_argument("--lang", choices=["th", "en"], default="th")
    r.add_argument("--format", choices=["text", "json"], default="text")
    r.add_argument("--explain", metavar="RULE_ID", help="one rule's condition, each term with its definition")
    r.add_argument("--schema", action="store_true", help="the JSON Schema of a rule file (rules/schema.json)")

    d = sub.add_parser("demo-data", help="write a realistic demo dataset with its truth file")
    d.add_argument("out", type=Path)
    d.add_argument("--cases", type=int, default=5000)
    d.add_argument("--seed", type=int, default=1)
    d.add_argument("--as-of", type=_date, default=None, help="the date the demo is built around (default: today)")
    _progress_flags(d)

    db = sub.add_parser("db", help="the database: create or upgrade its schema; give the app's role its rights; "
                        "find Thai citizen IDs stored as applicants (personal-data: exit 1 when there are some)")
    db.add_argument("action", choices=["upgrade", "current", "grant", "personal-data"])
    _db_flag(db)
    db.add_argument("--create", action="store_true", help="upgrade: make a new SQLite file if there is none "
                    "(without it a missing file is an error, exit 4: a typo in a path never makes an empty store)")
    db.add_argument("--app-role", default=None, help="grant: the PostgreSQL role the app and commands connect as "
                    "(data rights only; docs/audit.md). upgrade and grant run as DISCRETION_DB_OWNER_URL when it "
                    "names the same database")
    db.add_argument("--print", dest="print_only", action="store_true", help="grant: print the SQL, run nothing")
    db.add_argument("--rename-user", dest="rename_users", action="append", default=[], metavar="OLD=NEW",
                    help="upgrade: give the account OLD the name NEW (repeatable): the upgrade to 0019 refuses a "
                         "store whose user names differ only in case, naming them; it is an audited user event")

    health = sub.add_parser("health", help="exit 0 when the store answers and is at this release's schema, else "
                            "non-zero with the reason (4 unreachable, 6 another schema): for systemd and containers")
    _db_flag(health)

    imp = sub.add_parser("import", help="validate a dataset and store it (one transaction)")
    imp.add_argument("dataset", type=Path)
    _db_flag(imp)
    imp.add_argument("--user", required=True, help="the user who imports (their scope applies; recorded)")
    _progress_flags(imp)
    _limit_flags(imp)

    run = sub.add_parser("run", help="evaluate the stored dataset and update the review queue "
                         "(exit 5 when some agencies could not be evaluated)")
    run.add_argument("--as-of", type=_date, default=None)
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE")
    _db_flag(run)
    run.add_argument("--user", required=True, help="the user who runs it (their scope applies; recorded)")

    note = sub.add_parser("notify", help="e-mail each user their daily digest: new flags, duties due soon, requests "
                          "for information and their answers, deadlines (exit 5 when a digest could not be sent)")
    note.add_argument("--as-of", type=_date, default=None, help="the digest's day (default: today, Bangkok)")
    note.add_argument("--dry-run", action="store_true", help="write each digest to standard output; send and log nothing")
    _db_flag(note)

    users = sub.add_parser("users", help="manage who may log in")
    _db_flag(users)
    usub = users.add_subparsers(dest="users_command", required=True, parser_class=_Parser)
    add = usub.add_parser("add", help="add a user (the password is asked for unless --password or "
                          "--password-file is given; an easily guessed one is refused)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--agency", default=None, help="the user's agency (all roles but provincial and admin): "
                     "an agency in the store or in kb/agencies.yaml")
    add.add_argument("--name", default=None, help="display name")
    _password_flags(add)
    _db_flag(add, leaf=True)
    _db_flag(usub.add_parser("list", help="list users"), leaf=True)
    for name, text in (("disable", "stop a user from logging in and end their sessions (history is kept)"),
                       ("enable", "let a disabled user log in again")):
        one = usub.add_parser(name, help=text)
        one.add_argument("username")
        _db_flag(one, leaf=True)
    reset = usub.add_parser("reset-password", help="give a user a new password (asked for unless --password or "
                            "--password-file is given); ends their sessions")
    reset.add_argument("username")
    _password_flags(reset)
    _db_flag(reset, leaf=True)
    nset = usub.add_parser("notify", help="a user's daily digest: the address it goes to, its language, on or off "
                           "(users change their own in the app)")
    nset.add_argument("username")
    nset.add_argument("--email", default=None, help="the address ('' removes it)")
    nset.add_argument("--lang", choices=["th", "en"], default=None)
    nset.add_argument("--digest", choices=["on", "off"], default=None)
    _db_flag(nset, leaf=True)
    role = usub.add_parser("set-role", help="change a user's role (and agency); ends their sessions")
    role.add_argument("username")
    role.add_argument("--role", required=True, choices=ROLES)
    role.add_argument("--agency", default=None, help="the user's agency, for the roles that have one")
    _db_flag(role, leaf=True)
    link = usub.add_parser("link", help="link a user to the officer of the imported data they are: they may then "
                           "not decide a flag about their own decision, review or report, and the history gives "
                           "their position (an audited user event)")
    link.add_argument("username")
    link.add_argument("--officer", required=True, metavar="OFFICER_ID", help="an officer of the user's agency, "
                      "in the store")
    _db_flag(link, leaf=True)
    unlink = usub.add_parser("unlink", help="the user belongs to no officer any more (an audited user event)")
    unlink.add_argument("username")
    _db_flag(unlink, leaf=True)

    audit = sub.add_parser("audit", help="check the audit trails")
    asub = audit.add_subparsers(dest="audit_command", required=True, parser_class=_Parser)
    ver = asub.add_parser("verify", help="walk every hash chain and replay the flags' and users' trails against "
                          "their rows: OK with counts, or every problem found (exit 1)")
    _db_flag(ver)
    ver.add_argument("--anchors", type=Path, default=None, metavar="FILE",
                     help="also fail on a trail that no longer passes through every anchor in FILE (audit anchor)")
    anc = asub.add_parser("anchor", help="append each trail's head to a file kept outside the store, or print it")
    _db_flag(anc)
    anc.add_argument("--file", type=Path, default=None, help="append to FILE (default: DISCRETION_AUDIT_ANCHORS; "
                     "neither: print)")
    rot = asub.add_parser("rotate-key", help="add a new audit key (older keys kept to verify older events) and "
                          "seal every trail under it")
    _db_flag(rot)

    _province_commands(sub)

    app = sub.add_parser("app", help="start the review app (Streamlit) on this machine")
    app.add_argument("--port", type=int, default=8501)
    app.add_argument("--address", default="127.0.0.1", help="listen address (0.0.0.0 to serve the network)")
    app.add_argument("--base-url-path", default="", metavar="PATH",
                     help="serve under this path (e.g. discretion for https://host/discretion/, behind a proxy)")
    _db_flag(app)

    from engine.api.commands import add_parsers  # the intake API's `api` and `tokens`

    add_parsers(sub, _db_flag, _date)

    demo = sub.add_parser("demo-setup", help="create the database with demo data, an evaluation and demo users")
    _db_flag(demo)
    demo.add_argument("--cases", type=int, default=5000)
    return p


def _province_commands(sub) -> None:
    """``rounds``, ``ita``, ``campaigns`` and ``report``: what the app's calendar, self-assessment and
    reports pages do, for batches and scripts (engine/commands/province.py), as ``--user``."""
    from engine.commands import province as province_cli

    province_cli.add_parsers(sub, _Parser, _date, _db_flag)


def _db_flag(p: argparse.ArgumentParser, leaf: bool = False) -> None:
    """``--db URL``, taken after the command's own words by every store command (``users`` also
    before its subcommand, as it always was: ``leaf`` then leaves the outer value alone)."""
    p.add_argument("--db", default=argparse.SUPPRESS if leaf else None, metavar="URL",
                   help="the store: sqlite:///PATH or postgresql://USER@HOST/NAME (postgres:// too; the password "
                        "from ~/.pgpass or PGPASSWORD rather than the URL). Default: DISCRETION_DB_URL, else "
                        "var/discretion-review.db")


def _password_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--password", default=None, help="the password (visible to other users of this machine in the "
                   "process list: prefer --password-file or the prompt)")
    g.add_argument("--password-file", type=Path, default=None, metavar="FILE",
                   help="read the password from the first line of FILE ('-' for standard input)")


class _Version(argparse.Action):
    """``--version``: the release, and the schema its migrations end at — read only when asked
    (reading the migrations imports the store: most of a second of every other command)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, help: str | None = None):
        super().__init__(option_strings, dest, default=argparse.SUPPRESS, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        print(f"{parser.prog} {__version__} (store schema {_schema()})")
        parser.exit()


def _schema() -> str:
    try:
        from engine.store.migrate import head_revision

        return head_revision()
    except Exception:  # --version must answer whatever else is wrong
        return "?"


def _evaluation_flags(p: argparse.ArgumentParser, as_of_help: str, set_example: str, default_format: str) -> None:
    """What ``check`` and ``due`` both take: the dataset, the day, parameter overrides, the output
    (format, file, language), workers, progress and the read's limits."""
    p.add_argument("dataset", type=Path, help="a folder of CSV files or an .xlsx workbook")
    p.add_argument("--as-of", type=_date, default=None, help=as_of_help)
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                   help=f"override a parameter of kb/measures.yaml (repeatable){set_example}")
    p.add_argument("--format", choices=["jsonl", "csv", "table"], default=default_format)
    p.add_argument("--output", type=Path, default=None, help="write here instead of standard output")
    p.add_argument("--lang", choices=["th", "en"], default="th", help="language of the table format")
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per core)")
    _progress_flags(p)
    _limit_flags(p)


def _progress_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--progress", dest="progress", action="store_true", default=None, help="show a progress bar")
    g.add_argument("--no-progress", dest="progress", action="store_false")


def _limit_flags(p: argparse.ArgumentParser) -> None:
    """What reading the dataset may cost (engine/ingest/limits.py: defaults, DISCRETION_MAX_*)."""
    from engine.ingest import limits

    g = p.add_argument_group("limits of the read", "past one, reading stops and the dataset is refused, saying which")
    g.add_argument("--max-rows", type=int, default=None, metavar="N",
                   help=f"data rows in one file or sheet (default {limits.DEFAULT_ROWS:,}; DISCRETION_MAX_ROWS)")
    g.add_argument("--max-cells", type=int, default=None, metavar="N",
                   help=f"cells in the whole dataset (default {limits.DEFAULT_CELLS:,}; DISCRETION_MAX_CELLS)")
    g.add_argument("--max-read-seconds", type=float, default=None, metavar="S",
                   help=f"seconds of reading (default {limits.DEFAULT_SECONDS:g}; DISCRETION_MAX_READ_SECONDS)")
    g.add_argument("--max-problems", type=int, default=None, metavar="N",
                   help=f"problems listed before reading stops (default {limits.DEFAULT_PROBLEMS:,}; "
                        "DISCRETION_MAX_PROBLEMS)")


def _limits(args: argparse.Namespace):
    from engine.ingest.limits import ReadLimits

    return ReadLimits.from_env(rows=args.max_rows, cells=args.max_cells, seconds=args.max_read_seconds,
                               problems=args.max_problems)


def _want_progress(args: argparse.Namespace) -> bool:
    return sys.stderr.isatty() if args.progress is None else args.progress


@contextmanager
def _bar(enabled: bool, total: int | None, desc: str, unit: str) -> Iterator[object]:
    if not enabled:
        yield None
        return
    import tqdm

    tqdm.tqdm.monitor_interval = 0  # no monitor thread: workers are forked
    with tqdm.tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True) as bar:
        yield bar


@contextmanager
def _output(path: Path | None) -> Iterator[IO[str]]:
    """Standard output or a file, written whole or not at all: a failure midway (exit 2 or 3)
    leaves no partial output behind (SPEC §4)."""
    if path is None:
        with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as spool:
            yield spool
            spool.seek(0)
            if hasattr(sys.stdout, "buffer"):  # bytes as they are: no decoding and encoding again
                sys.stdout.flush()
                shutil.copyfileobj(spool.buffer, sys.stdout.buffer)
                sys.stdout.buffer.flush()
            else:
                shutil.copyfileobj(spool, sys.stdout)
                sys.stdout.flush()
        return
    import secrets

    path = path.resolve()
    # mode 0666 less the umask, like any file the user writes (mkstemp would make it 0600)
    tmp = str(path.parent / f".{path.name}.{secrets.token_hex(6)}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _load(dataset: Path, progress: bool, known_ids=None, limits=None):
    from engine.ingest.loader import load_dataset

    with _bar(progress, None, "reading", "rows") as bar:
        def tick(table: str, row: int) -> None:
            if bar is not None:
                bar.set_postfix_str(table)
                bar.n = row
                bar.refresh()
        ds = load_dataset(dataset, progress=tick if bar is not None else None, known_ids=known_ids, limits=limits)
    if _kept is not None:
        _kept.append(ds)
    return ds


# What the console script's process keeps until it ends (``entry``); None when ``main`` is called
# from Python (tests), which frees as usual.
_kept: list | None = None
# commands that leave nothing to close behind them: the console script ends at once after them
_ENDS_AT_ONCE = {"check", "validate"}


def _cmd_check(args: argparse.Namespace) -> int:
    from engine.evaluation.run import iter_partitions
    from engine.kb.knowledge import government_calendar, unchecked_year_warning
    from engine.outputs.flagfile import FlagWriter
    from engine.rules.catalogue import default_catalogue

    catalogue = default_catalogue().select(args.rules)
    params = catalogue.kb.resolve_parameters(args.overrides)
    as_of = args.as_of or today()
    show = _want_progress(args)
    # the collector stays paused from reading to the end: the dataset, its index and the flags
    # form no cycles, and each collection walked every object read (0.03 s at 100k cases)
    with paused_gc():
        ds = _load(args.dataset, show, limits=_limits(args))
        for w in ds.warnings:
            print(f"warning: {w}", file=sys.stderr)
        with _output(args.output) as stream:
            writer = FlagWriter(stream, args.format, args.lang)
            with _bar(show, len(ds.cases), "evaluating", "subjects") as bar:
                def tick(agency: str, subjects: int) -> None:
                    if bar is not None:
                        bar.update(min(subjects, bar.total - bar.n) if bar.total else subjects)
                years: set[int] = set()
                for _, blocks, _ in iter_partitions(ds, as_of, params, catalogue, args.jobs, tick, lines_only=True,
                                                    calendar_years=years):
                    writer.write_blocks(blocks)
    for year in government_calendar().unchecked(years):
        print(f"warning: {unchecked_year_warning(year)}", file=sys.stderr)
    print(writer.summary(), file=sys.stderr)
    return EXIT_FLAGS if writer.count else EXIT_OK


def _cmd_due(args: argparse.Namespace) -> int:
    """The duties due within warn_within_working_days and not yet late, soonest first; exit 0."""
    from engine.evaluation.run import iter_partitions
    from engine.outputs.duefile import write_duties
    from engine.rules.catalogue import default_catalogue

    catalogue = default_catalogue()
    params = catalogue.kb.resolve_parameters(args.overrides)
    as_of = args.as_of or today()
    with paused_gc():
        ds = _load(args.dataset, _want_progress(args), limits=_limits(args))
        for w in ds.warnings:
            print(f"warning: {w}", file=sys.stderr)
        due: list[dict] = []
        for _ in iter_partitions(ds, as_of, params, catalogue, args.jobs, lines_only=True, due=due):
            pass
        with _output(args.output) as stream:
            n = write_duties(stream, due, args.format, args.lang)
    print(f"{n} duties due within the warning period from {as_of.isoformat()}", file=sys.stderr)
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    limits = _limits(args)
    if args.db is None:
        ds = _load(args.dataset, _want_progress(args), limits=limits)
    else:  # what import would refuse, nothing written
        from engine.store.data import store_problems
        from engine.store.db import transaction

        url = _store(args)
        ds = _load(args.dataset, _want_progress(args), _store_lookup(args), limits)
        with transaction(url) as session:
            problems = store_problems(session, _user_scope(session, args.user), ds)
        if problems:
            raise InputError(problems, ds.warnings)
    for w in ds.warnings:
        print(f"warning: {w}", file=sys.stderr)
    counts = ", ".join(f"{name} {n}" for name, n in ds.counts().items())
    print(f"{args.dataset}: valid ({counts})")
    return EXIT_OK


def _cmd_rules(args: argparse.Namespace) -> int:
    from engine.rules.catalogue import default_catalogue

    cat = default_catalogue()
    kb = cat.kb
    if args.schema:
        from engine.rules.catalogue import rule_file_schema

        print(json.dumps(rule_file_schema(), ensure_ascii=False, indent=2))
        return EXIT_OK
    if args.explain:
        from engine.rules.catalogue import explain

        rule = cat.select([args.explain]).rules[0]  # an unknown id: a usage error with "did you mean"
        print(explain(rule, kb, args.lang))
        return EXIT_OK
    if args.format == "json":
        out = [{**r.model_dump(exclude={"source", "when", "severity_when"}), "condition": r.when,
                "measure_text_th": kb.measure(r.measure).text_th, "measure_text_en": kb.measure(r.measure).text_en,
                "parameter_values": {p: _shown_default(kb.parameters[p].default) for p in r.parameters},
                "parameter_sources": {p: {"basis": kb.parameters[p].basis, "source_th": kb.parameters[p].source_th,
                                          "source_en": kb.parameters[p].source_en} for p in r.parameters}}
               for r in cat]
        print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
        return EXIT_OK
    th = args.lang == "th"
    current = None
    for r in cat:
        if r.measure != current:
            current = r.measure
            m = kb.measure(r.measure)
            label = ("มาตรการข้อ" if m.kind == "measure" else "แนวทางข้อ") if th else m.kind.capitalize()
            print(f"\n{label} {m.id} — {m.title_th if th else m.title_en}")
            print(f"  {m.text_th if th else m.text_en}")
        params = "; ".join(f"{p}={_shown_default(kb.parameters[p].default)} "
                           f"[{kb.parameters[p].source_th if th else kb.parameters[p].source_en}]" for p in r.parameters)
        print(f"  • {r.rule_id:30} [{r.severity}] {r.title_th if th else r.title_en}"
              + (f"  ({params})" if params else ""))
        if r.store_only:
            print("      " + ("ประมวลผลเฉพาะใน `run` และในแอป (อ่านผลการพิจารณาข้อสังเกตจากฐานข้อมูล) ไม่ประมวลผลใน `check`" if th
                            else "evaluated only in store runs (`run`, the app): it reads the review workflow; "
                                 "never in `check`"))
    return EXIT_OK


def _shown_default(value: object) -> str:
    if isinstance(value, dict):  # acknowledgement_deadlines: fiscal year -> date
        return ", ".join(f"{k}:{v}" for k, v in sorted(value.items()))
    return str(value)


def _cmd_demo(args: argparse.Namespace) -> int:
    from engine.demo.generate import generate

    if args.cases < 0:
        raise UsageError("--cases must not be negative")
    with _bar(_want_progress(args), args.cases, "generating", "cases") as bar:
        def tick(n: int) -> None:
            if bar is not None:
                bar.n = n
                bar.refresh()
        manifest = generate(args.out, cases=args.cases, seed=args.seed, as_of=args.as_of, progress=tick)
    sets = " ".join(f"--set {x}" for x in manifest["set"])
    print(f"wrote {args.out}: {manifest['cases']} cases, {manifest['expected_flags']} expected flags "
          f"at as_of {manifest['as_of']} (truth.jsonl), with the demo's acknowledgement round: "
          f"discretion-review check {args.out} --as-of {manifest['as_of']} {sets}")
    return EXIT_OK


def _store(args: argparse.Namespace, create: bool = False) -> str:
    """The store's URL, once it is there, answers and is at this release's schema (upgraded if
    older): ``StoreUnavailable`` (exit 4) or ``StoreVersionError`` (exit 6) otherwise."""
    from engine.store.migrate import upgrade
    from engine.store.health import require_store

    url = require_store(args.db, create=create)
    upgrade(url)
    return url


def _cmd_db(args: argparse.Namespace) -> int:
    from engine.store.migrate import current_revision, owner_url
    from engine.store.health import require_store, shown_url
    from engine.store.migrate import check_not_newer

    if args.action == "grant":
        return _grant(owner_url(args.db), args.app_role, args.print_only)
    if args.action == "upgrade":
        if args.rename_users:  # read by migration 0019 (its RENAMES_ENV), for this upgrade only
            os.environ["DISCRETION_RENAME_USERS"] = ";".join(args.rename_users)
        try:
            url = _store(args, create=args.create)
        finally:
            os.environ.pop("DISCRETION_RENAME_USERS", None)
    elif args.action == "personal-data":  # upgraded if older, as every command that reads data
        return _personal_data(_store(args))
    else:
        url = require_store(args.db)
        check_not_newer(url)
    print(f"{shown_url(url)}: schema revision {current_revision(url)}")
    if args.action == "upgrade" and _personal_data(url, quiet=True):
        print("warning: the store holds Thai citizen IDs as applicants (data taken before 0.3.0 refused them): "
              "see `discretion-review db personal-data`", file=sys.stderr)
    return EXIT_OK


def _personal_data(url: str, quiet: bool = False) -> int:
    """``db personal-data``: the stored applicants that are Thai citizen IDs; exit 1 when any."""
    from engine.store.db import transaction
    from engine.store.personal_data import citizen_ids, report
    from engine.store.scope import SYSTEM

    with transaction(url) as session:  # the store's operator: every agency
        found = citizen_ids(session, SYSTEM)
    if not quiet:
        print(report(found))
    return EXIT_FLAGS if found else EXIT_OK


def _cmd_health(args: argparse.Namespace) -> int:
    from engine.store.health import health

    print(health(args.db))
    return EXIT_OK


def _grant(url: str, role: str | None, print_only: bool) -> int:
    from engine.store import roles
    from engine.store.db import make_engine
    from engine.store.migrate import upgrade

    if not role:
        raise UsageError("db grant needs --app-role NAME: the PostgreSQL role the app connects as")
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if print_only and conn.dialect.name == "postgresql":
                print(";\n".join(roles.statements(conn, role)) + ";")
                return EXIT_OK
            done = roles.grant(conn, role)  # on SQLite: says why there are no roles
            conn.commit()
    finally:
        engine.dispose()
    print(f"granted {role} the app's rights ({len(done)} statements): data rights only, audit trails "
          "SELECT and INSERT")
    return EXIT_OK


def _user_scope(session, username: str):
    from engine.store.access import scope_of

    return scope_of(session, username)


def _store_lookup(args: argparse.Namespace):
    """For ``load_dataset(known_ids=...)``: which ids the data names are another agency's stored
    officers (the store says which exist, nothing more), asked as ``args.user``, who must be
    allowed to import (checked now, before the files are read)."""
    from engine.store.data import existing_ids
    from engine.store.db import transaction
    from engine.store.scope import IMPORT

    url = _store(args)
    with transaction(url) as session:
        scope = _user_scope(session, args.user)
    scope.require(IMPORT)

    def lookup(table: str, ids: set[str]) -> set[str]:
        with transaction(url) as session:
            return existing_ids(session, scope, table, ids)
    return lookup


def _cmd_import(args: argparse.Namespace) -> int:
    from engine import logs
    from engine.store.data import import_dataset
    from engine.store.db import transaction

    limits = _limits(args)  # a wrong value is said before anything else is done
    url = _store(args)
    lookup = _store_lookup(args)  # another agency's officers, whom the data may name
    # rows form no cycles: the collector's passes were 1.1 s of a 1M-case import
    with paused_gc(), short_switch_interval():
        ds = _load(args.dataset, _want_progress(args), lookup, limits)
        with transaction(url) as session:
            record = import_dataset(session, _user_scope(session, args.user), ds, str(args.dataset))
            import_id, counts = record.id, dict(record.counts)
    print(f"imported {args.dataset} as import #{import_id}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    logs.event("import", user=args.user, import_id=import_id, source=args.dataset.name, counts=counts, via="cli")
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    import time

    from engine.store.db import session_factory, transaction
    from engine.store.runs import log_run, run_evaluation
    from engine.store.schema import EvaluationRun

    url = _store(args)
    with transaction(url) as session:
        scope = _user_scope(session, args.user)
    overrides = dict(o.split("=", 1) for o in args.overrides if "=" in o)
    if len(overrides) != len(args.overrides):
        raise UsageError("--set takes NAME=VALUE")
    started = time.monotonic()
    # a run's dataset, index, flags and rows form no cycles: the collector's passes over them
    # were 1.3 s of a 1M-case run (this process does nothing else meanwhile; the app's runs share
    # their process with its sessions, and keep the collector and the switch interval)
    with paused_gc(), short_switch_interval():
        run_id = run_evaluation(session_factory(url), scope, args.as_of or today(), overrides)
    with transaction(url) as session:
        run = session.get(EvaluationRun, run_id)
        print(f"run #{run.id} at {run.as_of}: {run.flags_total} flags ({run.flags_new} new, "
              f"{run.flags_reopened} reopened, {run.flags_cleared} cleared by data)")
        log_run(run, time.monotonic() - started, via="cli")
        if run.status == "partial":  # evaluated, but not everybody: say who was not, and exit 5
            print(f"discretion-review: run #{run.id} is partial (สำเร็จบางส่วน): some agencies were not "
                  f"evaluated and keep their flags as they were:\n{run.error}", file=sys.stderr)
            return EXIT_PARTIAL
    return EXIT_OK


def _cmd_notify(args: argparse.Namespace) -> int:
    from engine.commands.notify import base_url, send_digests

    app_url = base_url()  # refused (exit 2) before the store is touched
    url = _store(args)
    day = args.as_of or today()
    outcome = send_digests(url, day, dry_run=args.dry_run, app_url=app_url, out=sys.stdout)
    print(outcome.summary(day), file=sys.stderr)
    for username, why in {**outcome.failed, **outcome.uncertain}.items():
        print(f"discretion-review: the digest of {username} was not sent: {why}", file=sys.stderr)
    return EXIT_PARTIAL if outcome.failed or outcome.uncertain else EXIT_OK


def _password(args: argparse.Namespace) -> str:
    """The password given: --password, the first line of --password-file ('-': standard input),
    or asked for (twice, not echoed)."""
    import getpass

    if args.password is not None:
        return args.password
    if args.password_file is not None:
        try:
            text = sys.stdin.read() if str(args.password_file) == "-" else args.password_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--password-file {args.password_file}: {exc.strerror or exc}") from None
        password = (text.splitlines() or [""])[0]
        if not password:
            raise UsageError(f"--password-file {args.password_file}: its first line is empty")
        return password
    password = getpass.getpass(f"password for {args.username}: ")
    if getpass.getpass("again: ") != password:
        raise UsageError("the two passwords differ; nothing was changed")
    return password


def _cmd_users(args: argparse.Namespace) -> int:
    from engine.store.access import (
        add_user,
        check_display_name,
        check_username,
        link_officer,
        list_users,
        reset_password,
        set_active,
        unlink_officer,
        update_user,
    )
    from engine.store.db import transaction
    from engine.store.scope import SYSTEM

    if args.users_command == "add":
        check_username(args.username)  # before asking for a password
        check_display_name(args.name)
    url = _store(args)
    password = _password(args) if args.users_command in ("add", "reset-password") else None
    with transaction(url) as session:
        if args.users_command == "add":
            user = add_user(session, SYSTEM, args.username, password, args.role, args.agency, args.name)
            print(f"added {user.username} ({user.role}{', ' + user.agency_id if user.agency_id else ''})")
        elif args.users_command in ("disable", "enable"):
            set_active(session, SYSTEM, args.username, args.users_command == "enable")
            print(f"{args.users_command}d {args.username}")
        elif args.users_command == "reset-password":
            reset_password(session, SYSTEM, args.username, password)
            print(f"new password for {args.username}; their open sessions are ended")
        elif args.users_command == "notify":
            from engine.store.notify import update_settings

            st = update_settings(session, SYSTEM, username=args.username,
                                 **({"email": args.email} if args.email is not None else {}), lang=args.lang,
                                 digest=None if args.digest is None else args.digest == "on")
            print(f"{st.username}: digest {'on' if st.digest else 'off'}, {st.lang}, to {st.email or '(no address)'}")
        elif args.users_command == "set-role":
            user = update_user(session, SYSTEM, args.username, role=args.role, agency_id=args.agency)
            print(f"{user.username} is {user.role}{', ' + user.agency_id if user.agency_id else ''}")
        elif args.users_command == "link":
            user = link_officer(session, SYSTEM, args.username, args.officer)
            print(f"{user.username} is officer {user.officer_id}: flags about their own decisions, reviews and "
                  "reports are for others to decide")
        elif args.users_command == "unlink":
            user = unlink_officer(session, SYSTEM, args.username)
            print(f"{user.username} is linked to no officer")
        else:
            for u in list_users(session, SYSTEM):
                state = "active" if u.active else "disabled"
                print(f"{u.username:20} {u.role:17} {u.agency_id or '(all agencies)':24} {state:9} "
                      f"{u.officer_id or '-':12} {u.display_name}")
    return EXIT_OK


def _cmd_audit(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from engine.store import anchors, audit, replay
    from engine.store.db import begin_read, session_factory, transaction
    from engine.store.health import shown_url
    from engine.store.keys import rotate_audit_key
    from engine.store.schema import LoginAttempt
    from engine.store.scope import SYSTEM

    url = _store(args)
    where = shown_url(url)
    if args.audit_command == "anchor":
        heads = anchors.current(session_factory(url), SYSTEM)
        target = args.file or (Path(os.environ[anchors.ENV]) if os.environ.get(anchors.ENV) else None)
        if target is None:
            print("\n".join(a.text() for a in heads))
        else:
            anchors.append(target, heads)
            print(f"{where}: appended the heads of {len(heads)} trails to {target}")
        return EXIT_OK
    if args.audit_command == "rotate-key":
        key_id = rotate_audit_key()
        with transaction(url) as session:
            audit.seal(session, SYSTEM)
        print(f"{where}: audit key id {key_id} keys every event from now on; every trail is sealed under it "
              "(older keys stay in the file to verify older events)")
        return EXIT_OK
    given = anchors.read(args.anchors) if args.anchors else None
    with session_factory(url)() as session:
        begin_read(session)  # one instant of the store: a decision committed meanwhile is all in or all out
        report = replay.verify_all(session, SYSTEM, given)
        attempts = session.scalar(select(func.count()).select_from(LoginAttempt))
    summary = ", ".join(f"{table} {n}" for table, n in report.counts.items())
    replayed = ", ".join(f"{table} {n}" for table, n in report.replayed.items())
    keys = ", ".join(str(k) for k in sorted(report.key_ids)) or "-"
    if report.broken:
        print(f"{where}: บันทึกการตรวจสอบไม่สมบูรณ์ พบ {len(report.broken)} รายการ / audit trail BROKEN: "
              f"{len(report.broken)} problems ({summary}; replayed {replayed})", file=sys.stderr)
        for b in report.broken:
            print(f"  {b}", file=sys.stderr)
        return EXIT_FLAGS
    anchored = f"; every trail extends the {report.anchors} anchors of {args.anchors}" if given else ""
    print(f"{where}: บันทึกการตรวจสอบถูกต้อง / audit trail OK: {summary} events chained (key ids {keys}; 0: before "
          f"keys); {replayed} rows as their events say{anchored}; login_attempts {attempts} (append-only)")
    return EXIT_OK


def _cmd_app(args: argparse.Namespace) -> int:
    from engine.kb.resources import data_dir
    from engine.store.health import shown_url
    from engine.store.keys import audit_keys, session_secret

    session_secret()  # made now, or refused (SecretKeyError: exit 2 with what to do) before the app starts
    url = _store(args)  # there, answering and upgraded: or exit 4 / 6 before Streamlit starts
    env = {**os.environ, "DISCRETION_DB_URL": url}
    audit_keys()  # a malformed audit key file stops the app here (exit 2), not at a reviewer's first decision
    app = data_dir("ui") / "app.py"
    base = args.base_url_path.strip("/")
    print(f"discretion-review: http://{args.address}:{args.port}/{base + '/' if base else ''} "
          f"(database {shown_url(url)})", flush=True)
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(args.port),
           "--server.address", args.address, "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.baseUrlPath", base,
           # a raw error (a driver's, naming a host) is not shown to users; the log has it
           "--client.showErrorDetails", "none",
           "--client.toolbarMode", "minimal"]  # no Deploy button or developer menu for users (.streamlit/config.toml too)
    sys.stdout.flush()
    sys.stderr.flush()
    # Streamlit takes this process's place: systemd's or a container's SIGTERM reaches it, and it
    # ends and frees its port (as a child of this process it was left running)
    os.execve(sys.executable, cmd, env)
    return EXIT_OK  # not reached


def _cmd_province(args: argparse.Namespace) -> int:
    from engine.commands import province as province_cli

    url = _store(args)
    print(province_cli.run(args, url))
    return EXIT_OK


def _cmd_api(args: argparse.Namespace) -> int:
    from engine.api.commands import cmd_api

    return cmd_api(args, _store)


def _cmd_tokens(args: argparse.Namespace) -> int:
    from engine.api.commands import cmd_tokens

    return cmd_tokens(args, _store)


def _cmd_demo_setup(args: argparse.Namespace) -> int:
    from engine.demo.store import setup_demo
    from engine.store.health import require_store

    url = require_store(args.db, create=True)  # a demo makes its store where asked
    for line in setup_demo(url, cases=args.cases):
        print(line)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
            return EXIT_INPUT
        return exc.code if isinstance(exc.code, int) else EXIT_INPUT
    handler = {"check": _cmd_check, "due": _cmd_due, "validate": _cmd_validate, "rules": _cmd_rules, "demo-data": _cmd_demo,
               "db": _cmd_db, "import": _cmd_import, "run": _cmd_run, "users": _cmd_users, "notify": _cmd_notify,
               "demo-setup": _cmd_demo_setup, "app": _cmd_app, "audit": _cmd_audit, "health": _cmd_health,
               "rounds": _cmd_province, "ita": _cmd_province, "campaigns": _cmd_province, "report": _cmd_province,
               "api": _cmd_api, "tokens": _cmd_tokens}
    try:
        return _handled(handler[args.command], args)
    except KeyboardInterrupt:
        print("discretion-review: interrupted; nothing of the unfinished step was kept", file=sys.stderr)
        return 130


def _handled(handler, args: argparse.Namespace) -> int:
    """Run a command; each kind of failure is its exit code and one line on stderr (and, for a
    store command, a JSON log line)."""
    try:
        return handler(args)
    except DefinitionError as exc:
        print(f"discretion-review: the knowledge base or a rule file is invalid:\n{exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except EvaluationError as exc:
        _log_error(args, exc)
        print(f"discretion-review: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except InputError as exc:
        _log_error(args, exc)
        for w in exc.warnings:
            print(f"warning: {w}", file=sys.stderr)
        print(f"discretion-review: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except DiscretionReviewError as exc:  # the store unreachable or at another schema; bad input, usage, permission
        _log_error(args, exc)
        print(f"discretion-review: {exc}", file=sys.stderr)
        return _store_exit(exc) or EXIT_INPUT
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug: exit 3, never 1 ("flags found"), and one line, not a traceback
        from engine.store.health import connection_failed

        if connection_failed(exc):  # the store went away midway: exit 4, as when it cannot be reached
            from engine.store.health import reason, shown_url

            _log_error(args, exc)
            print(f"discretion-review: ขาดการติดต่อกับฐานข้อมูล {shown_url(getattr(args, 'db', None))} ระหว่างทำงาน "
                  f"ไม่มีการบันทึกขั้นที่ยังไม่เสร็จ / lost the store {shown_url(getattr(args, 'db', None))} midway: "
                  f"{reason(exc)}; nothing of the unfinished step was kept", file=sys.stderr)
            return EXIT_STORE_UNREACHABLE
        _log_error(args, exc)
        if os.environ.get("DISCRETION_DEBUG") == "1":
            import traceback

            traceback.print_exc()
        detail = " ".join(str(exc).split())[:300]
        print(f"discretion-review: internal error ({type(exc).__name__}: {detail}); nothing was written. "
              "Set DISCRETION_DEBUG=1 for the traceback and report it.", file=sys.stderr)
        return EXIT_INTERNAL


def _store_exit(exc: BaseException) -> int | None:
    """4 for a store that cannot be reached, 6 for one at another schema, else None. The store's
    modules are asked only if this command loaded them (importing them is most of a second that
    ``check`` and ``validate`` do not need)."""
    health, migrate = sys.modules.get("engine.store.health"), sys.modules.get("engine.store.migrate")
    if health is not None and isinstance(exc, health.StoreUnavailable):
        return EXIT_STORE_UNREACHABLE
    if migrate is not None and isinstance(exc, migrate.StoreVersionError):
        return EXIT_STORE_VERSION
    return None


STORE_COMMANDS = {"db", "import", "run", "users", "audit", "app", "demo-setup", "health", "rounds", "ita", "campaigns",
                  "report", "api", "tokens"}


def _log_error(args: argparse.Namespace, exc: BaseException) -> None:
    """A JSON log line for a store command's failure (``check`` and ``validate`` speak on stderr only)."""
    if args.command in STORE_COMMANDS:
        from engine import logs

        logs.error(f"cli {args.command}", exc, user=getattr(args, "user", None))


def entry() -> None:
    """The console script: ``main``. After a command that reads a dataset and writes only its
    own output (``check``, ``validate``: their files closed and temporary folders removed before
    they return), the process ends at once (``os._exit``) instead of freeing the dataset object
    by object (0.27 s for 100,000 flag-heavy cases, seconds for a million): the operating
    system takes a process's memory back whole."""
    global _kept
    argv = sys.argv[1:]
    if not argv or argv[0] not in _ENDS_AT_ONCE:
        raise SystemExit(main(argv))
    _kept = []
    code = main(argv)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # a reader that stopped reading: not an error (as in ``main``)
        pass
    os._exit(code)


if __name__ == "__main__":
    entry()
