"""WADO-RS retrieve and QIDO-RS search over HTTP."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from core.multipart import split_parts
from tests.imaging.dicom.factories import to_bytes
from tests.service.conftest import TestClient
from tests.service.helpers import AUTH, RELATED, pet_datasets, related_body


def _store(client: TestClient, datasets: list[Dataset]) -> None:
    body = related_body([to_bytes(ds) for ds in datasets])
    assert client.post("/dicomweb/studies", content=body, headers={**AUTH, "Content-Type": RELATED}).status_code == 200


def _parts(response: Any) -> list[tuple[str, bytes]]:
    """(Content-Type, payload) of each part of a multipart response."""
    parts = split_parts(content_type=response.headers["content-type"], body=response.content)
    return [(part.content_type, part.payload) for part in parts]


def _implicit(datasets: list[Dataset]) -> list[Dataset]:
    for ds in datasets:
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    return datasets


def test_series_retrieve_is_explicit_vr_with_the_same_pixels(client: TestClient) -> None:
    datasets = _implicit(pet_datasets(seed=40, n_slices=3))
    _store(client, datasets)
    study, series = datasets[0].StudyInstanceUID, datasets[0].SeriesInstanceUID
    response = client.get(f"/dicomweb/studies/{study}/series/{series}", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith('multipart/related; type="application/dicom"; boundary=')
    parts = _parts(response)
    assert all(ExplicitVRLittleEndian in content_type for content_type, _ in parts)
    received = [pydicom.dcmread(io.BytesIO(payload)) for _, payload in parts]
    assert [ds.file_meta.TransferSyntaxUID for ds in received] == [ExplicitVRLittleEndian] * 3
    assert [ds.SOPInstanceUID for ds in received] == [ds.SOPInstanceUID for ds in datasets]
    assert [ds.PixelData for ds in received] == [ds.PixelData for ds in datasets]
    assert all(np.array_equal(a.pixel_array, b.pixel_array) for a, b in zip(received, datasets, strict=True))


def test_transfer_syntax_star_sends_the_stored_bytes(client: TestClient) -> None:
    datasets = _implicit(pet_datasets(seed=41, n_slices=2))
    _store(client, datasets)
    study, series, sop = datasets[1].StudyInstanceUID, datasets[1].SeriesInstanceUID, datasets[1].SOPInstanceUID
    accept = 'multipart/related; type="application/dicom"; transfer-syntax=*'
    response = client.get(
        f"/dicomweb/studies/{study}/series/{series}/instances/{sop}", headers={**AUTH, "Accept": accept}
    )
    assert response.status_code == 200
    ((content_type, payload),) = _parts(response)
    assert ImplicitVRLittleEndian in content_type
    assert payload == to_bytes(datasets[1])


def test_unservable_accept_is_406_and_unknown_series_404(client: TestClient) -> None:
    datasets = pet_datasets(seed=42, n_slices=1)
    _store(client, datasets)
    url = f"/dicomweb/studies/{datasets[0].StudyInstanceUID}/series/{datasets[0].SeriesInstanceUID}"
    refused = client.get(url, headers={**AUTH, "Accept": "application/dicom+json"})
    assert refused.status_code == 406 and refused.json()["check"] == "accept"
    missing = client.get(url.replace(datasets[0].SeriesInstanceUID, "1.2.3.4"), headers=AUTH)
    assert missing.status_code == 404
    assert missing.json()["uid"] == "1.2.3.4"
    no_instance = client.get(url + "/instances/1.2.3", headers=AUTH)
    assert no_instance.status_code == 404 and no_instance.json()["check"] == "instance"
    bad_uid = client.get(url.replace(datasets[0].SeriesInstanceUID, "1.2.x"), headers=AUTH)
    assert bad_uid.status_code == 400 and bad_uid.json()["check"] == "uid"


def _values(results: list[dict[str, Any]], tag: str) -> list[Any]:
    return [result[tag]["Value"][0] for result in results]


def test_study_search_matches_and_pages(client: TestClient) -> None:
    first, second = pet_datasets(seed=43, n_slices=2), pet_datasets(seed=44, n_slices=1)
    for ds in second:
        ds.PatientID = "OTHER-7"
    _store(client, first)
    _store(client, second)
    everything = client.get("/dicomweb/studies", headers=AUTH)
    assert everything.status_code == 200 and everything.headers["content-type"] == "application/dicom+json"
    assert len(everything.json()) == 2
    by_patient = client.get("/dicomweb/studies", params={"PatientID": "OTHER-?"}, headers=AUTH).json()
    assert _values(by_patient, "0020000D") == [second[0].StudyInstanceUID]
    assert _values(by_patient, "00201208") == [1] and _values(by_patient, "00201206") == [1]
    assert by_patient[0]["00100010"]["Value"] == [{"Alphabetic": "Synthetic^Patient"}]
    assert by_patient[0]["00080061"]["Value"] == ["PT"]
    uids = f"{first[0].StudyInstanceUID},{second[0].StudyInstanceUID}"
    page = client.get("/dicomweb/studies", params={"StudyInstanceUID": uids, "limit": 1, "offset": 1}, headers=AUTH)
    assert len(page.json()) == 1
    assert client.get("/dicomweb/studies", params={"ModalitiesInStudy": "CT"}, headers=AUTH).json() == []
    assert len(client.get("/dicomweb/studies", params={"Modality": "PT"}, headers=AUTH).json()) == 2


def test_series_search(client: TestClient) -> None:
    datasets = pet_datasets(seed=45, n_slices=3)
    _store(client, datasets)
    study = datasets[0].StudyInstanceUID
    (result,) = client.get(f"/dicomweb/studies/{study}/series", headers=AUTH).json()
    assert result["0020000E"]["Value"] == [datasets[0].SeriesInstanceUID]
    assert result["00080060"]["Value"] == ["PT"]
    assert result["00201209"]["Value"] == [3]
    assert result["00200011"]["Value"] == [1]
    assert client.get(f"/dicomweb/studies/{study}/series", params={"Modality": "CT"}, headers=AUTH).json() == []
    assert client.get("/dicomweb/studies/1.2.3/series", headers=AUTH).json() == []


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "many"}, {"offset": "-1"}])
def test_bad_paging_is_400_problem(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/dicomweb/studies", params=params, headers=AUTH)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:petiq:problem:invalid-parameter"
