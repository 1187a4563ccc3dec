"""Real-world input through the embedded gateway and worker: a few-slice crop of the real GE series stripped of
every Type 2 attribute of the PET Image IOD, and the real NEMA IEC research export as published (no Units, no
patient/study Type 2 attributes, MONOCHROME1), each sent by STOW-RS. The job each starts succeeds; QIDO-RS (with
and without keys the series lacks), WADO-RS of the derived series and of the SR, the job resource and the report
page all answer 200 with content that makes sense, and the page never shows "None".

Skipped when the shared data is absent. The width-8 random test bundle keeps each job under a few seconds.
"""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest
from pydicom import Dataset

from core.settings import Settings
from imaging.dicom.modules import PET_IMAGE_TYPE2
from models.bundle import BundleInfo
from tests.conftest import SHARED_DATA
from tests.imaging.dicom.factories import uid
from tests.workers.http_helpers import AUTH, multipart_parts, poll_job, stow_body
from tests.workers.service_builders import embedded_client

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.slow

_CROP = 6
_NEMA = SHARED_DATA / "pet-nema-iec-real"
_SR_CLASS = "1.2.840.10008.5.1.4.1.1.88.34"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, random_bundle_info: BundleInfo) -> Iterator[TestClient]:
    settings = Settings(
        storage_dir=tmp_path_factory.mktemp("real-world-storage"),
        api_keys=frozenset({AUTH["Authorization"].removeprefix("Bearer ")}),
        denoiser_weights=random_bundle_info.directory,
        default_adapt="off",
        default_score=False,
        denoise_ensemble=1,
    )
    with embedded_client(settings=settings) as test_client:
        yield test_client


def _stripped_crop(source: Path, *, directory: Path) -> Path:
    """``_CROP`` middle slices of ``source`` as a series of their own (new UIDs, NumberOfSlices = the crop), every
    Type 2 attribute of the PET Image IOD deleted on every slice."""
    files = sorted(source.glob("*.dcm"))
    middle = len(files) // 2
    directory.mkdir()
    for index, path in enumerate(files[middle : middle + _CROP]):
        dataset: Dataset = pydicom.dcmread(path)
        dataset.StudyInstanceUID = uid(0, "stripped-study")
        dataset.SeriesInstanceUID = uid(0, "stripped-series")
        dataset.SOPInstanceUID = dataset.file_meta.MediaStorageSOPInstanceUID = uid(0, "stripped", index)
        dataset.NumberOfSlices = _CROP
        for keyword in PET_IMAGE_TYPE2:
            if keyword in dataset:
                del dataset[keyword]
        dataset.save_as(directory / f"{index:03d}.dcm")
    return directory


def _get(client: TestClient, url: str, **params: str) -> Any:
    response = client.get(url, params=params, headers=AUTH)
    assert response.status_code == 200, f"{url}: {response.status_code} {response.text[:500]}"
    return response


def _value(item: dict[str, Any], tag: str) -> Any:
    """The first value of ``tag`` in a DICOM JSON object; None when the attribute is absent or empty."""
    values = item.get(tag, {}).get("Value")
    return values[0] if values else None


def _succeeded_job(client: TestClient, *, folder: Path) -> tuple[str, str, dict[str, Any]]:
    """STOW-RS ``folder``; the study UID, the series UID and its job, polled to its end."""
    body, headers = stow_body(folder)
    response = client.post("/dicomweb/studies", content=body, headers=headers)
    assert response.status_code == 200, response.text
    first = pydicom.dcmread(sorted(folder.glob("*.dcm"))[0], stop_before_pixels=True)
    study, series = str(first.StudyInstanceUID), str(first.SeriesInstanceUID)
    (queued,) = _get(client, "/v1/jobs", study_uid=study).json()
    job = poll_job(lambda: _get(client, f"/v1/jobs/{queued['id']}").json())
    assert job["status"] == "succeeded", job["error"]
    assert job["series_uid"] == series and job["result"]["input"]["series_uid"] == series
    return study, series, job


