"""The one place where errors become HTTP responses: RFC 9457 ``application/problem+json``.

Members: ``type`` (``urn:petiq:problem:<slug>``), ``title``, ``status``, ``detail`` (the error's message),
``instance`` (the request path), and petiq's ``check`` and ``uid`` when the error carries them. A file path an
error carries, or its message names, stays in the logs (:func:`core.jobs.failure_detail.without_paths`).
STOW-RS outcomes are not errors: they are answered in DICOM JSON by the route.

Every problem is sent with ``Cache-Control: no-store`` (it may name a patient's UIDs; a 500 answered by the
outermost middleware bypasses :mod:`service.api.caching`). A 405 carries ``Allow``: the methods of every route
whose path matches (Starlette names only the first such route's).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import (
    ConflictError,
    InsufficientStorageError,
    MalformedRequestError,
    NotAcceptableError,
    NotFoundError,
    TooLargeError,
    UnauthorizedError,
    UnprocessableError,
    UnsupportedMediaError,
)
from core.jobs.failure_detail import without_paths
from core.logs import safe_traceback
from imaging.errors import InputError, OutputError, PetiqError

__all__ = [
    "PROBLEM_JSON",
    "Problem",
    "allowed_methods",
    "install_error_handlers",
    "problem_response",
    "problem_responses",
]

PROBLEM_JSON = "application/problem+json"
_LOG = logging.getLogger(__name__)

_KINDS: dict[type[PetiqError], tuple[int, str, str]] = {
    UnauthorizedError: (401, "unauthorized", "Unauthorized"),
    NotFoundError: (404, "not-found", "Not found"),
    MalformedRequestError: (400, "malformed-request", "Malformed request"),
    UnsupportedMediaError: (415, "unsupported-media-type", "Unsupported media type"),
    NotAcceptableError: (406, "not-acceptable", "Not acceptable"),
    TooLargeError: (413, "too-large", "Request too large"),
    ConflictError: (409, "conflict", "Conflict"),
    UnprocessableError: (422, "unprocessable-series", "The series cannot be processed"),
    InputError: (400, "invalid-input", "Invalid input"),
    InsufficientStorageError: (507, "insufficient-storage", "Insufficient storage"),
    OutputError: (500, "storage-failure", "Storage failure"),
    PetiqError: (500, "internal-error", "Internal error"),
}


class Problem(BaseModel):
    """An RFC 9457 problem detail, with petiq's ``check`` and ``uid`` extension members."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    check: str | None = None
    uid: str | None = None


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting ``statuses`` as problem+json."""
    return {status: {"model": Problem, "content": {PROBLEM_JSON: {}}} for status in statuses}


def problem_response(
    *,
    request: Request,
    status: int,
    slug: str,
    title: str,
    detail: str,
    context: dict[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response for ``request``, with ``headers`` (``Cache-Control: no-store`` always)."""
    body = Problem(
        type=f"urn:petiq:problem:{slug}", title=title, status=status, detail=detail, instance=request.url.path
    ).model_dump(exclude_none=True)
    body.update({key: value for key, value in (context or {}).items() if key in ("check", "uid")})
    sent = {**(headers or {}), "Cache-Control": "no-store"}
    if status == 401:
        sent["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=sent)


def _kind(error: PetiqError) -> tuple[int, str, str]:
    return next(_KINDS[cls] for cls in type(error).__mro__ if cls in _KINDS)


async def _petiq_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, PetiqError)
    status, slug, title = _kind(error)
    if status >= 500:
        _LOG.error("%s %s failed: %s", request.method, request.url.path, error)
    detail = without_paths(error.message)  # an OSError's text names server paths: they stay in the log
    return problem_response(
        request=request, status=status, slug=slug, title=title, detail=detail, context=error.context()
    )


def allowed_methods(request: Request) -> str:
    """The ``Allow`` value for ``request``'s path: the methods of every route of the app whose path matches it."""
    path: str = request.scope["path"]
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        regex = getattr(route, "path_regex", None)
        if regex is not None and route.methods and regex.match(path):
            methods.update(route.methods)
    return ", ".join(sorted(methods))


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    slug = {404: "not-found", 405: "method-not-allowed"}.get(error.status_code, "http-error")
    title = {404: "Not found", 405: "Method not allowed"}.get(error.status_code, "HTTP error")
    headers = dict(error.headers or {})
    if error.status_code == 405:
        headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
    return problem_response(
        request=request, status=error.status_code, slug=slug, title=title, detail=str(error.detail), headers=headers
    )


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    where = "; ".join(f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors())
    detail = f"The request's parameters are invalid: {where}."
    return problem_response(
        request=request, status=400, slug="invalid-parameter", title="Invalid parameter", detail=detail
    )


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    # the traceback as text, URL credentials masked (a broker error may quote its URL)
    _LOG.error("%s %s failed unexpectedly:\n%s", request.method, request.url.path, safe_traceback(error))
    detail = "The server failed unexpectedly; the error is logged."
    return problem_response(request=request, status=500, slug="internal-error", title="Internal error", detail=detail)


def install_error_handlers(app: FastAPI) -> None:
    """Register the problem+json handlers on ``app``."""
    app.add_exception_handler(PetiqError, _petiq_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
