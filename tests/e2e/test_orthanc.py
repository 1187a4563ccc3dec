"""Orthanc as the hospital's PACS, end to end: Orthanc STOW-RSes a study to petiq, petiq processes it and
forwards the result back to Orthanc (by STOW-RS, or by C-STORE to Orthanc's DICOM port), which then holds the
derived series and the scores SR in the same study, referencing the originals.

Debian's ``orthanc`` with ``orthanc-dicomweb`` (``.ci/run`` installs both); skipped when they are absent.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import pydicom
import pytest
import requests
from pydicom.dataset import Dataset

from models.bundle import BundleInfo
from tests.e2e.servers import DICOMWEB_PLUGIN, ORTHANC, ORTHANC_AET, orthanc_config, orthanc_server, petiq_serve
from tests.workers.builders import random_bundle, small_study
from tests.workers.http_helpers import poll_job
from tests.workers.processes import free_port

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(
        not (ORTHANC.is_file() and DICOMWEB_PLUGIN.exists()), reason="orthanc and orthanc-dicomweb are not installed"
    ),
]

KEY = "orthanc-e2e-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


@dataclass(frozen=True)
class Site:
    """Orthanc's and petiq's base URLs."""

    orthanc: str
    petiq: str


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> BundleInfo:
    return random_bundle(directory=tmp_path_factory.mktemp("bundle"))


def _site(tmp_path: Path, bundle: BundleInfo, *, dimse: bool) -> Iterator[Site]:
    """Orthanc and ``petiq serve`` forwarding to it: by C-STORE to its DICOM port when ``dimse`` (petiq's storage
    SCP then also listens, Orthanc its only allowed sender), else STOW-RS."""
    orthanc_port, petiq_port, dicom_port, petiq_dimse_port = free_port(), free_port(), free_port(), free_port()
    config = orthanc_config(
        folder=tmp_path,
        http_port=orthanc_port,
        petiq_url=f"http://127.0.0.1:{petiq_port}/dicomweb/",
        petiq_key=KEY,
        dicom_port=dicom_port if dimse else None,
        petiq_dimse_port=petiq_dimse_port if dimse else None,
    )
    env = {
        "PETIQ_STORAGE_DIR": str(tmp_path / "petiq"),
        "PETIQ_DENOISER_WEIGHTS": str(bundle.directory),
        "PETIQ_API_KEYS": KEY,
        "PETIQ_DEFAULT_ADAPT": "off",
    }
    if dimse:
        env |= {
            "PETIQ_DIMSE_PORT": str(petiq_dimse_port),
            "PETIQ_DIMSE_HOST": "127.0.0.1",
            "PETIQ_DIMSE_ALLOWED": f"{ORTHANC_AET}@127.0.0.1",
            "PETIQ_FORWARD_DIMSE": f"{ORTHANC_AET}@127.0.0.1:{dicom_port}",
            "PETIQ_DEFAULT_SCORE": "false",
        }
    else:
        env["PETIQ_FORWARD_URL"] = f"http://127.0.0.1:{orthanc_port}/dicom-web"
    with (
        orthanc_server(config=config, folder=tmp_path) as orthanc,
        petiq_serve(port=petiq_port, env=env, log=tmp_path / "petiq.log") as petiq,
    ):
        yield Site(orthanc=orthanc, petiq=petiq)


@pytest.fixture
def site(tmp_path: Path, bundle: BundleInfo) -> Iterator[Site]:
    yield from _site(tmp_path, bundle, dimse=False)


@pytest.fixture
def cstore_site(tmp_path: Path, bundle: BundleInfo) -> Iterator[Site]:
    yield from _site(tmp_path, bundle, dimse=True)


def _upload(orthanc: str, folder: Path) -> str:
    """POST each file of ``folder`` to Orthanc's REST API; the Orthanc id of their study."""
    studies = set()
    for path in sorted(folder.glob("*.dcm")):
        response = requests.post(f"{orthanc}/instances", data=path.read_bytes(), timeout=30)
        response.raise_for_status()
        studies.add(response.json()["ParentStudy"])
    (study,) = studies
    return study


def _dataset(orthanc: str, instance_id: str) -> Dataset:
    response = requests.get(f"{orthanc}/instances/{instance_id}/file", timeout=30)
    response.raise_for_status()
    return pydicom.dcmread(BytesIO(response.content))


def _series_by_uid(orthanc: str, study_id: str) -> dict[str, dict[str, Any]]:
    series: list[dict[str, Any]] = requests.get(f"{orthanc}/studies/{study_id}/series", timeout=30).json()
    return {item["MainDicomTags"]["SeriesInstanceUID"]: item for item in series}


