"""A SPECT series stored as PET over STOW-RS: stored, no job queued, the reason in a failed job; POST /v1/jobs: 422."""

from __future__ import annotations

from service.api.errors import PROBLEM_JSON
from tests.imaging.dicom.nuclide_helpers import LU177, relabel
from tests.service.conftest import TestClient
from tests.service.helpers import AUTH, pet_datasets
from tests.service.job_helpers import RecordingQueue, jobs_of, stow

REASON = "Radionuclide Lu-177 (from RadionuclideCodeSequence) is not a positron emitter: petiq processes PET only."


def test_a_lutetium_series_is_stored_and_its_job_failed_not_queued(
    jobs_client: TestClient, queue: RecordingQueue
) -> None:
    datasets = pet_datasets(seed=90, n_slices=3)
    for dataset in datasets:
        relabel(dataset, **LU177)
    study, series = datasets[0].StudyInstanceUID, datasets[0].SeriesInstanceUID
    assert stow(jobs_client, datasets).status_code == 200  # valid DICOM: all stored
    stored = jobs_client.get(f"/dicomweb/studies/{study}/series", headers=AUTH)
    assert stored.status_code == 200 and len(stored.json()) == 1
    (job,) = jobs_of(jobs_client, study)
    assert (job["series_uid"], job["status"]) == (series, "failed")
    assert job["error"]["status"] == 422 and job["error"]["detail"] == REASON
    assert (job["error"]["check"], job["error"]["uid"]) == ("radionuclide", series)
    assert queue.enqueued == []
    assert stow(jobs_client, datasets).status_code == 200  # sent again: the same failed job, still not queued
    assert [item["status"] for item in jobs_of(jobs_client, study)] == ["failed"] and queue.enqueued == []

    response = jobs_client.post("/v1/jobs", json={"series_uid": series}, headers=AUTH)
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert (problem["detail"], problem["check"], problem["uid"]) == (REASON, "radionuclide", series)
    assert queue.enqueued == [] and jobs_of(jobs_client, study)[0]["status"] == "failed"


def test_a_gallium_series_starts_its_job(jobs_client: TestClient, queue: RecordingQueue) -> None:
    datasets = pet_datasets(seed=91, n_slices=2)
    for dataset in datasets:
        relabel(dataset, code=("35337001", "SCT", "^68^Gallium"), name="Ga-68 DOTATATE", half_life="4062.6")
    assert stow(jobs_client, datasets).status_code == 200
    (job,) = jobs_of(jobs_client, datasets[0].StudyInstanceUID)
    assert job["status"] == "queued" and queue.enqueued == [job["id"]]
