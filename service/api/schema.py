"""The gateway's OpenAPI document as the app really answers: request validation errors are 400 problem+json.

FastAPI documents a 422 ``HTTPValidationError`` on every route with parameters or a body, but
:mod:`service.api.errors` answers those with 400 ``application/problem+json`` (as DICOMweb clients and the
job API expect). :func:`install_openapi` replaces each such 422 with that 400 and drops the validation schemas no
route refers to any more. A 422 a route documents itself (problem+json, e.g. ``POST /v1/jobs`` on a series petiq
will not process) is kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from service.api.errors import PROBLEM_JSON

__all__ = ["install_openapi", "validation_as_bad_request"]

_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
_BAD_REQUEST = {
    "description": "Bad Request",
    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


def validation_as_bad_request(*, schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with every operation's validation 422 replaced by a 400 problem+json (kept when documented)."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if "HTTPValidationError" in json.dumps(responses.get("422", {})):
                del responses["422"]
                responses.setdefault("400", _BAD_REQUEST)
    text = json.dumps(schema.get("paths", {}))
    components = schema.get("components", {}).get("schemas", {})
    for name in _VALIDATION_SCHEMAS:
        if f"#/components/schemas/{name}" not in text and name in components:
            del components[name]
    return schema


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` return :func:`validation_as_bad_request` of FastAPI's document (built once)."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes, servers=app.servers
            )
            app.openapi_schema = validation_as_bad_request(schema=schema)
        return app.openapi_schema

    replacement: Callable[[], dict[str, Any]] = build
    app.openapi = replacement  # type: ignore[method-assign]
