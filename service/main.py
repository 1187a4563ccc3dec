"""The gateway application: ``create_app`` wires settings, error mapping, auth and the routers.

Never imports torch (the gateway image stays slim; a test holds this): only imaging's pure modules, pydicom and
the web stack are loaded.
"""

from __future__ import annotations

from importlib import metadata

from fastapi import Depends, FastAPI

from service.api.deps import SeriesStoredHook, require_key
from service.api.errors import install_error_handlers, problem_responses
from service.api.routes import health, qido, stow, wado
from service.core.config import Settings

__all__ = ["create_app"]


def _version() -> str:
    try:
        return metadata.version("petiq")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def create_app(*, settings: Settings | None = None) -> FastAPI:
    """The FastAPI gateway for ``settings`` (read from ``PETIQ_*`` when None).

    ``app.state.on_series_stored`` is the list of hooks called with each STOW-RS :class:`StoreReport` that stored
    something; empty here, the job layer appends to it.
    """
    settings = settings or Settings()
    app = FastAPI(
        title="petiq",
        version=_version(),
        summary="PET denoising and image-quality scoring over DICOMweb",
        responses=problem_responses(500),
    )
    app.state.settings = settings
    hooks: list[SeriesStoredHook] = []
    app.state.on_series_stored = hooks
    install_error_handlers(app)
    app.include_router(health.router)
    secured = [Depends(require_key)]
    for router in (stow.router, wado.router, qido.router):
        app.include_router(router, prefix="/dicomweb", dependencies=secured)
    return app
