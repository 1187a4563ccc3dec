"""Fixtures of the gateway tests: settings on a temporary storage volume and a TestClient of the app."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from service.main import create_app
from tests.service.helpers import API_KEY
from tests.service.job_helpers import RecordingQueue

with warnings.catch_warnings():
    # starlette 1.x prefers the httpx2 fork for its TestClient and warns when it finds httpx (all we have)
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from fastapi.testclient import TestClient


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fresh storage directory and two API keys (``API_KEY`` and ``other-key``)."""
    return Settings(storage_dir=tmp_path / "storage", api_keys=frozenset({API_KEY, "other-key"}))


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A TestClient of the gateway built on ``settings``."""
    with TestClient(create_app(settings=settings)) as test_client:
        yield test_client


@pytest.fixture
def queue() -> RecordingQueue:
    """A job queue that records what it is given (no broker)."""
    return RecordingQueue()


@pytest.fixture
def jobs_client(settings: Settings, queue: RecordingQueue) -> Iterator[TestClient]:
    """A TestClient of the gateway on ``settings`` whose jobs go to ``queue``."""
    with TestClient(create_app(settings=settings, job_queue=queue)) as test_client:
        yield test_client
