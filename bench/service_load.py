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

Run: ``.venv/bin/python -m bench.service_load [--clients 4] [--seconds 20] [--modes embedded,redis]``.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import signal
import socket
import subprocess
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

from imaging.dicom.original import AcquisitionInfo, create_original_series
from imaging.volume import Geometry, PetVolume, SeriesUids, SuvFactor, Units

__all__ = [
    "LoadResult",
    "StowBodies",
    "Summary",
    "format_table",
    "multipart_related",
    "peak_rss_mb",
    "percentile_ms",
    "summarize",
]

REPO = Path(__file__).resolve().parents[1]
API_KEY = "bench-key"
BOUNDARY = "petiq-bench-boundary"
PET_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.128"
MODES = ("embedded", "redis")
REDIS_SERVER = "redis-server"
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
    delimiter = f"--{boundary}".encode("ascii")
    chunks = [delimiter + b"\r\nContent-Type: application/dicom\r\n\r\n" + part + b"\r\n" for part in parts]
    return b"".join(chunks) + delimiter + b"--\r\n"


def related_content_type(*, boundary: str = BOUNDARY) -> str:
    """The Content-Type header of :func:`multipart_related` bodies."""
    return f'multipart/related; type="application/dicom"; boundary="{boundary}"'


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


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _stop(process: subprocess.Popen[bytes], *, sig: int = signal.SIGTERM, timeout_s: float = 30.0) -> None:
    """Ask ``process`` to stop with ``sig``, wait ``timeout_s``, then kill it."""
    if process.poll() is None:
        process.send_signal(sig)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _log_tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


@contextmanager
def _redis_server(*, log: Path) -> Iterator[str]:
    """A throw-away ``redis-server`` (no persistence) on a free loopback port; yields its URL."""
    port = _free_port()
    command = [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while not _answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start:\n{_log_tail(log)}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(process)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _gateway_env(*, storage: Path, weights: Path, broker_url: str | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PETIQ_")}
    env.update(PYTHONPATH=str(REPO), PETIQ_API_KEYS=API_KEY, PETIQ_STORAGE_DIR=str(storage))
    env["PETIQ_DENOISER_WEIGHTS"] = str(weights)
    if broker_url:
        env["PETIQ_BROKER_URL"] = broker_url
    return env


@contextmanager
def _gateway(*, env: dict[str, str], log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``petiq serve`` on a free port, healthy; yields its URL and process; stopped with SIGINT (then killed)."""
    port = _free_port()
    command = [sys.executable, "-m", "cli.main", "serve", "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"petiq serve did not start:\n{_log_tail(log)}")
            time.sleep(0.2)
        yield url, process
    finally:
        _stop(process, sig=signal.SIGINT, timeout_s=60.0)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


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
            env = _gateway_env(storage=root / "storage", weights=weights, broker_url=broker_url)
            with _gateway(env=env, log=root / "serve.log") as (url, process):
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
    with _redis_server(log=log) as url:
        yield url


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.service_load", description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=4, help="concurrent STOW-RS clients (threads)")
    parser.add_argument("--seconds", type=float, default=20.0, help="load duration per mode, s")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated: embedded, redis")
    parser.add_argument("--weights", type=Path, default=REPO / "models" / "weights" / "dncnn")
    parser.add_argument("--slices", type=int, default=8, help="instances (slices) per request")
    parser.add_argument("--size", type=int, default=64, help="rows and columns of each slice")
    args = parser.parse_args(argv)
    modes = [mode.strip() for mode in args.modes.split(",") if mode.strip()]
    if not modes or any(mode not in MODES for mode in modes):
        parser.error(f"argument --modes should name some of {', '.join(MODES)}, got {args.modes!r}")
    if args.clients < 1 or args.seconds <= 0:
        parser.error("arguments --clients and --seconds should be positive")
    args.modes = modes
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table (nothing is asserted)."""
    args = _arguments(argv)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
