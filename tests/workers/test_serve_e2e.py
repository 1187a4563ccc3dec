"""``petiq serve`` as ``make run`` starts it: one process, gateway and embedded worker, driven over loopback.

Without keys it refuses (401) and says why on stderr; with a key, the real GE series STOW-RSed with
``dicomweb-client`` is processed by the embedded worker, and the derived series retrieved by WADO-RS equals
``petiq process`` on the same input voxel for voxel.
"""

from __future__ import annotations

import os
import subprocess
import sys
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
from tests.workers.processes import ROOT, petiq_serve

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DEV = {"Authorization": "Bearer dev-key"}


def _env(storage: Path, weights: Path, **extra: str) -> dict[str, str]:
    base = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return {**base, "PETIQ_STORAGE_DIR": str(storage), "PETIQ_DENOISER_WEIGHTS": str(weights), **extra}


def test_serve_without_keys_refuses_and_says_why(tmp_path: Path, random_bundle_info: BundleInfo) -> None:
    log = tmp_path / "serve.log"
    with petiq_serve(env=_env(tmp_path / "storage", random_bundle_info.directory), log=log) as url:
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
    with petiq_serve(env=env, log=tmp_path / "serve.log") as url:
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