def _wait_for_series(orthanc: str, study_id: str, uids: set[str], timeout_s: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while not uids <= (found := _series_by_uid(orthanc, study_id)).keys():
        assert time.monotonic() < deadline, f"Orthanc holds {sorted(found)}, not {sorted(uids)}"
        time.sleep(0.2)
    return found


def _referenced_series(dataset: Dataset) -> set[str]:
    """Every SeriesInstanceUID nested anywhere in ``dataset``'s sequences."""
    found: set[str] = set()
    for element in dataset.iterall():
        if element.VR == "SQ":
            found |= {item.SeriesInstanceUID for item in element.value if "SeriesInstanceUID" in item}
    return found


def _job(site: Site, study_uid: str) -> dict[str, Any]:
    jobs = requests.get(f"{site.petiq}/v1/jobs", params={"study_uid": study_uid}, headers=AUTH, timeout=10).json()
    assert len(jobs) == 1, jobs
    job: dict[str, Any] = jobs[0]
    return job


def _delivered(site: Site, study_uid: str, timeout_s: float = 180.0) -> dict[str, Any]:
    job = poll_job(lambda: _job(site, study_uid), timeout_s=timeout_s)
    assert job["status"] == "succeeded", job["error"]
    deadline = time.monotonic() + 60
    while (job := _job(site, study_uid))["delivery"]["status"] in ("pending", "delivering"):
        assert time.monotonic() < deadline, job["delivery"]
        time.sleep(0.2)
    return job


def test_orthanc_sends_a_study_and_gets_the_result_back(site: Site, tmp_path: Path) -> None:
    folder = small_study(directory=tmp_path / "study")
    originals = [pydicom.dcmread(path) for path in sorted(folder.glob("*.dcm"))]
    study_uid, source_uid = originals[0].StudyInstanceUID, originals[0].SeriesInstanceUID
    study_id = _upload(site.orthanc, folder)
    sent = requests.post(f"{site.orthanc}/dicom-web/servers/petiq/stow", json={"Resources": [study_id]}, timeout=60)
    assert sent.status_code == 200, sent.text
    job = _delivered(site, study_uid)
    assert job["delivery"]["status"] == "delivered", job["delivery"]
    assert job["delivery"]["destination"] == f"{site.orthanc}/dicom-web"
    derived_uid = job["result"]["output"]["series_uid"]
    series = _wait_for_series(site.orthanc, study_id, {source_uid, derived_uid})
    derived = [_dataset(site.orthanc, instance) for instance in series[derived_uid]["Instances"]]
    assert len(derived) == len(originals)
    source_sops = {dataset.SOPInstanceUID for dataset in originals}
    for dataset in derived:
        assert (dataset.StudyInstanceUID, dataset.Modality) == (study_uid, "PT")
        assert list(dataset.ImageType)[:2] == ["DERIVED", "PRIMARY"]
        referenced = {item.ReferencedSOPInstanceUID for item in dataset.SourceImageSequence}
        assert referenced and referenced <= source_sops
    assert {item.ReferencedSOPInstanceUID for dataset in derived for item in dataset.SourceImageSequence} == (
        source_sops
    )
    sr_uid = job["result"]["output"]["sr_uid"]
    assert isinstance(sr_uid, str) and job["delivery"]["instances_sent"] == len(originals) + 1
    # the scores SR: same study, referencing both series, holding the scores of result.json
    sr_series = [item for uid, item in series.items() if item["MainDicomTags"].get("Modality") == "SR"]
    (sr_item,) = sr_series
    (sr,) = [_dataset(site.orthanc, instance) for instance in sr_item["Instances"]]
    assert sr.SOPInstanceUID == sr_uid and sr.StudyInstanceUID == study_uid
    assert {source_uid, derived_uid} <= _referenced_series(sr)
    texts = {str(element.value) for element in sr.iterall() if element.keyword == "TextValue"}
    assert job["result"]["input"]["scores"]["calibration"] in texts


def test_orthanc_and_petiq_exchange_the_study_by_c_store(cstore_site: Site, tmp_path: Path) -> None:
    """The issue's "done when": the PACS C-STOREs a PET series to petiq's SCP, and the derived series and the SR
    arrive back in the PACS by C-STORE, with no other step."""
    folder = small_study(directory=tmp_path / "study")
    originals = [pydicom.dcmread(path, stop_before_pixels=True) for path in sorted(folder.glob("*.dcm"))]
    study_uid, source_uid = originals[0].StudyInstanceUID, originals[0].SeriesInstanceUID
    study_id = _upload(cstore_site.orthanc, folder)
    echo = requests.post(f"{cstore_site.orthanc}/modalities/petiq/echo", json={}, timeout=30)
    assert echo.status_code == 200, echo.text
    sent = requests.post(
        f"{cstore_site.orthanc}/modalities/petiq/store", json={"Resources": [study_id], "Synchronous": True}, timeout=60
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["InstancesCount"] == len(originals)
    job = _delivered(cstore_site, study_uid)
    delivery, n_sent = job["delivery"], len(originals) + 1
    assert (delivery["status"], delivery["destination"], delivery["instances_sent"]) == ("delivered", None, n_sent)
    (result,) = delivery["results"]
    assert (result["kind"], result["destination"], result["statuses"]) == (
        "dimse",
        delivery["dimse"],
        {"0x0000": n_sent},
    )
    assert delivery["dimse"].startswith(f"{ORTHANC_AET}@127.0.0.1:")
    derived_uid, sr_uid = job["result"]["output"]["series_uid"], job["result"]["output"]["sr_uid"]
    series = _wait_for_series(cstore_site.orthanc, study_id, {source_uid, derived_uid})
    assert requests.get(f"{cstore_site.orthanc}/studies", timeout=30).json() == [study_id]  # the same study
    derived = [_dataset(cstore_site.orthanc, instance) for instance in series[derived_uid]["Instances"]]
    assert len(derived) == len(originals)
    assert all(
        (dataset.StudyInstanceUID, list(dataset.ImageType)[:2]) == (study_uid, ["DERIVED", "PRIMARY"])
        for dataset in derived
    )
    (sr_item,) = [item for item in series.values() if item["MainDicomTags"].get("Modality") == "SR"]
    (sr,) = [_dataset(cstore_site.orthanc, instance) for instance in sr_item["Instances"]]
    assert (sr.SOPInstanceUID, sr.StudyInstanceUID) == (sr_uid, study_uid)
    assert {source_uid, derived_uid} <= _referenced_series(sr)
