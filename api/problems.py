"""RFC 9457 problem details (``application/problem+json``) for every error the service sends.

Routes raise :class:`Problem`; the handlers installed by :func:`install` turn it, FastAPI's
request validation errors, Starlette's HTTP errors (404 for unknown routes, 405, ...) and any
unexpected exception (a 500 that tells nothing internal) into problem documents.
"""

from __future__ import annotations

import http
import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("api")

MEDIA_TYPE = "application/problem+json"

#: Problem types. Relative URI references, resolved against the service's base URL.
URL_REFUSED = "/problems/url-refused"
COULD_NOT_VALIDATE = "/problems/could-not-validate"
INVALID_REQUEST = "/problems/invalid-request"
RATE_LIMITED = "/problems/rate-limited"
TOO_MANY_JOBS = "/problems/too-many-jobs"
SERVICE_BUSY = "/problems/service-busy"
JOB_NOT_FOUND = "/problems/job-not-found"
JOB_NOT_FINISHED = "/problems/job-not-finished"
JOB_FINISHED = "/problems/job-finished"
NODE_NOT_FOUND = "/problems/node-not-found"
JOB_CANCELLED = "/problems/job-cancelled"
UNKNOWN_FORMAT = "/problems/unknown-format"
REQUEST_TOO_LARGE = "/problems/request-too-large"
NOT_READY = "/problems/not-ready"
INTERNAL_ERROR = "/problems/internal-error"


class Problem(Exception):
    """An error answered as a problem document."""

    def __init__(
        self,
        status: int,
        type_: str,
        title: str,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.type = type_
        self.title = title
        self.detail = detail
        self.headers = dict(headers or {})
        self.extensions = extensions


def problem_response(
    status: int,
    *,
    type_: str = "about:blank",
    title: str | None = None,
    detail: str | None = None,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": type_,
        "title": title or _phrase(status),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    for key, value in (extensions or {}).items():
        body.setdefault(key, value)
    # nosniff here too: a 500 is sent by Starlette's outermost middleware, outside ours.
    return JSONResponse(body, status_code=status,
                        headers={"X-Content-Type-Options": "nosniff", **(headers or {})},
                        media_type=MEDIA_TYPE)


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


async def _problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc.status, type_=exc.type, title=exc.title, detail=exc.detail,
                            instance=request.url.path, headers=exc.headers,
                            extensions=exc.extensions)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail: str | None = exc.detail if isinstance(exc.detail, str) else None
    if detail == _phrase(exc.status_code):
        detail = None
    if exc.status_code == 404 and detail is None:
        detail = f"there is nothing at {request.url.path}"
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Starlette names the methods of the first route matching the path only (GET, not
        # DELETE, for /v1/jobs/{id}): name those of every route of the path.
        allowed = _allowed_methods(request) or headers.get("Allow") or headers.get("allow")
        headers.pop("allow", None)
        if allowed:
            headers["Allow"] = allowed
        if detail is None:
            detail = (f"{request.method} is not allowed here"
                      + (f"; use {allowed}" if allowed else ""))
    return problem_response(exc.status_code, detail=detail, instance=request.url.path,
                            headers=headers)


def _allowed_methods(request: Request) -> str:
    from fastapi import routing

    methods: set[str] = set()
    for context in routing.iter_route_contexts(request.app.routes):
        route = context.original_route
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(request.url.path):
            methods.update(getattr(route, "methods", None) or ())
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


def _clean_errors(errors: Any) -> list[dict[str, Any]]:
    cleaned = []
    for error in errors:
        loc = [part for part in error.get("loc", ()) if isinstance(part, str | int)]
        cleaned.append({"loc": loc, "msg": str(error.get("msg", "")),
                        "type": str(error.get("type", ""))})
    return cleaned


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _clean_errors(exc.errors())
    parts = []
    for error in errors[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "request"
        parts.append(f"{where}: {error['msg']}")
    return problem_response(
        422, type_=INVALID_REQUEST, title="Invalid request",
        detail="; ".join(parts) or "the request is not valid", instance=request.url.path,
        extensions={"errors": errors},
    )


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("internal error answering %s %s", request.method, request.url.path,
                  exc_info=exc)
    return problem_response(
        500, type_=INTERNAL_ERROR, title="Internal error",
        detail="the service failed to answer this request; it has been logged",
        instance=request.url.path,
    )


def install(app: FastAPI) -> None:
    """Install the problem handlers on ``app``."""
    app.add_exception_handler(Problem, _problem)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _internal_error)
