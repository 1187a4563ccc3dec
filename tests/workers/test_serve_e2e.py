"""``petiq serve`` as ``make run`` starts it: one process, gateway and embedded worker, driven over loopback.

Without keys it refuses (401) and says why on stderr; with a key, the real GE series STOW-RSed with
``dicomweb-client`` is processed by the embedded worker, and the derived series retrieved by WADO-RS equals
``petiq process`` on the same input voxel for voxel.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
import requests
from dicomweb_client.api import DICOMwebClient

from imaging.dicom.reader import read_pet_series
from models.bundle import BundleInfo
from tests.workers.http_helpers import poll_job
from tests.workers.processes import ROOT, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DEV = {"Authorization": "Bearer dev-key"}


@contextmanager
def _serve(*, env: dict[str, str], log: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "cli.main", "serve", "--port", str(port)]
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


def _env(storage: Path, weights: Path, **extra: str) -> dict[str, str]:
    base = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return {**base, "PETIQ_STORAGE_DIR": str(storage), "PETIQ_DENOISER_WEIGHTS": str(weights), **extra}


def test_serve_without_keys_refuses_and_says_why(tmp_path: Path, random_bundle_info: BundleInfo) -> None:
    log = tmp_path / "serve.log"
    with _serve(env=_env(tmp_path / "storage", random_bundle_info.directory), log=log) as url:
        response = requests.get(f"{url}/v1/jobs", headers=DEV, timeout=10)
        assert response.status_code == 401
        assert response.json()["check"] == "api_keys_configured"
        assert requests.get(f"{url}/readyz", timeout=10).json()["checks"]["broker"]["ok"] is True
    text = log.read_text()
    assert "PETIQ_API_KEYS is not set" in text and "embedded worker running" in text


def _job_of(url: str, study: str) -> dict[str, Any]:
    jobs: list[dict[str, Any]] = requests.get(
        f"{url}/v1/jobs", params={"study_uid": study}, headers=DEV, timeout=10
    ).json()
    assert len(jobs) == 1, jobs
    return jobs[0]


def test_make_run_processes_the_real_ge_series(
    tmp_path: Path, random_bundle_info: BundleInfo, real_ge_dir: Path
) -> None:
    env = _env(tmp_path / "storage", random_bundle_info.directory, PETIQ_API_KEYS="dev-key")
    datasets = [pydicom.dcmread(path) for path in sorted(real_ge_dir.glob("*.dcm"))]
    study = datasets[0].StudyInstanceUID
    with _serve(env=env, log=tmp_path / "serve.log") as url:
        client = DICOMwebClient(url=f"{url}/dicomweb", headers=DEV)
        for start in range(0, len(datasets), 100):
            assert "FailedSOPSequence" not in client.store_instances(datasets=datasets[start : start + 100])
        job = poll_job(lambda: _job_of(url, study), timeout_s=600)
        assert job["status"] == "succeeded", job["error"]
        output_uid = job["result"]["output"]["series_uid"]
        retrieved = client.retrieve_series(study_instance_uid=study, series_instance_uid=output_uid)
    wado = tmp_path / "wado"
    wado.mkdir()
    for index, dataset in enumerate(retrieved):
        dataset.save_as(wado / f"{index:04d}.dcm", enforce_file_format=True)
    cli_out = tmp_path / "cli"
    command = [sys.executable, "-m", "cli.main", "process", str(real_ge_dir), "-o", str(cli_out)]
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=900)
    derived, expected = (read_pet_series(source=folder).volume for folder in (wado, cli_out / "denoised"))
    assert len(retrieved) == 267 and derived.geometry == expected.geometry
    assert np.array_equal(derived.voxels, expected.voxels)
