"""The API docs: ``GET /openapi.json``, ``/docs`` (Swagger UI), ``/docs/oauth2-redirect`` and ``/redoc``.

FastAPI's own docs routes are open to anyone; these are the same pages, included by :func:`service.main.create_app`
behind the bearer key like every other route unless ``PETIQ_PUBLIC_DOCS=true``. A browser sends no key, so on a
gateway with keys the pages are for a client that sets the header (or read ``openapi/openapi.json``, the same
document, from the repository). Not part of the OpenAPI document themselves.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse

__all__ = ["DOCS_PATHS", "router"]

DOCS_PATHS = ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")

router = APIRouter(include_in_schema=False)


def _root(request: Request) -> str:
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


@router.get("/openapi.json")
def openapi_json(request: Request) -> JSONResponse:
    """The gateway's OpenAPI document (as ``python -m service.openapi`` writes it)."""
    return JSONResponse(request.app.openapi())


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI over ``/openapi.json``."""
    root = _root(request)
    return get_swagger_ui_html(
        openapi_url=f"{root}/openapi.json",
        title=f"{request.app.title} - Swagger UI",
        oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
    )


@router.get("/docs/oauth2-redirect")
def swagger_ui_redirect() -> HTMLResponse:
    """Swagger UI's OAuth2 redirect page."""
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    """ReDoc over ``/openapi.json``."""
    return get_redoc_html(openapi_url=f"{_root(request)}/openapi.json", title=f"{request.app.title} - ReDoc")
