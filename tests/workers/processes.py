"""Real servers for the distributed tests: ``redis-server`` on a free loopback port, ``petiq worker`` processes,
the gateway under uvicorn in a thread, and ``petiq serve`` as a process."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import redis
import requests
import uvicorn

from core.settings import Settings
from service.main import create_app

__all__ = [
    "REDIS_SERVER",
    "ROOT",
    "free_port",
    "gateway",
    "kill_group",
    "petiq_serve",
    "redis_server",
    "start_worker",
    "wait_gone",
]

REDIS_SERVER = Path("/usr/bin/redis-server")
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def redis_server(*, log: Path, port: int | None = None, password: str | None = None) -> Iterator[str]:
    """A throw-away ``redis-server`` (no persistence) on loopback ``port`` (a free one when None), asking for
    ``password`` when given; yields its URL (``redis://:<password>@127.0.0.1:<port>/0`` with one)."""
    port = port or free_port()
    command = [str(REDIS_SERVER), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    command += ["--requirepass", password] if password else []
    with log.open("ab") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        client = redis.Redis(host="127.0.0.1", port=port, password=password)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        client.close()
        yield f"redis://{f':{password}@' if password else ''}127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=20)


def start_worker(*, env: dict[str, str], name: str, log: Path, loglevel: str = "INFO") -> subprocess.Popen[bytes]:
    """``petiq worker`` in its own process group (so the pool's child dies with it), logging to ``log``."""
    command = [sys.executable, "-m", "cli.main", "worker", "--loglevel", loglevel, "--hostname", f"{name}@%h"]
    with log.open("ab") as output:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


def kill_group(process: subprocess.Popen[bytes], *, sig: signal.Signals = signal.SIGKILL) -> None:
    """Send ``sig`` to the process group of ``process`` (those of its processes left, even when it has ended) and
    reap it."""
    with contextlib.suppress(ProcessLookupError):  # nothing left in the group
        os.killpg(process.pid, sig)
    process.wait(timeout=30)


def wait_gone(pids: list[int], *, timeout_s: float = 20.0) -> None:
    """Wait until none of ``pids`` runs (ended, or a zombie); AssertionError after ``timeout_s``."""

    def gone(pid: int) -> bool:
        try:
            return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
        except psutil.NoSuchProcess:
            return True

    deadline = time.monotonic() + timeout_s
    while not all(gone(pid) for pid in pids):
        assert time.monotonic() < deadline, f"still running: {[pid for pid in pids if not gone(pid)]}"
        time.sleep(0.05)


@contextmanager
def gateway(*, settings: Settings) -> Iterator[str]:
    """The gateway of ``settings`` (its own producer on their broker) under uvicorn in a thread; yields its URL."""
    port = free_port()
    config = uvicorn.Config(create_app(settings=settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@contextmanager
def petiq_serve(*, env: dict[str, str], log: Path, debug: bool = False) -> Iterator[str]:
    """``petiq [--debug] serve`` as a process on a free loopback port, stdout and stderr to ``log``; yields its URL
    once ``/healthz`` answers, and stops it with SIGINT (it must exit with 0)."""
    port = free_port()
    command = [sys.executable, "-m", "cli.main", *(["--debug"] if debug else []), "serve", "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0, log.read_text()
