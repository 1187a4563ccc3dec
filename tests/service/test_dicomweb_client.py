"""End to end with the real ``dicomweb-client`` library against a real uvicorn server on loopback."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pydicom
import pytest
import requests
from dicomweb_client.api import DICOMwebClient

from core.settings import Settings
from tests.imaging.dicom.factories import to_bytes
from tests.service.helpers import API_KEY, pet_datasets
from tests.workers.processes import gateway

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A uvicorn server with the gateway in a thread; yields its base URL."""
    settings = Settings(storage_dir=tmp_path_factory.mktemp("e2e-storage"), api_keys=frozenset({API_KEY}))
    with gateway(settings=settings) as url:
        yield url


def _client(url: str, key: str = API_KEY) -> DICOMwebClient:
    return DICOMwebClient(url=f"{url}/dicomweb", headers={"Authorization": f"Bearer {key}"})


def test_store_search_retrieve_round_trip(server: str) -> None:
    datasets = pet_datasets(seed=60, n_slices=5, size=16)
    client = _client(server)
    response = client.store_instances(datasets=datasets)
    referenced = response.ReferencedSOPSequence
    assert [item.ReferencedSOPInstanceUID for item in referenced] == [ds.SOPInstanceUID for ds in datasets]
    assert "FailedSOPSequence" not in response
    study, series = datasets[0].StudyInstanceUID, datasets[0].SeriesInstanceUID
    (found,) = client.search_for_series(study_instance_uid=study)
    assert pydicom.Dataset.from_json(found).SeriesInstanceUID == series
    assert pydicom.Dataset.from_json(found).NumberOfSeriesRelatedInstances == 5
    studies = client.search_for_studies(search_filters={"PatientID": "SYN001"})
    assert study in [pydicom.Dataset.from_json(item).StudyInstanceUID for item in studies]
    retrieved = client.retrieve_series(study_instance_uid=study, series_instance_uid=series)
    assert [ds.SOPInstanceUID for ds in retrieved] == [ds.SOPInstanceUID for ds in datasets]
    for got, sent in zip(retrieved, datasets, strict=True):
        assert got.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
        assert np.array_equal(got.pixel_array, sent.pixel_array)


def test_search_filters_match_patient_name_wildcards(server: str, caplog: pytest.LogCaptureFixture) -> None:
    """``PatientName=Mül*`` finds Müller only; a key petiq does not match is named in the Warning the client logs."""
    mueller, meier = pet_datasets(seed=62, n_slices=2), pet_datasets(seed=63, n_slices=2)
    for datasets, name in ((mueller, "Müller^Hans"), (meier, "Meier^Eva")):
        for ds in datasets:
            ds.PatientName, ds.ReferringPhysicianName = name, "Curie^Marie"
    client = _client(server)
    for datasets in (mueller, meier):
        assert "FailedSOPSequence" not in client.store_instances(datasets=datasets)
    found = client.search_for_studies(search_filters={"PatientName": "Mül*"})
    assert [pydicom.Dataset.from_json(item).StudyInstanceUID for item in found] == [mueller[0].StudyInstanceUID]
    assert str(pydicom.Dataset.from_json(found[0]).PatientName) == "Müller^Hans"
    lower = client.search_for_studies(search_filters={"PatientName": "m?ller*", "ReferringPhysicianName": "curie*"})
    assert [pydicom.Dataset.from_json(item).StudyInstanceUID for item in lower] == [mueller[0].StudyInstanceUID]
    with caplog.at_level(logging.WARNING, logger="dicomweb_client"):
        client.search_for_studies(search_filters={"InstitutionName": "Nowhere"}, fuzzymatching=True)
    warnings = [record.getMessage() for record in caplog.records if record.name.startswith("dicomweb_client")]
    assert any("299" in text and "were ignored: InstitutionName" in text for text in warnings), warnings
    assert any("fuzzymatching parameter is not supported" in text for text in warnings), warnings


def test_wrong_key_is_refused_by_the_server(server: str) -> None:
    with pytest.raises(requests.HTTPError) as caught:
        _client(server, key="nope").search_for_studies()
    assert caught.value.response.status_code == 401
    assert caught.value.response.headers["content-type"] == "application/problem+json"


def test_streamed_chunked_upload_over_a_socket(server: str) -> None:
    """A chunked body (no Content-Length) crosses a real socket in small pieces and is stored."""
    datasets = pet_datasets(seed=61, n_slices=3, size=32)
    parts = [to_bytes(ds) for ds in datasets]
    boundary = "chunky"
    body = b"".join(
        f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode() + part + b"\r\n" for part in parts
    )
    body += f"--{boundary}--".encode()
    chunks = (body[start : start + 977] for start in range(0, len(body), 977))
    headers = {
        "Authorization": f"Bearer {API_KEY}",
        "Content-Type": f'multipart/related; type="application/dicom"; boundary="{boundary}"',
    }
    response = requests.post(f"{server}/dicomweb/studies", data=chunks, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert len(response.json()["00081199"]["Value"]) == 3


@pytest.mark.slow
def test_real_ge_series_round_trip_is_byte_exact_on_pixels(server: str, real_ge_dir: Path) -> None:
    paths = sorted(real_ge_dir.glob("*.dcm"))
    sent = {ds.SOPInstanceUID: ds for ds in (pydicom.dcmread(path) for path in paths)}
    client = _client(server)
    datasets = list(sent.values())
    for start in range(0, len(datasets), 100):  # three requests: the series is completed across them
        response = client.store_instances(datasets=datasets[start : start + 100])
        assert "FailedSOPSequence" not in response
    first = datasets[0]
    retrieved = client.retrieve_series(
        study_instance_uid=first.StudyInstanceUID, series_instance_uid=first.SeriesInstanceUID
    )
    assert len(retrieved) == len(paths) == 267
    for ds in retrieved:
        assert ds.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
        assert ds.PixelData == sent[ds.SOPInstanceUID].PixelData
