"""No job left behind, with real processes: ``redis-server``, the gateway, ``petiq worker`` subprocesses.

- Broker outage: Redis stopped, a series STOW-RSed (200; its job ``queued`` with ``enqueue_error``; ``/readyz``
  503), Redis started again on the same port: the gateway sends the job and it runs once.
- Lost worker: the whole worker (parent and pool child) killed with SIGKILL during denoise, a new worker
  started. The visibility timeout is an hour, so Redis never hands the message out again here: the gateway
  notices the job's heartbeat stopped, finds its run lock free and re-queues it; it finishes once.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydicom
import pytest
import requests
from dicomweb_client.api import DICOMwebClient

from core.settings import Settings
from models.bundle import BundleInfo
from tests.workers.builders import random_bundle
from tests.workers.http_helpers import AUTH, poll_job
from tests.workers.processes import REDIS_SERVER, ROOT, free_port, gateway, kill_group, redis_server, start_worker

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not REDIS_SERVER.is_file(), reason="redis-server is not installed"),
]

HEARTBEAT_S, STALL_AFTER_S, VISIBILITY_S = 0.5, 3.0, 3600.0
BOUND_S = 120.0
"""How long a job may take to finish after a fault here (far below the visibility timeout)."""


@dataclass
class Broker:
    """A ``redis-server`` on a fixed port that can be stopped and started again."""

    port: int
    logs: Path
    starts: int = 0
    stack: ExitStack = field(default_factory=ExitStack)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.starts += 1
        self.stack.enter_context(redis_server(log=self.logs / f"redis-{self.starts}.log", port=self.port))

    def stop(self) -> None:
        self.stack.close()


@dataclass(frozen=True)
class Cluster:
    url: str
    broker: Broker
    worker_env: dict[str, str]
    logs: Path


@pytest.fixture(scope="module")
def slow_bundle(tmp_path_factory: pytest.TempPathFactory) -> BundleInfo:
    """A width-128 DnCNN: with 8 orientations, denoising the small series takes seconds (time to kill it)."""
    return random_bundle(directory=tmp_path_factory.mktemp("slow-bundle"), width=128)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, slow_bundle: BundleInfo) -> Iterator[Cluster]:
    logs = tmp_path_factory.mktemp("fault-logs")
    broker = Broker(port=free_port(), logs=logs)
    broker.start()
    values: dict[str, Any] = {
        "storage_dir": tmp_path_factory.mktemp("fault-storage"),
        "broker_url": broker.url,
        "default_adapt": "off",
        "denoiser_weights": slow_bundle.directory,
        "denoise_ensemble": 8,
        "job_heartbeat_s": HEARTBEAT_S,
        "job_stall_after_s": STALL_AFTER_S,
        "broker_visibility_timeout_s": VISIBILITY_S,
    }
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    env.update({f"PETIQ_{name.upper()}": str(value) for name, value in values.items()})
    settings = Settings(**values, api_keys=frozenset({AUTH["Authorization"].removeprefix("Bearer ")}))
    try:
        with gateway(settings=settings) as url:
            yield Cluster(url=url, broker=broker, worker_env=env, logs=logs)
    finally:
        broker.stop()


def _get(cluster: Cluster, path: str, **params: str) -> Any:
    response = requests.get(f"{cluster.url}{path}", params=params, headers=AUTH, timeout=30)
    response.raise_for_status()
    return response.json()


def _stow(cluster: Cluster, folder: Path) -> tuple[str, dict[str, Any]]:
    """STOW-RS the series in ``folder`` (answered 200); its study UID and the job it started."""
    datasets = [pydicom.dcmread(path) for path in sorted(folder.glob("*.dcm"))]
    client = DICOMwebClient(url=f"{cluster.url}/dicomweb", headers=AUTH)
    assert "FailedSOPSequence" not in client.store_instances(datasets=datasets)
    study = datasets[0].StudyInstanceUID
    (job,) = _get(cluster, "/v1/jobs", study_uid=study)
    return study, job


def _series(cluster: Cluster, study: str) -> dict[str, str]:
    """The study's series in QIDO-RS: SeriesInstanceUID → Modality."""
    found = [pydicom.Dataset.from_json(item) for item in _get(cluster, f"/dicomweb/studies/{study}/series")]
    return {item.SeriesInstanceUID: item.Modality for item in found}


def _assert_one_output(cluster: Cluster, study: str, job: dict[str, Any], before: set[str]) -> None:
    """The job succeeded and added exactly its derived series and its scores SR to the study."""
    assert job["status"] == "succeeded", job["error"]
    series = _series(cluster, study)
    added = set(series) - before
    assert len(added) == 2 and job["result"]["output"]["series_uid"] in added, series
    assert sorted(series[uid] for uid in added) == ["PT", "SR"]


def test_a_job_stowed_while_redis_is_down_runs_once_it_is_back(cluster: Cluster, small_series_dir: Path) -> None:
    worker = start_worker(env=cluster.worker_env, name="outage", log=cluster.logs / "worker-outage.log")
    try:
        cluster.broker.stop()
        ready = requests.get(f"{cluster.url}/readyz", timeout=30)
        assert ready.status_code == 503 and ready.json()["checks"]["broker"]["ok"] is False
        study, job = _stow(cluster, small_series_dir)
        assert job["status"] == "queued" and job["enqueue_attempts"] >= 1, job
        assert "Connection refused" in job["enqueue_error"]
        cluster.broker.start()  # same port, empty: the queue is gone with the old process
        done = poll_job(lambda: _get(cluster, f"/v1/jobs/{job['id']}"), timeout_s=BOUND_S)
    finally:
        kill_group(worker)
    _assert_one_output(cluster, study, done, before={job["series_uid"]})
    assert (done["attempts"], done["enqueue_error"], done["enqueue_attempts"]) == (1, None, 0)
    assert requests.get(f"{cluster.url}/readyz", timeout=30).status_code == 200


def _wait_for_stage(cluster: Cluster, job_id: str, stage: str) -> dict[str, Any]:
    deadline = time.monotonic() + BOUND_S
    while (job := _get(cluster, f"/v1/jobs/{job_id}"))["stage"] != stage:
        assert job["status"] in ("queued", "running") and time.monotonic() < deadline, job
        time.sleep(0.05)
    return job


def test_a_job_whose_whole_worker_was_killed_is_requeued_by_the_gateway(
    cluster: Cluster, split_study_dirs: tuple[Path, Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="core.jobs.stall")
    first = start_worker(env=cluster.worker_env, name="doomed", log=cluster.logs / "worker-doomed.log")
    try:
        study, job = _stow(cluster, split_study_dirs[0])
        running = _wait_for_stage(cluster, job["id"], "denoise")
    finally:
        kill_group(first)  # SIGKILL to the worker and its pool child, in the middle of denoising
    killed = _get(cluster, f"/v1/jobs/{job['id']}")
    assert (killed["status"], killed["stage"], killed["attempts"]) == ("running", "denoise", 1), killed
    assert running["worker"].startswith("doomed@") and running["heartbeat"] is not None
    second = start_worker(env=cluster.worker_env, name="second", log=cluster.logs / "worker-second.log")
    try:
        done = poll_job(lambda: _get(cluster, f"/v1/jobs/{job['id']}"), timeout_s=BOUND_S)
    finally:
        kill_group(second)
    _assert_one_output(cluster, study, done, before={job["series_uid"]})
    assert done["attempts"] == 2 and done["worker"].startswith("second@"), done
    assert any(f"job {job['id']}: its worker" in record.getMessage() for record in caplog.records)
