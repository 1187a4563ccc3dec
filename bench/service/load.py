"""Benchmark: the gateway under N concurrent STOW-RS clients on loopback, embedded and Redis run modes.

For each mode a real ``petiq serve`` subprocess (temporary storage volume, one API key, the shipped denoiser
weights) takes ``--clients`` threads, each POSTing ``multipart/related`` STOW-RS requests back to back for
``--seconds``. Printed per mode: requests, requests/s, p50/p95/max latency (ms), errors (non-200 answers and
exceptions; target 0), the gateway's peak RSS (VmHWM of the process and its children, read just before it is
stopped) and the jobs by state from ``/metrics`` at the end; then the ratio Redis/embedded of requests/s.

What each request carries, and why: one complete small PT series (8 slices of 64×64, ~70 kB) of a new study, so
every request stores 8 new instances and starts one job with the server's defaults (``PETIQ_DEFAULT_ADAPT``,
``PETIQ_DEFAULT_SCORE`` as they are). This is the gateway's real STOW path, job creation included.

* embedded: the worker thread lives in the gateway process and processes those jobs one after another while the
  load runs, so the figures are the gateway's while its worker is busy (same process, same cores).
* redis: ``petiq serve`` with ``PETIQ_BROKER_URL`` on a throw-away ``redis-server``; no ``petiq worker`` is
  started: STOW-RS only enqueues, so the jobs pile up in Redis (shown as queued) and the figures are the
  gateway's alone. The ratio Redis/embedded is the cost of sharing the process with the worker.

The client threads share the machine with the server (loopback): on 2 cores the figures are a lower bound.
One warm-up request per mode is sent before the clock starts and is not counted.

Then the recovery table (:mod:`bench.service.recovery`; needs ``redis-server``): for each of ``--faults``
(``worker-kill``, ``redis-outage``; ``none`` skips them), one job on fresh distributed services, and the time
from the end of the fault until the job succeeded, its attempts, the data lost (target: none) and the settings
used: ``--heartbeat-s``, ``--stall-after-s`` and ``--visibility-s`` (the service's defaults unless given;
with the defaults a worker kill takes a few minutes to recover), ``--outage-s``. The fault runs' series is
larger (``--fault-slices`` × ``--fault-size``²) so that the job is caught running.

Run: ``.venv/bin/python -m bench.service.load [--clients 4] [--seconds 20] [--modes embedded,redis]
[--faults worker-kill,redis-outage] [--stall-after-s 120]``.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pydicom

from bench.service.procs import API_KEY, REDIS_SERVER, REPO, gateway, gateway_env, redis_server
from bench.service.recovery import FAULTS, FaultSettings, Recovery, format_recovery, measure_fault
from core.multipart import multipart_body
from core.multipart import related_content_type as shared_content_type
from core.settings import Settings
from imaging.dicom.original import AcquisitionInfo, create_original_series
from imaging.volume import Geometry, PetVolume, SeriesUids, SuvFactor, Units

__all__ = [
    "LoadResult",
    "StowBodies",
    "Summary",
    "format_table",
    "multipart_related",
    "parse_arguments",
    "peak_rss_mb",
    "percentile_ms",
    "summarize",
]

BOUNDARY = "petiq-bench-boundary"
PET_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.128"
MODES = ("embedded", "redis")
_STUDY, _SERIES, _INSTANCE = 1, 2, 3


def _uid(*, role: int, request: int, instance: int = 0) -> str:
    """A UID of fixed length (22 characters) for ``role`` (study, series, instance) of request ``request``."""
    if not 0 <= request < 10**12:
        raise ValueError(f"Argument 'request' should be in [0, 1e12), got {request}.")
    return f"2.25.{role}{request:012d}{instance:04d}"


def multipart_related(*, parts: Sequence[bytes], boundary: str = BOUNDARY) -> bytes:
    """A ``multipart/related`` body with one ``application/dicom`` part per item of ``parts`` (PS3.18 8.6.1)."""
    if not parts:
        raise ValueError("Argument 'parts' should hold at least one DICOM part.")
    return multipart_body(parts=parts, boundary=boundary)


def related_content_type(*, boundary: str = BOUNDARY) -> str:
    """The Content-Type header of :func:`multipart_related` bodies (the boundary quoted)."""
    return shared_content_type(boundary=boundary, quote=True)


def _template_volume(*, slices: int, size: int, rng: np.random.Generator) -> PetVolume:
    """A ``(slices, size, size) float32`` Bq/ml volume (gamma background, one hot spot) with request-0 UIDs."""
    voxels = rng.gamma(shape=2.0, scale=2500.0, size=(slices, size, size)).astype(np.float32)
    voxels[slices // 2, size // 3 : size // 2, size // 3 : size // 2] *= 20.0
    geometry = Geometry(
        origin_mm=(-150.0, -150.0, 0.0),
        row_direction=(1.0, 0.0, 0.0),
        column_direction=(0.0, 1.0, 0.0),
        spacing_mm=(3.0, 4.0, 4.0),
        slice_positions_mm=tuple(3.0 * index for index in range(slices)),
        slice_thickness_mm=3.0,
    )
    uids = SeriesUids(
        study_uid=_uid(role=_STUDY, request=0),
        series_uid=_uid(role=_SERIES, request=0),
        frame_of_reference_uid="2.25.4000000000000000",
        sop_class_uid=PET_IMAGE_STORAGE,
        sop_instance_uids=tuple(_uid(role=_INSTANCE, request=0, instance=index) for index in range(slices)),
    )
    return PetVolume(voxels=voxels, geometry=geometry, units=Units.BQML, suv=SuvFactor(factor=None), uids=uids)


def _part10(dataset: pydicom.Dataset) -> bytes:
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, dataset, enforce_file_format=True)
    return buffer.getvalue()


class StowBodies:
    """STOW-RS bodies of one complete PT series per request, each of a new study.

    The series is encoded once (``slices`` of ``size``×``size``); the body of request ``k`` is the template with
    its study, series and SOP Instance UIDs swapped for request ``k``'s, byte for byte (same length), so a client
    spends microseconds, not the encoder's milliseconds, per request.
    """

    def __init__(self, *, slices: int = 8, size: int = 64, seed: int = 0) -> None:
        if slices < 1 or size < 2:
            raise ValueError(f"Arguments 'slices' and 'size' should be ≥ 1 and ≥ 2, got {slices} and {size}.")
        volume = _template_volume(slices=slices, size=size, rng=np.random.default_rng(seed))
        datasets = create_original_series(volume=volume, info=AcquisitionInfo(series_description="bench load"))
        self.slices = slices
        self.template = multipart_related(parts=[_part10(dataset) for dataset in datasets])

    def _swaps(self, request: int) -> Iterator[tuple[bytes, bytes]]:
        for role in (_STUDY, _SERIES):
            yield _uid(role=role, request=0).encode(), _uid(role=role, request=request).encode()
        for index in range(self.slices):
            old = _uid(role=_INSTANCE, request=0, instance=index)
            yield old.encode(), _uid(role=_INSTANCE, request=request, instance=index).encode()

    def body(self, request: int) -> bytes:
        """The body of request number ``request`` (≥ 1; 0 is the template's own UIDs)."""
        body = self.template
        for old, new in self._swaps(request):
            body = body.replace(old, new)
        return body


@dataclass(frozen=True, kw_only=True)
class LoadResult:
    """What the clients saw: latency (s) of each 200 answer, the error count and a few error texts."""

    latencies_s: list[float]
    errors: int
    error_samples: list[str]
    seconds: float


@dataclass(frozen=True, kw_only=True)
class Summary:
    """One row of the table: a mode's throughput (requests/s), latency (ms), errors and peak RSS (MB)."""

    mode: str
    requests: int
    per_second: float
    p50_ms: float
    p95_ms: float
    max_ms: float
    errors: int
    peak_rss_mb: float
    jobs: str


def percentile_ms(*, latencies_s: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100, linear interpolation) of ``latencies_s`` (s), in ms; NaN when empty."""
    if not 0 <= q <= 100:
        raise ValueError(f"Argument 'q' should be in [0, 100], got {q}.")
    if not latencies_s:
        return float("nan")
    return float(np.percentile(np.asarray(latencies_s, dtype=np.float64), q)) * 1000.0


def summarize(*, mode: str, result: LoadResult, peak_rss_mb: float, jobs: str = "") -> Summary:
    """The table row of ``result``: requests counts answers and errors; requests/s over ``result.seconds``."""
    if result.seconds <= 0:
        raise ValueError(f"Argument 'result' should span a positive time, got {result.seconds} s.")
    requests = len(result.latencies_s) + result.errors
    return Summary(
        mode=mode,
        requests=requests,
        per_second=requests / result.seconds,
        p50_ms=percentile_ms(latencies_s=result.latencies_s, q=50),
        p95_ms=percentile_ms(latencies_s=result.latencies_s, q=95),
        max_ms=percentile_ms(latencies_s=result.latencies_s, q=100),
        errors=result.errors,
        peak_rss_mb=peak_rss_mb,
        jobs=jobs,
    )


def format_table(*, summaries: Sequence[Summary]) -> str:
    """The summaries as a fixed-width table, then the ratio Redis/embedded of requests/s when both ran."""
    header = f"{'mode':<9} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'errors':>6}"
    lines = [header + f" {'peak RSS MB':>11}  jobs at the end"]
    for s in summaries:
        lines.append(
            f"{s.mode:<9} {s.requests:>8d} {s.per_second:>7.1f} {s.p50_ms:>7.1f} {s.p95_ms:>7.1f} {s.max_ms:>7.1f}"
            f" {s.errors:>6d} {s.peak_rss_mb:>11.1f}  {s.jobs}"
        )
    rates = {s.mode: s.per_second for s in summaries}
    if "embedded" in rates and "redis" in rates and rates["embedded"] > 0:
        lines.append(f"ratio redis/embedded requests/s: {rates['redis'] / rates['embedded']:.2f}")
    return "\n".join(lines)


def _vm_hwm_kb(pid: int) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmHWM:\s+(\d+)\s+kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found.extend(int(child) for child in text.split())
    return found


def peak_rss_mb(*, pid: int) -> float:
    """Peak resident set (VmHWM, MB = 2**20 bytes) of process ``pid`` plus that of each of its descendants."""
    total_kb, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            total_kb += _vm_hwm_kb(current)
            pending.extend(_children(current))
        except (FileNotFoundError, ProcessLookupError):  # exited meanwhile
            continue
    return total_kb / 1024.0


class _Counter:
    """Request numbers 1, 2, … handed out to the client threads."""

    def __init__(self) -> None:
        self._lock, self._next = threading.Lock(), 0

    def take(self) -> int:
        with self._lock:
            self._next += 1
            return self._next


def _post(client: httpx.Client, *, url: str, body: bytes) -> httpx.Response:
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": related_content_type()}
    return client.post(f"{url}/dicomweb/studies", content=body, headers=headers)


def _client_loop(
    *, url: str, bodies: StowBodies, counter: _Counter, deadline: float, out: list[tuple[float, str | None]]
) -> None:
    """POST bodies until ``deadline`` (perf_counter); append ``(latency_s, error or None)`` per request."""
    with httpx.Client(timeout=60.0) as client:
        while time.perf_counter() < deadline:
            body = bodies.body(counter.take())
            start = time.perf_counter()
            try:
                response = _post(client, url=url, body=body)
                error = None if response.status_code == 200 else f"HTTP {response.status_code}: {response.text[:200]}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            out.append((time.perf_counter() - start, error))


def run_load(*, url: str, bodies: StowBodies, clients: int, seconds: float) -> LoadResult:
    """``clients`` threads POSTing STOW-RS bodies to ``url`` for ``seconds``; their latencies and errors."""
    counter, outs = _Counter(), [list[tuple[float, str | None]]() for _ in range(clients)]
    start = time.perf_counter()
    threads = [
        threading.Thread(
            target=_client_loop,
            kwargs={"url": url, "bodies": bodies, "counter": counter, "deadline": start + seconds, "out": out},
        )
        for out in outs
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    samples = [sample for out in outs for sample in out]
    errors = [error for _, error in samples if error is not None]
    latencies = [latency for latency, error in samples if error is None]
    return LoadResult(latencies_s=latencies, errors=len(errors), error_samples=errors[:3], seconds=elapsed)


def _jobs_by_state(url: str) -> str:
    """``state count`` pairs of the ``petiq_jobs`` gauge of ``/metrics`` (empty when unreadable)."""
    try:
        text = httpx.get(f"{url}/metrics", timeout=10).text
    except httpx.HTTPError:
        return ""
    pairs = re.findall(r'^petiq_jobs\{state="(\w+)"\} ([0-9.e+]+)$', text, re.MULTILINE)
    return ", ".join(f"{state} {float(value):.0f}" for state, value in pairs if float(value) > 0)


def run_mode(*, mode: str, bodies: StowBodies, clients: int, seconds: float, weights: Path) -> Summary:
    """Start the services of ``mode`` in a temporary directory, load the gateway, stop everything."""
    with tempfile.TemporaryDirectory(prefix=f"petiq-load-{mode}-") as scratch:
        root = Path(scratch)
        with _broker(mode=mode, log=root / "redis.log") as broker_url:
            env = gateway_env(storage=root / "storage", weights=weights, broker_url=broker_url)
            with gateway(env=env, log=root / "serve.log") as (url, process):
                with httpx.Client(timeout=60.0) as warm:
                    _post(warm, url=url, body=bodies.body(10**12 - 1)).raise_for_status()
                result = run_load(url=url, bodies=bodies, clients=clients, seconds=seconds)
                rss, jobs = peak_rss_mb(pid=process.pid), _jobs_by_state(url)
    for sample in result.error_samples:
        print(f"  {mode} error: {sample}", file=sys.stderr)
    return summarize(mode=mode, result=result, peak_rss_mb=rss, jobs=jobs)


@contextmanager
def _broker(*, mode: str, log: Path) -> Iterator[str | None]:
    if mode == "embedded":
        yield None
        return
    with redis_server(log=log) as url:
        yield url


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line ``argv`` (None: ``sys.argv``) checked; ``modes`` and ``faults`` as lists."""
    parser = argparse.ArgumentParser(prog="bench.service.load", description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=4, help="concurrent STOW-RS clients (threads)")
    parser.add_argument("--seconds", type=float, default=20.0, help="load duration per mode, s")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated: embedded, redis")
    parser.add_argument("--weights", type=Path, default=REPO / "models" / "weights" / "dncnn")
    parser.add_argument("--slices", type=int, default=8, help="instances (slices) per request")
    parser.add_argument("--size", type=int, default=64, help="rows and columns of each slice")
    _fault_arguments(parser)
    args = parser.parse_args(argv)
    modes = [mode.strip() for mode in args.modes.split(",") if mode.strip()]
    if not modes or any(mode not in MODES for mode in modes):
        parser.error(f"argument --modes should name some of {', '.join(MODES)}, got {args.modes!r}")
    if args.clients < 1 or args.seconds <= 0:
        parser.error("arguments --clients and --seconds should be positive")
    faults = [fault.strip() for fault in args.faults.split(",") if fault.strip() and fault.strip() != "none"]
    if any(fault not in FAULTS for fault in faults):
        parser.error(f"argument --faults should name some of {', '.join(FAULTS)} (or none), got {args.faults!r}")
    args.modes, args.faults = modes, faults
    return args


def _fault_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = Settings.model_fields
    parser.add_argument("--faults", default=",".join(FAULTS), help="comma-separated faults to recover from, or none")
    for name, field in (("heartbeat-s", "job_heartbeat_s"), ("stall-after-s", "job_stall_after_s")):
        parser.add_argument(f"--{name}", type=float, default=defaults[field].default, help=f"PETIQ_{field.upper()}")
    visibility = defaults["broker_visibility_timeout_s"].default
    parser.add_argument("--visibility-s", type=float, default=visibility, help="PETIQ_BROKER_VISIBILITY_TIMEOUT_S")
    parser.add_argument("--outage-s", type=float, default=10.0, help="how long Redis is down, s")
    parser.add_argument("--fault-slices", type=int, default=32, help="instances of the fault runs' series")
    parser.add_argument("--fault-size", type=int, default=128, help="rows and columns of its slices")
    parser.add_argument("--fault-timeout-s", type=float, default=900.0, help="the longest wait for a job, s")


def run_faults(*, args: argparse.Namespace) -> list[Recovery]:
    """The recovery rows of ``args.faults`` (each on fresh services)."""
    settings = FaultSettings(
        heartbeat_s=args.heartbeat_s,
        stall_after_s=args.stall_after_s,
        visibility_s=args.visibility_s,
        outage_s=args.outage_s,
        timeout_s=args.fault_timeout_s,
    )
    bodies = StowBodies(slices=args.fault_slices, size=args.fault_size, seed=1)
    return [
        measure_fault(
            fault=fault,
            weights=args.weights,
            body=bodies.body(index + 1),
            content_type=related_content_type(),
            settings=settings,
        )
        for index, fault in enumerate(args.faults)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table (nothing is asserted)."""
    args = parse_arguments(argv)
    bodies = StowBodies(slices=args.slices, size=args.size)
    print(
        f"petiq service load: {args.clients} clients × {args.seconds:g} s per mode; each request one new study, "
        f"{args.slices} PT instances of {args.size}×{args.size} ({len(bodies.template) / 1024:.0f} KiB), "
        f"{os.cpu_count()} CPUs shared by clients and servers",
        flush=True,
    )
    summaries = []
    for mode in args.modes:
        if mode == "redis" and shutil.which(REDIS_SERVER) is None:
            print("redis: skipped, redis-server is not on PATH", flush=True)
            continue
        summaries.append(
            run_mode(mode=mode, bodies=bodies, clients=args.clients, seconds=args.seconds, weights=args.weights)
        )
    print(format_table(summaries=summaries))
    if "redis" in args.modes and any(s.mode == "redis" for s in summaries):
        print("redis mode: gateway only, no petiq worker started; the jobs STOW-RS started wait in Redis (queued)")
    if args.faults and shutil.which(REDIS_SERVER) is None:
        print("recovery: skipped, redis-server is not on PATH", flush=True)
    elif args.faults:
        print(
            f"\nrecovery after a fault: one job, one new study of {args.fault_slices} PT instances of "
            f"{args.fault_size}×{args.fault_size}; seconds from the end of the fault until the job succeeded",
            flush=True,
        )
        print(format_recovery(rows=run_faults(args=args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
