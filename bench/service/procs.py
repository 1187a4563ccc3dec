"""Real services for the service benchmarks: a throw-away ``redis-server``, ``petiq serve`` and ``petiq worker``
subprocesses on loopback, each logging to a file, each stopped (then killed) when its block ends."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

__all__ = [
    "API_KEY",
    "REDIS_SERVER",
    "REPO",
    "free_port",
    "gateway",
    "gateway_env",
    "healthy",
    "kill_group",
    "log_tail",
    "redis_server",
    "start_worker",
    "stop",
]

REPO = Path(__file__).resolve().parents[2]
API_KEY = "bench-key"
REDIS_SERVER = "redis-server"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def stop(process: subprocess.Popen[bytes], *, sig: int = signal.SIGTERM, timeout_s: float = 30.0) -> None:
    """Ask ``process`` to stop with ``sig``, wait ``timeout_s``, then kill it."""
    if process.poll() is None:
        process.send_signal(sig)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def log_tail(log: Path, lines: int = 20) -> str:
    """The last ``lines`` lines of ``log`` (empty when it does not exist)."""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


@contextmanager
def redis_server(*, log: Path, port: int | None = None) -> Iterator[str]:
    """A throw-away ``redis-server`` (no persistence) on ``port`` (default: a free loopback port); yields its URL."""
    port = port or free_port()
    command = [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while not _answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start:\n{log_tail(log)}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(process)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def gateway_env(*, storage: Path, weights: Path, broker_url: str | None, **settings: str) -> dict[str, str]:
    """The environment of the services: this one without its ``PETIQ_*``, then the storage, the weights, the
    broker (none: embedded mode) and ``settings`` (``job_stall_after_s="3"`` → ``PETIQ_JOB_STALL_AFTER_S=3``)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PETIQ_")}
    env.update(PYTHONPATH=str(REPO), PETIQ_API_KEYS=API_KEY, PETIQ_STORAGE_DIR=str(storage))
    env["PETIQ_DENOISER_WEIGHTS"] = str(weights)
    if broker_url:
        env["PETIQ_BROKER_URL"] = broker_url
    env.update({f"PETIQ_{name.upper()}": value for name, value in settings.items()})
    return env


@contextmanager
def gateway(*, env: dict[str, str], log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``petiq serve`` on a free port, healthy; yields its URL and process; stopped with SIGINT (then killed)."""
    port = free_port()
    command = [sys.executable, "-m", "cli.main", "serve", "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while not healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"petiq serve did not start:\n{log_tail(log)}")
            time.sleep(0.2)
        yield url, process
    finally:
        stop(process, sig=signal.SIGINT, timeout_s=60.0)


def healthy(url: str) -> bool:
    """Whether the gateway at ``url`` answers ``/healthz`` with 200."""
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def start_worker(*, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``petiq worker`` in its own process group (its pool child dies with it), appending to ``log``."""
    command = [sys.executable, "-m", "cli.main", "worker", "--loglevel", "INFO"]
    with log.open("ab") as output:
        return subprocess.Popen(
            command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group of ``process`` (the worker and its pool child) and reap it."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
