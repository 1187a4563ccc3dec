"""The job API over HTTP (a recording queue, no worker): creation, idempotence, lookups and bad requests."""

from __future__ import annotations

from typing import Any

import pytest

from core.adapt import AdaptMode
from core.jobs.create import job_id
from core.jobs.models import JobBase, JobOptions, JobStatus
from core.jobs.store import JobStore
from core.jobs.transitions import failed, started
from core.settings import Settings
from core.strength import LEGACY_STRENGTH, Strength
from tests.service.conftest import TestClient
from tests.service.helpers import AUTH, as_ct, pet_datasets
from tests.service.job_helpers import RecordingQueue, stow

PROBLEM = "application/problem+json"


def _post(client: TestClient, body: dict[str, Any]) -> Any:
    return client.post("/v1/jobs", json=body, headers=AUTH)


def _stored_series(client: TestClient, seed: int) -> tuple[str, str]:
    datasets = pet_datasets(seed=seed, n_slices=3)
    assert stow(client, datasets).status_code == 200
    return datasets[0].StudyInstanceUID, datasets[0].SeriesInstanceUID


def test_post_queues_a_job_with_location(jobs_client: TestClient, queue: RecordingQueue, settings: Settings) -> None:
    study, series = _stored_series(jobs_client, seed=70)
    queue.enqueued.clear()  # STOW-RS queued the series' default job; this one asks for other options
    response = _post(jobs_client, {"series_uid": series, "adapt": "off", "score": False})
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"/v1/jobs/{job['id']}"
    assert (job["study_uid"], job["series_uid"], job["status"], job["progress"]) == (study, series, "queued", 0.0)
    options = {"adapt": "off", "score": False, "strength": settings.default_strength, "uncertainty": False}
    assert job["options"] == {**options, "forward": None}
    assert queue.enqueued == [job["id"]]
    stored = JobStore(settings.storage_dir).get(job["id"])
    assert stored.model_dump(mode="json") == job
    assert jobs_client.get(response.headers["location"], headers=AUTH).json() == job


def test_same_request_is_the_same_job(jobs_client: TestClient, queue: RecordingQueue) -> None:
    _, series = _stored_series(jobs_client, seed=71)
    first = _post(jobs_client, {"series_uid": series, "adapt": "single"})
    again = _post(jobs_client, {"series_uid": series, "adapt": "single"})
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["location"] == first.headers["location"]
    other = _post(jobs_client, {"series_uid": series, "adapt": "off"})
    assert other.status_code == 202 and other.json()["id"] != first.json()["id"]


def test_each_strength_level_is_its_own_job(jobs_client: TestClient, queue: RecordingQueue, settings: Settings) -> None:
    _, series = _stored_series(jobs_client, seed=79)
    jobs = {level: _post(jobs_client, {"series_uid": series, "adapt": "off", "strength": level}) for level in Strength}
    assert all(response.status_code == 202 for response in jobs.values())
    assert [response.json()["options"]["strength"] for response in jobs.values()] == list(Strength)
    assert len({response.json()["id"] for response in jobs.values()}) == 3
    default = _post(jobs_client, {"series_uid": series, "adapt": "off"})  # the server default's job, again
    assert default.status_code == 200 and default.json()["options"]["strength"] == settings.default_strength
    assert default.json()["id"] == jobs[settings.default_strength].json()["id"]


def test_a_bad_strength_is_a_400_problem_naming_it(jobs_client: TestClient) -> None:
    _, series = _stored_series(jobs_client, seed=69)
    for bad in ("extreme", "HIGH", 2, None):
        body = {"series_uid": series, "strength": bad}
        if bad is None:
            assert _post(jobs_client, body).status_code in (200, 202)  # null: the server default
            continue
        problem = _problem(_post(jobs_client, body), 400)
        assert problem["title"] == "Invalid parameter" and "strength" in problem["detail"], problem


