"""Distributed mode with real processes: ``redis-server``, the gateway on its own, ``petiq worker`` subprocesses.

End to end with ``dicomweb-client``: STOW-RS a simulated study, poll the job, WADO-RS the derived series and
compare it voxel for voxel with ``petiq process`` on the same input. Fault: kill the worker (its whole process
group, SIGKILL) in the middle of a job, start a new one: the job finishes exactly once, with the same result.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
import requests
from dicomweb_client.api import DICOMwebClient

from core.settings import Settings
from imaging.dicom.reader import read_pet_series
from imaging.volume import PetVolume
from models.bundle import BundleInfo
from tests.workers.http_helpers import AUTH, poll_job
from tests.workers.processes import REDIS_SERVER, ROOT, gateway, kill_group, redis_server, start_worker

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not REDIS_SERVER.is_file(), reason="redis-server is not installed"),
]

ADAPT_STEPS = 12


@dataclass(frozen=True)
class Cluster:
    """The gateway's URL and settings, and the environment of its workers."""

    url: str
    settings: Settings
    worker_env: dict[str, str]
    logs: Path


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, random_bundle_info: BundleInfo) -> Iterator[Cluster]:
    logs = tmp_path_factory.mktemp("logs")
    with redis_server(log=logs / "redis.log") as broker:
        settings = Settings(
            storage_dir=tmp_path_factory.mktemp("distributed-storage"),
            api_keys=frozenset({AUTH["Authorization"].removeprefix("Bearer ")}),
            broker_url=broker,
            default_adapt="off",
            denoiser_weights=random_bundle_info.directory,
        )
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(ROOT),
            "OMP_NUM_THREADS": "1",
            "PETIQ_BROKER_URL": broker,
            "PETIQ_STORAGE_DIR": str(settings.storage_dir),
            "PETIQ_DENOISER_WEIGHTS": str(random_bundle_info.directory),
            "PETIQ_ADAPT_MAX_STEPS": str(ADAPT_STEPS),
            "PETIQ_ADAPT_MAX_SECONDS": "600",
            "PETIQ_BROKER_VISIBILITY_TIMEOUT_S": "5",
        }
        with gateway(settings=settings) as url:
            yield Cluster(url=url, settings=settings, worker_env=env, logs=logs)


@pytest.fixture
def worker(cluster: Cluster) -> Iterator[subprocess.Popen[bytes]]:
    process = start_worker(env=cluster.worker_env, name="first", log=cluster.logs / "worker.log")
    yield process
    kill_group(process)


def _job(cluster: Cluster, job_id: str) -> dict[str, Any]:
    response = requests.get(f"{cluster.url}/v1/jobs/{job_id}", headers=AUTH, timeout=10)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def _client(cluster: Cluster) -> DICOMwebClient:
    return DICOMwebClient(url=f"{cluster.url}/dicomweb", headers=AUTH)


def _retrieved_volume(cluster: Cluster, study: str, series: str, folder: Path) -> PetVolume:
    folder.mkdir()
    for index, dataset in enumerate(
        _client(cluster).retrieve_series(study_instance_uid=study, series_instance_uid=series)
    ):
        dataset.save_as(folder / f"{index:04d}.dcm", enforce_file_format=True)
    return read_pet_series(source=folder).volume


def _petiq_process(series_dir: Path, out: Path, weights: Path, *extra: str) -> PetVolume:
    command = [sys.executable, "-m", "cli.main", "process", str(series_dir), "-o", str(out), "--weights", str(weights)]
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    subprocess.run([*command, *extra], cwd=ROOT, env=env, check=True, capture_output=True, timeout=600)
    return read_pet_series(source=out / "denoised").volume


def _stow(cluster: Cluster, series_dir: Path) -> tuple[str, str]:
    datasets = [pydicom.dcmread(path) for path in sorted(series_dir.glob("*.dcm"))]
    response = _client(cluster).store_instances(datasets=datasets)
    assert "FailedSOPSequence" not in response
    return datasets[0].StudyInstanceUID, datasets[0].SeriesInstanceUID


