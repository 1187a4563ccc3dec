"""STOW-RS over HTTP: statuses, the DICOM JSON Store Instances Response, limits, hooks."""

from __future__ import annotations

from typing import Any

import pytest

from core.settings import Settings
from core.storage import FailureReason, InstanceOutcome, StoreReport
from service.dicomweb.stow import warning_values
from service.main import create_app
from tests.imaging.dicom.factories import to_bytes
from tests.service.conftest import TestClient
from tests.service.helpers import AUTH, BOUNDARY, RELATED, as_ct, pet_datasets, pet_parts, related_body

REFERENCED, FAILED, RETRIEVE_URL, FAILURE_REASON = "00081199", "00081198", "00081190", "00081197"
SOP_CLASS, SOP_INSTANCE = "00081150", "00081155"


def _post(client: TestClient, parts: list[bytes], *, path: str = "/dicomweb/studies", **headers: str) -> Any:
    return client.post(path, content=related_body(parts), headers={**AUTH, "Content-Type": RELATED, **headers})


def _items(body: dict[str, Any], tag: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = body.get(tag, {}).get("Value", [])
    return items


def _value(item: dict[str, Any], tag: str) -> Any:
    return item[tag]["Value"][0]


def test_all_stored_is_200_with_retrieve_urls(client: TestClient) -> None:
    datasets = pet_datasets(seed=20, n_slices=3)
    response = _post(client, [to_bytes(ds) for ds in datasets])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/dicom+json"
    body = response.json()
    study = datasets[0].StudyInstanceUID
    assert _value(body, RETRIEVE_URL) == f"http://testserver/dicomweb/studies/{study}"
    referenced = _items(body, REFERENCED)
    assert [_value(item, SOP_INSTANCE) for item in referenced] == [ds.SOPInstanceUID for ds in datasets]
    assert {_value(item, SOP_CLASS) for item in referenced} == {"1.2.840.10008.5.1.4.1.1.128"}
    url = _value(referenced[0], RETRIEVE_URL)
    assert url.endswith(
        f"/studies/{study}/series/{datasets[0].SeriesInstanceUID}/instances/{datasets[0].SOPInstanceUID}"
    )
    assert FAILED not in body


def test_garbage_part_among_good_ones_is_202_with_its_failure(client: TestClient) -> None:
    parts = pet_parts(seed=21, n_slices=2)
    response = _post(client, [parts[0], b"this is not DICOM", parts[1]])
    assert response.status_code == 202
    body = response.json()
    assert len(_items(body, REFERENCED)) == 2
    (failed,) = _items(body, FAILED)
    assert _value(failed, FAILURE_REASON) == FailureReason.CANNOT_UNDERSTAND == 0xC000
    assert "Value" not in failed[SOP_INSTANCE]  # unknown: present, empty
    assert "not a DICOM" in response.headers["warning"]


def test_ct_series_alone_is_409_sop_class_not_supported(client: TestClient) -> None:
    datasets = [as_ct(ds) for ds in pet_datasets(seed=22, n_slices=2)]
    response = _post(client, [to_bytes(ds) for ds in datasets])
    assert response.status_code == 409
    body = response.json()
    failed = _items(body, FAILED)
    assert [_value(item, FAILURE_REASON) for item in failed] == [0x0122, 0x0122]
    assert [_value(item, SOP_CLASS) for item in failed] == ["1.2.840.10008.5.1.4.1.1.2"] * 2
    assert REFERENCED not in body and RETRIEVE_URL not in body


def test_resending_is_200_without_duplicates(client: TestClient, settings: Settings) -> None:
    parts = pet_parts(seed=23, n_slices=3)
    assert _post(client, parts).status_code == 200
    again = _post(client, parts)
    assert again.status_code == 200
    assert len(_items(again.json(), REFERENCED)) == 3
    assert len(list(settings.storage_dir.glob("studies/*/series/*/instances/*.dcm"))) == 3


def test_study_in_the_path_must_match(client: TestClient) -> None:
    mine, other = pet_parts(seed=24, n_slices=1), pet_parts(seed=25, n_slices=1)
    study = pet_datasets(seed=24, n_slices=1)[0].StudyInstanceUID
    response = _post(client, mine + other, path=f"/dicomweb/studies/{study}")
    assert response.status_code == 202
    body = response.json()
    assert _value(body, RETRIEVE_URL).endswith(f"/dicomweb/studies/{study}")
    assert [_value(item, FAILURE_REASON) for item in _items(body, FAILED)] == [0xA901]
    rejected = _post(client, other, path=f"/dicomweb/studies/{study}")
    assert rejected.status_code == 409


@pytest.mark.parametrize(
    "content_type",
    [
        "application/dicom",
        "multipart/form-data; boundary=x",
        f'multipart/related; type="application/dicom+json"; boundary={BOUNDARY}',
    ],
)
def test_wrong_media_type_is_415_problem(client: TestClient, content_type: str) -> None:
    response = _post(client, pet_parts(seed=26, n_slices=1), **{"Content-Type": content_type})
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 415 and problem["check"] == "content_type"
    assert problem["instance"] == "/dicomweb/studies"
    assert problem["type"] == "urn:petiq:problem:unsupported-media-type"


@pytest.mark.parametrize(
    ("body", "content_type", "check"),
    [
        (related_body([b"x"])[:-12], RELATED, "multipart"),
        (b"", RELATED, "multipart"),
        (related_body([b"x"]), 'multipart/related; type="application/dicom"', "boundary"),
    ],
)
def test_broken_multipart_is_400_problem(client: TestClient, body: bytes, content_type: str, check: str) -> None:
    response = client.post("/dicomweb/studies", content=body, headers={**AUTH, "Content-Type": content_type})
    assert response.status_code == 400
    assert response.json()["check"] == check


def _small_app(tmp_path: Any, **limits: int) -> TestClient:
    settings = Settings(storage_dir=tmp_path / "storage", api_keys=frozenset({"test-key-1"}), **limits)  # type: ignore[arg-type]
    return TestClient(create_app(settings=settings))


def test_oversized_request_is_413_by_content_length(tmp_path: Any) -> None:
    parts = pet_parts(seed=27, n_slices=2)
    with _small_app(tmp_path, max_request_bytes=len(related_body(parts)) - 1) as client:
        response = _post(client, parts)
    assert response.status_code == 413
    assert response.json()["check"] == "max_request_bytes"
    assert not (tmp_path / "storage" / "studies").exists()


def test_oversized_streamed_request_is_413(tmp_path: Any) -> None:
    parts = pet_parts(seed=28, n_slices=2)
    body = related_body(parts)
    chunks = (body[start : start + 500] for start in range(0, len(body), 500))  # chunked: no Content-Length
    with _small_app(tmp_path, max_request_bytes=len(body) - 1) as client:
        response = client.post("/dicomweb/studies", content=chunks, headers={**AUTH, "Content-Type": RELATED})
    assert response.status_code == 413
    assert "exceeds the limit" in response.json()["detail"]
    assert not list(tmp_path.glob("storage/tmp/*"))


def test_too_many_instances_per_series_is_413(tmp_path: Any) -> None:
    with _small_app(tmp_path, max_instances_per_series=2) as client:
        response = _post(client, pet_parts(seed=29, n_slices=3))
    assert response.status_code == 413
    assert response.json()["check"] == "max_instances_per_series"


def test_hooks_get_the_report_of_completed_series(client: TestClient) -> None:
    reports: list[StoreReport] = []
    client.app.state.on_series_stored.append(reports.append)  # type: ignore[attr-defined]
    client.app.state.on_series_stored.append(lambda report: 1 / 0)  # type: ignore[attr-defined]  # a failing hook
    datasets = pet_datasets(seed=30, n_slices=2)
    assert _post(client, [to_bytes(ds) for ds in datasets]).status_code == 200
    assert _post(client, [b"junk"]).status_code == 409  # stores nothing: no hook call
    (report,) = reports
    assert [key.series_uid for key in report.completed_series] == [datasets[0].SeriesInstanceUID]


def test_warning_values_are_safe_header_text() -> None:
    outcome = InstanceOutcome(
        sop_instance_uid=None, sop_class_uid=None, failure=FailureReason.CANNOT_UNDERSTAND, message='bad "x" \\ é'
    )
    stored = InstanceOutcome(sop_instance_uid="1.2", sop_class_uid="1.2.3")
    values = warning_values(report=StoreReport(outcomes=(stored,) + (outcome,) * 30))
    assert len(values) == 20
    assert values[0] == "299 petiq \"unreadable part: bad 'x' / ?\""
