"""Real servers for the distributed tests: ``redis-server`` on a free loopback port, ``petiq worker`` processes,
and the gateway under uvicorn in a thread."""

from __future__ import annotations

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

import redis
import uvicorn

from service.core.config import Settings
from service.main import create_app

__all__ = ["REDIS_SERVER", "ROOT", "free_port", "gateway", "kill_group", "redis_server", "start_worker"]

REDIS_SERVER = Path("/usr/bin/redis-server")
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def redis_server(*, log: Path, port: int | None = None) -> Iterator[str]:
    """A throw-away ``redis-server`` (no persistence) on ``port`` (default: a free loopback port); yields its URL."""
    port = port or free_port()
    command = [str(REDIS_SERVER), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        client = redis.Redis(host="127.0.0.1", port=port)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        client.close()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=20)


def start_worker(*, env: dict[str, str], name: str, log: Path) -> subprocess.Popen[bytes]:
    """``petiq worker`` in its own process group (so the pool's child dies with it), logging to ``log``."""
    command = [sys.executable, "-m", "cli.main", "worker", "--loglevel", "INFO", "--hostname", f"{name}@%h"]
    with log.open("ab") as output:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


def kill_group(process: subprocess.Popen[bytes], *, sig: signal.Signals = signal.SIGKILL) -> None:
    """Send ``sig`` to the process group of ``process`` and reap it."""
    if process.poll() is None:
        os.killpg(process.pid, sig)
    process.wait(timeout=30)


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
