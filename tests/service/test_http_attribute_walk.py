"""Tolerant reading over HTTP: delete (then empty) each top-level attribute of a few-slice crop of the real GE
series on every slice, STOW-RS it, then search it (QIDO-RS studies and series) and retrieve it (WADO-RS series and
one instance). Every answer is a proper one: 200, or a STOW-RS refusal whose FailedSOPSequence gives the reason
for the attributes the store needs (the identifying UIDs, the image plane, Pixel Data). Never a 500, and no hook
may fail behind the response (the job starter runs on a recording queue: no worker).

Each case gets its own Study, Series and SOP Instance UIDs, so one storage holds them all.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest
from pydicom import Dataset
from pydicom.tag import BaseTag

from core.settings import Settings
from service.main import create_app
from tests.imaging.dicom.factories import to_bytes, uid
from tests.service.conftest import TestClient
from tests.service.helpers import API_KEY, AUTH, RELATED, related_body
from tests.service.job_helpers import RecordingQueue
from tests.workers.http_helpers import multipart_parts

pytestmark = pytest.mark.slow

_CROP = 4
_IDENTITY = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")
_STORE_NEEDS = frozenset(
    {
        *_IDENTITY,
        "SOPClassUID",
        "Modality",
        "ImagePositionPatient",
        "ImageOrientationPatient",
        "PixelSpacing",
        "Rows",
        "Columns",
        "SamplesPerPixel",
        "PhotometricInterpretation",
        "BitsAllocated",
        "BitsStored",
        "PixelRepresentation",
        "PixelData",
    }
)
"""What STOW-RS may refuse an instance for (a FailedSOPSequence item with a FailureReason): it cannot be indexed,
retrieved or processed without them."""


@pytest.fixture(scope="module")
def ge_crop(real_ge_dir: Path) -> list[Dataset]:
    files = sorted(real_ge_dir.glob("*.dcm"))
    middle = len(files) // 2
    return [pydicom.dcmread(path) for path in files[middle : middle + _CROP]]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(storage_dir=tmp_path_factory.mktemp("walk-storage"), api_keys=frozenset({API_KEY}))
    app = create_app(settings=settings, job_queue=RecordingQueue())
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _case(datasets: list[Dataset], *, tag: BaseTag, empty: bool) -> list[Dataset]:
    """Copies of ``datasets`` with UIDs of their own, attribute ``tag`` deleted (or emptied) on every slice."""
    case = f"{int(tag):08X}-{empty}"
    copies = []
    for index, source in enumerate(datasets):
        ds = copy.deepcopy(source)
        ds.StudyInstanceUID = uid(0, case, "study")
        ds.SeriesInstanceUID = uid(0, case, "series")
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = uid(0, case, index)
        if empty:
            ds[tag].value = [] if ds[tag].VR == "SQ" else None
        else:
            del ds[tag]
        copies.append(ds)
    return copies


def _problems_of_store(response: Any, keyword: str) -> list[str]:
    if response.status_code == 200:
        return []
    if response.status_code != 409 or keyword not in _STORE_NEEDS:
        return [f"STOW-RS answered {response.status_code}: {response.text[:300]}"]
    failed = response.json().get("00081198", {}).get("Value", [])
    reasons = [item.get("00081197", {}).get("Value") for item in failed]
    if len(failed) != _CROP or not all(reasons) or len(response.headers.get_list("Warning")) != _CROP:
        return [f"refused without a FailureReason and a Warning each: {response.text}"]
    return []


def _json_problems(body: list[dict[str, Any]]) -> list[str]:
    """DICOM JSON (PS3.18 F.2) breaches: a ``Value`` that is empty or holds null or empty strings (an empty
    attribute is ``{"vr": ...}`` alone)."""
    return [
        f"{tag}: {element}"
        for result in body
        for tag, element in result.items()
        if "Value" in element and (not element["Value"] or any(item in (None, "") for item in element["Value"]))
    ]


def _get(client: TestClient, url: str, **params: str) -> tuple[int, Any]:
    response = client.get(url, params=params, headers=AUTH)
    if response.status_code != 200:
        return response.status_code, response.text[:300]
    if response.headers["content-type"].startswith("multipart/related"):
        return 200, multipart_parts(content_type=response.headers["content-type"], body=response.content)
    return 200, response.json()


def _problems_of_reads(client: TestClient, datasets: list[Dataset]) -> Iterator[str]:
    study, series = datasets[0].StudyInstanceUID, datasets[0].SeriesInstanceUID
    searches = [  # (url, query, results expected; None: any number)
        ("/dicomweb/studies", {"StudyInstanceUID": study}, 1),
        ("/dicomweb/studies", {"StudyInstanceUID": study, "PatientID": "*", "ModalitiesInStudy": "PT"}, 1),
        ("/dicomweb/studies", {"StudyInstanceUID": study, "PatientName": "A*", "StudyDate": "20200101-"}, None),
        (f"/dicomweb/studies/{study}/series", {}, 1),
        (f"/dicomweb/studies/{study}/series", {"Modality": "PT"}, 1),
    ]
    for url, params, expected in searches:
        status, body = _get(client, url, **params)
        if status != 200 or not isinstance(body, list) or expected not in (None, len(body)):
            yield f"QIDO {url} {params}: {status} {body}"
        else:
            yield from (f"QIDO {url}: {problem}" for problem in _json_problems(body))
    status, found = _get(client, f"/dicomweb/studies/{study}/series")
    if status == 200 and [item["0020000E"]["Value"] for item in found] != [[series]]:
        yield f"QIDO series finds {found}"
    status, parts = _get(client, f"/dicomweb/studies/{study}/series/{series}")
    if status != 200 or len(parts) != _CROP:
        yield f"WADO series: {status} {len(parts)} part(s)"
    sop = datasets[0].SOPInstanceUID
    status, parts = _get(client, f"/dicomweb/studies/{study}/series/{series}/instances/{sop}")
    if status != 200 or len(parts) != 1:
        yield f"WADO instance: {status} {len(parts)} part(s)"


def _walk(client: TestClient, crop: list[Dataset], *, empty: bool, caplog: pytest.LogCaptureFixture) -> Iterator[str]:
    """STOW-RS, QIDO-RS and WADO-RS each case; yields a line for each answer that breaks the rule."""
    attributes = {element.tag: element.keyword or str(element.tag) for ds in crop for element in ds}
    for tag, keyword in sorted(attributes.items()):
        datasets = _case(crop, tag=tag, empty=empty)
        caplog.clear()
        body = related_body([to_bytes(ds) for ds in datasets])
        response = client.post("/dicomweb/studies", content=body, headers={**AUTH, "Content-Type": RELATED})
        problems = _problems_of_store(response, keyword)
        if response.status_code == 200:
            problems += _problems_of_reads(client, datasets)
        problems += [f"logged: {record.getMessage()}" for record in caplog.records if record.levelno >= logging.ERROR]
        yield from (f"{keyword}: {problem}" for problem in problems)


@pytest.mark.parametrize("empty", [False, True], ids=["deleted", "emptied"])
def test_every_attribute_of_the_real_ge_series_over_http(
    client: TestClient, ge_crop: list[Dataset], empty: bool, caplog: pytest.LogCaptureFixture
) -> None:
    problems = list(_walk(client, ge_crop, empty=empty, caplog=caplog))
    assert problems == []