def test_a_job_at_high_keeps_the_id_of_a_manifest_from_before_levels() -> None:
    """Every job ran the network's full output before levels existed: ``high`` by the default blend weights."""
    old = JobBase.model_validate({"study_uid": "1.2", "series_uid": "1.3", "options": {"adapt": "off", "score": True}})
    assert old.options.strength is LEGACY_STRENGTH is Strength.HIGH
    assert job_id(base=old) == "fa22e323-97c3-5be7-87ff-3bf0a6d50b02"  # its id before strength existed
    levels = [JobOptions(adapt=AdaptMode.OFF, strength=level) for level in Strength]
    others = {job_id(base=old.model_copy(update={"options": options})) for options in levels}
    assert len(others) == 3 and job_id(base=old) in others


def test_the_uncertainty_option_is_a_job_of_its_own_and_old_ids_stay(
    jobs_client: TestClient, queue: RecordingQueue
) -> None:
    _, series = _stored_series(jobs_client, seed=68)
    plain = _post(jobs_client, {"series_uid": series, "adapt": "off"})
    asked = _post(jobs_client, {"series_uid": series, "adapt": "off", "uncertainty": True})
    assert (plain.status_code, asked.status_code) == (202, 202)
    assert (plain.json()["options"]["uncertainty"], asked.json()["options"]["uncertainty"]) == (False, True)
    assert asked.json()["id"] != plain.json()["id"]
    again = _post(jobs_client, {"series_uid": series, "adapt": "off", "uncertainty": False})
    assert again.status_code == 200 and again.json()["id"] == plain.json()["id"]
    old = JobBase.model_validate({"study_uid": "1.2", "series_uid": "1.3", "options": {"adapt": "off", "score": True}})
    assert old.options.uncertainty is False
    assert job_id(base=old) == "fa22e323-97c3-5be7-87ff-3bf0a6d50b02"  # its id before the option existed


@pytest.mark.parametrize("bad", ["yes", 1, "true", [True]])
def test_a_non_boolean_uncertainty_is_a_400_problem_naming_it(jobs_client: TestClient, bad: object) -> None:
    _, series = _stored_series(jobs_client, seed=67)
    problem = _problem(_post(jobs_client, {"series_uid": series, "uncertainty": bad}), 400)
    assert problem["title"] == "Invalid parameter" and "uncertainty" in problem["detail"], problem


def test_stow_defaults_equal_an_explicit_post_with_the_defaults(jobs_client: TestClient, settings: Settings) -> None:
    study, series = _stored_series(jobs_client, seed=72)
    (from_stow,) = jobs_client.get("/v1/jobs", params={"study_uid": study}, headers=AUTH).json()
    explicit = _post(jobs_client, {"series_uid": series, "study_uid": study, "adapt": settings.default_adapt})
    assert explicit.status_code == 200 and explicit.json()["id"] == from_stow["id"]


def test_failed_job_is_queued_again_when_asked_again(
    jobs_client: TestClient, queue: RecordingQueue, settings: Settings
) -> None:
    _, series = _stored_series(jobs_client, seed=73)
    job_id = _post(jobs_client, {"series_uid": series, "adapt": "off"}).json()["id"]
    store = JobStore(settings.storage_dir)
    store.update(job_id, started)
    store.update(job_id, lambda job: failed(job, error=OSError("disk gone")))
    queue.enqueued.clear()
    retry = _post(jobs_client, {"series_uid": series, "adapt": "off"})
    assert retry.status_code == 202
    assert (retry.json()["status"], retry.json()["error"], retry.json()["attempts"]) == ("queued", None, 1)
    assert queue.enqueued == [job_id]


