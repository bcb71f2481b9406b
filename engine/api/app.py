"""The intake API's HTTP side (FastAPI): who is asking, how much, and what to answer.

``POST /v1/agencies/{agency_id}/records`` with ``Authorization: Bearer <token>`` and a JSON object
of the exchange format's files (engine/ingest/records.py). In order:

* no token, or one the store does not know, or a revoked one → 401 (an address that keeps
  failing → 429 before any look-up: ``throttle``);
* more posts than the token's rate → 429 with ``Retry-After``;
* a token of another agency → 403; rows naming another agency → 403 listing them;
* a body over ``max_body`` bytes → 413 (read no further);
* not JSON, not an object, or any problem of any row → 422 listing every problem;
* otherwise the records are stored, the agency evaluated and its flags synced
  (engine/store/intake.py) → 200 with what was stored and the flags opened, reopened and
  cleared, and those of the posted rows as they stand.

Nothing is stored unless the answer is 200. Every request that presents a token is appended to
the tokens' trail with its answer (``tokens.record_use``): in the post's own transaction when it
stores, else in one of its own. Every answer but 200 carries ``error`` in Thai and English.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from engine import __version__, logs
from engine.api import openapi
from engine.api.throttle import DEFAULT_MAX_BODY, Rates, Throttle
from engine.api.wording import both
from engine.domain.errors import EvaluationError, InputProblem
from engine.store import tokens
from engine.store.db import session_factory
from engine.store.intake import IntakeRefused, OtherAgency, Posted, StoredRowProblem, post_records
from engine.store.review import is_lock_timeout
from engine.store.scope import PermissionDenied

PATH = "/v1/agencies/{agency_id}/records"


def _said(th: str, en: str) -> dict[str, str]:
    return {"th": th, "en": en}


NO_TOKEN = _said("ต้องแนบโทเคนในส่วนหัว Authorization: Bearer <โทเคน> ขอโทเคนจากผู้ดูแลระบบ",
                 "send a token in the header Authorization: Bearer <token>; an administrator makes one")
BAD_TOKEN = _said("โทเคนไม่ถูกต้อง: ไม่มีโทเคนนี้ในระบบ", "unknown token")
REVOKED = _said("โทเคนนี้ถูกเพิกถอนแล้ว ขอโทเคนใหม่จากผู้ดูแลระบบ", "this token was revoked; ask an administrator for a new one")


def _problem(p: InputProblem) -> dict[str, Any]:
    th, en = both(p.reason)
    out: dict[str, Any] = {"file": p.file, "row": p.row, "index": p.row - 1 if p.row else None, "column": p.column,
                           "value": p.value, "reason_th": th, "reason_en": en}
    if isinstance(p, StoredRowProblem):  # a stored row, not one of the post's: named by its id or key
        out.update(file=p.table, stored_row=p.key)
    return out


def _warnings(warnings: list[str]) -> list[dict[str, str]]:
    return [dict(zip(("th", "en"), both(w))) for w in warnings]


def _answer(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body, default=str), status_code=status, media_type="application/json",
                    headers={"Cache-Control": "no-store", **(headers or {})})


def _posted(agency_id: str, r: Posted) -> dict[str, Any]:
    return {"agency_id": agency_id, "import_id": r.import_id, "run_id": r.run_id, "as_of": r.as_of.isoformat(),
            "stored": r.stored, "flags": r.flags, "current": r.current, "warnings": _warnings(r.warnings)}


def create_app(url: str | None = None, *, as_of: Callable[[], dt.date] | None = None, max_body: int = DEFAULT_MAX_BODY,
               rates: Rates | None = None, jobs: int | None = None, throttle: Throttle | None = None) -> FastAPI:
    """The API over the store at ``url`` (default ``DISCRETION_DB_URL``); ``as_of``: the day posts
    are evaluated at (default today, Bangkok); ``jobs``: the evaluation's worker processes."""
    from fastapi_offline import FastAPIOffline

    factory = session_factory(url)
    throttle = throttle or Throttle(rates or Rates())
    posting = threading.Lock()  # posts in this process one at a time: each holds the store's lock anyway
    app = FastAPIOffline(
        title="discretion-review intake API", version=__version__,
        description=("Post an agency's records as decisions are made; the agency is evaluated at once and the "
                     "flags it opened, reopened and cleared come back. Thai first: every error says what went "
                     "wrong in Thai and English. The contract: docs/api.md."),
        openapi_tags=[{"name": "intake", "description": "records of one agency"}])

    def record(token: Any, agency_id: str | None, status: int, details: dict[str, Any], presented: str | None = None,
               ) -> None:
        """A refused use, in a transaction of its own (a store that cannot take it: the log has it)."""
        try:
            with factory() as session, session.begin():
                tokens.record_use(session, token, agency_id, status, details, presented)
        except Exception as exc:  # noqa: BLE001  (the answer goes out; the operator reads why)
            logs.error("api record_use", exc, status=status)

    async def refuse(status: int, said: dict[str, str], token: Any, agency_id: str | None, source: str,
                     reason: str, extra: dict[str, Any] | None = None, presented: str | None = None,
                     headers: dict[str, str] | None = None, audited: bool = True) -> Response:
        if audited:
            await run_in_threadpool(record, token, agency_id, status, {"source": source, "reason": reason,
                                                                       **{k: v for k, v in (extra or {}).items()
                                                                          if k in ("problems", "bytes")}},
                                    presented)
        logs.event("api", "warning", status=status, reason=reason, agency=agency_id, source=source,
                   token=token.id if token is not None else None)
        body: dict[str, Any] = {"error": said}
        if extra and "list" in extra:
            body["problems"] = extra["list"]
        if extra and "warnings" in extra:
            body["warnings"] = extra["warnings"]
        return _answer(status, body, headers)

    @app.get("/v1/health", tags=["intake"], summary="the API answers (no token needed)")
    async def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.post(PATH, tags=["intake"], summary="store records of the agency, evaluate it, answer its flags",
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                  "schema": openapi.request_schema(), "example": openapi.EXAMPLE_REQUEST}}},
                  "security": [{"bearer": []}]},
              responses={200: {"description": "stored and evaluated", "content": {"application/json": {
                  "example": openapi.EXAMPLE_RESPONSE}}},
                  401: {"description": "no token, an unknown one or a revoked one"},
                  403: {"description": "a token of another agency, or rows naming another agency"},
                  413: {"description": "a body larger than the server takes"},
                  422: {"description": "problems in the records: every one, nothing stored", "content": {
                      "application/json": {"example": openapi.EXAMPLE_PROBLEMS}}},
                  429: {"description": "too many posts, or too many failed tokens from one address"}})
    async def post(agency_id: str, request: Request) -> Response:
        source = request.client.host if request.client else "unknown"
        wait = throttle.refused(source)
        if wait:
            return await refuse(429, _said(f"ยืนยันตัวตนไม่สำเร็จหลายครั้งเกินไปจากที่อยู่นี้ ลองใหม่ในอีก {int(wait) + 1} วินาที",
                                           f"too many failed tokens from this address; try again in {int(wait) + 1} s"),
                                None, agency_id, source, "failures", headers={"Retry-After": str(int(wait) + 1)},
                                audited=False)
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        presented = presented.strip()
        if scheme.lower() != "bearer" or not presented:
            throttle.failed(source)
            return await refuse(401, NO_TOKEN, None, agency_id, source, "no token",
                                headers={"WWW-Authenticate": "Bearer"}, audited=False)
        token = await run_in_threadpool(_lookup, factory, presented)
        if token is None or token.revoked_at is not None:
            throttle.failed(source)
            return await refuse(401, BAD_TOKEN if token is None else REVOKED, token, agency_id, source,
                                "unknown token" if token is None else "revoked", presented=presented,
                                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        wait = throttle.take(token.id)
        if wait:
            r = throttle.rates
            return await refuse(429, _said(f"ส่งข้อมูลถี่เกินกำหนด ({r.per_minute:g} ครั้งต่อนาที) ลองใหม่ในอีก {int(wait) + 1} วินาที",
                                           f"too many posts ({r.per_minute:g} a minute); try again in {int(wait) + 1} s"),
                                token, agency_id, source, "rate", headers={"Retry-After": str(int(wait) + 1)})
        if token.agency_id != agency_id:
            return await refuse(403, _said(f"โทเคนนี้ใช้ส่งข้อมูลได้เฉพาะของหน่วยงาน {token.agency_id} ไม่ใช่ {agency_id}",
                                           f"this token posts for agency {token.agency_id} only, not {agency_id}"),
                                token, agency_id, source, "other agency")
        body = await _read(request, max_body)
        if body is None:
            mb = max_body / (1 << 20)
            return await refuse(413, _said(f"ข้อมูลที่ส่งมามีขนาดเกิน {mb:g} MB ซึ่งเป็นขีดจำกัด: แบ่งส่งเป็นหลายครั้ง",
                                           f"the body is larger than {mb:g} MB, the limit: post the records in parts"),
                                token, agency_id, source, "too large")
        try:
            records = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            problem = InputProblem("records", None, None, None, f"ไม่ใช่ JSON ที่ถูกต้อง / not valid JSON: {exc}")
            return await _refused_records(refuse, token, agency_id, source, [problem], [])
        if not isinstance(records, dict):
            problem = InputProblem("records", None, None, None, "ต้องเป็นออบเจกต์ JSON ที่มีชื่อไฟล์เป็นคีย์ เช่น {\"cases\": [...]} / "
                                   "a JSON object keyed by file names is expected, e.g. {\"cases\": [...]}")
            return await _refused_records(refuse, token, agency_id, source, [problem], [])

        def stored(session: Any, posted: Posted) -> None:
            tokens.record_use(session, token, agency_id, 200, {
                "source": source, "import_id": posted.import_id, "run_id": posted.run_id,
                "rows": {f: sum(n.values()) for f, n in posted.stored.items()}})

        def work() -> Posted:
            with posting:
                return post_records(factory, tokens.scope_of(token), agency_id, records, as_of() if as_of else None,
                                    jobs=jobs, before_commit=stored)
        try:
            posted = await run_in_threadpool(work)
        except OtherAgency as exc:
            return await refuse(403, _said(f"มีแถวที่เป็นข้อมูลของหน่วยงานอื่น ไม่ใช่ {agency_id} ไม่ได้บันทึกสิ่งใด",
                                           f"rows name another agency than {agency_id}; nothing was stored"),
                                token, agency_id, source, "rows of another agency",
                                {"list": [_problem(p) for p in exc.problems], "problems": len(exc.problems)})
        except PermissionDenied:
            return await refuse(403, _said(f"โทเคนนี้ส่งข้อมูลของหน่วยงาน {agency_id} ไม่ได้", f"this token may not post "
                                           f"for agency {agency_id}"), token, agency_id, source, "permission")
        except IntakeRefused as exc:
            return await _refused_records(refuse, token, agency_id, source, exc.problems, exc.warnings)
        except EvaluationError as exc:
            return await _failed(refuse, token, agency_id, source, exc)
        except Exception as exc:  # noqa: BLE001  (the store went away or is busy; or a bug: a reference)
            if is_lock_timeout(exc):
                return await refuse(503, _said("ฐานข้อมูลกำลังบันทึกผลการประมวลผลอื่นอยู่ ไม่ได้บันทึกสิ่งใด ลองใหม่ในอีกสักครู่",
                                               "the store is busy saving another evaluation; nothing was stored: "
                                               "try again in a moment"), token, agency_id, source, "busy",
                                    headers={"Retry-After": "30"})
            return await _failed(refuse, token, agency_id, source, exc)
        logs.event("api", status=200, agency=agency_id, token=token.id, import_id=posted.import_id,
                   run_id=posted.run_id, opened=len(posted.flags["opened"]), reopened=len(posted.flags["reopened"]),
                   cleared=len(posted.flags["cleared"]))
        return _answer(200, _posted(agency_id, posted))

    _security(app)
    return app


def _lookup(factory: Any, presented: str) -> Any:
    with factory() as session:
        return tokens.authenticate(session, presented)


async def _read(request: Request, limit: int) -> bytes | None:
    """The body, or None past ``limit`` bytes (read no further; a declared length says so at once)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _refused_records(refuse: Any, token: Any, agency_id: str, source: str, problems: list[InputProblem],
                           warnings: list[str]) -> Response:
    n = len(problems)
    return await refuse(422, _said(f"ข้อมูลที่ส่งมามีปัญหา {n} รายการ ไม่ได้บันทึกสิ่งใด",
                                   f"{n} problem{'s' if n != 1 else ''} in the records posted; nothing was stored"),
                        token, agency_id, source, "problems",
                        {"list": [_problem(p) for p in problems], "problems": n, "warnings": _warnings(warnings)})


async def _failed(refuse: Any, token: Any, agency_id: str, source: str, exc: BaseException) -> Response:
    reference = uuid.uuid4().hex[:12]
    logs.error("api post", exc, reference=reference, agency=agency_id)
    return await refuse(500, _said(f"ระบบขัดข้อง ไม่ได้บันทึกสิ่งใด แจ้งผู้ดูแลระบบพร้อมรหัสอ้างอิง {reference}",
                                   f"the server failed; nothing was stored: tell the administrator the reference "
                                   f"{reference}"), token, agency_id, source, f"failed {reference}")


def _security(app: FastAPI) -> None:
    """Bearer tokens in the OpenAPI document (so /docs has an Authorize button)."""
    make = app.openapi

    def openapi_with_bearer() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = make()
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "a token of the agency (discretion-review tokens add, or the app's page "
                                          "of tokens)"}}
            app.openapi_schema = schema
        return app.openapi_schema
    app.openapi = openapi_with_bearer  # type: ignore[method-assign]
