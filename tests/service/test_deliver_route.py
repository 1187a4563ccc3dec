"""Forwarding on the gateway's side: a job's destination and write-only credentials, its delivery state, the
``POST /v1/jobs/{id}/deliver`` route, the start-up recovery of deliveries and the delivery metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr, ValidationError

from core.ae import DimseDestination
from core.jobs.create import job_id
from core.jobs.forwarding import AUTH_NAME, destination_of, dimse_destination_of, save_auth
from core.jobs.models import ForwardDestination, ForwardRequest, JobBase, JobOptions, JobPublic
from core.jobs.recovery import requeue_unfinished
from core.jobs.result import ResultDocument
from core.jobs.store import JobStore
from core.jobs.transitions import started, succeeded
from core.settings import Settings
from service.main import create_app
from tests.service.conftest import TestClient
from tests.service.helpers import AUTH, pet_datasets
from tests.service.job_helpers import RecordingQueue, jobs_of, stow
from tests.service.report_helpers import result_document

SERVER_URL = "http://pacs.example:8042/dicom-web"
SERVER_DIMSE = "PACS@10.0.0.5:104"
SECRET = "Bearer very-secret-token"


def _app(settings: Settings, queue: RecordingQueue) -> TestClient:
    return TestClient(create_app(settings=settings, job_queue=queue))


def _series(client: TestClient, seed: int) -> tuple[str, str]:
    datasets = pet_datasets(seed=seed, n_slices=2)
    assert stow(client, datasets).status_code == 200
    return datasets[0].StudyInstanceUID, datasets[0].SeriesInstanceUID


def _succeed(store: JobStore, job_id: str) -> JobPublic:
    store.update(job_id, started)
    job = store.get(job_id)
    document = result_document(input_uid=job.series_uid, output_uid="1.2.3.4", scored=False)
    return store.update(job_id, lambda job: succeeded(job, result=ResultDocument.model_validate(document)))


def test_forward_urls_are_validated() -> None:
    assert Settings(forward_url=" https://pacs.example/dicom-web/ ").forward_url == "https://pacs.example/dicom-web"
    assert Settings(forward_url="").forward_url is None
    for bad in ("ftp://pacs/dicom-web", "pacs.example/dicom-web", "https://user:pw@pacs.example/dicom-web"):
        with pytest.raises(ValidationError, match="Argument 'forward_url' should be an absolute http"):
            Settings(forward_url=bad)
        with pytest.raises(ValidationError, match="Argument 'url'"):
            ForwardRequest(url=bad)
    assert "hunter2" not in repr(Settings(forward_auth=SecretStr("hunter2")))


def test_stow_started_job_is_pending_to_the_server_destination(settings: Settings) -> None:
    queue = RecordingQueue()
    configured = settings.model_copy(update={"forward_url": SERVER_URL})
    with _app(configured, queue) as client:
        study, _ = _series(client, seed=200)
        (job,) = jobs_of(client, study)
    assert job["options"]["forward"] is None
    assert (job["delivery"]["status"], job["delivery"]["destination"]) == ("pending", SERVER_URL)
    with _app(settings, RecordingQueue()) as client:
        study, _ = _series(client, seed=201)
        assert jobs_of(client, study)[0]["delivery"]["status"] == "not_requested"


def test_job_with_its_own_destination_keeps_the_credentials_out_of_the_manifest(settings: Settings) -> None:
    store = JobStore(settings.storage_dir)
    with _app(settings, RecordingQueue()) as client:
        study, series = _series(client, seed=202)
        body = {"series_uid": series, "forward": {"url": "https://other.example/wado/", "auth": SECRET}}
        response = client.post("/v1/jobs", json=body, headers=AUTH)
        assert response.status_code == 202, response.text
        job = response.json()
        listed = client.get("/v1/jobs", params={"study_uid": study}, headers=AUTH).text
    assert job["options"]["forward"] == {"url": "https://other.example/wado", "dimse": None}
    assert job["delivery"]["destination"] == "https://other.example/wado"
    manifest = (store.job_dir(job["id"]) / "manifest.json").read_text()
    assert "very-secret" not in manifest + response.text + listed
    secret_file = store.job_dir(job["id"]) / AUTH_NAME
    assert secret_file.read_text() == SECRET and secret_file.stat().st_mode & 0o777 == 0o600
    stored = store.get(job["id"])
    target = destination_of(job=stored, settings=settings, store=store)
    assert target is not None and (target.url, target.authorization) == ("https://other.example/wado", SECRET)
    assert SECRET not in repr(target)


def test_server_credentials_go_only_to_the_server_destination(settings: Settings) -> None:
    configured = settings.model_copy(update={"forward_url": SERVER_URL, "forward_auth": SecretStr(SECRET)})
    store = JobStore(settings.storage_dir)
    with _app(configured, RecordingQueue()) as client:
        _, series = _series(client, seed=203)
        default = client.post("/v1/jobs", json={"series_uid": series}, headers=AUTH).json()
        own = client.post(
            "/v1/jobs", json={"series_uid": series, "forward": {"url": "https://elsewhere.example/dw"}}, headers=AUTH
        ).json()
    assert default["id"] != own["id"]  # the destination is one of the job's options
    to_server = destination_of(job=store.get(default["id"]), settings=configured, store=store)
    to_other = destination_of(job=store.get(own["id"]), settings=configured, store=store)
    assert to_server is not None and to_server.authorization == SECRET
    assert to_other is not None and (to_other.url, to_other.authorization) == ("https://elsewhere.example/dw", None)


def _deliver(client: TestClient, job_id: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(f"/v1/jobs/{job_id}/deliver", json=body, headers=AUTH)


def test_deliver_route(settings: Settings) -> None:
    queue = RecordingQueue()
    configured = settings.model_copy(update={"forward_url": SERVER_URL})
    store = JobStore(settings.storage_dir)
    with _app(configured, queue) as client:
        study, _ = _series(client, seed=204)
        (job,) = jobs_of(client, study)
        early = _deliver(client, job["id"])
        assert (early.status_code, early.headers["content-type"]) == (409, "application/problem+json")
        assert early.json()["check"] == "job_status" and queue.deliveries == []
        _succeed(store, job["id"])
        again = _deliver(client, job["id"])
        assert again.status_code == 202 and again.json()["delivery"]["status"] == "pending"
        assert queue.deliveries == [job["id"]]
        moved = _deliver(client, job["id"], {"url": "https://new.example/dw", "auth": SECRET})
        assert moved.status_code == 202 and moved.json()["delivery"]["destination"] == "https://new.example/dw"
        assert SECRET not in moved.text and (store.job_dir(job["id"]) / AUTH_NAME).is_file()
        back = _deliver(client, job["id"], {"url": SERVER_URL})
        assert back.status_code == 202 and not (store.job_dir(job["id"]) / AUTH_NAME).exists()
        assert queue.deliveries == [job["id"]] * 3
        unknown = _deliver(client, "00000000-0000-5000-8000-000000000000")
        assert unknown.status_code == 404
        bad = _deliver(client, job["id"], {"url": "not a url"})
        assert bad.status_code == 400 and "Argument 'url'" in bad.json()["detail"]


def test_deliver_without_any_destination_is_400(settings: Settings) -> None:
    store = JobStore(settings.storage_dir)
    with _app(settings, RecordingQueue()) as client:
        study, _ = _series(client, seed=205)
        (job,) = jobs_of(client, study)
        _succeed(store, job["id"])
        response = _deliver(client, job["id"])
    assert response.status_code == 400 and response.json()["check"] == "forward_url"


def test_start_up_requeues_unfinished_deliveries_and_metrics_count_them(settings: Settings) -> None:
    configured = settings.model_copy(update={"forward_url": SERVER_URL})
    store = JobStore(settings.storage_dir)
    with _app(configured, RecordingQueue()) as client:
        pending = jobs_of(client, _series(client, seed=206)[0])[0]["id"]
        queued = jobs_of(client, _series(client, seed=207)[0])[0]["id"]
    _succeed(store, pending)
    queue = RecordingQueue()
    assert sorted(requeue_unfinished(store=store, queue=queue)) == sorted([pending, queued])
    assert (queue.enqueued, queue.deliveries) == ([queued], [pending])
    with _app(configured, RecordingQueue()) as client:
        text = client.get("/metrics").text
    samples = {
        (sample.name, tuple(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert samples[("petiq_deliveries", (("status", "pending"),))] == 2.0
    assert samples[("petiq_deliveries", (("status", "delivered"),))] == 0.0


def test_auth_file_is_removed_when_a_destination_has_none(tmp_path: Path) -> None:
    store = JobStore(tmp_path)
    job_id = "00000000-0000-5000-8000-000000000001"
    store.job_dir(job_id).mkdir(parents=True)
    save_auth(store=store, job_id=job_id, auth=SecretStr(SECRET))
    save_auth(store=store, job_id=job_id, auth=None)
    save_auth(store=store, job_id=job_id, auth=None)
    assert list(store.job_dir(job_id).iterdir()) == []


def test_dimse_destinations_are_validated() -> None:
    assert ForwardRequest(dimse=" ORTHANC @[::1]:4242").dimse == "ORTHANC@[::1]:4242"
    for bad in ("PACS@host", "PACS:104", "@host:104", "PACS@host:0", "A-TITLE-LONGER-THAN-16@h:1"):
        with pytest.raises(ValidationError, match="Argument 'dimse'"):
            ForwardRequest(dimse=bad)
    with pytest.raises(ValidationError, match="Argument 'url' or 'dimse' is needed"):
        ForwardRequest()
    with pytest.raises(ValidationError, match="Argument 'auth' goes with 'url'"):
        ForwardRequest(dimse=SERVER_DIMSE, auth=SecretStr(SECRET))
    assert ForwardDestination(url="https://pacs.example/dw").dimse is None  # a stored manifest's destination


def test_a_destination_without_dimse_keeps_its_job_id() -> None:
    forward = JobOptions(forward=ForwardDestination(url="http://a.b/dw"))
    assert job_id(base=JobBase(study_uid="1.2", series_uid="1.3", options=forward)) == (
        "80708946-01ba-5bc4-9245-633fea2d1f6f"  # the id before 'dimse' existed
    )
    both = JobOptions(forward=ForwardDestination(url="http://a.b/dw", dimse=SERVER_DIMSE))
    assert job_id(base=JobBase(study_uid="1.2", series_uid="1.3", options=both)) != job_id(
        base=JobBase(study_uid="1.2", series_uid="1.3", options=forward)
    )


def test_server_dimse_destination_beside_the_url(settings: Settings) -> None:
    configured = settings.model_copy(
        update={
            "forward_url": SERVER_URL,
            "forward_dimse": DimseDestination(ae_title="PACS", host="10.0.0.5", port=104),
        }
    )
    store = JobStore(settings.storage_dir)
    with _app(configured, RecordingQueue()) as client:
        study, series = _series(client, seed=208)
        (started,) = jobs_of(client, study)
        own = client.post(
            "/v1/jobs", json={"series_uid": series, "forward": {"dimse": "OTHER@pacs.example:11112"}}, headers=AUTH
        )
    assert started["delivery"]["status"] == "pending"
    assert (started["delivery"]["destination"], started["delivery"]["dimse"]) == (SERVER_URL, SERVER_DIMSE)
    assert own.status_code == 202 and own.json()["options"]["forward"] == {
        "url": None,
        "dimse": "OTHER@pacs.example:11112",
    }
    assert (own.json()["delivery"]["destination"], own.json()["delivery"]["dimse"]) == (
        None,
        "OTHER@pacs.example:11112",
    )
    job = store.get(own.json()["id"])
    assert destination_of(job=job, settings=configured, store=store) is None  # the job's own replace the server's
    assert dimse_destination_of(job=job, settings=configured) == DimseDestination(
        ae_title="OTHER", host="pacs.example", port=11112
    )


def test_deliver_route_takes_a_dimse_destination(settings: Settings) -> None:
    queue = RecordingQueue()
    configured = settings.model_copy(update={"forward_url": SERVER_URL})
    store = JobStore(settings.storage_dir)
    with _app(configured, queue) as client:
        study, _ = _series(client, seed=209)
        (job,) = jobs_of(client, study)
        _succeed(store, job["id"])
        moved = _deliver(client, job["id"], {"dimse": SERVER_DIMSE})
        assert moved.status_code == 202, moved.text
        assert (moved.json()["delivery"]["destination"], moved.json()["delivery"]["dimse"]) == (None, SERVER_DIMSE)
        both = _deliver(client, job["id"], {"url": SERVER_URL, "dimse": SERVER_DIMSE})
        assert (both.json()["delivery"]["destination"], both.json()["delivery"]["dimse"]) == (SERVER_URL, SERVER_DIMSE)
        again = _deliver(client, job["id"])  # the job's destinations, both kept
        assert (again.json()["delivery"]["destination"], again.json()["delivery"]["dimse"]) == (
            SERVER_URL,
            SERVER_DIMSE,
        )
        bad = _deliver(client, job["id"], {"dimse": "PACS@nowhere"})
        assert bad.status_code == 400 and "Argument 'dimse'" in bad.json()["detail"]
        empty = _deliver(client, job["id"], {})
        assert empty.status_code == 400 and "Argument 'url' or 'dimse'" in empty.json()["detail"]
    assert queue.deliveries == [job["id"]] * 3
