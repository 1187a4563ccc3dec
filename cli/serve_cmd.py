"""``petiq serve`` (the gateway, with an embedded worker unless a broker is set) and ``petiq worker``.

::

    petiq serve [--host 127.0.0.1] [--port 8000]
    petiq worker [--loglevel INFO] [--hostname NAME] [--queues gpu,deliver]

Embedded mode (no ``PETIQ_BROKER_URL``): one process, the gateway and two Celery workers in threads on the
in-process ``memory://`` broker, one for jobs (queue ``gpu``, solo pool), one for forwarding results (queue
``deliver``, a few threads). Distributed mode (``PETIQ_BROKER_URL=redis://…``): ``serve`` runs the gateway only and
``petiq worker`` the Celery workers: by default two processes it supervises, the job worker (queue ``gpu``, one
job at a time, prefork with time limits) and the delivery worker (queue ``deliver``, a few threads), so a slow
destination never holds a job back; ``--queues gpu`` on the GPU machines and ``--queues deliver`` elsewhere run
just one of them (:mod:`workers.worker_plan`).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import SecretStr

__all__ = ["auth_notice", "register"]


def register(subparsers: Any) -> None:
    """Add ``serve`` and ``worker`` to the ``petiq`` subcommands."""
    serve: argparse.ArgumentParser = subparsers.add_parser(
        "serve", help="run the DICOMweb gateway (with an in-process worker unless PETIQ_BROKER_URL is set)"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.set_defaults(func=run_serve)
    worker: argparse.ArgumentParser = subparsers.add_parser(
        "worker", help="run the Celery workers on PETIQ_BROKER_URL (jobs and deliveries, each in its own process)"
    )
    worker.add_argument("--loglevel", default="INFO", help="Celery log level")
    worker.add_argument(
        "--hostname",
        help="the job worker's Celery node name (default: celery@<host>; the delivery worker's adds -deliver)",
    )
    worker.add_argument(
        "--queues",
        default="gpu,deliver",
        help="comma-separated queues to consume, each in its own process: gpu (jobs), deliver (forwarding)",
    )
    worker.set_defaults(func=run_worker)


def auth_notice(*, api_keys: frozenset[SecretStr], allow_anonymous: bool) -> str | None:
    """The start-up line about authentication, or None when keys are configured."""
    if api_keys:
        return None
    if allow_anonymous:
        return "petiq serve: PETIQ_ALLOW_ANONYMOUS=true and no PETIQ_API_KEYS: every request is let through"
    return (
        "petiq serve: PETIQ_API_KEYS is not set, so every request except /healthz, /readyz and /metrics is refused "
        "(401); set PETIQ_API_KEYS=key1,key2 and send 'Authorization: Bearer key1' (`make run` uses dev-key)"
    )


def run_serve(args: argparse.Namespace) -> int:
    """Serve until interrupted; embedded worker when no broker URL is set."""
    import uvicorn
    from kombu.utils.url import maybe_sanitize_url

    from core.jobs.queue import CeleryJobQueue, broker_url
    from core.settings import get_settings
    from service.main import create_app

    settings = get_settings()
    notice = auth_notice(api_keys=settings.api_keys, allow_anonymous=settings.allow_anonymous)
    if notice:
        print(notice, file=sys.stderr)
    if settings.broker_url is not None:
        shown = maybe_sanitize_url(broker_url(settings=settings))
        print(f"petiq serve: gateway only; jobs go to {shown}", file=sys.stderr)
        uvicorn.run(create_app(settings=settings), host=args.host, port=args.port)
        return 0
    from workers.celery_app import make_celery
    from workers.embedded import embedded_workers

    celery = make_celery(settings=settings)
    workers = embedded_workers(app=celery)
    for worker in workers:
        worker.start()
    print(f"petiq serve: embedded worker running; storage {settings.storage_dir.resolve()}", file=sys.stderr)
    for destination in (settings.forward_url, settings.forward_dimse):
        if destination:
            print(f"petiq serve: results are forwarded to {destination}", file=sys.stderr)
    try:
        uvicorn.run(create_app(settings=settings, job_queue=CeleryJobQueue(celery)), host=args.host, port=args.port)
    finally:
        stopped = all([worker.stop(timeout_s=10.0) for worker in workers])
    if not stopped:  # a job is running native code in the worker thread: leave without finalising the interpreter
        print("petiq serve: a job was still running; it is re-enqueued at the next start", file=sys.stderr, flush=True)
        os._exit(0)
    return 0


def run_worker(args: argparse.Namespace) -> int:
    """Run the Celery workers of ``--queues`` on the configured broker until stopped: one queue in this process,
    several as supervised child processes (:mod:`workers.worker_plan`)."""
    from core.settings import get_settings
    from workers.worker_plan import worker_plan

    if get_settings().broker_url is None:
        print(
            "petiq worker: set PETIQ_BROKER_URL (e.g. redis://127.0.0.1:6379/0); without a broker, "
            "petiq serve runs its own worker in-process",
            file=sys.stderr,
        )
        return 2
    queues = tuple(name.strip() for name in args.queues.split(",") if name.strip())
    try:
        plan = worker_plan(queues=queues, hostname=args.hostname)
    except ValueError as error:
        print(f"petiq worker: {error}", file=sys.stderr)
        return 2
    if len(plan) > 1:
        from workers.supervisor import supervise
        from workers.worker_plan import child_command

        return supervise(commands=[child_command(process=p, loglevel=args.loglevel, debug=args.debug) for p in plan])
    from workers.celery_app import make_celery
    from workers.worker_plan import celery_arguments

    make_celery(settings=get_settings()).worker_main(argv=celery_arguments(process=plan[0], loglevel=args.loglevel))
    return 0
