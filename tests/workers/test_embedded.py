"""Embedded mode end to end: the gateway and an in-process Celery worker (solo pool, ``memory://``).

STOW-RS a small simulated study, the job starts by itself, the client polls it, retrieves the derived series by
WADO-RS and finds it by QIDO-RS in the same study; it equals ``run_process`` on the same input voxel for voxel.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.settings import Settings
from imaging.dicom.reader import read_pet_series
from models.bundle import BundleInfo
from tests.workers.http_helpers import AUTH, multipart_parts, poll_job, stow_body
from tests.workers.service_builders import embedded_client
from workers.pipeline.job import ProcessRequest, run_process

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, random_bundle_info: BundleInfo) -> Settings:
    return Settings(
        storage_dir=tmp_path_factory.mktemp("embedded-storage"),
        api_keys=frozenset({AUTH["Authorization"].removeprefix("Bearer ")}),
        denoiser_weights=random_bundle_info.directory,
        default_adapt="off",
    )


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with embedded_client(settings=settings) as test_client:
        yield test_client


def _job(client: TestClient, job_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/jobs/{job_id}", headers=AUTH)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _retrieve(client: TestClient, study: str, series: str, folder: Path) -> Path:
    response = client.get(f"/dicomweb/studies/{study}/series/{series}", headers=AUTH)
    assert response.status_code == 200
    folder.mkdir()
    for index, part in enumerate(multipart_parts(content_type=response.headers["content-type"], body=response.content)):
        (folder / f"{index:04d}.dcm").write_bytes(part)
    return folder


def test_stow_to_derived_series_round_trip(
    client: TestClient, small_series_dir: Path, random_bundle_info: BundleInfo, tmp_path: Path
) -> None:
    body, headers = stow_body(small_series_dir)
    assert client.post("/dicomweb/studies", content=body, headers=headers).status_code == 200
    source = read_pet_series(source=small_series_dir).volume
    (queued,) = client.get("/v1/jobs", params={"study_uid": source.uids.study_uid}, headers=AUTH).json()
    job = poll_job(lambda: _job(client, queued["id"]))
    assert job["status"] == "succeeded", job["error"]
    assert (job["progress"], job["attempts"]) == (100.0, 1)
    output_uid = job["result"]["output"]["series_uid"]
    found = client.get(f"/dicomweb/studies/{source.uids.study_uid}/series", headers=AUTH).json()
    modalities = {item["0020000E"]["Value"][0]: item["00080060"]["Value"][0] for item in found}
    (report_uid,) = set(modalities) - {source.uids.series_uid, output_uid}  # and the scores SR
    assert modalities == {source.uids.series_uid: "PT", output_uid: "PT", report_uid: "SR"}
    derived = read_pet_series(source=_retrieve(client, source.uids.study_uid, output_uid, tmp_path / "wado")).volume
    reference = tmp_path / "reference"
    run_process(
        request=ProcessRequest(
            input_dir=small_series_dir, out_dir=reference, weights_dir=random_bundle_info.directory, score=False
        )
    )
    expected = read_pet_series(source=reference / "denoised").volume
    assert derived.geometry == expected.geometry == source.geometry
    assert np.array_equal(derived.voxels, expected.voxels)
    assert not np.array_equal(derived.voxels, source.voxels)  # the random network changes the image


def test_a_job_asked_for_by_post_runs_too(client: TestClient, split_study_dirs: tuple[Path, Path, Path]) -> None:
    series_dir, split_a, split_b = split_study_dirs
    for folder in (series_dir, split_a, split_b):
        body, headers = stow_body(folder)
        assert client.post("/dicomweb/studies", content=body, headers=headers).status_code == 200
    uids = [read_pet_series(source=folder).volume.uids.series_uid for folder in split_study_dirs]
    (auto,) = client.get(
        "/v1/jobs", params={"study_uid": read_pet_series(source=series_dir).volume.uids.study_uid}, headers=AUTH
    ).json()
    assert auto["splits"] is None  # the parent was complete before its splits arrived (documented rule)
    request = {"series_uid": uids[0], "split_a": uids[1], "split_b": uids[2], "adapt": "off", "score": False}
    response = client.post("/v1/jobs", json=request, headers=AUTH)
    assert response.status_code == 202
    job = poll_job(lambda: _job(client, response.json()["id"]))
    assert job["status"] == "succeeded", job["error"]
    assert job["result"]["adaptation"] is None and job["result"]["notes"] == []
    assert poll_job(lambda: _job(client, auto["id"]))["status"] == "succeeded"
