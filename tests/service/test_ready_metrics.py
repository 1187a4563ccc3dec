"""``/readyz`` (broker, storage, weights without torch) and ``/metrics`` (Prometheus from the manifests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.jobs.result import ResultDocument
from core.jobs.store import JobStore
from core.jobs.transitions import started, succeeded
from core.settings import Settings
from service.main import create_app
from service.metrics import histogram_buckets
from service.readiness import BUNDLE_FILES, check_weights
from tests.service.conftest import TestClient
from tests.service.helpers import API_KEY, AUTH, pet_datasets
from tests.service.job_helpers import RecordingQueue, stow
from tests.service.report_helpers import result_document


def _fake_bundle(directory: Path) -> Path:
    """Bundle files as the readiness check sees them (metadata with a sha256 per file); not a usable network."""
    directory.mkdir(parents=True)
    metadata, onnx, state = BUNDLE_FILES
    (directory / onnx).write_bytes(b"onnx")
    (directory / state).write_bytes(b"state")
    (directory / metadata).write_text(json.dumps({"sha256": {onnx: "0" * 64, state: "1" * 64}}))
    return directory


def _settings(tmp_path: Path, *, weights: Path | None) -> Settings:
    return Settings(storage_dir=tmp_path / "storage", api_keys=frozenset({API_KEY}), denoiser_weights=weights)


def test_ready_when_all_checks_pass_and_open_without_a_key(tmp_path: Path) -> None:
    settings = _settings(tmp_path, weights=_fake_bundle(tmp_path / "bundle"))
    with TestClient(create_app(settings=settings, job_queue=RecordingQueue())) as client:
        response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "broker": True,
        "storage": True,
        "weights": True,
        "scorer": True,  # the shipped scorer (jobs are scored by default)
    }


def test_a_missing_scorer_is_not_ready_unless_jobs_are_unscored(tmp_path: Path) -> None:
    settings = _settings(tmp_path, weights=_fake_bundle(tmp_path / "bundle"))
    missing = settings.model_copy(update={"scorer_weights": tmp_path / "no-scorer"})
    with TestClient(create_app(settings=missing, job_queue=RecordingQueue())) as client:
        response = client.get("/readyz")
    assert response.status_code == 503 and "scorer" in response.text
    unscored = missing.model_copy(update={"default_score": False})
    with TestClient(create_app(settings=unscored, job_queue=RecordingQueue())) as client:
        assert client.get("/readyz").json()["checks"]["scorer"]["ok"] is True


def test_not_ready_is_503_problem_naming_the_failed_checks(tmp_path: Path) -> None:
    settings = _settings(tmp_path, weights=tmp_path / "no-bundle")
    with TestClient(create_app(settings=settings, job_queue=RecordingQueue(reachable=False))) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["detail"] == "Failed readiness checks: broker, weights."
    assert body["checks"]["storage"]["ok"] is True
    assert "ConnectionRefusedError" in body["checks"]["broker"]["detail"]


@pytest.mark.parametrize("broken", ["missing-file", "empty-file", "unrecorded", "bad-json"])
def test_weights_check_catches_broken_bundles(tmp_path: Path, broken: str) -> None:
    directory = _fake_bundle(tmp_path / "bundle")
    metadata, onnx, state = (directory / name for name in BUNDLE_FILES)
    if broken == "missing-file":
        state.unlink()
    elif broken == "empty-file":
        onnx.write_bytes(b"")
    elif broken == "unrecorded":
        metadata.write_text(json.dumps({"sha256": {onnx.name: "0" * 64}}))
    else:
        metadata.write_text("{")
    assert not check_weights(settings=_settings(tmp_path, weights=directory)).ok


def test_bundle_file_names_are_the_models_ones() -> None:
    from models.bundle import METADATA_NAME, ONNX_NAME, STATE_NAME

    assert (METADATA_NAME, ONNX_NAME, STATE_NAME) == BUNDLE_FILES


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_count_jobs_by_state_and_histogram_stage_durations(tmp_path: Path) -> None:
    settings = _settings(tmp_path, weights=None)
    with TestClient(create_app(settings=settings, job_queue=RecordingQueue(waiting=5))) as client:
        for seed in (90, 91):
            stow(client, pet_datasets(seed=seed, n_slices=2))
        store = JobStore(settings.storage_dir)
        done = next(iter(store.all())).id
        store.update(done, started)
        timings = {"load": 0.3, "adapt": 0.0, "denoise": 7.0, "qc": 0.2, "score": 0.0, "write": 1.0}
        document = result_document(input_uid="1.2.3", output_uid="1.2.3.4", scored=False) | {"timings_s": timings}
        store.update(done, lambda job: succeeded(job, result=ResultDocument.model_validate(document)))
        response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    assert samples[("petiq_jobs", (("state", "queued"),))] == 1.0
    assert samples[("petiq_jobs", (("state", "succeeded"),))] == 1.0
    assert samples[("petiq_jobs", (("state", "failed"),))] == 0.0
    assert samples[("petiq_queue_depth", ())] == 5.0
    assert samples[("petiq_job_stage_duration_seconds_sum", (("stage", "denoise"),))] == 7.0
    assert samples[("petiq_job_stage_duration_seconds_bucket", (("le", "5.0"), ("stage", "denoise")))] == 0.0
    assert samples[("petiq_job_stage_duration_seconds_bucket", (("le", "10.0"), ("stage", "denoise")))] == 1.0
    assert ("petiq_job_stage_duration_seconds_count", (("stage", "adapt"),)) not in samples  # skipped: 0 s
    assert client.get("/v1/jobs", headers=AUTH).status_code == 200


def test_histogram_buckets_are_cumulative() -> None:
    assert histogram_buckets(values=[0.5, 1.5, 3.0], bounds=[1.0, 2.0]) == [("1.0", 1.0), ("2.0", 2.0), ("+Inf", 3.0)]
