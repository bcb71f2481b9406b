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
from typing import IO

from engine import __version__
from engine.domain.errors import DefinitionError, DiscretionReviewError, EvaluationError, InputError, UsageError
from engine.domain.thai import parse_date
from engine.gcpause import paused_gc

EXIT_OK, EXIT_FLAGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


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
                "Khon Kaen measures (ITA O48).")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    c = sub.add_parser("check", help="evaluate a dataset and write its flags")
    c.add_argument("dataset", type=Path, help="a folder of CSV files or an .xlsx workbook")
    c.add_argument("--as-of", type=_date, default=None, help="evaluation date (default: today); BE years accepted")
    c.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                   help="override a parameter of kb/measures.yaml (repeatable)")
    c.add_argument("--format", choices=["jsonl", "csv", "table"], default="jsonl")
    c.add_argument("--output", type=Path, default=None, help="write here instead of standard output")
    c.add_argument("--rule", dest="rules", action="append", default=[], metavar="RULE_ID",
                   help="evaluate only this rule (repeatable)")
    c.add_argument("--lang", choices=["th", "en"], default="th", help="language of the table format")
    c.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per core)")
    _progress_flags(c)

    v = sub.add_parser("validate", help="check a dataset against the exchange format, evaluate nothing")
    v.add_argument("dataset", type=Path)
    _progress_flags(v)

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

    db = sub.add_parser("db", help="the database: create or upgrade its schema; give the app's role its rights")
    db.add_argument("action", choices=["upgrade", "current", "grant"])
    db.add_argument("--db", default=None, help="database URL (default: DISCRETION_DB_URL or var/discretion-review.db; "
                    "upgrade and grant: DISCRETION_DB_OWNER_URL when it names the same database)")
    db.add_argument("--app-role", default=None, help="grant: the PostgreSQL role the app and commands connect as "
                    "(data rights only; docs/audit.md)")
    db.add_argument("--print", dest="print_only", action="store_true", help="grant: print the SQL, run nothing")

    imp = sub.add_parser("import", help="validate a dataset and store it (one transaction)")
    imp.add_argument("dataset", type=Path)
    imp.add_argument("--db", default=None)
    imp.add_argument("--user", default="admin", help="import as this user (scope applies)")
    _progress_flags(imp)

    run = sub.add_parser("run", help="evaluate the stored dataset and update the review queue")
    run.add_argument("--as-of", type=_date, default=None)
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE")
    run.add_argument("--db", default=None)
    run.add_argument("--user", default="admin")

    users = sub.add_parser("users", help="manage who may log in")
    users.add_argument("--db", default=None)
    usub = users.add_subparsers(dest="users_command", required=True, parser_class=_Parser)
    add = usub.add_parser("add", help="add a user (the password is asked for unless --password is given; "
                          "an easily guessed one is refused)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=["supervisor", "ethics_committee", "agency_head", "provincial", "admin"])
    add.add_argument("--agency", default=None, help="the user's agency (all roles but provincial and admin): "
                     "an agency in the store or in kb/agencies.yaml")
    add.add_argument("--name", default=None, help="display name")
    add.add_argument("--password", default=None)
    usub.add_parser("list", help="list users")
    dis = usub.add_parser("disable", help="stop a user from logging in (history is kept)")
    dis.add_argument("username")

    audit = sub.add_parser("audit", help="check the audit trails")
    asub = audit.add_subparsers(dest="audit_command", required=True, parser_class=_Parser)
    ver = asub.add_parser("verify", help="walk every hash chain and replay the flags' and users' trails against "
                          "their rows: OK with counts, or every problem found (exit 1)")
    ver.add_argument("--db", default=None)
    ver.add_argument("--anchors", type=Path, default=None, metavar="FILE",
                     help="also fail on a trail that no longer passes through every anchor in FILE (audit anchor)")
    anc = asub.add_parser("anchor", help="append each trail's head to a file kept outside the store, or print it")
    anc.add_argument("--db", default=None)
    anc.add_argument("--file", type=Path, default=None, help="append to FILE (default: DISCRETION_AUDIT_ANCHORS; "
                     "neither: print)")
    rot = asub.add_parser("rotate-key", help="add a new audit key (older keys kept to verify older events) and "
                          "seal every trail under it")
    rot.add_argument("--db", default=None)

    app = sub.add_parser("app", help="start the review app (Streamlit) on this machine")
    app.add_argument("--port", type=int, default=8501)
    app.add_argument("--address", default="127.0.0.1", help="listen address (0.0.0.0 to serve the network)")
    app.add_argument("--db", default=None)

    demo = sub.add_parser("demo-setup", help="create the database with demo data, an evaluation and demo users")
    demo.add_argument("--db", default=None)
    demo.add_argument("--cases", type=int, default=5000)
    return p


def _progress_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--progress", dest="progress", action="store_true", default=None, help="show a progress bar")
    g.add_argument("--no-progress", dest="progress", action="store_false")


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


def _load(dataset: Path, progress: bool, known_ids: dict[str, set[str]] | None = None):
    from engine.ingest.loader import load_dataset

    with _bar(progress, None, "reading", "rows") as bar:
        def tick(table: str, row: int) -> None:
            if bar is not None:
                bar.set_postfix_str(table)
                bar.n = row
                bar.refresh()
        ds = load_dataset(dataset, progress=tick if bar is not None else None, known_ids=known_ids)
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
    from engine.outputs.flagfile import FlagWriter
    from engine.rules.catalogue import default_catalogue

    catalogue = default_catalogue().select(args.rules)
    params = catalogue.kb.resolve_parameters(args.overrides)
    as_of = args.as_of or dt.date.today()
    show = _want_progress(args)
    # the collector stays paused from reading to the end: the dataset, its index and the flags
    # form no cycles, and each collection walked every object read (0.03 s at 100k cases)
    with paused_gc():
        ds = _load(args.dataset, show)
        for w in ds.warnings:
            print(f"warning: {w}", file=sys.stderr)
        with _output(args.output) as stream:
            writer = FlagWriter(stream, args.format, args.lang)
            with _bar(show, len(ds.cases), "evaluating", "subjects") as bar:
                def tick(agency: str, subjects: int) -> None:
                    if bar is not None:
                        bar.update(min(subjects, bar.total - bar.n) if bar.total else subjects)
                for _, blocks, _ in iter_partitions(ds, as_of, params, catalogue, args.jobs, tick, lines_only=True):
                    writer.write_blocks(blocks)
    print(writer.summary(), file=sys.stderr)
    return EXIT_FLAGS if writer.count else EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    ds = _load(args.dataset, _want_progress(args))
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


def _cmd_db(args: argparse.Namespace) -> int:
    from engine.store.db import current_revision, database_url, owner_url, upgrade

    if args.action == "grant":
        return _grant(owner_url(args.db), args.app_role, args.print_only)
    if args.action == "upgrade":
        upgrade(owner_url(args.db))
    print(f"{database_url(args.db)}: schema revision {current_revision(args.db)}")
    return EXIT_OK


def _grant(url: str, role: str | None, print_only: bool) -> int:
    from engine.store import roles
    from engine.store.db import make_engine, upgrade

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


def _cmd_import(args: argparse.Namespace) -> int:
    from engine.store.data import import_dataset, known_ids
    from engine.store.db import transaction, upgrade

    upgrade(args.db)
    with transaction(args.db) as session:  # another agency's officers, whom the data may name
        known = known_ids(session, _user_scope(session, args.user))
    with paused_gc():  # rows form no cycles: the collector's passes were 1.1 s of a 1M-case import
        ds = _load(args.dataset, _want_progress(args), known)
        with transaction(args.db) as session:
            record = import_dataset(session, _user_scope(session, args.user), ds, str(args.dataset))
            print(f"imported {args.dataset} as import #{record.id}: "
                  + ", ".join(f"{k} {v}" for k, v in record.counts.items()))
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    from engine.store.db import session_factory, transaction, upgrade
    from engine.store.runs import run_evaluation
    from engine.store.schema import EvaluationRun

    upgrade(args.db)
    with transaction(args.db) as session:
        scope = _user_scope(session, args.user)
    overrides = dict(o.split("=", 1) for o in args.overrides if "=" in o)
    if len(overrides) != len(args.overrides):
        raise UsageError("--set takes NAME=VALUE")
    # a run's dataset, index, flags and rows form no cycles: the collector's passes over them
    # were 1.3 s of a 1M-case run (this process does nothing else meanwhile; the app's runs share
    # their process with its sessions, and keep the collector)
    with paused_gc():
        run_id = run_evaluation(session_factory(args.db), scope, args.as_of or dt.date.today(), overrides)
    with transaction(args.db) as session:
        run = session.get(EvaluationRun, run_id)
        print(f"run #{run.id} at {run.as_of}: {run.flags_total} flags ({run.flags_new} new, "
              f"{run.flags_reopened} reopened, {run.flags_cleared} cleared by data)")
    return EXIT_OK


def _cmd_users(args: argparse.Namespace) -> int:
    import getpass

    from engine.store.access import add_user, check_username, list_users, set_active
    from engine.store.db import transaction, upgrade
    from engine.store.scope import SYSTEM

    if args.users_command == "add":
        check_username(args.username)  # before asking for a password
    upgrade(args.db)
    with transaction(args.db) as session:
        if args.users_command == "add":
            password = args.password or getpass.getpass(f"password for {args.username}: ")
            user = add_user(session, SYSTEM, args.username, password, args.role, args.agency, args.name)
            print(f"added {user.username} ({user.role}{', ' + user.agency_id if user.agency_id else ''})")
        elif args.users_command == "disable":
            set_active(session, SYSTEM, args.username, False)
            print(f"disabled {args.username}")
        else:
            for u in list_users(session, SYSTEM):
                state = "active" if u.active else "disabled"
                print(f"{u.username:20} {u.role:17} {u.agency_id or '(all agencies)':24} {state:9} {u.display_name}")
    return EXIT_OK


def _cmd_audit(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from engine.store import anchors, audit
    from engine.store.db import begin_read, database_url, session_factory, transaction, upgrade
    from engine.store.keys import rotate_audit_key
    from engine.store.schema import LoginAttempt
    from engine.store.scope import SYSTEM

    upgrade(args.db)
    where = database_url(args.db)
    if args.audit_command == "anchor":
        heads = anchors.current(session_factory(args.db), SYSTEM)
        target = args.file or (Path(os.environ[anchors.ENV]) if os.environ.get(anchors.ENV) else None)
        if target is None:
            print("\n".join(a.text() for a in heads))
        else:
            anchors.append(target, heads)
            print(f"{where}: appended the heads of {len(heads)} trails to {target}")
        return EXIT_OK
    if args.audit_command == "rotate-key":
        key_id = rotate_audit_key()
        with transaction(args.db) as session:
            audit.seal(session, SYSTEM)
        print(f"{where}: audit key id {key_id} keys every event from now on; every trail is sealed under it "
              "(older keys stay in the file to verify older events)")
        return EXIT_OK
    given = anchors.read(args.anchors) if args.anchors else None
    with session_factory(args.db)() as session:
        begin_read(session)  # one instant of the store: a decision committed meanwhile is all in or all out
        report = audit.verify_all(session, SYSTEM, given)
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
    import subprocess

    from engine.kb.resources import data_dir
    from engine.store.db import database_url, upgrade
    from engine.store.keys import audit_keys, session_secret

    session_secret()  # made now, or refused (SecretKeyError: exit 2 with what to do) before the app starts
    upgrade(args.db)
    audit_keys()  # a malformed audit key file stops the app here (exit 2), not at a reviewer's first decision
    env = {**os.environ, "DISCRETION_DB_URL": database_url(args.db)}
    app = data_dir("ui") / "app.py"
    print(f"discretion-review: http://{args.address}:{args.port}/ (database {env['DISCRETION_DB_URL']})", flush=True)
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(args.port),
           "--server.address", args.address, "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--client.toolbarMode", "minimal"]  # no Deploy button or developer menu for users (.streamlit/config.toml too)
    try:
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return EXIT_OK


def _cmd_demo_setup(args: argparse.Namespace) -> int:
    from engine.demo.store import setup_demo

    for line in setup_demo(args.db, cases=args.cases):
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
    handler = {"check": _cmd_check, "validate": _cmd_validate, "rules": _cmd_rules, "demo-data": _cmd_demo,
               "db": _cmd_db, "import": _cmd_import, "run": _cmd_run, "users": _cmd_users,
               "demo-setup": _cmd_demo_setup, "app": _cmd_app, "audit": _cmd_audit}
    try:
        return handler[args.command](args)
    except DefinitionError as exc:
        print(f"discretion-review: the knowledge base or a rule file is invalid:\n{exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except EvaluationError as exc:
        print(f"discretion-review: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except InputError as exc:
        for w in exc.warnings:
            print(f"warning: {w}", file=sys.stderr)
        print(f"discretion-review: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except DiscretionReviewError as exc:  # bad input, usage, permission
        print(f"discretion-review: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug: exit 3, never 1 ("flags found"), and one line, not a traceback
        if os.environ.get("DISCRETION_DEBUG") == "1":
            import traceback

            traceback.print_exc()
        detail = " ".join(str(exc).split())[:300]
        print(f"discretion-review: internal error ({type(exc).__name__}: {detail}); nothing was written. "
              "Set DISCRETION_DEBUG=1 for the traceback and report it.", file=sys.stderr)
        return EXIT_INTERNAL


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
