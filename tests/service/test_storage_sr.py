"""petiq's scores SR in the storage: stored only through the job-output path, then served by QIDO-RS and WADO-RS;
STOW-RS from outside still refuses it (0x0122)."""

from __future__ import annotations

import io

import highdicom as hd
import pydicom
from pydicom.dataset import Dataset

from core.multipart import split_parts
from core.settings import Settings
from core.storage.instances import JOB_OUTPUT_SOP_CLASSES, STOW_SOP_CLASSES
from core.storage.layout import Layout
from core.storage.outcomes import StoreReport
from core.storage.status import FailureReason
from core.storage.store import store_instances
from imaging.dicom.derived import AlgorithmIdentity
from imaging.dicom.sr import COMPREHENSIVE_3D_SR, SERIES_DESCRIPTION, build_scores_sr
from tests.imaging.dicom.factories import to_bytes
from tests.imaging.dicom.sr_helpers import make_result
from tests.service.conftest import TestClient
from tests.service.helpers import AUTH, RELATED, as_ct, pet_datasets, related_body, sibling_series, spooled

MODALITY, SERIES_UID, FAILURE_REASON, FAILED = "00080060", "0020000E", "00081197", "00081198"


def _study(seed: int) -> tuple[list[Dataset], list[Dataset], Dataset]:
    """A PET series, a "denoised" sibling series and the scores SR of the pair."""
    sources = pet_datasets(seed=seed, n_slices=3)
    derived = sibling_series(sources, tag="denoised", description="PET [petiq denoised]")
    algorithm = AlgorithmIdentity(
        name="DnCNN-2.5D", version="1", software_version="0.1.0", device_uid=hd.UID(), description="test"
    )
    report = build_scores_sr(
        sources=sources, derived=derived, result=make_result(sources=sources, derived=derived), algorithm=algorithm
    )
    return sources, derived, report


def _store(settings: Settings, datasets: list[Dataset], sop_classes: frozenset[str]) -> StoreReport:
    tmp = Layout(settings.storage_dir).tmp
    tmp.mkdir(parents=True, exist_ok=True)
    return store_instances(
        root=settings.storage_dir,
        files=[spooled(to_bytes(ds), tmp) for ds in datasets],
        study_uid=None,
        max_instances_per_series=settings.max_instances_per_series,
        split_pattern=settings.split_regex,
        sop_classes=sop_classes,
    )


def _parts(response: object) -> list[bytes]:
    content_type = response.headers["content-type"]  # type: ignore[attr-defined]
    return [part.payload for part in split_parts(content_type=content_type, body=response.content)]  # type: ignore[attr-defined]


def test_stow_from_outside_refuses_the_sr_with_0x0122(client: TestClient) -> None:
    _, _, report = _study(seed=60)
    body = related_body([to_bytes(report)])
    response = client.post("/dicomweb/studies", content=body, headers={**AUTH, "Content-Type": RELATED})
    assert response.status_code == 409
    (failed,) = response.json()[FAILED]["Value"]
    assert failed[FAILURE_REASON]["Value"] == [0x0122]


def test_default_store_refuses_what_the_job_output_path_accepts(settings: Settings) -> None:
    sources, _, report = _study(seed=61)
    assert STOW_SOP_CLASSES < JOB_OUTPUT_SOP_CLASSES and COMPREHENSIVE_3D_SR in JOB_OUTPUT_SOP_CLASSES
    refused = _store(settings, [report], STOW_SOP_CLASSES)
    assert [outcome.failure for outcome in refused.outcomes] == [FailureReason.SOP_CLASS_NOT_SUPPORTED]
    wrong_modality = pydicom.dcmread(io.BytesIO(to_bytes(report)))
    wrong_modality.Modality = "PT"
    ct = as_ct(sources[0])
    outcomes = _store(settings, [wrong_modality, ct], JOB_OUTPUT_SOP_CLASSES).outcomes
    assert [outcome.failure for outcome in outcomes] == [
        FailureReason.DATASET_DOES_NOT_MATCH_SOP_CLASS,
        FailureReason.SOP_CLASS_NOT_SUPPORTED,
    ]


def test_job_output_sr_is_served_by_qido_and_wado(client: TestClient, settings: Settings) -> None:
    sources, derived, report = _study(seed=62)
    stored = _store(settings, [*sources, *derived, report], JOB_OUTPUT_SOP_CLASSES)
    assert all(outcome.stored for outcome in stored.outcomes)
    study, series = report.StudyInstanceUID, report.SeriesInstanceUID
    listing = client.get(f"/dicomweb/studies/{study}/series", headers=AUTH)
    assert listing.status_code == 200
    modalities = {item[SERIES_UID]["Value"][0]: item[MODALITY]["Value"][0] for item in listing.json()}
    assert modalities == {sources[0].SeriesInstanceUID: "PT", derived[0].SeriesInstanceUID: "PT", series: "SR"}
    only_sr = client.get(f"/dicomweb/studies/{study}/series", params={"Modality": "SR"}, headers=AUTH).json()
    assert [item["0008103E"]["Value"][0] for item in only_sr] == [SERIES_DESCRIPTION]
    url = f"/dicomweb/studies/{study}/series/{series}/instances/{report.SOPInstanceUID}"
    (payload,) = _parts(client.get(url, headers=AUTH))
    received = pydicom.dcmread(io.BytesIO(payload))
    assert received.SOPClassUID == COMPREHENSIVE_3D_SR and received.SOPInstanceUID == report.SOPInstanceUID
    assert received.ContentSequence == report.ContentSequence
    assert len(_parts(client.get(f"/dicomweb/studies/{study}/series/{series}", headers=AUTH))) == 1


def test_split_rule_ignores_a_stored_sr(settings: Settings) -> None:
    """A split series stored into a study that holds an SR pairs with its parent as before (an SR has no grid)."""
    sources, _, report = _study(seed=63)
    for ds in sources:
        ds.AcquisitionDate, ds.AcquisitionTime = "20240102", "103000"
    split = sibling_series(sources, tag="split-a", description="PET split A")
    _store(settings, [*sources, report], JOB_OUTPUT_SOP_CLASSES)
    stored = _store(settings, split, STOW_SOP_CLASSES)
    assert all(outcome.stored for outcome in stored.outcomes)
    assert stored.split_pairs == {split[0].SeriesInstanceUID: sources[0].SeriesInstanceUID}