def _study_series(cluster: Cluster, study: str) -> set[str]:
    found = _client(cluster).search_for_series(study_instance_uid=study)
    return {pydicom.Dataset.from_json(item).SeriesInstanceUID for item in found}


def test_stow_job_wado_round_trip_matches_petiq_process(
    cluster: Cluster,
    worker: subprocess.Popen[bytes],
    small_series_dir: Path,
    random_bundle_info: BundleInfo,
    tmp_path: Path,
) -> None:
    study, series = _stow(cluster, small_series_dir)
    jobs = requests.get(f"{cluster.url}/v1/jobs", params={"study_uid": study}, headers=AUTH, timeout=10).json()
    (queued,) = [job for job in jobs if job["options"]["adapt"] == "off"]
    job = poll_job(lambda: _job(cluster, queued["id"]), timeout_s=180)
    assert job["status"] == "succeeded", job["error"]
    output_uid = job["result"]["output"]["series_uid"]
    assert {series, output_uid} <= _study_series(cluster, study)
    derived = _retrieved_volume(cluster, study, output_uid, tmp_path / "wado")
    expected = _petiq_process(small_series_dir, tmp_path / "cli", random_bundle_info.directory, "--adapt", "off")
    assert derived.geometry == expected.geometry
    assert np.array_equal(derived.voxels, expected.voxels)
    assert worker.poll() is None
    ready = requests.get(f"{cluster.url}/readyz", timeout=10)
    assert ready.status_code == 200 and ready.json()["checks"]["broker"]["ok"] is True
    assert "petiq_queue_depth 0.0" in requests.get(f"{cluster.url}/metrics", timeout=10).text


def _wait(cluster: Cluster, job_id: str, *, stage: str, timeout_s: float = 180.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while (job := _job(cluster, job_id))["stage"] != stage:
        assert job["status"] in ("queued", "running") and time.monotonic() < deadline, job
        time.sleep(0.1)
    return job


def test_killed_worker_job_finishes_once_with_the_same_result(
    cluster: Cluster,
    worker: subprocess.Popen[bytes],
    small_series_dir: Path,
    random_bundle_info: BundleInfo,
    tmp_path: Path,
) -> None:
    study, series = _stow(cluster, small_series_dir)  # stored already by the test above, or now
    request = {"series_uid": series, "study_uid": study, "adapt": "single", "score": False}
    response = requests.post(f"{cluster.url}/v1/jobs", json=request, headers=AUTH, timeout=10)
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    running = _wait(cluster, job_id, stage="adapt")
    kill_group(worker)  # SIGKILL to the worker and its pool child, in the middle of the adaptation
    assert _job(cluster, job_id)["status"] == "running" and running["attempts"] == 1
    before = _study_series(cluster, study)
    second = start_worker(env=cluster.worker_env, name="second", log=cluster.logs / "worker-2.log")
    try:
        job = poll_job(lambda: _job(cluster, job_id), timeout_s=300)
    finally:
        kill_group(second)
    assert job["status"] == "succeeded", job["error"]
    assert job["attempts"] == 2
    output_uid = job["result"]["output"]["series_uid"]
    added = _study_series(cluster, study) - before  # exactly one derived series and one scores SR more
    (report_uid,) = added - {output_uid}
    assert output_uid in added and len(added) == 2
    sr_search = _client(cluster).search_for_series(study_instance_uid=study, search_filters={"Modality": "SR"})
    assert report_uid in {pydicom.Dataset.from_json(item).SeriesInstanceUID for item in sr_search}
    assert job["result"]["adaptation"]["steps"] == ADAPT_STEPS
    derived = _retrieved_volume(cluster, study, output_uid, tmp_path / "wado")
    expected = _petiq_process(
        small_series_dir,
        tmp_path / "cli",
        random_bundle_info.directory,
        *("--adapt", "single", "--adapt-steps", str(ADAPT_STEPS), "--adapt-seconds", "600", "--no-score"),
    )
    assert np.array_equal(derived.voxels, expected.voxels)