def _check_qido(client: TestClient, *, study: str, series: str, output: str) -> None:
    # a lone "*" matches an empty (stripped) PatientName, an empty value is universal matching; a name or a date
    # range matches no study without one
    searches = ({}, {"StudyInstanceUID": study}, {"PatientID": "*"}, {"PatientName": "*", "StudyDate": ""})
    for params in searches:
        results = _get(client, "/dicomweb/studies", **params).json()
        found = [item for item in results if _value(item, "0020000D") == study]
        assert len(found) == 1, params
        assert _value(found[0], "00201206") == 3  # NumberOfStudyRelatedSeries: input, derived, SR
    for params in ({"PatientName": "Doe*"}, {"StudyDate": "20200101-"}):
        results = _get(client, "/dicomweb/studies", **params).json()
        assert study not in [_value(item, "0020000D") for item in results], params
    listed = _get(client, f"/dicomweb/studies/{study}/series").json()
    modalities = {_value(item, "0020000E"): _value(item, "00080060") for item in listed}
    assert modalities.pop(series) == "PT" and modalities.pop(output) == "PT"
    assert list(modalities.values()) == ["SR"]
    reports = _get(client, f"/dicomweb/studies/{study}/series", Modality="SR").json()
    assert [_value(item, "00080060") for item in reports] == ["SR"]
    for item in listed:
        assert all(element.get("Value", [0]) and None not in element.get("Value", [0]) for element in item.values())


def _check_wado(client: TestClient, *, study: str, output: str, sr: str, n_slices: int, tmp_path: Path) -> None:
    response = _get(client, f"/dicomweb/studies/{study}/series/{output}")
    parts = multipart_parts(content_type=response.headers["content-type"], body=response.content)
    assert len(parts) == n_slices
    response = _get(client, f"/dicomweb/studies/{study}/series/{sr}")
    (report,) = multipart_parts(content_type=response.headers["content-type"], body=response.content)
    (tmp_path / "sr.dcm").write_bytes(report)
    dataset = pydicom.dcmread(tmp_path / "sr.dcm")
    assert (dataset.SOPClassUID, dataset.StudyInstanceUID) == (_SR_CLASS, study)


def _check_report(client: TestClient, *, job: dict[str, Any], series: str, output: str) -> str:
    response = _get(client, f"/v1/jobs/{job['id']}/report")
    assert response.headers["content-type"].startswith("text/html")
    visible = re.sub(r"<[^>]*>", " ", html.unescape(response.text))
    assert series in visible and output in visible
    assert "None" not in visible and "()" not in visible, re.findall(r".{60}(?:None|\(\)).{40}", visible)
    assert 'id="axial-input"' in response.text and 'id="axial-output"' in response.text
    return visible


def _sr_series(client: TestClient, *, study: str, series: str, output: str) -> str:
    listed = _get(client, f"/dicomweb/studies/{study}/series").json()
    (sr,) = {_value(item, "0020000E") for item in listed} - {series, output}
    assert isinstance(sr, str)
    return sr


def _check_all(client: TestClient, *, folder: Path, n_slices: int, tmp_path: Path) -> str:
    study, series, job = _succeeded_job(client, folder=folder)
    output = job["result"]["output"]["series_uid"]
    assert job["result"]["output"]["sr_uid"]
    _check_qido(client, study=study, series=series, output=output)
    sr = _sr_series(client, study=study, series=series, output=output)
    _check_wado(client, study=study, output=output, sr=sr, n_slices=n_slices, tmp_path=tmp_path)
    return _check_report(client, job=job, series=series, output=output)


def test_a_real_series_without_any_type2_attribute_goes_through_stow_to_a_report(
    client: TestClient, real_ge_dir: Path, tmp_path: Path
) -> None:
    folder = _stripped_crop(real_ge_dir, directory=tmp_path / "stripped")
    visible = _check_all(client, folder=folder, n_slices=_CROP, tmp_path=tmp_path)
    assert "[petiq denoised]" in visible  # SeriesDescription (Type 3) was kept: the output's names it


def test_the_real_nema_research_export_goes_through_stow_to_a_report(client: TestClient, tmp_path: Path) -> None:
    if not _NEMA.is_dir():
        pytest.skip(f"real NEMA scan not found at {_NEMA}")
    visible = _check_all(client, folder=_NEMA, n_slices=len(list(_NEMA.glob("*.dcm"))), tmp_path=tmp_path)
    assert "SUV" in visible and "Units" in visible  # the note saying why SUV is not computable
