"""Benchmark rows: how long the distributed service takes to finish a job after a fault, with real processes.

Each fault runs in its own temporary directory: ``redis-server`` on a fixed loopback port (so that it can be
started again on the same one), ``petiq serve`` with ``PETIQ_BROKER_URL`` and ``petiq worker`` subprocesses, one
job (one new study STOW-RSed). The time measured runs from the end of the fault until the job is ``succeeded``:

* worker kill: the whole worker (parent and pool child) is SIGKILLed while the job denoises and a new worker
  started at once (the end of the fault). The gateway notices the silent job after ``job_stall_after_s``, finds
  its run lock free and re-queues it; Redis would hand the message out again only after the visibility timeout.
* redis outage: Redis is stopped, the series STOW-RSed (the job cannot be queued), Redis started again on the same
  port after ``outage_s`` (the end of the fault, the queue empty). The gateway sends the job at its next try (its
  backoff doubles from 1 s up to 60 s during the outage) and the worker reconnects to Redis (its own backoff).

"data lost" is ``none`` when the job succeeded once (attempts as expected) and the study holds exactly one
derived series more than it was sent.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from bench.service.procs import API_KEY, free_port, gateway, gateway_env, kill_group, redis_server, start_worker

__all__ = ["FAULTS", "FaultSettings", "Recovery", "format_recovery", "measure_fault"]

FAULTS = ("worker-kill", "redis-outage")
_HEADERS = {"Authorization": f"Bearer {API_KEY}"}


@dataclass(frozen=True, kw_only=True)
class FaultSettings:
    """The service settings of the fault runs (s) and how long to wait for the job (s)."""

    heartbeat_s: float
    stall_after_s: float
    visibility_s: float
    outage_s: float = 10.0
    timeout_s: float = 600.0

    def describe(self) -> str:
        """The settings as a table cell."""
        stall = f"stall after {self.stall_after_s:g} s"
        return f"heartbeat {self.heartbeat_s:g} s, {stall}, visibility {self.visibility_s:g} s"

    def env(self) -> dict[str, str]:
        """The ``PETIQ_*`` settings, as :func:`bench.service.procs.gateway_env` keywords."""
        return {
            "job_heartbeat_s": f"{self.heartbeat_s:g}",
            "job_stall_after_s": f"{self.stall_after_s:g}",
            "broker_visibility_timeout_s": f"{self.visibility_s:g}",
        }


@dataclass(frozen=True, kw_only=True)
class Recovery:
    """One row: the fault, seconds from its end until the job succeeded (NaN: it did not), the job's attempts,
    the data lost, and the settings it ran with."""

    fault: str
    seconds: float
    attempts: int
    lost: str
    settings: str


def format_recovery(*, rows: Sequence[Recovery]) -> str:
    """The rows as a fixed-width table (settings last, free text)."""
    lines = [f"{'fault':<13} {'recovered s':>11} {'attempts':>8}  {'data lost':<24} settings"]
    for row in rows:
        seconds = "-" if math.isnan(row.seconds) else f"{row.seconds:.1f}"
        lines.append(f"{row.fault:<13} {seconds:>11} {row.attempts:>8d}  {row.lost:<24} {row.settings}")
    return "\n".join(lines)


@dataclass
class _Broker:
    """A restartable ``redis-server`` on one port."""

    port: int
    root: Path
    stack: ExitStack
    starts: int = 0

    def start(self) -> str:
        self.starts += 1
        url: str = self.stack.enter_context(redis_server(log=self.root / f"redis-{self.starts}.log", port=self.port))
        return url

    def stop(self) -> None:
        self.stack.close()


@contextmanager
def _cluster(*, root: Path, weights: Path, settings: FaultSettings) -> Iterator[tuple[str, dict[str, str], _Broker]]:
    """Redis, the gateway; yields the gateway's URL, the services' environment and the broker."""
    with ExitStack() as outer:
        broker = _Broker(port=free_port(), root=root, stack=ExitStack())
        outer.callback(broker.stop)
        url = broker.start()
        env = gateway_env(storage=root / "storage", weights=weights, broker_url=url, **settings.env())
        gateway_url, _ = outer.enter_context(gateway(env=env, log=root / "serve.log"))
        yield gateway_url, env, broker


def _stow(*, url: str, body: bytes, content_type: str) -> dict[str, Any]:
    """STOW-RS ``body`` (one new study, answered 200); the job it started."""
    response = httpx.post(
        f"{url}/dicomweb/studies", content=body, headers={**_HEADERS, "Content-Type": content_type}, timeout=60
    )
    if response.status_code != 200:
        raise RuntimeError(f"STOW-RS answered {response.status_code}: {response.text[:300]}")
    study = response.json()["00081190"]["Value"][0].rsplit("/", 1)[-1]
    jobs: list[dict[str, Any]] = httpx.get(f"{url}/v1/jobs", params={"study_uid": study}, headers=_HEADERS).json()
    (job,) = jobs
    return job


def _job(url: str, job_id: str) -> dict[str, Any]:
    job: dict[str, Any] = httpx.get(f"{url}/v1/jobs/{job_id}", headers=_HEADERS, timeout=30).json()
    return job


def _wait(*, url: str, job_id: str, until: tuple[str, ...], timeout_s: float) -> dict[str, Any]:
    """Poll the job until its status or its stage is one of ``until``, or ``timeout_s`` passed; the job."""
    deadline = time.monotonic() + timeout_s
    while (job := _job(url, job_id))["status"] not in until and job["stage"] not in until:
        if time.monotonic() > deadline:
            break
        time.sleep(0.02)
    return job


def _lost(*, url: str, job: dict[str, Any], attempts: int) -> str:
    """``none`` when ``job`` succeeded in ``attempts`` with exactly one derived series, else what went wrong."""
    if job["status"] != "succeeded":
        return f"job {job['status']}"
    found = httpx.get(f"{url}/dicomweb/studies/{job['study_uid']}/series", headers=_HEADERS, timeout=30).json()
    derived = sum(item["00080060"]["Value"] == ["PT"] for item in found) - 1
    if derived != 1 or job["attempts"] != attempts:
        return f"{derived} derived, {job['attempts']} attempts"
    return "none"


@dataclass(frozen=True, kw_only=True)
class _Run:
    """One fault run: the gateway's URL, the services' environment, the scratch folder, the request, the broker."""

    url: str
    env: dict[str, str]
    root: Path
    body: bytes
    content_type: str
    settings: FaultSettings
    broker: _Broker

    def stow(self) -> dict[str, Any]:
        return _stow(url=self.url, body=self.body, content_type=self.content_type)

    def wait(self, job_id: str, *until: str) -> dict[str, Any]:
        return _wait(url=self.url, job_id=job_id, until=until, timeout_s=self.settings.timeout_s)

    def row(self, *, fault: str, start: float, done: dict[str, Any], attempts: int, what: str) -> Recovery:
        seconds = time.monotonic() - start if done["status"] == "succeeded" else math.nan
        lost = _lost(url=self.url, job=done, attempts=attempts)
        return Recovery(fault=fault, seconds=seconds, attempts=done["attempts"], lost=lost, settings=what)


def _worker_kill(run: _Run) -> Recovery:
    first = start_worker(env=run.env, log=run.root / "worker-1.log")
    try:
        job = run.stow()
        running = run.wait(job["id"], "denoise", "succeeded", "failed")
    finally:
        kill_group(first)  # the whole worker, SIGKILL
    start = time.monotonic()
    second = start_worker(env=run.env, log=run.root / "worker-2.log")
    try:
        done = run.wait(job["id"], "succeeded", "failed")
    finally:
        kill_group(second)
    what = f"killed {running['status']} at stage {running['stage'] or 'start'}"
    return run.row(fault="worker-kill", start=start, done=done, attempts=2, what=what)


def _redis_outage(run: _Run) -> Recovery:
    worker = start_worker(env=run.env, log=run.root / "worker-1.log")
    try:
        run.broker.stop()
        job = run.stow()
        time.sleep(run.settings.outage_s)
        run.broker.start()  # same port, empty
        start = time.monotonic()
        done = run.wait(job["id"], "succeeded", "failed")
    finally:
        kill_group(worker)
    what = f"down {run.settings.outage_s:g} s, STOW-RS meanwhile ({job['enqueue_attempts']} failed send)"
    return run.row(fault="redis-outage", start=start, done=done, attempts=1, what=what)


def measure_fault(*, fault: str, weights: Path, body: bytes, content_type: str, settings: FaultSettings) -> Recovery:
    """Run ``fault`` (one of :data:`FAULTS`) on fresh services with ``settings``; its row. ``body`` is one STOW-RS
    request of one complete PT series of a new study (``content_type`` its header)."""
    if fault not in FAULTS:
        raise ValueError(f"Argument 'fault' should be one of {list(FAULTS)}, got {fault!r}.")
    with tempfile.TemporaryDirectory(prefix=f"petiq-{fault}-") as scratch:
        root = Path(scratch)
        with _cluster(root=root, weights=weights, settings=settings) as (url, env, broker):
            run = _Run(
                url=url, env=env, root=root, body=body, content_type=content_type, settings=settings, broker=broker
            )
            row = _worker_kill(run) if fault == "worker-kill" else _redis_outage(run)
    return replace(row, settings=f"{row.settings}; {settings.describe()}")
