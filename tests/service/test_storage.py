"""Storing instances: validation with PS3.18 failure reasons, idempotence, conflicts, limits, layout, reports."""

from __future__ import annotations

import copy
import io
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest

from core.errors import TooLargeError
from core.settings import DEFAULT_SPLIT_PATTERN
from core.storage import FailureReason, Layout, SeriesKey, StoreReport, instance_files, store_instances
from core.storage.index import read_index
from tests.imaging.dicom.factories import to_bytes
from tests.service.helpers import as_ct, as_jpeg, pet_datasets, pet_parts, sibling_series, spooled

PATTERN = re.compile(DEFAULT_SPLIT_PATTERN, re.IGNORECASE)


def _store(root: Path, parts: list[bytes], *, study_uid: str | None = None, limit: int = 100) -> StoreReport:
    files = [spooled(part, root / "tmp") for part in parts]
    return store_instances(
        root=root, files=files, study_uid=study_uid, max_instances_per_series=limit, split_pattern=PATTERN
    )


def _reasons(report: StoreReport) -> list[FailureReason | None]:
    return [outcome.failure for outcome in report.outcomes]


def test_a_series_is_stored_byte_for_byte_and_indexed(tmp_path: Path) -> None:
    datasets = pet_datasets(seed=1)
    parts = [to_bytes(ds) for ds in datasets]
    report = _store(tmp_path, parts)
    study, series = datasets[0].StudyInstanceUID, datasets[0].SeriesInstanceUID
    assert _reasons(report) == [None] * 4
    assert report.completed_series == (SeriesKey(study, series),)
    files = instance_files(layout=Layout(tmp_path), study_uid=study, series_uid=series)
    assert [path.read_bytes() for path, _ in files] == parts
    assert [path.name for path, _ in files] == [f"{ds.SOPInstanceUID}.dcm" for ds in datasets]
    index = read_index(path=Layout(tmp_path).index(study, series))
    assert index is not None and index.series.number_of_slices == 4 and index.study.patient_id == "SYN001"
    assert index.series.pixel_spacing == (2.5, 2.0)
    assert not list((tmp_path / "tmp").iterdir())  # every spool file was renamed into place


def test_resending_identical_instances_is_a_success_that_completes_nothing(tmp_path: Path) -> None:
    parts = pet_parts(seed=2)
    _store(tmp_path, parts)
    again = _store(tmp_path, parts)
    assert _reasons(again) == [None] * 4
    assert all(outcome.already_stored for outcome in again.outcomes)
    assert again.completed_series == ()
    assert len(list(tmp_path.glob("studies/*/series/*/instances/*.dcm"))) == 4


def test_same_uid_with_other_bytes_is_a_duplicate_and_keeps_the_stored_copy(tmp_path: Path) -> None:
    datasets = pet_datasets(seed=3, n_slices=2)
    original = to_bytes(datasets[0])
    _store(tmp_path, [original])
    changed = copy.deepcopy(datasets[0])
    changed.PatientName = "Changed^Name"
    report = _store(tmp_path, [to_bytes(changed), to_bytes(datasets[1])])
    assert _reasons(report) == [FailureReason.DUPLICATE_SOP_INSTANCE, None]
    assert report.outcomes[0].sop_instance_uid == datasets[0].SOPInstanceUID
    path = Layout(tmp_path).instance(
        datasets[0].StudyInstanceUID, datasets[0].SeriesInstanceUID, datasets[0].SOPInstanceUID
    )
    assert path.read_bytes() == original


def test_completion_needs_number_of_slices_across_requests(tmp_path: Path) -> None:
    parts = pet_parts(seed=4, n_slices=3)
    first = _store(tmp_path, parts[:2])
    second = _store(tmp_path, parts[2:])
    assert first.completed_series == ()
    assert len(second.completed_series) == 1


def _truncated(data: bytes) -> bytes:
    return data[:-10]


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (as_ct, FailureReason.SOP_CLASS_NOT_SUPPORTED),
        (lambda ds: setattr(ds, "Modality", "CT") or ds, FailureReason.DATASET_DOES_NOT_MATCH_SOP_CLASS),
        (lambda ds: delattr(ds, "PixelData") or ds, FailureReason.DATASET_DOES_NOT_MATCH_SOP_CLASS),
        (lambda ds: delattr(ds, "ImagePositionPatient") or ds, FailureReason.DATASET_DOES_NOT_MATCH_SOP_CLASS),
        (
            lambda ds: setattr(ds, "SeriesInstanceUID", "../../etc") or ds,
            FailureReason.DATASET_DOES_NOT_MATCH_SOP_CLASS,
        ),
        (as_jpeg, FailureReason.TRANSFER_SYNTAX_NOT_SUPPORTED),
    ],
)
def test_unstorable_instances_fail_with_their_reason(tmp_path: Path, mutate: object, reason: FailureReason) -> None:
    good, bad = pet_datasets(seed=5, n_slices=2)
    assert callable(mutate)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Invalid value for VR UI")  # pydicom on the bad UID
        bad_bytes = to_bytes(mutate(copy.deepcopy(bad)))  # the factory's slices share header elements
    report = _store(tmp_path, [to_bytes(good), bad_bytes])
    assert _reasons(report) == [None, reason]
    assert report.outcomes[1].message
    assert len(list(tmp_path.glob("studies/**/*.dcm"))) == 1


