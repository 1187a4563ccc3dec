"""STOW-RS and ``/readyz`` on a real storage volume that fills up or turns read-only (a small tmpfs).

Skipped where no tmpfs can be mounted (not root); ``test_storage_faults.py`` fakes the same faults anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings
from core.storage import Layout
from core.storage.index import read_index
from service.main import create_app
from tests.imaging.dicom.factories import to_bytes
from tests.service.conftest import TestClient
from tests.service.helpers import API_KEY, AUTH, RELATED, pet_datasets, pet_parts, related_body
from tests.service.job_helpers import RecordingQueue
from tests.volume import PAGE_BYTES, fill, free_bytes, pages, remount

REFERENCED, FAILED, FAILURE_REASON = "00081199", "00081198", "00081197"
MIN_FREE_BYTES = 64 * 1024


@pytest.fixture
def settings(small_volume: Path) -> Settings:
    return Settings(storage_dir=small_volume / "storage", api_keys=frozenset({API_KEY}), min_free_bytes=MIN_FREE_BYTES)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings=settings, job_queue=RecordingQueue())) as test_client:
        Layout(settings.storage_dir).tmp.mkdir(parents=True, exist_ok=True)
        yield test_client


def _post(client: TestClient, parts: list[bytes]) -> Any:
    return client.post("/dicomweb/studies", content=related_body(parts), headers={**AUTH, "Content-Type": RELATED})


def _reasons(response: Any, tag: str) -> list[int | None]:
    return [
        item.get(FAILURE_REASON, {}).get("Value", [None])[0] for item in response.json().get(tag, {}).get("Value", [])
    ]


def _instance_files(settings: Settings, series_uid: str) -> list[Path]:
    return list(settings.storage_dir.glob(f"studies/*/series/{series_uid}/instances/*"))


def _spool_is_empty(settings: Settings) -> bool:
    return not list(Layout(settings.storage_dir).tmp.iterdir())


def test_a_full_volume_while_spooling_is_a_507_problem_and_the_spool_is_emptied(
    client: TestClient, settings: Settings, small_volume: Path
) -> None:
    fill(small_volume, leave_bytes=0)
    response = _post(client, pet_parts(seed=60, n_slices=3))
    assert response.status_code == 507
    problem = response.json()
    assert (problem["check"], problem["status"]) == ("storage_space", 507)
    assert "storage volume is full" in problem["detail"] and str(small_volume) not in response.text
    assert _spool_is_empty(settings) and not (settings.storage_dir / "studies").exists()


def test_a_series_whose_index_does_not_fit_is_507_with_a700_and_nothing_half_stored(
    client: TestClient, settings: Settings, small_volume: Path
) -> None:
    datasets = pet_datasets(seed=61, n_slices=3)
    parts = [to_bytes(ds) for ds in datasets]
    fill(small_volume, leave_bytes=sum(pages(len(part)) for part in parts))  # room to spool, none for the index
    response = _post(client, parts)
    assert response.status_code == 507 and response.headers["content-type"] == "application/dicom+json"
    assert _reasons(response, FAILED) == [0xA700] * 3 and REFERENCED not in response.json()
    assert "storage volume is full" in response.headers["warning"]
    assert not _instance_files(settings, datasets[0].SeriesInstanceUID)
    assert not list(settings.storage_dir.glob("studies/*/series/*/index.json"))
    assert _spool_is_empty(settings)
    assert client.get("/dicomweb/studies", headers=AUTH).json() == []


def test_a_request_the_volume_fills_during_is_202_keeping_the_whole_series_only(
    client: TestClient, settings: Settings, small_volume: Path
) -> None:
    first = pet_datasets(seed=62, n_slices=1)
    second = pet_datasets(seed=63, n_slices=2)
    parts = [to_bytes(ds) for ds in first + second]
    fill(small_volume, leave_bytes=sum(pages(len(part)) for part in parts) + PAGE_BYTES)  # one index fits
    response = _post(client, parts)
    assert response.status_code == 202
    assert _reasons(response, REFERENCED) == [None] and _reasons(response, FAILED) == [0xA700, 0xA700]
    layout = Layout(settings.storage_dir)
    stored = read_index(path=layout.index(first[0].StudyInstanceUID, first[0].SeriesInstanceUID))
    assert stored is not None and list(stored.instances) == [first[0].SOPInstanceUID]
    assert read_index(path=layout.index(second[0].StudyInstanceUID, second[0].SeriesInstanceUID)) is None
    assert not _instance_files(settings, second[0].SeriesInstanceUID)
    assert _spool_is_empty(settings)


def test_readyz_fails_below_the_free_space_threshold_and_on_a_read_only_volume(
    client: TestClient, settings: Settings, small_volume: Path
) -> None:
    ready = client.get("/readyz").json()["checks"]["storage"]
    assert ready["ok"] is True
    assert ready["detail"] == f"writable, {free_bytes(small_volume)} bytes free (min_free_bytes {MIN_FREE_BYTES} bytes)"
    fill(small_volume, leave_bytes=MIN_FREE_BYTES - PAGE_BYTES)
    response = client.get("/readyz")
    assert response.status_code == 503
    check = response.json()["checks"]["storage"]
    left = MIN_FREE_BYTES - PAGE_BYTES
    assert check == {"ok": False, "detail": f"{left} bytes free, below the threshold min_free_bytes (65536 bytes)"}
    remount(small_volume, read_only=True)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"]["detail"] == "not writable: the volume is mounted read-only"


def test_stow_to_a_read_only_volume_is_a_507_problem(
    client: TestClient, settings: Settings, small_volume: Path
) -> None:
    remount(small_volume, read_only=True)
    response = _post(client, pet_parts(seed=64, n_slices=2))
    assert response.status_code == 507
    assert response.json()["check"] == "storage_read_only"
    assert "read-only" in response.json()["detail"]
