"""STOW-RS of compressed and hostile instances: lossless syntaxes stored and served back native; a syntax with
no decoder, a decompression bomb and an over-limit image refused per instance in FailedSOPSequence."""

from __future__ import annotations

import copy
import io
from typing import Any

import pydicom
import pytest
from pydicom.encaps import encapsulate
from pydicom.uid import UID, DeflatedExplicitVRLittleEndian, ExplicitVRLittleEndian, JPEGLossless, RLELossless

from core.storage import FailureReason
from tests.imaging.dicom.bombs import deflated_bomb
from tests.imaging.dicom.encodings import encode
from tests.imaging.dicom.factories import to_bytes
from tests.service.conftest import TestClient
from tests.service.helpers import AUTH, RELATED, pet_datasets, related_body
from tests.service.test_read_routes import _parts

FAILED, FAILURE_REASON, REFERENCED = "00081198", "00081197", "00081199"


def _post(client: TestClient, parts: list[bytes]) -> Any:
    return client.post("/dicomweb/studies", content=related_body(parts), headers={**AUTH, "Content-Type": RELATED})


def _failure(response: Any) -> int:
    (failed,) = response.json()[FAILED]["Value"]
    reason: int = failed[FAILURE_REASON]["Value"][0]
    return reason


@pytest.mark.parametrize("syntax", [RLELossless, DeflatedExplicitVRLittleEndian], ids=["RLE", "Deflated"])
def test_lossless_series_is_stored_and_retrieved_native(client: TestClient, syntax: UID) -> None:
    originals = pet_datasets(seed=70, n_slices=3, size=16)
    encoded = [encode(copy.deepcopy(ds), syntax) for ds in originals]
    response = _post(client, [to_bytes(ds) for ds in encoded])
    assert response.status_code == 200, response.text
    study, series = originals[0].StudyInstanceUID, originals[0].SeriesInstanceUID
    retrieved = client.get(f"/dicomweb/studies/{study}/series/{series}", headers=AUTH)
    received = [pydicom.dcmread(io.BytesIO(payload)) for _, payload in _parts(retrieved)]
    assert [ds.file_meta.TransferSyntaxUID for ds in received] == [ExplicitVRLittleEndian] * 3
    assert [ds.SOPInstanceUID for ds in received] == [ds.SOPInstanceUID for ds in originals]
    assert [ds.PixelData for ds in received] == [ds.PixelData for ds in originals]


def test_syntax_without_decoder_is_refused_naming_it(client: TestClient) -> None:
    (dataset,) = pet_datasets(seed=71, n_slices=1)
    dataset.file_meta.TransferSyntaxUID = JPEGLossless
    dataset.PixelData = encapsulate([b"\xff\xd8\xff\xc3" + bytes(60) + b"\xff\xd9"])
    response = _post(client, [to_bytes(dataset)])
    assert response.status_code == 409
    assert _failure(response) == FailureReason.TRANSFER_SYNTAX_NOT_SUPPORTED
    assert JPEGLossless.name in response.headers["warning"] and "no decoder" in response.headers["warning"]


def test_deflate_bomb_is_refused_out_of_resources_others_stored(client: TestClient) -> None:
    datasets = pet_datasets(seed=72, n_slices=3, size=16)
    bomb = deflated_bomb(dataset=datasets[1], inflated_bytes=256 * 1024**2)
    response = _post(client, [to_bytes(datasets[0]), bomb, to_bytes(datasets[2])])
    assert response.status_code == 202
    assert _failure(response) == FailureReason.OUT_OF_RESOURCES
    assert "inflates to more than" in response.headers["warning"]
    assert len(response.json()[REFERENCED]["Value"]) == 2


def test_huge_rows_is_refused_before_decode(client: TestClient) -> None:
    (dataset,) = pet_datasets(seed=73, n_slices=1)
    dataset.Rows = 60000
    response = _post(client, [to_bytes(dataset)])
    assert response.status_code == 409
    assert _failure(response) == FailureReason.OUT_OF_RESOURCES
    assert "Attribute 'Rows'" in response.headers["warning"]