@pytest.mark.parametrize(
    ("keyword", "value"), [("PixelRepresentation", None), ("BitsStored", None), ("PhotometricInterpretation", "RGB")]
)
def test_an_image_a_decoder_cannot_read_fails_naming_the_attribute(tmp_path: Path, keyword: str, value: object) -> None:
    """Without the Image Pixel attributes the values cannot be decoded (nor re-encoded for WADO-RS): refused."""
    (bad,) = pet_datasets(seed=7, n_slices=1)
    bad = copy.deepcopy(bad)
    if value is None:
        delattr(bad, keyword)
    else:
        setattr(bad, keyword, value)
    report = _store(tmp_path, [to_bytes(bad)])
    assert _reasons(report) == [FailureReason.DATASET_DOES_NOT_MATCH_SOP_CLASS]
    assert f"'{keyword}'" in report.outcomes[0].message
    assert list(tmp_path.glob("studies/**/*.dcm")) == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not dicom at all" * 10, FailureReason.CANNOT_UNDERSTAND),
        (b"", FailureReason.CANNOT_UNDERSTAND),
        (_truncated(pet_parts(seed=6, n_slices=1)[0]), FailureReason.DATASET_DOES_NOT_MATCH_SOP_CLASS),
    ],
)
def test_unreadable_parts_fail_without_uids(tmp_path: Path, data: bytes, reason: FailureReason) -> None:
    report = _store(tmp_path, [data])
    assert _reasons(report) == [reason]
    assert report.n_stored == 0
    assert not (tmp_path / "studies").exists()


def test_study_of_the_url_must_match(tmp_path: Path) -> None:
    first, other = pet_parts(seed=7, n_slices=1), pet_parts(seed=8, n_slices=1)
    study = pet_datasets(seed=7, n_slices=1)[0].StudyInstanceUID
    report = _store(tmp_path, first + other, study_uid=study)
    assert _reasons(report) == [None, FailureReason.STUDY_UID_MISMATCH]
    assert report.outcomes[1].sop_class_uid == "1.2.840.10008.5.1.4.1.1.128"


def test_a_series_over_the_limit_refuses_the_whole_request(tmp_path: Path) -> None:
    small, large = pet_parts(seed=9, n_slices=2), pet_parts(seed=10, n_slices=4)
    with pytest.raises(TooLargeError, match="max_instances_per_series") as caught:
        _store(tmp_path, small + large, limit=3)
    assert caught.value.uid == pet_datasets(seed=10, n_slices=1)[0].SeriesInstanceUID
    assert not (tmp_path / "studies").exists()
    assert len(_store(tmp_path, large[:3], limit=3).outcomes) == 3
    with pytest.raises(TooLargeError):
        _store(tmp_path, large[3:], limit=3)


def test_split_series_are_reported_with_their_parent(tmp_path: Path) -> None:
    full = pet_datasets(seed=11, n_slices=3)
    split_a = sibling_series(full, tag="a", description="PET WB split A")
    unrelated = sibling_series(full, tag="c", description="PET WB split A")
    for ds in unrelated:  # another acquisition
        ds.AcquisitionTime = "110000.00"
    _store(tmp_path, [to_bytes(ds) for ds in full])
    report = _store(tmp_path, [to_bytes(ds) for ds in split_a + unrelated])
    assert report.split_pairs == {split_a[0].SeriesInstanceUID: full[0].SeriesInstanceUID}
    assert {key.series_uid for key in report.completed_series} == {
        split_a[0].SeriesInstanceUID,
        unrelated[0].SeriesInstanceUID,
    }


def test_the_index_is_json_with_the_hashes(tmp_path: Path) -> None:
    datasets = pet_datasets(seed=12, n_slices=2)
    _store(tmp_path, [to_bytes(ds) for ds in datasets])
    text = Layout(tmp_path).index(datasets[0].StudyInstanceUID, datasets[0].SeriesInstanceUID).read_text()
    instances = json.loads(text)["instances"]
    assert set(instances) == {ds.SOPInstanceUID for ds in datasets}
    assert all(len(record["sha256"]) == 64 for record in instances.values())
    positions = [record["image_position"][2] for record in instances.values()]
    assert np.allclose(sorted(positions), [-100.0, -97.0])


def test_a_part_without_preamble_is_stored_as_part10_and_stays_idempotent(tmp_path: Path) -> None:
    dataset = pet_datasets(seed=13, n_slices=1)[0]
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, dataset)  # File Meta but no preamble: what dicomweb-client sends
    bare = buffer.getvalue()
    assert bare[128:132] != b"DICM"
    assert _reasons(_store(tmp_path, [bare])) == [None]
    (path,) = tmp_path.glob("studies/*/series/*/instances/*.dcm")
    assert path.read_bytes()[128:132] == b"DICM"
    assert pydicom.dcmread(path).PixelData == dataset.PixelData
    again = _store(tmp_path, [bare])
    assert again.outcomes[0].already_stored
