"""The ``api`` and ``tokens`` commands of ``discretion-review`` (engine/cli.py adds them).

``discretion-review api [--port N] [--address A]`` serves the intake API (uvicorn, in this process);
``discretion-review tokens add --agency ID --user ADMIN [--label TEXT]`` makes a token and prints it
once, as the last word of its last line; ``tokens list --user ADMIN``; ``tokens revoke ID --user ADMIN``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

DEFAULT_PORT = 8502  # the app's is 8501


def add_parsers(sub: Any, db_flag: Callable[..., None], date: Callable[[str], Any]) -> None:
    """The two commands' parsers, under the command line's ``sub`` (its ``--db`` flag and date type)."""
    from engine.api.throttle import DEFAULT_MAX_BODY, Rates

    api = sub.add_parser("api", help="serve the intake API (POST /v1/agencies/{agency_id}/records; OpenAPI at /docs)")
    api.add_argument("--port", type=int, default=DEFAULT_PORT)
    api.add_argument("--address", default="127.0.0.1", help="listen address (0.0.0.0 to serve the network; put a "
                     "proxy with TLS in front: docs/api.md)")
    db_flag(api)
    api.add_argument("--as-of", type=date, default=None, help="evaluate posts at this date instead of today (a demo "
                     "or test of old data); BE years accepted")
    api.add_argument("--max-body-mb", type=float, default=DEFAULT_MAX_BODY / (1 << 20), metavar="MB",
                     help="the largest body taken (413 above it)")
    api.add_argument("--rate-per-minute", type=float, default=Rates.per_minute, metavar="N",
                     help="posts a token may make a minute, on average (429 above it)")
    api.add_argument("--burst", type=int, default=Rates.burst, metavar="N", help="posts a token may make at once")
    api.add_argument("--jobs", type=int, default=None, help="worker processes of each evaluation (default: one per "
                     "core)")

    tokens = sub.add_parser("tokens", help="the intake API's tokens: make one for an agency, list, revoke")
    db_flag(tokens)
    tsub = tokens.add_subparsers(dest="tokens_command", required=True)
    add = tsub.add_parser("add", help="make a token for an agency; it is printed once, as the last word of the "
                          "last line (the store keeps only its hash)")
    add.add_argument("--agency", required=True, help="the agency whose records the token posts")
    add.add_argument("--user", required=True, help="the administrator who makes it (recorded)")
    add.add_argument("--label", default="", help="what uses it, e.g. the agency's e-service system")
    db_flag(add, leaf=True)
    lst = tsub.add_parser("list", help="every token: agency, label, who made it, last use, revoked")
    lst.add_argument("--user", required=True, help="an administrator")
    db_flag(lst, leaf=True)
    rev = tsub.add_parser("revoke", help="stop a token from being used (its history stays)")
    rev.add_argument("token_id", type=int, metavar="ID")
    rev.add_argument("--user", required=True, help="the administrator who revokes it (recorded)")
    db_flag(rev, leaf=True)


def cmd_api(args: argparse.Namespace, store: Callable[[argparse.Namespace], str]) -> int:
    """Serve until stopped (SIGTERM, Ctrl-C)."""
    from engine.domain.errors import UsageError

    try:
        import uvicorn

        from engine.api.app import create_app
    except ImportError as exc:
        raise UsageError(f"the intake API needs its packages: pip install 'discretion-review[api]' ({exc})") from None
    from engine.api.throttle import Rates
    from engine.store.health import shown_url
    from engine.store.keys import audit_keys

    if args.max_body_mb <= 0 or args.rate_per_minute <= 0 or args.burst < 1:
        raise UsageError("--max-body-mb and --rate-per-minute take a number above 0, --burst a whole number from 1")
    url = store(args)  # there, answering and upgraded: or exit 4 / 6 before serving
    audit_keys()  # a malformed audit key file stops here (exit 2), not at the first post
    as_of = args.as_of
    app = create_app(url, as_of=(lambda: as_of) if as_of else None, max_body=int(args.max_body_mb * (1 << 20)),
                     rates=Rates(per_minute=args.rate_per_minute, burst=args.burst), jobs=args.jobs)
    print(f"discretion-review api: http://{args.address}:{args.port}/v1/ (OpenAPI at /docs; database "
          f"{shown_url(url)})", flush=True)
    # the client's address from a proxy's X-Forwarded-For only when the proxy is trusted
    # (uvicorn's FORWARDED_ALLOW_IPS, by default this machine): the rate limits count by it
    uvicorn.run(app, host=args.address, port=args.port, proxy_headers=True, log_level="warning",
                server_header=False)
    return 0


def cmd_tokens(args: argparse.Namespace, store: Callable[[argparse.Namespace], str]) -> int:
    from engine.store.access import scope_of
    from engine.store.db import transaction
    from engine.store.tokens import add_token, list_tokens, revoke_token

    url = store(args)
    with transaction(url) as session:
        scope = scope_of(session, args.user)
        if args.tokens_command == "add":
            row, token = add_token(session, scope, args.agency, args.label)
            token_id, agency = row.id, row.agency_id
        elif args.tokens_command == "revoke":
            row = revoke_token(session, scope, args.token_id)
            print(f"token #{row.id} of agency {row.agency_id} revoked: it posts nothing from now on")
            return 0
        else:
            rows = list_tokens(session, scope)
    if args.tokens_command == "add":  # said after the commit: a token printed is a token stored
        print(f"token #{token_id} for agency {agency} made by {args.user}; it is shown this once (the store keeps "
              "only its hash): give it to the system that posts, as Authorization: Bearer <token>")
        print(f"token: {token}")
        return 0
    for t in rows:
        state = f"revoked {t['revoked_at']:%Y-%m-%d %H:%M} by {t['revoked_by']}" if t["revoked_at"] else "active"
        last = f"{t['last_used_at']:%Y-%m-%d %H:%M}" if t["last_used_at"] else "never"
        print(f"#{t['id']:<5} {t['agency_id']:24} {state:36} posts {t['posts']:<7} last post {last:16} "
              f"made {t['created_at']:%Y-%m-%d} by {t['created_by']}  {t['label']}")
    return 0