def test_list_by_study(jobs_client: TestClient) -> None:
    study_a, _ = _stored_series(jobs_client, seed=74)
    study_b, _ = _stored_series(jobs_client, seed=75)
    assert study_a != study_b
    listed = jobs_client.get("/v1/jobs", params={"study_uid": study_a}, headers=AUTH).json()
    assert [job["study_uid"] for job in listed] == [study_a]
    assert len(jobs_client.get("/v1/jobs", headers=AUTH).json()) == 2
    assert jobs_client.get("/v1/jobs", params={"study_uid": "1.2.999"}, headers=AUTH).json() == []


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def test_unknown_job_is_404_problem(jobs_client: TestClient) -> None:
    body = _problem(jobs_client.get("/v1/jobs/0f0e0d0c-0b0a-5908-8706-050403020100", headers=AUTH), 404)
    assert body["type"] == "urn:petiq:problem:not-found"
    assert body["instance"] == "/v1/jobs/0f0e0d0c-0b0a-5908-8706-050403020100"
    _problem(jobs_client.get("/v1/jobs/..%2F..%2Fetc", headers=AUTH), 404)
    _problem(jobs_client.get("/v1/jobs/not-a-job", headers=AUTH), 404)


def test_post_for_a_series_not_stored_is_404(jobs_client: TestClient, queue: RecordingQueue) -> None:
    body = _problem(_post(jobs_client, {"series_uid": "1.2.3.4.5"}), 404)
    assert body["uid"] == "1.2.3.4.5"
    study, _ = _stored_series(jobs_client, seed=76)
    _problem(_post(jobs_client, {"series_uid": "1.2.3.4.5", "study_uid": study}), 404)
    assert queue.enqueued[1:] == []  # only the STOW-RS job


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"series_uid": "1.2.3", "adapt": "sometimes"},
        {"series_uid": "1.2.3", "strength": "extreme"},
        {"series_uid": "1.2.3", "colour": "blue"},
        {"series_uid": 12},
        {"series_uid": "not a uid"},
    ],
)
def test_bad_bodies_are_400_problems(jobs_client: TestClient, body: dict[str, Any]) -> None:
    assert _problem(_post(jobs_client, body), 400)["title"] in ("Invalid parameter", "Malformed request")


def test_body_that_is_not_json_is_400(jobs_client: TestClient) -> None:
    response = jobs_client.post("/v1/jobs", content=b"{nope", headers={**AUTH, "Content-Type": "application/json"})
    _problem(response, 400)


def test_split_arguments_are_checked(jobs_client: TestClient) -> None:
    _, series = _stored_series(jobs_client, seed=77)
    assert _problem(_post(jobs_client, {"series_uid": series, "split_a": series}), 400)["check"] == "splits"
    assert _problem(_post(jobs_client, {"series_uid": series, "adapt": "n2n-split"}), 400)["check"] == "adapt_splits"
    missing = _post(jobs_client, {"series_uid": series, "split_a": "1.2.3.1", "split_b": "1.2.3.2"})
    assert _problem(missing, 404)["check"] == "split_a"


def test_ct_series_is_not_stored_so_no_job(jobs_client: TestClient, queue: RecordingQueue) -> None:
    datasets = [as_ct(ds) for ds in pet_datasets(seed=78, n_slices=2)]
    assert stow(jobs_client, datasets).status_code == 409
    assert _problem(_post(jobs_client, {"series_uid": datasets[0].SeriesInstanceUID}), 404)["check"] == "series_uid"
    assert queue.enqueued == []


def test_job_routes_need_a_key(jobs_client: TestClient) -> None:
    assert _problem(jobs_client.get("/v1/jobs"), 401)["type"] == "urn:petiq:problem:unauthorized"
    _problem(jobs_client.post("/v1/jobs", json={"series_uid": "1.2.3"}), 401)
    _problem(
        jobs_client.get("/v1/jobs/0f0e0d0c-0b0a-5908-8706-050403020100", headers={"Authorization": "Bearer x"}), 401
    )


def test_statuses_are_the_documented_four() -> None:
    assert [status.value for status in JobStatus] == ["queued", "running", "succeeded", "failed"]
