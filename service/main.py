"""The gateway application: ``create_app`` wires settings, error mapping, auth, the routers and the job layer.

Never imports torch (the gateway image stays slim; a test holds this): only imaging's pure modules, pydicom, the
web stack and Celery's client side are loaded. Jobs are enqueued by task name on ``job_queue``: by default a
producer on the settings' broker (``memory://`` when none is set: then a worker must run in this process, see
``petiq serve``). On start-up, jobs the manifests show queued or running are enqueued again; while it runs, three
loops run in worker threads: the incomplete-series sweep (:mod:`core.jobs.incomplete`), the retry of messages
the broker did not take (:mod:`core.jobs.enqueue_retry`, every second) and the sweep of running jobs whose
worker was lost or froze (:mod:`core.jobs.stall`). With ``dimse_port`` set, the DICOM storage SCP
(:mod:`service.dimse`) listens while the app lives (``app.state.dimse_scp``; None otherwise): each association
is stored and reported to ``app.state.on_series_stored`` as one STOW-RS request would be. The access log
(``uvicorn.access``) gets :class:`core.logs.AccessLogFilter`: signed links' signatures and key-like query
values never reach it; uvicorn's error log gets :class:`core.logs.UrlCredentialsFilter`.

Every route but the health probes needs the bearer key, the API docs included (unless ``PETIQ_PUBLIC_DOCS``), and
every response is sent with ``Cache-Control: no-store`` (:mod:`service.api.caching`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.concurrency import run_in_threadpool

from core.jobs.enqueue_retry import RETRY_INTERVAL_S, EnqueueRetrier
from core.jobs.queue import CeleryJobQueue, JobQueue, producer_app
from core.jobs.recovery import requeue_unfinished
from core.jobs.stall import StallSweeper, stall_interval_s
from core.jobs.starter import JobStarter
from core.jobs.store import JobStore
from core.logs import install_log_filters
from core.settings import Settings
from core.version import software_version
from service.api.caching import NoStoreMiddleware
from service.api.deps import require_key
from service.api.errors import install_error_handlers, problem_responses
from service.api.routes import docs, health, jobs, qido, ready, report, series, stow, wado
from service.api.schema import install_openapi
from service.background import IncompleteSweeper, running_every, sweep_interval_s
from service.dimse.server import running_scp
from service.dimse.stats import DimseStats
from service.hooks import SeriesStoredHooks
from service.metrics import metrics_registry
from service.report.build import PictureCache

__all__ = ["create_app"]


def _lifespan(
    store: JobStore, queue: JobQueue, settings: Settings
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(lambda: requeue_unfinished(store=store, queue=queue))
        incomplete_s = sweep_interval_s(grace_s=settings.incomplete_grace_s)
        stall_s = stall_interval_s(stall_after_s=settings.job_stall_after_s)
        async with (
            running_every(call=IncompleteSweeper(settings=settings), interval_s=incomplete_s),
            running_every(call=EnqueueRetrier(store=store, queue=queue), interval_s=RETRY_INTERVAL_S),
            running_every(call=StallSweeper(store=store, queue=queue, settings=settings), interval_s=stall_s),
            running_scp(settings=settings, hooks=app.state.on_series_stored, stats=app.state.dimse_stats) as scp,
        ):
            app.state.dimse_scp = scp
            try:
                yield
            finally:
                app.state.dimse_scp = None

    return lifespan


def create_app(*, settings: Settings | None = None, job_queue: JobQueue | None = None) -> FastAPI:
    """The FastAPI gateway for ``settings`` (read from ``PETIQ_*`` when None), sending jobs to ``job_queue``.

    ``app.state.on_series_stored`` is the list of hooks called with each STOW-RS :class:`StoreReport` (and each
    DIMSE association's) that stored something; the job starter is its first entry. ``app.state.dimse_stats``
    counts the storage SCP's associations and C-STOREs (on ``/metrics`` when ``dimse_port`` is set).
    """
    settings = settings or Settings()
    queue = job_queue or CeleryJobQueue(producer_app(settings=settings))
    store = JobStore(settings.storage_dir)
    app = FastAPI(
        title="petiq",
        version=software_version(),
        summary="PET denoising and image-quality scoring over DICOMweb",
        responses=problem_responses(500),
        lifespan=_lifespan(store, queue, settings),
        openapi_url=None,  # the docs routes are service.api.routes.docs, behind the key
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.job_queue = queue
    app.state.dimse_stats = DimseStats()
    app.state.dimse_scp = None
    dimse = app.state.dimse_stats if settings.dimse_port is not None else None
    app.state.metrics_registry = metrics_registry(store=store, queue=queue, dimse=dimse)
    app.state.report_cache = PictureCache()
    app.state.on_series_stored = SeriesStoredHooks([JobStarter(settings=settings, queue=queue)])
    install_error_handlers(app)
    install_log_filters()
    app.add_middleware(NoStoreMiddleware)
    app.include_router(health.router)
    app.include_router(ready.router)
    secured = [Depends(require_key)]
    for router in (stow.router, wado.router, qido.router):
        app.include_router(router, prefix="/dicomweb", dependencies=secured)
    app.include_router(jobs.router, dependencies=secured)
    app.include_router(series.router, dependencies=secured)
    app.include_router(report.router)  # a bearer key or a signed link: checked by its routes
    app.include_router(docs.router, dependencies=[] if settings.public_docs else secured)
    install_openapi(app)
    return app
